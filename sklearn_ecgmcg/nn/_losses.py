"""Contrastive and reconstruction losses.

All contrastive losses L2-normalise the embeddings and divide cosine similarities by
``temperature`` (a float or a scalar tensor, so a learnable temperature works).
"""

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "info_nce_loss",
    "clip_loss",
    "sigmoid_pair_loss",
    "local_clip_loss",
    "nt_xent_loss",
    "group_contrastive_loss",
    "masked_reconstruction_loss",
    "NTXentLoss",
    "CLIPLoss",
    "TemperatureLoss",
]


def info_nce_loss(query, key, temperature=0.1, groups=None):
    """One-directional InfoNCE: row ``i`` of ``key`` is the positive of row ``i`` of ``query``.

    Parameters
    ----------
    query, key : Tensor of shape (n, d)
        Embeddings; the other ``n - 1`` rows of ``key`` are the negatives.
    temperature : float or Tensor
        Softmax temperature (> 0).
    groups : Tensor of shape (n,) or None, default=None
        Integer group (subject) id of each row. When given, rows of ``key`` that
        share the query's group (other than its positive) are left out of the
        negatives, so near-duplicates of the same subject are not pushed apart.

    Returns
    -------
    loss : Tensor (scalar)
        Mean cross-entropy of picking the matching key.
    """
    logits = F.normalize(query, dim=-1) @ F.normalize(key, dim=-1).T / temperature
    targets = torch.arange(query.shape[0], device=query.device)
    if groups is not None:
        same_group = (groups[:, None] == groups[None, :]) & (targets[:, None] != targets[None, :])
        logits = logits.masked_fill(same_group, float("-inf"))
    return F.cross_entropy(logits, targets)


def clip_loss(z_a, z_b, temperature=0.1, groups=None):
    """Symmetric InfoNCE (CLIP) loss: the mean of both directions' cross-entropy.

    Parameters
    ----------
    z_a, z_b : Tensor of shape (n, d)
        Paired embeddings of two modalities (row ``i`` of each is the same beat).
    temperature : float or Tensor
        Softmax temperature (> 0).
    groups : Tensor of shape (n,) or None, default=None
        Subject id of each pair; see :func:`info_nce_loss`.

    Returns
    -------
    loss : Tensor (scalar)
    """
    return 0.5 * (
        info_nce_loss(z_a, z_b, temperature, groups) + info_nce_loss(z_b, z_a, temperature, groups)
    )


def sigmoid_pair_loss(z_a, z_b, temperature=0.1, bias=-10.0, groups=None):
    """Pairwise sigmoid loss (SigLIP): every (a, b) pair of the batch is its own binary task.

    Zhai et al., "Sigmoid loss for language image pre-training", ICCV 2023. With
    ``logits = cos(a_i, b_j) / temperature + bias``, the matching pairs (``i == j``)
    are positives and all others negatives; no softmax couples the rows, so the loss
    does not depend on the batch's other positives.

    Parameters
    ----------
    z_a, z_b : Tensor of shape (n, d)
        Paired embeddings of two modalities (row ``i`` of each is the same beat).
    temperature : float or Tensor
        Scale of the cosine similarities (> 0).
    bias : float or Tensor, default=-10.0
        Logit offset; SigLIP starts it at -10 so that the many negatives do not
        dominate the first steps.
    groups : Tensor of shape (n,) or None, default=None
        Subject id of each pair; pairs of the same subject other than the positive
        are left out of the loss (see :func:`info_nce_loss`).

    Returns
    -------
    loss : Tensor (scalar)
        Summed binary cross-entropy over the pairs, divided by ``n``.
    """
    logits = F.normalize(z_a, dim=-1) @ F.normalize(z_b, dim=-1).T / temperature + bias
    eye = torch.eye(z_a.shape[0], dtype=torch.bool, device=z_a.device)
    signs = eye.to(logits.dtype) * 2 - 1
    pair_loss = -F.logsigmoid(signs * logits)
    if groups is not None:
        pair_loss = pair_loss.masked_fill((groups[:, None] == groups[None, :]) & ~eye, 0.0)
    return pair_loss.sum() / z_a.shape[0]


