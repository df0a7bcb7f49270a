"""Evaluation metrics and scorers for cross-modal retrieval and virtual MCG.

Retrieval metrics take paired embeddings ``z_query`` and ``z_gallery`` of shape
``(n_samples, n_components)`` where row ``i`` of both is the same heartbeat.
To score the other direction, swap the arguments; :func:`retrieval_report`
computes both directions at once.

Virtual-MCG metrics take measured and predicted MCG ``y_true`` and ``y_pred``
of shape ``(n_samples, n_channels, n_times)`` in pT.

Scorers for ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV` and
:func:`~sklearn.model_selection.cross_validate` are built by
:func:`make_retrieval_scorer` and :func:`make_virtual_mcg_scorer`.
"""

from numbers import Real

import numpy as np
from sklearn import get_config
from sklearn.metrics import make_scorer, r2_score
from sklearn.pipeline import Pipeline
from sklearn.utils import check_array, gen_batches
from sklearn.utils.metadata_routing import MetadataRequest

from .utils import check_paired_signals, check_positive_int, check_sfreq, check_signals

__all__ = [
    "retrieval_ranks",
    "retrieval_accuracy",
    "subject_retrieval_accuracy",
    "mean_reciprocal_rank",
    "retrieval_report",
    "virtual_mcg_r2",
    "channel_correlation",
    "field_map_poles",
    "find_rt_peaks",
    "field_map_angle_error",
    "make_retrieval_scorer",
    "make_virtual_mcg_scorer",
]

_METRICS = ("cosine", "dot", "euclidean")
_DIRECTIONS = ("ecg_to_mcg", "mcg_to_ecg")
_LEVELS = ("beat", "subject")


# --------------------------------------------------------------------------
# Cross-modal retrieval
# --------------------------------------------------------------------------


def _check_embedding(z, name):
    array = np.asarray(z) if not hasattr(z, "to_numpy") else z.to_numpy()
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of embeddings (n_samples, n_components); "
            f"got {array.ndim}-D array of shape {array.shape}."
        )
    return check_array(array, dtype=[np.float64, np.float32], input_name=name)


def _check_paired_embeddings(z_query, z_gallery):
    z_query = _check_embedding(z_query, "z_query")
    z_gallery = _check_embedding(z_gallery, "z_gallery")
    if z_query.shape != z_gallery.shape:
        raise ValueError(
            "z_query and z_gallery must be paired embeddings of the same shape "
            f"(row i of both is the same heartbeat); got {z_query.shape} and "
            f"{z_gallery.shape}."
        )
    return z_query, z_gallery


def _check_groups(groups, n_samples):
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.shape[0] != n_samples:
        raise ValueError(
            f"groups must be a 1-D array with one subject id per sample ({n_samples}); "
            f"got shape {groups.shape}."
        )
    if groups.dtype.kind == "f" and not np.isfinite(groups).all():
        raise ValueError("groups contains NaN or infinite subject ids.")
    return np.unique(groups, return_inverse=True)[1].reshape(-1)


def _check_metric(metric):
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {_METRICS}; got {metric!r}.")


