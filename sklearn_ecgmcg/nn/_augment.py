"""Batched ECG augmentations as tensor operations on the training device.

Every function takes a batch ``x`` of shape ``(n, n_channels, n_times)`` and returns a
new tensor of the same shape, dtype and device (the input is never modified). Random
draws are per sample (and per channel where stated), made with ``torch`` on ``x.device``
from ``generator`` or, when it is None, from torch's global generator -- which the
estimators seed from ``random_state``. No Python loop runs over samples.

Amplitudes are relative to each sample's per-channel standard deviation, so the same
settings suit ECG in mV and MCG in pT. Frequencies are in cycles per window because the
sampling rate is not known here.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "random_crop",
    "random_crop_resize",
    "random_shift",
    "amplitude_scale",
    "gaussian_noise",
    "baseline_wander",
    "lead_dropout",
    "time_mask",
    "grid_shift_rotate",
    "ECGAugment",
    "MCGAugment",
]


def _uniform(shape, low, high, x, generator):
    return low + (high - low) * torch.rand(
        shape, device=x.device, dtype=x.dtype, generator=generator
    )


def _gather_time(x, index):
    """``x[i, c, index[i, t]]`` for an integer index of shape (n, n_times_out)."""
    return torch.gather(x, 2, index.unsqueeze(1).expand(-1, x.shape[1], -1))


def random_crop(x, length, generator=None):
    """Cut a random window of ``length`` samples from each sample (no resampling).

    The start is drawn uniformly per sample, so two calls on the same batch give two
    different stretches of each recording (the temporal positives of CLOCS). An input
    no longer than ``length`` is returned as an unchanged copy.

    Returns
    -------
    crops : torch.Tensor of shape (n, n_channels, min(length, n_times))
    """
    n, n_channels, n_times = x.shape
    if n_times <= length:
        return x.clone()
    start = torch.randint(0, n_times - length + 1, (n, 1), device=x.device, generator=generator)
    index = start + torch.arange(length, device=x.device)
    return _gather_time(x, index)


def random_crop_resize(x, min_ratio=0.8, generator=None):
    """Crop a random window of ``ratio * n_times`` samples and stretch it back to ``n_times``.

    ``ratio`` is drawn uniformly in ``[min_ratio, 1]`` per sample; the stretch is a linear
    interpolation, so this is both a random crop and a mild time-scale change.
    """
    n, _, n_times = x.shape
    ratio = _uniform((n, 1), min_ratio, 1.0, x, generator)
    length = ratio * (n_times - 1)
    start = _uniform((n, 1), 0.0, 1.0, x, generator) * (n_times - 1 - length)
    grid = torch.linspace(0.0, 1.0, n_times, device=x.device, dtype=x.dtype)
    position = start + grid * length
    left = position.floor().long().clamp(0, n_times - 1)
    right = (left + 1).clamp(max=n_times - 1)
    frac = (position - left).unsqueeze(1)
    return _gather_time(x, left) * (1 - frac) + _gather_time(x, right) * frac


def random_shift(x, max_shift=0.1, generator=None):
    """Shift each sample in time by up to ``max_shift * n_times`` samples, filling with zeros."""
    n, _, n_times = x.shape
    limit = int(max_shift * n_times)
    if limit == 0:
        return x.clone()
    shift = torch.randint(-limit, limit + 1, (n, 1), device=x.device, generator=generator)
    source = torch.arange(n_times, device=x.device) - shift
    inside = ((source >= 0) & (source < n_times)).unsqueeze(1)
    return _gather_time(x, source.clamp(0, n_times - 1)) * inside


def amplitude_scale(x, max_change=0.2, generator=None):
    """Multiply each channel of each sample by a factor in ``[1 - max_change, 1 + max_change]``."""
    n, n_channels, _ = x.shape
    return x * _uniform((n, n_channels, 1), 1 - max_change, 1 + max_change, x, generator)


def gaussian_noise(x, std=0.05, generator=None):
    """Add white noise of ``std`` times each channel's standard deviation."""
    scale = std * x.std(dim=-1, keepdim=True, correction=0)
    noise = torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=generator)
    return x + scale * noise


def baseline_wander(x, amplitude=0.1, max_cycles=2.0, generator=None):
    """Add a slow sinusoid (0.1 to ``max_cycles`` cycles per window), per-channel gain.

    The peak amplitude is up to ``amplitude`` times each channel's standard deviation.
    """
    n, n_channels, n_times = x.shape
    cycles = _uniform((n, 1, 1), 0.1, max_cycles, x, generator)
    phase = _uniform((n, 1, 1), 0.0, 2 * torch.pi, x, generator)
    gain = _uniform((n, n_channels, 1), 0.0, amplitude, x, generator)
    t = torch.arange(n_times, device=x.device, dtype=x.dtype) / max(n_times, 1)
    wander = torch.sin(2 * torch.pi * cycles * t + phase)
    return x + gain * x.std(dim=-1, keepdim=True, correction=0) * wander


def lead_dropout(x, p=0.1, generator=None):
    """Zero each channel with probability ``p``; a sample keeps at least one channel."""
    n, n_channels, _ = x.shape
    keep = torch.rand((n, n_channels, 1), device=x.device, generator=generator) >= p
    keep = keep | ~keep.any(dim=1, keepdim=True)
    return x * keep


