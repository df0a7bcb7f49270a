"""Signal encoders: ``(n_samples, n_channels, n_times)`` -> ``(n_samples, embedding_dim)``.

What an encoder provides is stated once, by :class:`Encoder` (the base of every preset)
and :class:`FeatureMapEncoder` (the protocol a user's own encoder meets to be used where
a feature map is needed). Encoders accept any ``n_times >= 1``: strides are padded and
pooling is adaptive, so very short inputs (such as scikit-learn's 2-D test arrays) pass
through.
"""

import abc
import inspect
import math
from numbers import Integral
from typing import Protocol, runtime_checkable

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "Encoder",
    "FeatureMapEncoder",
    "ResNet1d",
    "TransformerEncoder1d",
    "MLPEncoder",
    "SpatialFilterEncoder",
    "ENCODER_PRESETS",
    "make_encoder",
]


@runtime_checkable
class FeatureMapEncoder(Protocol):
    """What an encoder must provide for the features that need its feature map.

    The masked objective of :class:`~sklearn_ecgmcg.ContrastivePretrainer`, the local
    loss and ``latent="temporal"`` of :class:`~sklearn_ecgmcg.CrossModalAligner` read
    an encoder's feature sequence before pooling. Any ``torch.nn.Module`` with these
    members qualifies (``isinstance(module, FeatureMapEncoder)`` tells); every preset
    does, through :class:`Encoder`.

    Attributes
    ----------
    n_features : int
        Channels of the feature sequence.
    """

    n_features: int

    def forward_features(self, x):
        """``(n, n_channels, n_times)`` -> the feature sequence ``(n, n_features, n_steps)``."""

    def pool(self, features):
        """The feature sequence -> the embedding ``(n, embedding_dim)``."""


class Encoder(nn.Module, abc.ABC):
    """Base class of the preset encoders.

    A subclass is built as ``cls(n_channels, n_times, embedding_dim, **params)``, sets
    :attr:`n_features` and implements :meth:`forward_features` and :meth:`pool`;
    ``forward(x) == pool(forward_features(x))`` follows.

    Parameters
    ----------
    n_channels, n_times : int
        Input shape (``n_times`` is recorded; most encoders accept any length).
    embedding_dim : int
        Size of the output embedding.

    Attributes
    ----------
    n_features : int
        Channels of the feature sequence.
    temporal_features : bool
        Whether the feature sequence resolves time (False for :class:`MLPEncoder`,
        whose "sequence" is one step): sub-beat windows need it.
    """

    temporal_features = True

    def __init__(self, n_channels, n_times, embedding_dim):
        super().__init__()
        self.n_channels = n_channels
        self.n_times = n_times
        self.embedding_dim = embedding_dim

    @abc.abstractmethod
    def forward_features(self, x):
        """``(n, n_channels, n_times)`` -> the feature sequence ``(n, n_features, n_steps)``."""

    @abc.abstractmethod
    def pool(self, features):
        """The feature sequence -> the embedding ``(n, embedding_dim)``."""

    def forward(self, x):
        return self.pool(self.forward_features(x))


class _BasicBlock1d(nn.Module):
    """Two 1-D convolutions with batch norm and an identity (or 1x1) shortcut."""

    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super().__init__()
        padding = kernel_size // 2
        self.conv1 = nn.Conv1d(
            in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False
        )
        self.bn1 = nn.BatchNorm1d(out_channels)
        self.conv2 = nn.Conv1d(
            out_channels, out_channels, kernel_size, padding=padding, bias=False
        )
        self.bn2 = nn.BatchNorm1d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv1d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm1d(out_channels),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet1d(Encoder):
    """1-D residual network for multichannel signals.

    A strided convolutional stem, then one stage per entry of ``blocks`` (each stage
    doubles the width and halves the time resolution, except the first), global average
    pooling and a linear layer to ``embedding_dim``.

    Parameters
    ----------
    n_channels : int
        Input channels (leads).
    n_times : int
        Input length in samples. Only recorded: any length >= 1 is accepted.
    embedding_dim : int, default=128
        Size of the output embedding.
    width : int, default=16
        Channels of the stem and first stage; stage ``i`` has ``width * 2**i``.
    blocks : tuple of int, default=(1, 1, 1, 1)
        Residual blocks per stage.
    kernel_size : int, default=7
        Kernel size of the residual blocks (the stem uses ``2 * kernel_size + 1``).
    downsample : int, default=1
        The input is first averaged over blocks of ``downsample`` samples (a box
        low-pass and decimation): 5 turns a 500 Hz ECG into 100 Hz, so it costs what a
        100 Hz input costs and the layers span five times more time.
    """

    def __init__(
        self,
        n_channels,
        n_times,
        embedding_dim=128,
        *,
        width=16,
        blocks=(1, 1, 1, 1),
        kernel_size=7,
        downsample=1,
    ):
        super().__init__(n_channels, n_times, embedding_dim)
        if not (isinstance(downsample, Integral) and downsample >= 1):
            raise ValueError(f"downsample must be an integer >= 1; got {downsample!r}.")
        self.downsample = int(downsample)
        stem_kernel = 2 * kernel_size + 1
        self.stem = nn.Sequential(
            nn.Conv1d(
                n_channels, width, stem_kernel, stride=2, padding=stem_kernel // 2, bias=False
            ),
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(3, stride=2, padding=1),
        )
        stages = []
        in_channels = width
        for i, n_blocks in enumerate(blocks):
            out_channels = width * 2**i
            for j in range(n_blocks):
                stride = 2 if (i > 0 and j == 0) else 1
                stages.append(_BasicBlock1d(in_channels, out_channels, kernel_size, stride))
                in_channels = out_channels
        self.stages = nn.Sequential(*stages)
        self.n_features = in_channels
        self.fc = nn.Linear(in_channels, embedding_dim)

    def forward_features(self, x):
        if self.downsample > 1:
            # adaptive pooling: any length >= 1 passes (a plain block mean when the
            # length is a multiple of downsample)
            x = F.adaptive_avg_pool1d(x, math.ceil(x.shape[-1] / self.downsample))
        return self.stages(self.stem(x))

    def pool(self, features):
        return self.fc(features.mean(dim=-1))


