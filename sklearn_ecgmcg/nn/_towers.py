"""Training modules: the two-tower alignment model and the stage-1 pretext models.

Each is the ``torch.nn.Module`` an estimator hands to skorch; its ``forward`` returns
what the matching criterion of :mod:`._criteria` reads.
"""

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._conditioned import TimeSharedDecoder
from ._criteria import AlignmentOutput
from ._encoders import FeatureMapEncoder
from ._heads import ProjectionHead

__all__ = ["AlignmentModule", "MaskedModelingModule", "ModalityTower", "Standardize",
           "TwoViewModule"]


class Standardize(nn.Module):
    """Per-channel ``(x - mean) / scale`` with the statistics stored as buffers.

    Parameters
    ----------
    mean, scale : array-like of shape (n_channels,)
        Channel means and scales (e.g. standard deviations over training beats).
    """

    def __init__(self, mean, scale):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32)[None, :, None])
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32)[None, :, None])

    def forward(self, x):
        return (x - self.mean) / self.scale


class ModalityTower(nn.Module):
    """Scaling, encoder and projection head of one modality.

    ``forward(x)`` returns the (unnormalised) point in the shared space;
    ``forward_local(x, bounds)`` also returns one projected embedding per sub-beat
    window of the encoder's feature map, ``(n, n_windows, d)``; ``feature_map(x)``
    the encoder's feature sequence before pooling.

    Parameters
    ----------
    scale : torch.nn.Module
        Input scaling (:class:`Standardize` or ``nn.Identity()``).
    encoder : torch.nn.Module
        The encoder (a :class:`~sklearn_ecgmcg.nn.FeatureMapEncoder` for the local
        and feature-map outputs).
    head : torch.nn.Module
        Projection head into the shared space.
    local_head : torch.nn.Module or None, default=None
        Projection head of the sub-beat windows.
    frozen : bool, default=False
        Keep the encoder's weights and batch-norm statistics fixed.
    """

    def __init__(self, scale, encoder, head, local_head=None, frozen=False):
        super().__init__()
        self.scale = scale
        self.encoder = encoder
        self.head = head
        self.local_head = local_head
        self.frozen = frozen
        if frozen:
            self.encoder.requires_grad_(False)

    def train(self, mode=True):
        super().train(mode)
        if self.frozen:  # a frozen encoder also keeps its batch-norm statistics
            self.encoder.eval()
        return self

    def forward(self, x):
        return self.head(self.encoder(self.scale(x)))

    def feature_map(self, x):
        return self.encoder.forward_features(self.scale(x))

    def forward_local(self, x, bounds):
        features = self.feature_map(x)
        return self.head(self.encoder.pool(features)), self.local_embeddings(features, bounds)

    def forward_phases(self, x, bounds):
        """One point per phase of the beat: the scaled input zeroed outside each window.

        Returns ``(n, n_phases, d)``; ``bounds`` are ``(start, stop)`` fractions of the beat.
        """
        scaled = self.scale(x)
        points = []
        for start, stop in bounds:
            mask = torch.zeros(scaled.shape[-1], dtype=scaled.dtype, device=scaled.device)
            mask[window_slice(start, stop, scaled.shape[-1])] = 1.0
            points.append(self.head(self.encoder(scaled * mask)))
        return torch.stack(points, dim=1)

    def local_embeddings(self, features, bounds):
        """One projected embedding per sub-beat window of a feature map, ``(n, n_windows, d)``."""
        n_steps = features.shape[-1]
        windows = [features[..., window_slice(start, stop, n_steps)].mean(dim=-1)
                   for start, stop in bounds]
        return self.local_head(torch.stack(windows, dim=1))


def window_slice(start, stop, n_steps):
    """The steps of a window given as fractions ``(start, stop)`` of ``n_steps``; never empty."""
    first = min(int(math.floor(start * n_steps)), n_steps - 1)
    last = max(int(math.ceil(stop * n_steps)), first + 1)
    return slice(first, last)


class TowerFeatureMap(nn.Module):
    """A tower's scaled feature map, as a module (for batched inference).

    With ``n_steps``, a feature map of another length (a strided encoder's) is
    linearly interpolated to ``n_steps`` time steps.
    """

    def __init__(self, tower, n_steps=None):
        super().__init__()
        self.tower = tower
        self.n_steps = n_steps

    def forward(self, x):
        return steps_resized(self.tower.feature_map(x), self.n_steps)


def steps_resized(features, n_steps):
    """``features`` ``(n, c, steps)`` linearly interpolated to ``n_steps`` (None: as is)."""
    if n_steps is None or features.shape[-1] == n_steps:
        return features
    return F.interpolate(features, size=n_steps, mode="linear", align_corners=False)