def local_clip_loss(local_a, local_b, temperature=0.1):
    """Symmetric InfoNCE over sub-beat windows (PTACL-style local alignment).

    Window ``w`` of beat ``i`` in one modality is the positive of window ``w`` of
    beat ``i`` in the other; every other (beat, window) pair of the batch, including
    the other windows of the same beat, is a negative. So the embeddings must tell
    both beats and phases of the beat (P wave, QRS, ST-T) apart.

    Parameters
    ----------
    local_a, local_b : Tensor of shape (n, n_windows, d)
        Window embeddings of two modalities, paired by beat and window.
    temperature : float or Tensor
        Softmax temperature (> 0).

    Returns
    -------
    loss : Tensor (scalar)
    """
    return clip_loss(local_a.flatten(0, 1), local_b.flatten(0, 1), temperature)


def nt_xent_loss(z1, z2, temperature=0.1):
    """NT-Xent loss of SimCLR over two views of the same ``n`` samples.

    Each of the ``2n`` embeddings has its other view as positive and the remaining
    ``2n - 2`` embeddings as negatives.

    Parameters
    ----------
    z1, z2 : Tensor of shape (n, d)
        Embeddings of the first and second view.
    temperature : float or Tensor
        Softmax temperature (> 0).

    Returns
    -------
    loss : Tensor (scalar)
    """
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=-1)
    logits = z @ z.T / temperature
    self_mask = torch.eye(2 * n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    targets = torch.arange(2 * n, device=z.device).roll(n)
    return F.cross_entropy(logits, targets)


def group_contrastive_loss(z, groups, temperature=0.1):
    """Supervised-contrastive loss where samples sharing a group id are positives.

    The CLOCS / SupCon form: for every anchor with at least one positive, the mean
    over its positives of ``-log softmax`` (over all other samples). Anchors without a
    positive in the batch are left out; a batch with no positive pair gives 0.

    Parameters
    ----------
    z : Tensor of shape (n, d)
        Embeddings.
    groups : Tensor of shape (n,)
        Integer group (patient) id of each row.
    temperature : float or Tensor
        Softmax temperature (> 0).

    Returns
    -------
    loss : Tensor (scalar)
    """
    z = F.normalize(z, dim=-1)
    self_mask = torch.eye(z.shape[0], dtype=torch.bool, device=z.device)
    logits = (z @ z.T / temperature).masked_fill(self_mask, float("-inf"))
    log_prob = F.log_softmax(logits, dim=1)
    positives = (groups[:, None] == groups[None, :]) & ~self_mask
    n_positives = positives.sum(dim=1)
    has_positive = n_positives > 0
    if not has_positive.any():
        return (z * 0).sum()
    positive_log_prob = log_prob.masked_fill(~positives, 0.0).sum(dim=1)
    return -(positive_log_prob[has_positive] / n_positives[has_positive]).mean()


def masked_reconstruction_loss(reconstruction, target, mask):
    """Mean squared error over the masked time steps only (MAE style).

    Parameters
    ----------
    reconstruction, target : Tensor of shape (n, n_channels, n_times)
    mask : Tensor of bool, shape (n, 1, n_times) or (n, n_channels, n_times)
        True where the input was hidden from the encoder.

    Returns
    -------
    loss : Tensor (scalar)
    """
    mask = mask.expand_as(target).to(target.dtype)
    squared = (reconstruction - target) ** 2 * mask
    return squared.sum() / mask.sum().clamp_min(1.0)


class TemperatureLoss(nn.Module):
    """Base of the loss modules with a softmax ``temperature`` (> 0), default 0.1."""

    def __init__(self, temperature=0.1):
        super().__init__()
        self.temperature = temperature


class NTXentLoss(TemperatureLoss):
    """Module form of :func:`nt_xent_loss`; ``forward(z1, z2)``."""

    def forward(self, z1, z2):
        return nt_xent_loss(z1, z2, self.temperature)


class CLIPLoss(TemperatureLoss):
    """Module form of :func:`clip_loss`; ``forward(z_a, z_b)``."""

    def forward(self, z_a, z_b):
        return clip_loss(z_a, z_b, self.temperature)