class TransformerEncoder1d(Encoder):
    """Patch-embedding transformer for multichannel signals (ViT / ST-MEM style).

    The signal is right-padded to a whole number of patches, each patch of all channels
    is linearly embedded (a strided convolution), a learned position embedding is added,
    and ``depth`` pre-norm :class:`torch.nn.TransformerEncoderLayer` follow. The
    embedding is the mean over patch tokens, projected to ``embedding_dim``.

    Parameters
    ----------
    n_channels : int
        Input channels (leads).
    n_times : int
        Input length in samples; sets the number of position embeddings. Longer inputs
        at ``forward`` time raise a ValueError.
    embedding_dim : int, default=128
        Size of the output embedding.
    patch_size : int, default=16
        Samples per patch (capped at ``n_times``).
    d_model : int, default=64
        Token dimension.
    depth : int, default=2
        Number of transformer layers.
    n_heads : int, default=4
        Attention heads (must divide ``d_model``).
    dropout : float, default=0.0
        Dropout inside the transformer layers.
    """

    def __init__(
        self,
        n_channels,
        n_times,
        embedding_dim=128,
        *,
        patch_size=16,
        d_model=64,
        depth=2,
        n_heads=4,
        dropout=0.0,
    ):
        super().__init__(n_channels, n_times, embedding_dim)
        self.patch_size = max(1, min(patch_size, n_times))
        self.n_patches = math.ceil(n_times / self.patch_size)
        self.patch_embed = nn.Conv1d(n_channels, d_model, self.patch_size, stride=self.patch_size)
        self.pos_embed = nn.Parameter(torch.zeros(1, d_model, self.n_patches))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        layer = nn.TransformerEncoderLayer(
            d_model,
            n_heads,
            dim_feedforward=2 * d_model,
            dropout=dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.transformer = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.n_features = d_model
        self.fc = nn.Linear(d_model, embedding_dim)

    def forward_features(self, x):
        n_times = x.shape[-1]
        if n_times > self.n_patches * self.patch_size:
            raise ValueError(
                f"TransformerEncoder1d was built for {self.n_times} time samples; got {n_times}."
            )
        pad = (-n_times) % self.patch_size
        if pad:
            x = F.pad(x, (0, pad))
        tokens = self.patch_embed(x)
        tokens = tokens + self.pos_embed[..., : tokens.shape[-1]]
        tokens = self.norm(self.transformer(tokens.transpose(1, 2)))
        return tokens.transpose(1, 2)

    def pool(self, features):
        return self.fc(features.mean(dim=-1))


class MLPEncoder(Encoder):
    """Fully connected tower on the flattened input, for feature vectors.

    Use it when the input is a feature vector (``n_channels=1``) or a short,
    fixed-length signal where convolutions bring nothing.

    Parameters
    ----------
    n_channels, n_times : int
        Input shape; the input is flattened to ``n_channels * n_times`` features.
    embedding_dim : int, default=128
        Size of the output embedding.
    hidden_dims : tuple of int, default=(256,)
        Widths of the hidden layers (GELU, LayerNorm).
    dropout : float, default=0.0
        Dropout after each hidden layer.
    """

    temporal_features = False  # its feature "sequence" is one step

    def __init__(self, n_channels, n_times, embedding_dim=128, *, hidden_dims=(256,), dropout=0.0):
        super().__init__(n_channels, n_times, embedding_dim)
        layers = []
        in_dim = n_channels * n_times
        for hidden in hidden_dims:
            layers += [
                nn.Linear(in_dim, hidden),
                nn.LayerNorm(hidden),
                nn.GELU(),
                nn.Dropout(dropout),
            ]
            in_dim = hidden
        self.body = nn.Sequential(nn.Flatten(), *layers)
        self.n_features = in_dim
        self.fc = nn.Linear(in_dim, embedding_dim)

    def forward_features(self, x):
        return self.body(x).unsqueeze(-1)

    def pool(self, features):
        return self.fc(features.squeeze(-1))

    def forward(self, x):
        return self.fc(self.body(x))


class SpatialFilterEncoder(Encoder):
    """Linear spatial filters ("virtual leads") then a linear map of their time courses.

    ECG and MCG are both linear in the heart's current dipole at every instant; this
    tower has that form and nothing more: ``n_components`` learned linear
    combinations of the input channels, applied at every time sample (a 1x1
    convolution), whose time courses are flattened and mapped linearly to the
    embedding. It has few parameters and no nonlinearity, so it suits small paired
    sets, where deep towers overfit.

    Parameters
    ----------
    n_channels, n_times : int
        Input shape.
    embedding_dim : int, default=128
        Size of the output embedding.
    n_components : int, default=4
        Number of spatial filters (virtual leads); the dipole has three components.
    """

    def __init__(self, n_channels, n_times, embedding_dim=128, *, n_components=4):
        super().__init__(n_channels, n_times, embedding_dim)
        self.n_components = n_components
        self.spatial = nn.Conv1d(n_channels, n_components, kernel_size=1)
        self.n_features = n_components
        self.fc = nn.Linear(n_components * n_times, embedding_dim)

    def forward_features(self, x):
        return self.spatial(x)

    def pool(self, features):
        return self.fc(features.flatten(1))


# name -> (class, default keyword parameters). "resnet1d" trains in minutes on two CPU
# cores; "resnet1d_large" (~4M parameters) is meant for a GPU. "resnet1d_500hz" is
# "resnet1d" behind a 5x block-mean decimation: 500 Hz records cost what 100 Hz ones do
# and its layers span 5x more time (stage 1's default, benchmarks/results/pretraining.md).
ENCODER_PRESETS = {
    "resnet1d": (ResNet1d, {"width": 16, "blocks": (1, 1, 1, 1), "kernel_size": 7}),
    "resnet1d_500hz": (
        ResNet1d,
        {"width": 16, "blocks": (1, 1, 1, 1), "kernel_size": 7, "downsample": 5},
    ),
    "resnet1d_large": (ResNet1d, {"width": 64, "blocks": (2, 2, 2, 2), "kernel_size": 7}),
    "transformer": (
        TransformerEncoder1d,
        {"patch_size": 16, "d_model": 64, "depth": 2, "n_heads": 4},
    ),
    "mlp": (MLPEncoder, {"hidden_dims": (256,)}),
    "spatial": (SpatialFilterEncoder, {"n_components": 4}),
}


def make_encoder(encoder, n_channels, n_times, embedding_dim, params=None):
    """Build an encoder from a preset name or a factory.

    Parameters
    ----------
    encoder : str or callable
        A key of :data:`ENCODER_PRESETS` (``"resnet1d"``, ``"resnet1d_500hz"`` -- the
        same network on the input averaged down 5x, e.g. 500 Hz to 100 Hz --,
        ``"resnet1d_large"``, ``"transformer"``, ``"mlp"``, ``"spatial"``), or a callable
        ``encoder(n_channels, n_times, embedding_dim, **params)`` returning a
        :class:`torch.nn.Module` that maps ``(n, n_channels, n_times)`` to
        ``(n, embedding_dim)`` (an encoder class works).
    n_channels, n_times, embedding_dim : int
        Input shape and embedding size.
    params : dict or None, default=None
        Keyword parameters overriding the preset's (or passed to the callable).

    Returns
    -------
    module : torch.nn.Module
        The freshly initialised encoder.
    """
    params = dict(params or {})
    if isinstance(encoder, str):
        if encoder not in ENCODER_PRESETS:
            raise ValueError(
                f"Unknown encoder {encoder!r}; choose one of {sorted(ENCODER_PRESETS)} "
                "or pass a callable."
            )
        cls, defaults = ENCODER_PRESETS[encoder]
        accepted = set(inspect.signature(cls).parameters) - {"n_channels", "n_times",
                                                             "embedding_dim"}
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise TypeError(
                f"Encoder {encoder!r} ({cls.__name__}) has no parameter(s) {unknown}; its "
                f"parameters are {sorted(accepted)}."
            )
        return cls(n_channels, n_times, embedding_dim, **{**defaults, **params})
    if not callable(encoder):
        raise TypeError(f"encoder must be a preset name or a callable; got {encoder!r}.")
    module = encoder(n_channels, n_times, embedding_dim, **params)
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"encoder factory returned {type(module).__name__}, not a torch.nn.Module."
        )
    return module