def time_mask(x, ratio=0.1, generator=None):
    """Zero one random contiguous segment of ``ratio * n_times`` samples per sample."""
    n, _, n_times = x.shape
    length = int(ratio * n_times)
    if length == 0:
        return x.clone()
    start = torch.randint(0, n_times - length + 1, (n, 1), device=x.device, generator=generator)
    t = torch.arange(n_times, device=x.device)
    masked = (t >= start) & (t < start + length)
    return x * ~masked.unsqueeze(1)


def grid_shift_rotate(x, grid_shape, max_shift=0.5, max_degrees=10.0, generator=None):
    """Move and turn the sensor grid under the field, one draw per sample.

    The channels of ``x`` are a row-major ``grid_shape`` sensor grid (as
    :func:`sklearn_ecgmcg.datasets.mcg_sensor_positions` orders them); every time
    sample's map is resampled (bilinear, zeros outside the grid) at the grid
    shifted by up to ``max_shift`` pitches and turned by up to ``max_degrees``:
    the same heart under a sensor array placed a little differently.
    """
    n, n_channels, n_times = x.shape
    rows, cols = grid_shape
    if rows * cols != n_channels:
        raise ValueError(f"grid_shape={grid_shape} does not hold {n_channels} channels.")
    angle = _uniform((n,), -1.0, 1.0, x, generator) * math.radians(max_degrees)
    # affine_grid works in [-1, 1] coordinates: one pitch is 2 / (size - 1)
    shift = _uniform((n, 2), -1.0, 1.0, x, generator) * max_shift * 2.0 / max(min(grid_shape) - 1, 1)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], -1),
                         torch.stack([sin, cos, shift[:, 1]], -1)], 1)
    maps = x.transpose(1, 2).reshape(n * n_times, 1, rows, cols)
    theta = theta.repeat_interleave(n_times, dim=0)
    grid = F.affine_grid(theta, maps.shape, align_corners=True)
    moved = F.grid_sample(maps, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return moved.reshape(n, n_times, n_channels).transpose(1, 2).contiguous()


class ECGAugment(nn.Module):
    """All augmentations of this module in sequence, with one strength knob.

    At ``strength=1``: crop to 80-100 % and stretch back, shift up to 10 %, scale
    +-20 %, noise 5 % of the channel std, baseline wander up to 10 %, lead dropout
    10 %, one time mask of 10 %. Every setting scales linearly with ``strength``
    (``strength=0`` returns an unchanged copy, apart from the ``crop_length`` cut).

    Parameters
    ----------
    strength : float, default=1.0
        Multiplier of all augmentation magnitudes (probabilities capped at 0.9).
    crop_length : int or None, default=None
        When set, each call first cuts a random window of ``crop_length`` samples
        (:func:`random_crop`), so two views of a long recording are two different
        stretches of it; the other augmentations then act on the window. None keeps
        the input length.
    """

    def __init__(self, strength=1.0, crop_length=None):
        super().__init__()
        self.strength = strength
        self.crop_length = crop_length

    def forward(self, x, generator=None):
        s = self.strength
        if self.crop_length is not None:
            x = random_crop(x, self.crop_length, generator=generator)
        x = random_crop_resize(x, min_ratio=max(0.1, 1 - 0.2 * s), generator=generator)
        x = random_shift(x, max_shift=min(0.9, 0.1 * s), generator=generator)
        x = amplitude_scale(x, max_change=min(0.9, 0.2 * s), generator=generator)
        x = baseline_wander(x, amplitude=0.1 * s, generator=generator)
        x = gaussian_noise(x, std=0.05 * s, generator=generator)
        x = lead_dropout(x, p=min(0.9, 0.1 * s), generator=generator)
        return time_mask(x, ratio=min(0.9, 0.1 * s), generator=generator)


class MCGAugment(nn.Module):
    """Augmentations that fit a magnetic sensor array, with one strength knob.

    At ``strength=1``: crop to 90-100 % and stretch back, shift up to 5 %, field
    scaled +-20 % (the heart's depth and size), noise 5 % of the channel std,
    sensor dropout 10 %, and, when the channels form a grid, the grid moved by up
    to half a pitch and turned by up to 10 deg (:func:`grid_shift_rotate`). No
    baseline wander or time mask: they have no magnetic counterpart here.

    Parameters
    ----------
    strength : float, default=1.0
        Multiplier of all augmentation magnitudes (probabilities capped at 0.9).
    grid_shape : tuple of int or None, default=None
        ``(rows, cols)`` of the sensor grid; None infers a square grid from the
        channel count (36 -> 6 x 6) and skips the grid moves otherwise.
    """

    def __init__(self, strength=1.0, grid_shape=None):
        super().__init__()
        self.strength = strength
        self.grid_shape = grid_shape

    def forward(self, x, generator=None):
        s = self.strength
        x = random_crop_resize(x, min_ratio=max(0.1, 1 - 0.1 * s), generator=generator)
        x = random_shift(x, max_shift=min(0.9, 0.05 * s), generator=generator)
        x = amplitude_scale(x, max_change=min(0.9, 0.2 * s), generator=generator)
        grid = self.grid_shape or _square_grid(x.shape[1])
        if grid is not None and s > 0:
            x = grid_shift_rotate(x, grid, max_shift=0.5 * s, max_degrees=10.0 * s,
                                  generator=generator)
        x = gaussian_noise(x, std=0.05 * s, generator=generator)
        return lead_dropout(x, p=min(0.9, 0.1 * s), generator=generator)


def _square_grid(n_channels):
    side = math.isqrt(n_channels)
    return (side, side) if side >= 3 and side * side == n_channels else None