def _similarity_chunks(z_query, z_gallery, metric):
    """Yield ``(rows, similarity)`` for slices of queries against all the gallery.

    Scores are "larger is closer". Chunks are sized by scikit-learn's
    ``working_memory`` setting so the full ``n x n`` matrix never exists at once.
    """
    dtype = np.result_type(z_query, z_gallery)
    query = z_query.astype(dtype, copy=False)
    gallery = z_gallery.astype(dtype, copy=False)
    offset = None
    if metric == "cosine":
        query = _unit_rows(query)
        gallery = _unit_rows(gallery)
    elif metric == "euclidean":
        # -||q - g||^2 / 2 up to a per-query constant: same ranking, no sqrt.
        offset = 0.5 * np.einsum("ij,ij->i", gallery, gallery)
    row_bytes = 3 * gallery.shape[0] * dtype.itemsize  # scores + boolean temporaries
    n_rows = max(1, int(get_config()["working_memory"] * 2**20 // row_bytes))
    for rows in gen_batches(query.shape[0], n_rows):
        similarity = query[rows] @ gallery.T
        if offset is not None:
            similarity -= offset
        yield rows, similarity
        del similarity  # free this chunk before computing the next


def _unit_rows(z):
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    return z / np.where(norms > 0, norms, 1)


def retrieval_ranks(z_query, z_gallery, *, groups=None, metric="cosine"):
    """Rank of each query's true match among all gallery items.

    Parameters
    ----------
    z_query : array-like of shape (n_samples, n_components)
        Query embeddings (e.g. ECG latents).
    z_gallery : array-like of shape (n_samples, n_components)
        Gallery embeddings (e.g. MCG latents); row ``i`` is the true match of
        query ``i``.
    groups : array-like of shape (n_samples,), default=None
        Subject id of each pair. When given, the rank is that of the best-scoring
        gallery item of the query's own subject (subject-level retrieval).
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity: cosine similarity, dot product, or negative Euclidean
        distance. Zero-norm rows have cosine similarity 0 with everything.

    Returns
    -------
    ranks : ndarray of shape (n_samples,), dtype int64
        1 means the true match (or, with ``groups``, an item of the same
        subject) scores highest. Ties are counted pessimistically: every other
        gallery item scoring *at least* as high as the true match is ranked
        before it, so a constant embedding gets rank ``n_samples``.

    Notes
    -----
    Similarities are computed in chunks of queries whose size follows
    ``sklearn.get_config()["working_memory"]``, so 20 000 pairs never hold a
    20 000 x 20 000 matrix in memory. Float32 embeddings are scored in float32.
    """
    z_query, z_gallery = _check_paired_embeddings(z_query, z_gallery)
    _check_metric(metric)
    codes = None if groups is None else _check_groups(groups, z_query.shape[0])
    ranks = np.empty(z_query.shape[0], dtype=np.int64)
    for rows, similarity in _similarity_chunks(z_query, z_gallery, metric):
        query_index = np.arange(rows.start, rows.stop)
        if codes is None:
            true_score = similarity[np.arange(len(query_index)), query_index]
            ranks[rows] = np.count_nonzero(similarity >= true_score[:, None], axis=1)
        else:
            same = codes[query_index, None] == codes[None, :]
            best_same = np.max(similarity, axis=1, where=same, initial=-np.inf)
            ahead = similarity >= best_same[:, None]
            np.logical_and(ahead, np.logical_not(same, out=same), out=ahead)
            ranks[rows] = 1 + np.count_nonzero(ahead, axis=1)
        del similarity  # the caller's reference too, or two chunks coexist
    return ranks


def retrieval_accuracy(z_query, z_gallery, *, k=1, metric="cosine"):
    """Fraction of queries whose true match is among the ``k`` best gallery items.

    Parameters
    ----------
    z_query : array-like of shape (n_samples, n_components)
        Query embeddings (e.g. ECG latents for ECG -> MCG retrieval).
    z_gallery : array-like of shape (n_samples, n_components)
        Gallery embeddings; row ``i`` is the true match of query ``i``. Swap the
        two arguments for the other direction.
    k : int, default=1
        Number of best-scoring gallery items that count as a hit. ``k >=
        n_samples`` gives 1.0.
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity used to rank the gallery.

    Returns
    -------
    accuracy : float
        Top-``k`` accuracy in [0, 1]; ties count against the query (see
        :func:`retrieval_ranks`). Chance level is ``k / n_samples``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.metrics import retrieval_accuracy
    >>> z = np.eye(4)
    >>> retrieval_accuracy(z, z)
    1.0
    >>> retrieval_accuracy(z, z[::-1], k=2)
    0.0
    """
    k = check_positive_int(k, name="k")
    ranks = retrieval_ranks(z_query, z_gallery, metric=metric)
    return float(np.mean(ranks <= k))


def subject_retrieval_accuracy(z_query, z_gallery, groups, *, k=1, metric="cosine"):
    """Fraction of queries whose ``k`` best gallery items include one of their subject.

    Parameters
    ----------
    z_query : array-like of shape (n_samples, n_components)
        Query embeddings.
    z_gallery : array-like of shape (n_samples, n_components)
        Gallery embeddings, paired with ``z_query`` by row.
    groups : array-like of shape (n_samples,)
        Subject id of each pair (shared by the query and its gallery item).
    k : int, default=1
        Number of best-scoring gallery items considered.
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity used to rank the gallery.

    Returns
    -------
    accuracy : float
        In [0, 1], never below :func:`retrieval_accuracy` at the same ``k``
        since the true match belongs to the query's subject. Ties with other
        subjects' items count against the query.
    """
    k = check_positive_int(k, name="k")
    ranks = retrieval_ranks(z_query, z_gallery, groups=groups, metric=metric)
    return float(np.mean(ranks <= k))


def mean_reciprocal_rank(z_query, z_gallery, *, metric="cosine"):
    """Mean of ``1 / rank`` of each query's true match.

    Parameters
    ----------
    z_query : array-like of shape (n_samples, n_components)
        Query embeddings.
    z_gallery : array-like of shape (n_samples, n_components)
        Gallery embeddings, paired with ``z_query`` by row.
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity used to rank the gallery.

    Returns
    -------
    mrr : float
        In ``(0, 1]``; 1 when every true match ranks first. Ranks follow
        :func:`retrieval_ranks` (pessimistic ties).
    """
    ranks = retrieval_ranks(z_query, z_gallery, metric=metric)
    return float(np.mean(1.0 / ranks))


def retrieval_report(z_ecg, z_mcg, groups=None, *, ks=(1, 5), metric="cosine"):
    """Retrieval metrics in both directions, beat- and subject-level.

    Parameters
    ----------
    z_ecg : array-like of shape (n_samples, n_components)
        ECG embeddings.
    z_mcg : array-like of shape (n_samples, n_components)
        MCG embeddings, paired with ``z_ecg`` by row.
    groups : array-like of shape (n_samples,), default=None
        Subject ids; when given, subject-level accuracies are added.
    ks : sequence of int, default=(1, 5)
        Values of ``k`` for top-``k`` accuracy.
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity used to rank the gallery.

    Returns
    -------
    report : dict of str to float
        Keys ``"{direction}_top{k}"``, ``"{direction}_mrr"`` and, with
        ``groups``, ``"{direction}_subject_top{k}"``, for direction in
        ``("ecg_to_mcg", "mcg_to_ecg")``.
    """
    ks = [check_positive_int(k, name="ks") for k in np.atleast_1d(ks).tolist()]
    report = {}
    for direction, query, gallery in (
        ("ecg_to_mcg", z_ecg, z_mcg),
        ("mcg_to_ecg", z_mcg, z_ecg),
    ):
        ranks = retrieval_ranks(query, gallery, metric=metric)
        for k in ks:
            report[f"{direction}_top{k}"] = float(np.mean(ranks <= k))
        report[f"{direction}_mrr"] = float(np.mean(1.0 / ranks))
        if groups is not None:
            subject_ranks = retrieval_ranks(query, gallery, groups=groups, metric=metric)
            for k in ks:
                report[f"{direction}_subject_top{k}"] = float(np.mean(subject_ranks <= k))
    return report


# --------------------------------------------------------------------------
# Virtual MCG
# --------------------------------------------------------------------------


def _check_prediction(y_true, y_pred, *, ensure_3d=False):
    y_true, y_pred = check_paired_signals(
        y_true, y_pred, names=("y_true", "y_pred"), ensure_3d=ensure_3d
    )
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {y_true.shape} and "
            f"{y_pred.shape}."
        )
    return y_true, y_pred


def virtual_mcg_r2(y_true, y_pred, *, multioutput="uniform_average", sample_weight=None):
    """Coefficient of determination of a virtual MCG over all channels and samples.

    Each (channel, time sample) is one output of a multi-output regression; this
    is :func:`sklearn.metrics.r2_score` on the arrays flattened to
    ``(n_samples, n_channels * n_times)``, i.e. what ``RegressorMixin.score``
    gives for the flattened problem. Each output's R² compares the residual with
    that output's variance across samples (beats), so predicting the mean beat
    scores 0.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_channels, n_times) or (n_samples, n_times)
        Measured MCG in pT.
    y_pred : array-like of the same shape as ``y_true``
        Predicted (virtual) MCG in pT.
    multioutput : {"uniform_average", "variance_weighted", "raw_values"}, \
            default="uniform_average"
        ``"uniform_average"`` averages the per-output R² (every time sample
        counts equally, the default of ``RegressorMixin.score``);
        ``"variance_weighted"`` is ``1 - sum(SS_res) / sum(SS_tot)`` over all
        outputs, so low-variance samples (baseline) weigh less;
        ``"raw_values"`` returns the per-output R².
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
    y_true, y_pred = _check_prediction(y_true, y_pred)
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
    y_true, y_pred = _check_prediction(y_true, y_pred, ensure_3d=True)
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


def _check_sensor_positions(sensor_positions, n_channels):
    positions = check_array(
        sensor_positions, dtype=np.float64, input_name="sensor_positions"
    )
    if positions.shape[0] != n_channels or positions.shape[1] not in (2, 3):
        raise ValueError(
            "sensor_positions must have shape (n_channels, 2) or (n_channels, 3) "
            f"with n_channels={n_channels}; got {positions.shape}."
        )
    return positions


def _check_pole_fraction(pole_fraction):
    if isinstance(pole_fraction, bool) or not isinstance(pole_fraction, Real):
        raise TypeError(f"pole_fraction must be a number in [0, 1); got {pole_fraction!r}.")
    if not 0 <= pole_fraction < 1:
        raise ValueError(f"pole_fraction must be in [0, 1); got {pole_fraction!r}.")
    return float(pole_fraction)


def field_map_poles(maps, sensor_positions, *, pole_fraction=0.5):
    """Positions of the positive and negative poles of field maps.

    A pole is the weighted centroid of the sensors near the map's extreme:
    with each map ``b`` rescaled to ``s = (b - min) / (max - min)`` in [0, 1], the
    positive pole averages the positions of sensors with ``s >= pole_fraction``
    weighted by ``s - pole_fraction``, and the negative pole likewise with
    ``1 - s``. This places poles between grid nodes, moves continuously with the
    map, and is unchanged by adding a constant to the map or scaling it by a
    positive factor.

    Parameters
    ----------
    maps : array-like of shape (n_maps, n_channels) or (n_channels,)
        Field values (e.g. Bz in pT) at the sensors, one map per row.
    sensor_positions : array-like of shape (n_channels, 2) or (n_channels, 3)
        Sensor coordinates (e.g. in m).
    pole_fraction : float in [0, 1), default=0.5
        Sensors within ``1 - pole_fraction`` of the range from an extreme take
        part in that pole; values near 1 approach the extreme sensor itself.
        The default splits the sensors at mid-range: on simulated dipolar maps
        (6 x 6 grid, 40 mm pitch, off-centre dipoles 7-11 cm deep) it gave the
        most accurate main-vector direction (mean error about 1 degree), while
        larger values place each pole nearer the extreme sensor, better when
        the pole positions themselves matter (pole distance).

    Returns
    -------
    positive, negative : ndarray of shape (n_maps, n_dims) or (n_dims,)
        Pole coordinates; NaN for a flat (constant) map, which has no poles.
    """
    pole_fraction = _check_pole_fraction(pole_fraction)
    array = np.asarray(maps)
    single = array.ndim == 1
    if array.ndim not in (1, 2):
        raise ValueError(
            f"maps must be 1-D (n_channels,) or 2-D (n_maps, n_channels); got "
            f"{array.ndim}-D array of shape {array.shape}."
        )
    array = check_array(np.atleast_2d(array), dtype=np.float64, input_name="maps")
    positions = _check_sensor_positions(sensor_positions, array.shape[1])
    positive, negative = _poles(array, positions, pole_fraction)
    if single:
        return positive[0], negative[0]
    return positive, negative


def _poles(maps, positions, pole_fraction):
    low = maps.min(axis=1, keepdims=True)
    span = maps.max(axis=1, keepdims=True) - low
    flat = span[:, 0] == 0
    scaled = (maps - low) / np.where(span > 0, span, 1)
    poles = []
    for closeness in (scaled, 1 - scaled):
        weights = np.clip(closeness - pole_fraction, 0, None)
        total = weights.sum(axis=1, keepdims=True)
        pole = weights @ positions / np.where(total > 0, total, 1)
        pole[flat] = np.nan
        poles.append(pole)
    return poles[0], poles[1]


def _channel_rms(y):
    return np.sqrt(np.mean(y**2, axis=1))


def _check_t_window(t_window):
    try:
        start, stop = (float(t) for t in t_window)
    except (TypeError, ValueError):
        raise TypeError(
            "t_window must be a pair (start, stop) of seconds after the R peak; "
            f"got {t_window!r}."
        ) from None
    if not 0 <= start < stop:
        raise ValueError(
            "t_window must satisfy 0 <= start < stop (seconds after the R peak); "
            f"got {t_window!r}."
        )
    return start, stop


def _t_peak_indices(rms, r_peaks, sfreq, t_window):
    start_s, stop_s = t_window
    n_times = rms.shape[1]
    start = r_peaks + int(round(start_s * sfreq))
    stop = np.minimum(r_peaks + int(round(stop_s * sfreq)), n_times - 1)
    too_short = np.flatnonzero(start > n_times - 1)
    if too_short.size:
        raise ValueError(
            f"{too_short.size} beat(s) (first: sample {too_short[0]}) end less than "
            f"t_window[0]={start_s} s after their R peak, so no T wave can be found; "
            "cut longer beats, lower t_window, or pass latency as sample indices."
        )
    times = np.arange(n_times)
    inside = (times >= start[:, None]) & (times <= stop[:, None])
    return np.argmax(np.where(inside, rms, -np.inf), axis=1)


def find_rt_peaks(y, *, sfreq, t_window=(0.1, 0.45)):
    """Sample indices of the R peak and the T peak of each multichannel beat.

    The R peak is the sample of largest channel RMS in the whole beat (in MCG
    the QRS is the largest deflection; the T/R ratio is about 0.3-0.5). The T
    peak is the sample of largest channel RMS in ``t_window`` seconds after the
    R peak (the default skips the QRS and the ST segment and covers T peaks at
    heart rates from about 50 to 150 bpm).

    Parameters
    ----------
    y : array-like of shape (n_samples, n_channels, n_times) or (n_samples, n_times)
        Beats, e.g. measured MCG in pT.
    sfreq : float
        Sampling rate in Hz.
    t_window : tuple of float, default=(0.1, 0.45)
        Start and stop of the T-peak search, in seconds after the R peak; the
        stop is clipped to the end of the beat.

    Returns
    -------
    r_peaks, t_peaks : ndarray of shape (n_samples,), dtype int64
    """
    sfreq = check_sfreq(sfreq)
    t_window = _check_t_window(t_window)
    y = check_signals(y, name="y", ensure_3d=True)
    rms = _channel_rms(y)
    r_peaks = np.argmax(rms, axis=1)
    return r_peaks, _t_peak_indices(rms, r_peaks, sfreq, t_window)


def _latency_indices(latency, y_true, sfreq, t_window):
    n_samples, _, n_times = y_true.shape
    if isinstance(latency, str):
        if latency not in ("r_peak", "t_peak"):
            raise ValueError(
                f"latency must be 'r_peak', 't_peak' or sample indices; got {latency!r}."
            )
        rms = _channel_rms(y_true)
        r_peaks = np.argmax(rms, axis=1)
        if latency == "r_peak":
            return r_peaks
        if sfreq is None:
            raise ValueError("latency='t_peak' needs sfreq (Hz) to place the T-wave window.")
        return _t_peak_indices(rms, r_peaks, check_sfreq(sfreq), _check_t_window(t_window))
    indices = np.asarray(latency)
    if indices.dtype.kind not in "iu" or indices.ndim > 1:
        raise TypeError(
            "latency must be 'r_peak', 't_peak', an integer sample index or an "
            f"integer array of shape (n_samples,); got {latency!r}."
        )
    indices = np.broadcast_to(indices, (n_samples,)) if indices.ndim == 0 else indices
    if indices.shape != (n_samples,) or (indices < 0).any() or (indices >= n_times).any():
        raise ValueError(
            f"latency indices must be one index or {n_samples} indices in [0, {n_times}); "
            f"got {latency!r}."
        )
    return indices.astype(np.int64)


def _angle_degrees(u, v):
    """Angle between rows of ``u`` and ``v`` (Kahan's formula, exact near 0 and 180)."""
    u_norm = np.linalg.norm(u, axis=1, keepdims=True)
    v_norm = np.linalg.norm(v, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        u_unit, v_unit = u / u_norm, v / v_norm
    angle = 2 * np.arctan2(
        np.linalg.norm(u_unit - v_unit, axis=1), np.linalg.norm(u_unit + v_unit, axis=1)
    )
    return np.degrees(angle)


def field_map_angle_error(
    y_true,
    y_pred,
    sensor_positions,
    *,
    latency="r_peak",
    sfreq=None,
    t_window=(0.1, 0.45),
    pole_fraction=0.5,
    reduce="mean",
):
    """Angle between measured and predicted field-map main vectors, in degrees.

    The main vector of a field map runs from its positive to its negative pole
    (see :func:`field_map_poles`); in MCG it is perpendicular to the in-plane
    heart dipole, and its angle at the T peak is a marker of ischemia. The maps
    are taken at a latency found on the *measured* signal ``y_true`` and the same
    sample of ``y_pred`` is used.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_channels, n_times)
        Measured MCG in pT.
    y_pred : array-like of the same shape as ``y_true``
        Predicted (virtual) MCG in pT.
    sensor_positions : array-like of shape (n_channels, 2) or (n_channels, 3)
        Sensor coordinates, in the channel order of ``y_true``.
    latency : {"r_peak", "t_peak"}, int or array-like of int, default="r_peak"
        Where to take the maps: the R or T peak found on ``y_true`` by the rule
        of :func:`find_rt_peaks`, or a sample index (one for all beats or one
        per beat).
    sfreq : float, default=None
        Sampling rate in Hz; needed for ``latency="t_peak"``.
    t_window : tuple of float, default=(0.1, 0.45)
        T-peak search window in seconds after the R peak.
    pole_fraction : float in [0, 1), default=0.5
        Pole definition, see :func:`field_map_poles`.
    reduce : {"mean", None}, default="mean"
        Return the mean angle, or one angle per beat.

    Returns
    -------
    angle : float or ndarray of shape (n_samples,)
        In [0, 180]: 0 for the same direction, 90 for a map rotated by a quarter
        turn, 180 for a sign-flipped map. NaN where either map is flat (no
        poles), which makes the mean NaN too.
    """
    if reduce not in ("mean", None):
        raise ValueError(f"reduce must be 'mean' or None; got {reduce!r}.")
    pole_fraction = _check_pole_fraction(pole_fraction)
    y_true, y_pred = _check_prediction(y_true, y_pred, ensure_3d=True)
    positions = _check_sensor_positions(sensor_positions, y_true.shape[1])
    indices = _latency_indices(latency, y_true, sfreq, t_window)
    beats = np.arange(y_true.shape[0])
    vectors = []
    for y in (y_true, y_pred):
        positive, negative = _poles(y[beats, :, indices], positions, pole_fraction)
        vectors.append(negative - positive)
    angles = _angle_degrees(*vectors)
    return float(np.mean(angles)) if reduce == "mean" else angles


# --------------------------------------------------------------------------
# Scorers
# --------------------------------------------------------------------------


def _paired_latents(estimator, X, y):
    """``(ecg_latent, mcg_latent)`` from an aligner or a Pipeline through one.

    In a Pipeline the aligner is the last step with ``transform``: steps after it
    without one (a ``LatentProjector`` predicting virtual MCG) are not used.
    """
    if isinstance(estimator, Pipeline):
        n_steps = len(estimator)
        while n_steps > 1 and not hasattr(estimator[n_steps - 1], "transform"):
            n_steps -= 1
        if n_steps > 1:
            X = estimator[: n_steps - 1].transform(X)
        estimator = estimator[n_steps - 1]
    # An aligner gives the pooled latents its loss compares, even when its transform
    # returns time-resolved ones; any other estimator its transform(X, y) pair.
    paired = getattr(estimator, "_retrieval_latents", estimator.transform)
    latents = paired(X, y)
    if not (isinstance(latents, tuple) and len(latents) == 2):
        raise TypeError(
            f"{type(estimator).__name__}.transform(X, y) must return a pair "
            "(ecg_latent, mcg_latent) for retrieval scoring; got "
            f"{type(latents).__name__}."
        )
    return latents


class _RetrievalScorer:
    """Scorer ``scorer(estimator, X, y, groups=None)`` for cross-modal aligners."""

    def __init__(self, k, direction, level, metric):
        self.k = k
        self.direction = direction
        self.level = level
        self.metric = metric

    def __call__(self, estimator, X, y, groups=None):
        z_ecg, z_mcg = _paired_latents(estimator, X, y)
        query, gallery = (z_ecg, z_mcg) if self.direction == "ecg_to_mcg" else (z_mcg, z_ecg)
        if self.level == "beat":
            return retrieval_accuracy(query, gallery, k=self.k, metric=self.metric)
        if groups is None:
            raise ValueError(
                "A subject-level retrieval scorer needs groups. Enable metadata "
                "routing (sklearn.set_config(enable_metadata_routing=True)) and pass "
                "groups through params={'groups': groups} in cross_validate or "
                "GridSearchCV.fit; the scorer requests them."
            )
        return subject_retrieval_accuracy(
            query, gallery, groups, k=self.k, metric=self.metric
        )

    def get_metadata_routing(self):
        """Metadata request: a subject-level scorer asks for ``groups`` at score."""
        request = MetadataRequest(owner=self)
        if self.level == "subject":
            request.score.add_request(param="groups", alias=True)
        return request

    def __repr__(self):
        return (
            f"make_retrieval_scorer(k={self.k}, direction={self.direction!r}, "
            f"level={self.level!r}, metric={self.metric!r})"
        )


def make_retrieval_scorer(*, k=1, direction="ecg_to_mcg", level="beat", metric="cosine"):
    """Make a top-``k`` retrieval scorer for ``scoring=`` in model selection.

    The scorer calls ``estimator.transform(X, y)``, which must return
    ``(ecg_latent, mcg_latent)`` (as ``CrossModalAligner`` does, with ``X`` ECG
    and ``y`` MCG), and scores the top-``k`` retrieval accuracy on those pairs.
    For a :class:`~sklearn.pipeline.Pipeline`, ``X`` goes through the steps
    before the aligner, which is the last step with ``transform`` (``y`` is passed
    to it untouched, as in ``Pipeline.fit``); later steps without ``transform``,
    such as a :class:`~sklearn_ecgmcg.LatentProjector`, are not used, so one
    pipeline is scored for both retrieval and virtual MCG.

    Parameters
    ----------
    k : int, default=1
        Number of best-scoring gallery items that count as a hit.
    direction : {"ecg_to_mcg", "mcg_to_ecg"}, default="ecg_to_mcg"
        Which latent queries and which is searched.
    level : {"beat", "subject"}, default="beat"
        ``"beat"``: is the true pair among the top ``k``;
        ``"subject"``: is an item of the query's subject among the top ``k``.
        The subject-level scorer needs ``groups``, which scikit-learn passes to a
        scorer only with metadata routing enabled: call
        ``sklearn.set_config(enable_metadata_routing=True)`` and pass
        ``params={"groups": groups}`` to ``cross_validate`` or
        ``GridSearchCV.fit`` (the scorer requests ``groups`` itself; an
        estimator whose ``fit`` accepts ``groups`` also needs
        ``set_fit_request(groups=...)``). Without groups it raises a ValueError;
        :func:`subject_retrieval_accuracy` works everywhere.
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity used to rank the gallery.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, groups=None) -> float``, greater is better.

    Examples
    --------
    >>> from sklearn_ecgmcg.metrics import make_retrieval_scorer
    >>> make_retrieval_scorer(k=5, direction="mcg_to_ecg")
    make_retrieval_scorer(k=5, direction='mcg_to_ecg', level='beat', metric='cosine')
    """
    k = check_positive_int(k, name="k")
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be one of {_DIRECTIONS}; got {direction!r}.")
    if level not in _LEVELS:
        raise ValueError(f"level must be one of {_LEVELS}; got {level!r}.")
    _check_metric(metric)
    return _RetrievalScorer(k, direction, level, metric)


_VIRTUAL_MCG_SCORERS = ("r2", "channel_correlation", "neg_angle_r_peak", "neg_angle_t_peak")


def make_virtual_mcg_scorer(
    name, *, sensor_positions=None, sfreq=None, t_window=(0.1, 0.45), pole_fraction=0.5
):
    """Make a scorer of ``estimator.predict(X)`` against measured MCG ``y``.

    Parameters
    ----------
    name : {"r2", "channel_correlation", "neg_angle_r_peak", "neg_angle_t_peak"}
        ``"r2"``: :func:`virtual_mcg_r2`; ``"channel_correlation"``: mean of
        :func:`channel_correlation` over channels; ``"neg_angle_r_peak"`` and
        ``"neg_angle_t_peak"``: minus the mean :func:`field_map_angle_error` at
        that latency (negated like scikit-learn's ``neg_*`` scorers, so greater
        is better everywhere).
    sensor_positions : array-like of shape (n_channels, 2) or (n_channels, 3), \
            default=None
        Needed by the angle scorers.
    sfreq : float, default=None
        Sampling rate in Hz; needed by ``"neg_angle_t_peak"``.
    t_window : tuple of float, default=(0.1, 0.45)
        T-peak search window in seconds after the R peak.
    pole_fraction : float in [0, 1), default=0.5
        Pole definition, see :func:`field_map_poles`.

    Returns
    -------
    scorer : callable
        A scikit-learn scorer from :func:`sklearn.metrics.make_scorer`,
        ``scorer(estimator, X, y) -> float``.
    """
    if name not in _VIRTUAL_MCG_SCORERS:
        raise ValueError(f"name must be one of {_VIRTUAL_MCG_SCORERS}; got {name!r}.")
    if name == "r2":
        return make_scorer(virtual_mcg_r2)
    if name == "channel_correlation":
        return make_scorer(channel_correlation, multioutput="uniform_average")
    if sensor_positions is None:
        raise ValueError(f"The {name!r} scorer needs sensor_positions.")
    positions = check_array(sensor_positions, dtype=np.float64, input_name="sensor_positions")
    positions = _check_sensor_positions(positions, n_channels=positions.shape[0])
    latency = "r_peak" if name == "neg_angle_r_peak" else "t_peak"
    if latency == "t_peak":
        if sfreq is None:
            raise ValueError("The 'neg_angle_t_peak' scorer needs sfreq (Hz).")
        sfreq = check_sfreq(sfreq)
        t_window = _check_t_window(t_window)
    return make_scorer(
        field_map_angle_error,
        greater_is_better=False,
        sensor_positions=positions,
        latency=latency,
        sfreq=sfreq,
        t_window=t_window,
        pole_fraction=_check_pole_fraction(pole_fraction),
    )
