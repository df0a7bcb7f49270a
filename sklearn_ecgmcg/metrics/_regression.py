"""Virtual-MCG regression metrics: measured ``y_true`` against predicted ``y_pred``.

Both of shape ``(n_samples, n_channels, n_times)`` in pT (or ``(n_samples, n_times)``
for one channel).
"""

import numpy as np
from sklearn.metrics import r2_score

from ..utils import check_paired_signals

__all__ = ["channel_correlation", "virtual_mcg_r2"]


def check_prediction(y_true, y_pred, *, ensure_3d=False):
    y_true, y_pred = check_paired_signals(
        y_true, y_pred, names=("y_true", "y_pred"), ensure_3d=ensure_3d
    )
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {y_true.shape} and "
            f"{y_pred.shape}."
        )
    return y_true, y_pred


def virtual_mcg_r2(y_true, y_pred, *, multioutput="variance_weighted", sample_weight=None):
    """Coefficient of determination of a virtual MCG over all channels and samples.

    Each (channel, time sample) is one output of a multi-output regression; this
    is :func:`sklearn.metrics.r2_score` on the arrays flattened to
    ``(n_samples, n_channels * n_times)``. Each output's R² compares the residual
    with that output's variance across samples (beats), so predicting the mean
    beat scores 0.

    By default the outputs are **variance-weighted**: ``1 - sum(SS_res) /
    sum(SS_tot)`` over all channels and time samples, so an output counts in
    proportion to how much it varies across beats. A uniform average (what
    ``RegressorMixin.score`` gives for the flattened problem) lets near-silent
    channels and the flat baseline, whose tiny across-beat variance makes any
    residual look huge, dominate: on clean simulated MCG it gave -4.5 for a
    pipeline and -203 for ridge regression whose variance-weighted R² were
    positive.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_channels, n_times) or (n_samples, n_times)
        Measured MCG in pT.
    y_pred : array-like of the same shape as ``y_true``
        Predicted (virtual) MCG in pT.
    multioutput : {"variance_weighted", "uniform_average", "raw_values"}, \
            default="variance_weighted"
        ``"variance_weighted"`` is ``1 - sum(SS_res) / sum(SS_tot)`` over all
        outputs, so low-variance samples (baseline, near-silent channels) weigh
        less; ``"uniform_average"`` averages the per-output R² (every channel
        and time sample counts equally, as ``RegressorMixin.score`` does for a
        flattened target); ``"raw_values"`` returns the per-output R².
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    r2 : float or ndarray of shape (n_channels, n_times)
        Array only for ``multioutput="raw_values"`` (shape ``(n_times,)`` for
        2-D input). Outputs with zero variance follow ``r2_score``'s
        ``force_finite=True`` convention (1 if predicted exactly, else 0).
    """
    allowed = ("uniform_average", "variance_weighted", "raw_values")
    if isinstance(multioutput, str) and multioutput not in allowed:
        raise ValueError(f"multioutput must be one of {allowed}; got {multioutput!r}.")
    y_true, y_pred = check_prediction(y_true, y_pred)
    n_samples = y_true.shape[0]
    if n_samples < 2:
        raise ValueError(
            f"virtual_mcg_r2 needs at least 2 samples to define the variance; got {n_samples}."
        )
    score = r2_score(
        y_true.reshape(n_samples, -1),
        y_pred.reshape(n_samples, -1),
        sample_weight=sample_weight,
        multioutput=multioutput,
    )
    if isinstance(multioutput, str) and multioutput == "raw_values":
        return score.reshape(y_true.shape[1:])
    return float(score)


def channel_correlation(y_true, y_pred, *, multioutput="raw_values", force_finite=True):
    """Pearson correlation over time of each channel, averaged over samples.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_channels, n_times) or (n_samples, n_times)
        Measured MCG in pT.
    y_pred : array-like of the same shape as ``y_true``
        Predicted (virtual) MCG in pT.
    multioutput : {"raw_values", "uniform_average"}, default="raw_values"
        Return one value per channel, or their mean.
    force_finite : bool, default=True
        A correlation with a signal constant over time is undefined; it is
        counted as 0 when True (like ``r2_score``'s ``force_finite``), NaN when
        False.

    Returns
    -------
    correlation : ndarray of shape (n_channels,) or float
        Mean over samples of the per-sample, per-channel correlation. It
        ignores amplitude: a prediction scaled by any positive factor scores 1.
    """
    if multioutput not in ("raw_values", "uniform_average"):
        raise ValueError(
            f"multioutput must be 'raw_values' or 'uniform_average'; got {multioutput!r}."
        )
    y_true, y_pred = check_prediction(y_true, y_pred, ensure_3d=True)
    true_centred = y_true - y_true.mean(axis=-1, keepdims=True)
    pred_centred = y_pred - y_pred.mean(axis=-1, keepdims=True)
    covariance = np.einsum("sct,sct->sc", true_centred, pred_centred)
    norm = np.sqrt(
        np.einsum("sct,sct->sc", true_centred, true_centred)
        * np.einsum("sct,sct->sc", pred_centred, pred_centred)
    )
    defined = norm > 0
    fill = 0.0 if force_finite else np.nan
    correlation = np.where(defined, covariance / np.where(defined, norm, 1), fill)
    per_channel = correlation.mean(axis=0)
    if multioutput == "uniform_average":
        return float(per_channel.mean())
    return per_channel