class AlignmentModule(nn.Module):
    """Both towers and, optionally, a linear decoder from the unit ECG latent to the MCG.

    ``forward(ecg, mcg)`` returns an :class:`~sklearn_ecgmcg.nn.AlignmentOutput`.

    Parameters
    ----------
    ecg_tower, mcg_tower : ModalityTower
    window_bounds : list of (float, float) or None, default=None
        Sub-beat windows as fractions of the beat; None: no local embeddings.
    decoder : torch.nn.Module or None, default=None
        Maps the unit ECG latent times ``sqrt(d)`` to the flattened scaled MCG; with
        ``temporal_decoder``, maps the ECG tower's feature map to the scaled MCG
        ``(n, n_mcg_channels, n_times)`` (a :class:`~sklearn_ecgmcg.nn.TimeSharedDecoder`).
    temporal_decoder : bool, default=False
        Whether ``decoder`` reads the ECG feature map (``latent="temporal"``).
    phase_bounds : list of (float, float) or None, default=None
        Phases of the beat (fractions) whose MCG alone the MCG tower also embeds
        (``phase_mcg``, the dual targets); None: none.
    """

    def __init__(self, ecg_tower, mcg_tower, window_bounds=None, decoder=None,
                 temporal_decoder=False, phase_bounds=None):
        super().__init__()
        self.phase_bounds = phase_bounds
        self.ecg_tower = ecg_tower
        self.mcg_tower = mcg_tower
        self.decoder = decoder
        self.window_bounds = window_bounds
        self.temporal_decoder = temporal_decoder and decoder is not None

    def extra_repr(self):
        # Part of a checkpoint's fingerprint (repr): a resumed fit must have the same windows.
        return f"window_bounds={self.window_bounds}, phase_bounds={self.phase_bounds}"

    def forward(self, ecg, mcg):
        output = self._forward_pairs(ecg, mcg)
        if self.phase_bounds is None:
            return output
        return output._replace(phase_mcg=self.mcg_tower.forward_phases(mcg, self.phase_bounds))

    def _forward_pairs(self, ecg, mcg):
        if self.temporal_decoder:
            return self._forward_temporal(ecg, mcg)
        if self.window_bounds is None:
            z_ecg, z_mcg = self.ecg_tower(ecg), self.mcg_tower(mcg)
            local_ecg = local_mcg = None
        else:
            z_ecg, local_ecg = self.ecg_tower.forward_local(ecg, self.window_bounds)
            z_mcg, local_mcg = self.mcg_tower.forward_local(mcg, self.window_bounds)
        if self.decoder is None:
            return AlignmentOutput(z_ecg, z_mcg, local_ecg, local_mcg)
        # The decoder reads the unit latent that transform() returns (and so a
        # LatentProjector in a pipeline), times sqrt(dim) so its inputs have about
        # unit variance, and predicts the tower-scaled MCG.
        reconstruction = self.decoder(F.normalize(z_ecg, dim=1) * math.sqrt(z_ecg.shape[1]))
        target = self.mcg_tower.scale(mcg).flatten(1)
        return AlignmentOutput(z_ecg, z_mcg, local_ecg, local_mcg, reconstruction, target)

    def _forward_temporal(self, ecg, mcg):
        # The decoder reads the ECG tower's feature map (the time-resolved latent that
        # transform() returns with latent="temporal") and predicts the tower-scaled MCG
        # with one map for all time samples, as the LatentProjector after it will.
        tower = self.ecg_tower
        features = tower.feature_map(ecg)
        z_ecg = tower.head(tower.encoder.pool(features))
        local_ecg = local_mcg = None
        if self.window_bounds is None:
            z_mcg = self.mcg_tower(mcg)
        else:
            local_ecg = tower.local_embeddings(features, self.window_bounds)
            z_mcg, local_mcg = self.mcg_tower.forward_local(mcg, self.window_bounds)
        target = self.mcg_tower.scale(mcg)
        reconstruction = self.decoder(steps_resized(features, target.shape[-1]))
        return AlignmentOutput(z_ecg, z_mcg, local_ecg, local_mcg, reconstruction, target)


class TwoViewModule(nn.Module):
    """Encodes two augmented views of each sample in one pass; returns their projections.

    Parameters
    ----------
    encoder, head, augment : torch.nn.Module
        Encoder, projection head, and the augmentation applied independently per view.
    """

    def __init__(self, encoder, head, augment):
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.augment = augment

    def forward(self, X):
        views = torch.cat([self.augment(X), self.augment(X)])
        return self.head(self.encoder(views)).chunk(2)


