"""The training criteria of the estimators: the losses of :mod:`._losses` in skorch's form.

skorch calls a criterion as ``criterion(y_pred, y_true)``, ``y_pred`` being what the
training module's ``forward`` returned and ``y_true`` the batch of the targets handed to
the net (group codes here, or the dummy target skorch passes when there are none). Every
hyperparameter of a loss (temperature, weights) lives on its criterion, never in a
module's output.
"""

import math
from typing import NamedTuple, Optional

import torch
from torch import nn
from torch.nn import functional as F

from ._losses import (
    NTXentLoss,
    TemperatureLoss,
    clip_loss,
    group_contrastive_loss,
    local_clip_loss,
    masked_reconstruction_loss,
    sigmoid_pair_loss,
)

__all__ = [
    "AlignmentOutput",
    "CrossModalCriterion",
    "MaskedReconstructionCriterion",
    "PatientContrastiveCriterion",
    "TwoViewCriterion",
]


class TwoViewCriterion(NTXentLoss):
    """:class:`NTXentLoss` (SimCLR) over two views ``y_pred = (z1, z2)``; ``y_true`` unused.

    Parameters
    ----------
    temperature : float, default=0.1
        Softmax temperature (> 0).
    """

    def forward(self, y_pred, y_true=None):
        return super().forward(*y_pred)


class PatientContrastiveCriterion(TemperatureLoss):
    """Group-contrastive (CLOCS) loss over both views; ``y_true`` holds the patient codes.

    Parameters
    ----------
    temperature : float, default=0.1
        Softmax temperature (> 0).
    """

    def forward(self, y_pred, y_true):
        groups = torch.cat([y_true, y_true])
        return group_contrastive_loss(torch.cat(y_pred), groups, temperature=self.temperature)


class MaskedReconstructionCriterion(nn.Module):
    """Mean squared error on the hidden samples, ``y_pred = (reconstruction, target, mask)``."""

    def forward(self, y_pred, y_true=None):
        return masked_reconstruction_loss(*y_pred)


class AlignmentOutput(NamedTuple):
    """What a two-tower alignment module returns for one batch of pairs.

    ``z_ecg``, ``z_mcg`` ``(n, d)``: points of the shared space; ``local_ecg``,
    ``local_mcg`` ``(n, n_windows, d)`` or None: sub-beat window embeddings;
    ``reconstruction``, ``reconstruction_target`` or None: the decoded MCG and the
    scaled MCG it is compared with; ``phase_mcg`` ``(n, n_phases, d)`` or None: the
    MCG tower's points for phases of the beat (QRS, ST-T) alone, the dual targets.
    """

    z_ecg: torch.Tensor
    z_mcg: torch.Tensor
    local_ecg: Optional[torch.Tensor] = None
    local_mcg: Optional[torch.Tensor] = None
    reconstruction: Optional[torch.Tensor] = None
    reconstruction_target: Optional[torch.Tensor] = None
    phase_mcg: Optional[torch.Tensor] = None


class CrossModalCriterion(nn.Module):
    """A pair loss on paired beats, plus optional local and reconstruction terms.

    ``loss = pair(z_ecg, z_mcg) + local_weight * local_clip(windows)
    + dual_weight * mean_k pair(z_ecg, phase_mcg[:, k])
    + reconstruction_weight * mse(reconstruction)``, all at one temperature.

    Parameters
    ----------
    pair_loss : {"infonce", "sigmoid"}, default="infonce"
        The pair term: symmetric InfoNCE (:func:`clip_loss`) or SigLIP's pairwise
        sigmoid (:func:`sigmoid_pair_loss`), whose logit bias is then the learned
        parameter ``logit_bias`` (initial value -10).
    temperature : float, default=0.1
        Softmax temperature; with ``learn_temperature``, its initial value.
    learn_temperature : bool, default=False
        Learn it, as ``log T = log T_min + (log T_max - log T_min) * sigmoid(w)``
        (the parameter ``temperature_logit``), so it stays inside ``bounds``.
    bounds : tuple of (float, float), default=(0.01, 1.0)
        ``(T_min, T_max)`` of the learnable temperature.
    local_weight, dual_weight, reconstruction_weight : float, default=0.0
        Weights of the local, dual-target and reconstruction terms.

    Notes
    -----
    ``y_true`` holds an integer group (subject) code per pair, or None: pairs that
    share a code (other than the positive) are left out of each other's negatives.
    Distinct codes for every pair (``arange(n)``) leave the loss as without groups.
    """

    def __init__(self, temperature=0.1, *, pair_loss="infonce", learn_temperature=False,
                 bounds=(0.01, 1.0), local_weight=0.0, dual_weight=0.0,
                 reconstruction_weight=0.0):
        super().__init__()
        self.dual_weight = dual_weight
        if pair_loss not in ("infonce", "sigmoid"):
            raise ValueError(f'pair_loss must be "infonce" or "sigmoid"; got {pair_loss!r}.')
        self.pair_loss = pair_loss
        self.logit_bias = nn.Parameter(torch.tensor(-10.0)) if pair_loss == "sigmoid" else None
        self.local_weight = local_weight
        self.reconstruction_weight = reconstruction_weight
        self.fixed_temperature = None if learn_temperature else float(temperature)
        if learn_temperature:
            self.log_bounds = (math.log(bounds[0]), math.log(bounds[1]))
            low, high = self.log_bounds
            fraction = (math.log(temperature) - low) / (high - low)
            self.temperature_logit = nn.Parameter(torch.tensor(math.log(fraction / (1 - fraction))))

    def extra_repr(self):
        # Part of a checkpoint's fingerprint (repr): a resumed fit must optimise the same loss.
        return (f"pair_loss={self.pair_loss!r}, temperature={self.fixed_temperature}, "
                f"local_weight={self.local_weight}, dual_weight={self.dual_weight}, "
                f"reconstruction_weight={self.reconstruction_weight}")

    def temperature(self):
        """The current temperature: a float, or a scalar tensor when learnt."""
        if self.fixed_temperature is not None:
            return self.fixed_temperature
        low, high = self.log_bounds
        return torch.exp(low + (high - low) * torch.sigmoid(self.temperature_logit))

    def forward(self, y_pred, y_true=None):
        temperature = self.temperature()
        loss = self._pair(y_pred.z_ecg, y_pred.z_mcg, temperature, y_true)
        if y_pred.phase_mcg is not None:
            phases = y_pred.phase_mcg.unbind(dim=1)
            dual = sum(self._pair(y_pred.z_ecg, phase, temperature, y_true) for phase in phases)
            loss = loss + self.dual_weight * dual / len(phases)
        if y_pred.local_ecg is not None:
            local = local_clip_loss(y_pred.local_ecg, y_pred.local_mcg, temperature)
            loss = loss + self.local_weight * local
        if y_pred.reconstruction is not None:
            mse = F.mse_loss(y_pred.reconstruction, y_pred.reconstruction_target)
            loss = loss + self.reconstruction_weight * mse
        return loss

    def _pair(self, z_ecg, z_mcg, temperature, groups):
        if self.logit_bias is None:
            return clip_loss(z_ecg, z_mcg, temperature, groups)
        return sigmoid_pair_loss(z_ecg, z_mcg, temperature, self.logit_bias, groups)
