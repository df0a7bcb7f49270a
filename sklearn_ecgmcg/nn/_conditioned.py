"""A time-resolved ECG tower for virtual MCG: a linear skip path, a mixture of linear maps
gated by the beat, and a few convolutional context features.

Physics behind it (``docs/physics.md`` §8): per subject, the ECG and the MCG are both
linear in the same cardiac sources, so the MCG at each instant is (up to the
electrically silent currents) a linear map of the ECG at that instant; the map depends
on the subject's geometry (heart position, orientation, size, torso). One map shared
by all subjects is the strongest linear baseline; this tower keeps it (the skip path)
and lets a readout shared by all time samples add maps weighted by what the beat
itself says (gates) and features of the beat's local shape (context).
"""

import torch
from torch import nn

from ._encoders import ENCODER_PRESETS, Encoder

__all__ = ["ConditionedMapEncoder", "TimeSharedDecoder"]


class ConditionedMapEncoder(Encoder):
    """Feature map ``[x(t), g_1(x) x(t), ..., g_K(x) x(t), c(t)]`` of a beat ``x``.

    ``x`` is the input beat with its baseline removed (``baseline_edge``).

    - ``x(t)``: the (scaled) input channels themselves, the linear skip path: a
      readout shared by all time samples gets everything a time-shared channel map
      gets;
    - ``g_k(x) x(t)``: the input gated by ``n_maps`` softmax weights computed from the
      whole beat (a strided convolution, average-pooled), so that a linear readout
      applies the beat-dependent map ``W_0 + sum_k g_k(x) W_k`` (a mixture of linear
      maps: the conditioned map of the physics);
    - ``c(t)``: ``width`` channels of a two-layer dilated convolution (GELU,
      dropout), features of the signal's local shape.

    :meth:`pool` maps the flattened skip and context channels linearly to the
    embedding (for the contrastive loss and retrieval).

    Parameters
    ----------
    n_channels, n_times : int
        Input shape.
    embedding_dim : int, default=64
        Size of the pooled embedding.
    n_maps : int, default=4
        Number of gated maps ``K`` (0: none).
    width : int, default=8
        Context channels (0: none).
    kernel_size : int, default=7
        Kernel of the gate and context convolutions (odd).
    dropout : float, default=0.2
        Dropout on the context features during training.
    baseline_edge : float, default=0.06
        Each beat's baseline, the line through the mean levels of its first and last
        ``baseline_edge`` fraction of samples (isoelectric, as in
        :class:`~sklearn_ecgmcg.preprocessing.BaselineCorrector`), is subtracted per
        channel before anything else (0: kept). Baseline wander is not a heart
        signal, and a time-shared map would carry it into the MCG.

    Attributes
    ----------
    n_features : int
        ``n_channels * (1 + n_maps) + width``.
    """

    def __init__(self, n_channels, n_times, embedding_dim=64, *, n_maps=4, width=8,
                 kernel_size=7, dropout=0.2, baseline_edge=0.06):
        super().__init__(n_channels, n_times, embedding_dim)
        if not 0 <= baseline_edge < 0.5:
            raise ValueError(f"baseline_edge must be in [0, 0.5); got {baseline_edge}.")
        self.baseline_edge = baseline_edge
        if kernel_size % 2 != 1 or kernel_size < 1:
            raise ValueError(f"kernel_size must be a positive odd integer; got {kernel_size}.")
        if n_maps < 0 or width < 0:
            raise ValueError(f"n_maps and width must be >= 0; got {n_maps} and {width}.")
        self.n_maps, self.width = n_maps, width
        pad = kernel_size // 2
        self.gate = None
        if n_maps > 0:
            hidden = max(width, 8)
            self.gate = nn.Sequential(
                nn.Conv1d(n_channels, hidden, kernel_size, stride=2, padding=pad), nn.GELU(),
                nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(hidden, n_maps),
            )
        self.context = None
        if width > 0:
            self.context = nn.Sequential(
                nn.Conv1d(n_channels, width, kernel_size, padding=pad), nn.GELU(),
                nn.Dropout(dropout),
                nn.Conv1d(width, width, kernel_size, padding=2 * pad, dilation=2), nn.GELU(),
                nn.Dropout(dropout),
            )
        self.n_features = n_channels * (1 + n_maps) + width
        self.fc = nn.Linear((n_channels + width) * n_times, embedding_dim)

    def forward_features(self, x):
        x = self.remove_baseline(x)
        parts = [x]
        if self.gate is not None:
            gates = torch.softmax(self.gate(x), dim=-1)  # (n, K)
            parts.append((gates[:, :, None, None] * x[:, None]).flatten(1, 2))
        if self.context is not None:
            parts.append(self.context(x))
        return torch.cat(parts, dim=1)

    def remove_baseline(self, x):
        """Subtract the line through the mean levels of the beat's two ends, per channel."""
        if self.baseline_edge == 0:
            return x
        n_edge = max(1, round(self.baseline_edge * x.shape[-1]))
        start = x[..., :n_edge].mean(dim=-1, keepdim=True)
        stop = x[..., -n_edge:].mean(dim=-1, keepdim=True)
        ramp = torch.linspace(0.0, 1.0, x.shape[-1], device=x.device, dtype=x.dtype)
        return x - (start + (stop - start) * ramp)

    def pool(self, features):
        n_channels = self.n_channels
        kept = [features[:, :n_channels]]
        if self.context is not None:
            kept.append(features[:, -self.width:])
        return self.fc(torch.cat(kept, dim=1).flatten(1))


class TimeSharedDecoder(nn.Module):
    """One linear map from feature channels to output channels at every time step.

    ``forward(features)`` -> ``(n, n_outputs, n_times)``: a 1x1 convolution plus a
    learned mean output beat ``(n_outputs, n_times)`` (the time-varying intercept a
    readout around the mean training beat has).

    Parameters
    ----------
    n_features : int
        Channels of the feature map.
    n_outputs : int
        Output channels (e.g. MCG sensors).
    n_times : int
        Time samples of the feature map and the output.
    """

    def __init__(self, n_features, n_outputs, n_times):
        super().__init__()
        self.map = nn.Conv1d(n_features, n_outputs, 1, bias=False)
        self.mean_beat = nn.Parameter(torch.zeros(n_outputs, n_times))

    def forward(self, features):
        return self.map(features) + self.mean_beat


# Registered here, not in _encoders (which this module imports): the preset every
# name-based constructor (make_encoder, CrossModalAligner) sees once sklearn_ecgmcg.nn loads.
ENCODER_PRESETS["conditioned"] = (ConditionedMapEncoder, {"n_maps": 4, "width": 8})