class MaskedModelingModule(nn.Module):
    """Hides random patches of the input and reconstructs the signal (MAE / ST-MEM style).

    ``forward(X)`` returns ``(reconstruction, target, mask)``: the target is ``X``
    standardised per sample and channel (MAE's normalised-pixel loss), so the loss
    depends neither on units (mV, pT) nor favours large leads.

    Parameters
    ----------
    encoder : FeatureMapEncoder
    decoder : torch.nn.Module
        ``decoder(features, embedding, n_times)`` -> ``(n, n_channels, n_times)``.
    mask_ratio : float
        Fraction of patches hidden.
    patch_size : int
        Samples per patch.
    """

    def __init__(self, encoder, decoder, mask_ratio, patch_size):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.mask_ratio = mask_ratio
        self.patch_size = patch_size

    def forward(self, X):
        n, _, n_times = X.shape
        n_patches = -(-n_times // self.patch_size)
        hidden = torch.rand((n, 1, n_patches), device=X.device) < self.mask_ratio
        mask = hidden.repeat_interleave(self.patch_size, dim=-1)[..., :n_times]
        features = self.encoder.forward_features(X * ~mask)
        embedding = self.encoder.pool(features)
        mean = X.mean(dim=-1, keepdim=True)
        std = X.std(dim=-1, keepdim=True, correction=0)
        target = (X - mean) / (std + 1e-6 * std.mean() + torch.finfo(X.dtype).tiny)
        return self.decoder(features, embedding, n_times), target, mask


def build_tower(encoder, shape, embedding_dim, *, mean=None, scale=None, head_layers=2,
                frozen=False, window_bounds=None, feature_map=False):
    """A :class:`ModalityTower` around ``encoder`` for inputs of ``shape`` (channels, times).

    ``mean``/``scale`` (None: no scaling) standardise the input; ``head_layers`` is the
    projection heads' depth; ``window_bounds`` adds a local head; ``feature_map`` says
    the encoder's feature map is read (``latent="temporal"``).

    Raises
    ------
    TypeError, ValueError
        If the encoder lacks the feature map these options need.
    """
    scaler = nn.Identity() if mean is None else Standardize(mean, scale)
    with torch.no_grad():
        was_training = encoder.training
        out_dim = encoder.eval()(torch.zeros((2, *shape))).shape[-1]
        encoder.train(was_training)
    head = ProjectionHead(out_dim, embedding_dim, n_layers=head_layers)
    needs = "local_weight > 0" if window_bounds is not None else 'latent="temporal"'
    if (feature_map or window_bounds is not None) and not isinstance(encoder, FeatureMapEncoder):
        raise TypeError(
            f"{needs} needs encoders with forward_features() and pool() "
            f"(sklearn_ecgmcg.nn.FeatureMapEncoder); {type(encoder).__name__} has not. "
            'Use a preset encoder (or latent="pooled", local_weight=0).'
        )
    if window_bounds is None:
        return ModalityTower(scaler, encoder, head, None, frozen)
    if not getattr(encoder, "temporal_features", True):
        raise ValueError(
            f"local_weight > 0 needs a temporal feature map; {type(encoder).__name__} "
            '(the "mlp" encoder) has none. Use a convolutional or transformer encoder, '
            "or local_weight=0."
        )
    local_head = ProjectionHead(encoder.n_features, embedding_dim, n_layers=head_layers)
    return ModalityTower(scaler, encoder, head, local_head, frozen)


def reconstruction_decoder(ecg_tower, ecg_shape, embedding_dim, mcg_shape, temporal):
    """The training-only MCG decoder of the reconstruction loss.

    ``temporal``: a :class:`~sklearn_ecgmcg.nn.TimeSharedDecoder` of the ECG tower's
    feature map; else a linear map of the pooled latent to the flattened MCG.
    """
    if temporal:
        return TimeSharedDecoder(tower_features(ecg_tower, ecg_shape), *mcg_shape)
    return nn.Linear(embedding_dim, mcg_shape[0] * mcg_shape[1])


def recalibrate_pair_batch_norm(module, device, ecg, mcg, batch_size):
    """Re-estimate both towers' batch-norm statistics on the training pairs ("precise BN").

    The running averages lag behind weights that moved during the last epochs; with
    few batches per epoch the lag costs much retrieval accuracy at inference. One
    pass over the training batches, shuffled like training's, replaces them.
    """
    order = np.random.default_rng(0).permutation(len(ecg))

    def training_batches():
        for start in range(0, len(ecg) - batch_size + 1, batch_size):
            rows = np.sort(order[start : start + batch_size])
            module.ecg_tower(torch.tensor(np.asarray(ecg[rows], np.float32), device=device))
            module.mcg_tower(torch.tensor(np.asarray(mcg[rows], np.float32), device=device))

    recalibrate_batch_norm(module, training_batches)


def tower_features(tower, shape):
    """Channels of ``tower``'s feature map for inputs of ``shape`` (channels, times)."""
    with torch.no_grad():
        was_training = tower.training
        n_features = tower.eval().feature_map(torch.zeros((2, *shape))).shape[1]
        tower.train(was_training)
    return n_features


def recalibrate_batch_norm(module, run_batches):
    """Replace the running statistics of ``module``'s training batch norms by exact ones.

    The statistics are reset and re-estimated as a cumulative average while
    ``run_batches()`` runs forward passes without gradients in training mode; a batch
    norm kept in evaluation mode (a frozen encoder) keeps its statistics. ``module``
    is left in evaluation mode.
    """
    module.train()
    norms = [m for m in module.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training]
    momenta = [norm.momentum for norm in norms]
    if norms:
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None
        with torch.no_grad():
            run_batches()
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
    return module.eval()
