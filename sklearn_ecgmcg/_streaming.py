"""Training data read on demand: memory-mapped arrays, on-disk corpora, random crops.

The in-memory path (a NumPy array turned into one tensor) stays skorch's own. When
the input is read on demand (``np.load(..., mmap_mode="r")``, an
:class:`~sklearn_ecgmcg.datasets.ECGCorpus`) or cropped at random,
:class:`SignalDataset` reads one sample per ``__getitem__`` and the DataLoader
stacks them: the memory used is one batch, whatever the size of the input.
"""

import numpy as np
import torch
from torch.utils.data import Dataset

from .utils import is_lazy_signals

__all__ = ["CropMeanEncoder", "SignalDataset", "crop_starts", "is_lazy_signals", "loader_params"]


class SignalDataset(Dataset):
    """Samples of a signal array (or a dict of them) read one at a time.

    Parameters
    ----------
    X : ndarray, ECGCorpus or dict of them, each of shape (n_samples, n_channels, n_times)
        Signals; a dict is returned as a dict per sample (its arrays share rows).
    y : ndarray of shape (n_samples,) or None
        Per-sample targets; None gives every sample the target 0, as skorch's own Dataset does.
    crop_length : int or None
        If set, each access returns a window of ``crop_length`` samples starting at
        a uniformly drawn position (torch's global generator: seeded by the fit,
        and per worker by the DataLoader), the same window for every array of a dict.
    """

    def __init__(self, X, y=None, crop_length=None):
        self.X = X
        self.y = y
        self.crop_length = crop_length
        first = next(iter(X.values())) if isinstance(X, dict) else X
        self.n_times = first.shape[-1]

    def __len__(self):
        first = next(iter(self.X.values())) if isinstance(self.X, dict) else self.X
        return len(first)

    def __getitem__(self, i):
        window = slice(None)
        if self.crop_length is not None:
            start = int(torch.randint(self.n_times - self.crop_length + 1, ()))
            window = slice(start, start + self.crop_length)
        if isinstance(self.X, dict):
            Xi = {key: _row(value, i, window) for key, value in self.X.items()}
        else:
            Xi = _row(self.X, i, window)
        yi = torch.Tensor([0]) if self.y is None else self.y[i]
        return Xi, yi


def _row(X, i, window):
    """Sample ``i`` (its ``window`` of time) as a float32 tensor.

    A row the reader just made (an ``ECGCorpus`` read) or of a writable float32
    array is shared, not copied: the DataLoader's collate copies it into the batch.
    A read-only memory map is copied (one row), as torch cannot share it.
    """
    row = X[i][..., window]
    if not (isinstance(row, np.ndarray) and row.dtype == np.float32 and row.flags.writeable):
        row = np.array(row, dtype=np.float32)
    return torch.from_numpy(row)


def loader_params(num_workers, device):
    """skorch ``iterator_train__`` options: worker processes, pinned memory on CUDA.

    skorch builds a new DataLoader every epoch, so workers start anew each epoch
    (each seeded by the DataLoader from torch's seeded global generator).
    """
    return {
        "iterator_train__num_workers": num_workers,
        "iterator_train__pin_memory": torch.device(device).type == "cuda",
    }


def crop_starts(n_times, crop_length):
    """Starts of the fixed crops that cover a record, evenly spaced.

    ``ceil(n_times / crop_length)`` crops from the first sample to the last: no
    overlap when ``crop_length`` divides ``n_times``, else the smallest even overlap.
    """
    n_crops = -(-n_times // crop_length)
    return np.round(np.linspace(0, n_times - crop_length, n_crops)).astype(int)


class CropMeanEncoder(torch.nn.Module):
    """An encoder applied to fixed crops of each record, embeddings averaged.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps ``(n, n_channels, crop_length)`` to ``(n, embedding_dim)``.
    starts : sequence of int
        First sample of each crop (see :func:`crop_starts`).
    crop_length : int
        Samples per crop.
    """

    def __init__(self, encoder, starts, crop_length):
        super().__init__()
        self.encoder = encoder
        self.starts = [int(start) for start in starts]
        self.crop_length = crop_length

    def forward(self, X):
        crops = torch.stack([X[..., s : s + self.crop_length] for s in self.starts], dim=1)
        embedding = self.encoder(crops.flatten(0, 1))
        return embedding.unflatten(0, (len(X), len(self.starts))).mean(dim=1)
