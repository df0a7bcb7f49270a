"""Heads placed on top of an encoder: projection heads and a reconstruction decoder."""

from torch import nn
from torch.nn import functional as F

__all__ = ["ProjectionHead", "ReconstructionDecoder"]


class ProjectionHead(nn.Module):
    """MLP projection head (SimCLR / CLIP style).

    ``n_layers`` linear layers with GELU in between. No batch norm, so a batch of
    one sample works. The contrastive loss is computed on the head's output; the
    embedding a user gets is the encoder's output before the head.

    Parameters
    ----------
    in_dim : int
        Input size (the encoder's ``embedding_dim``).
    out_dim : int
        Output size.
    hidden_dim : int or None, default=None
        Hidden width; ``None`` uses ``in_dim``.
    n_layers : int, default=2
        Number of linear layers; 1 is a plain linear projection.
    """

    def __init__(self, in_dim, out_dim, hidden_dim=None, n_layers=2):
        super().__init__()
        hidden_dim = hidden_dim or in_dim
        layers = []
        dim = in_dim
        for _ in range(n_layers - 1):
            layers += [nn.Linear(dim, hidden_dim), nn.GELU()]
            dim = hidden_dim
        layers.append(nn.Linear(dim, out_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class ReconstructionDecoder(nn.Module):
    """Light convolutional decoder from an encoder's features back to the signal.

    The feature sequence ``(n, n_features, n_steps)`` is linearly interpolated to
    ``n_times``, the pooled embedding is added at every time step (so the embedding
    layer receives gradient), and two convolutions map to ``n_channels``.

    Parameters
    ----------
    n_features : int
        Channels of the encoder's feature sequence.
    embedding_dim : int
        Size of the encoder's pooled embedding.
    n_channels : int
        Channels of the reconstructed signal.
    hidden_dim : int, default=64
        Width of the decoder.
    kernel_size : int, default=7
        Kernel size of the decoder convolutions.
    """

    def __init__(self, n_features, embedding_dim, n_channels, hidden_dim=64, kernel_size=7):
        super().__init__()
        self.features_in = nn.Conv1d(n_features, hidden_dim, 1)
        self.embedding_in = nn.Linear(embedding_dim, hidden_dim)
        self.conv = nn.Sequential(
            nn.GELU(),
            nn.Conv1d(hidden_dim, hidden_dim, kernel_size, padding=kernel_size // 2),
            nn.GELU(),
            nn.Conv1d(hidden_dim, n_channels, kernel_size, padding=kernel_size // 2),
        )

    def forward(self, features, embedding, n_times):
        hidden = F.interpolate(
            self.features_in(features), size=n_times, mode="linear", align_corners=False
        )
        hidden = hidden + self.embedding_in(embedding).unsqueeze(-1)
        return self.conv(hidden)
