"""Target validation and time-step reshaping for :class:`~sklearn_ecgmcg.LatentProjector`."""

from numbers import Integral

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, check_cv

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


def penalty_splits(cv, n_samples, n_times, groups):
    """Train/validation row indices that keep each sample's time steps (rows
    ``i * n_times`` to ``(i + 1) * n_times - 1``) in one fold, or None for RidgeCV's
    leave-one-out over rows.

    An int ``cv`` is ``GroupKFold`` over ``groups`` when given, else ``KFold`` over
    contiguous blocks of samples (subject-disjoint when samples are sorted by subject);
    it is lowered to the number of groups or samples when there are fewer.
    """
    if cv is None:
        return None
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (n_samples,):
            raise ValueError(
                f"groups must hold one subject id per sample: expected shape ({n_samples},), "
                f"got {groups.shape}."
            )
        n_groups = len(np.unique(groups))
        if n_groups < 2:
            raise ValueError(
                "groups holds a single subject, so the penalty cannot be chosen on "
                "held-out subjects; pass several subjects, groups=None, or cv=None."
            )
    if isinstance(cv, Integral):
        cv = GroupKFold(min(cv, n_groups)) if groups is not None else KFold(min(cv, n_samples))
    cv = check_cv(cv)  # an iterable of (train, validation) sample indices is wrapped
    steps = np.arange(n_times)
    return [
        ((train[:, None] * n_times + steps).ravel(), (valid[:, None] * n_times + steps).ravel())
        for train, valid in cv.split(np.empty((n_samples, 1)), groups=groups)
    ]
