"""Target validation and time-step reshaping for :class:`~sklearn_ecgmcg.LatentProjector`."""

import numpy as np

from .utils import check_signals


def by_time_step(values):
    """(n, features, times) -> (n * times, features): one row per sample and time step."""
    return values.transpose(0, 2, 1).reshape(-1, values.shape[1])


def from_time_steps(rows, n_samples):
    """Inverse of :func:`by_time_step`."""
    return rows.reshape(n_samples, -1, rows.shape[1]).transpose(0, 2, 1)


def check_target(y):
    """Validate a target: signals (2-D or 3-D) or one value per sample (1-D)."""
    if y is None:
        raise ValueError(
            "LatentProjector requires y to be passed, but the target y is None: call "
            "fit(latents, signals)."
        )
    array = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if array.dtype == object:  # numbers stored as objects, as sklearn's y handling allows
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError("y must hold numbers; got an object array that does not.") from None
    if array.ndim == 1:
        return check_signals(array[:, np.newaxis], name="y", dtype=np.float64)[:, 0]
    return check_signals(array, name="y", dtype=np.float64)
