"""Heartbeat segmentation of ECG and MCG records at their R peaks."""

import warnings
from numbers import Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils import check_sfreq, check_signals
from ._stateless import StatelessSignalTransformer, required_sfreq
from ._rpeaks import DETECTORS, _detect, _resolve_detector

__all__ = ["BeatSegmenter", "segment_beats"]


def _window_offsets(tmin, tmax, sfreq):
    """Sample offsets of a beat window relative to its R peak, both ends included."""
    if not (isinstance(tmin, Real) and isinstance(tmax, Real) and tmin < 0 < tmax):
        raise ValueError(
            f"The beat window must contain the R peak: need tmin < 0 < tmax (in "
            f"seconds); got tmin={tmin!r}, tmax={tmax!r}."
        )
    return np.arange(-round(-tmin * sfreq), round(tmax * sfreq) + 1)


def _y_kind(y, X):
    """'signal' when y is a paired recording of X's records, else 'label'."""
    y_array = np.asarray(y)
    if y_array.ndim == 3 or (y_array.ndim == 2 and y_array.shape[1] == X.shape[-1]):
        return "signal"
    return "label"


def _check_y(y, X, n_records):
    kind = _y_kind(y, X)
    if kind == "signal":
        y = check_signals(y, name="y")
        if y.shape[0] != n_records or y.shape[-1] != X.shape[-1]:
            raise ValueError(
                f"y read as a paired signal must have X's {n_records} records and "
                f"{X.shape[-1]} time samples; got shape {y.shape}."
            )
        return y, kind
    y = np.asarray(y)
    if y.ndim not in (1, 2) or y.shape[0] != n_records:
        raise ValueError(
            f"y must be a paired signal (n_records, [n_channels,] n_times) or one label "
            f"(row) per record, {n_records} in all; got shape {y.shape}."
        )
    return y, kind


def _cut(X, peaks, offsets):
    """Beats (n_beats, C, T_win), source record and kept peaks of each record."""
    n_times = X.shape[-1]
    kept = [p[(p + offsets[0] >= 0) & (p + offsets[-1] < n_times)] for p in peaks]
    record = np.repeat(np.arange(len(X)), [len(p) for p in kept])
    starts = np.concatenate(kept) if kept else np.empty(0, dtype=np.intp)
    index = starts[:, np.newaxis] + offsets
    beats = X[record[:, np.newaxis], :, index].transpose(0, 2, 1)
    return np.ascontiguousarray(beats), record, kept


def _report_empty(empty, n_records, on_empty):
    if len(empty) == 0 or on_empty == "ignore":
        return
    message = (
        f"{len(empty)} of {n_records} records gave no complete beat (records "
        f"{empty.tolist()}): no R peak was detected, or every window ran past the "
        "record's edges."
    )
    if on_empty == "raise":
        raise ValueError(message)
    message += " They contribute no beats; see `empty_records`."
    warnings.warn(message, UserWarning, stacklevel=3)


def _check_on_empty(on_empty):
    if on_empty not in ("warn", "raise", "ignore"):
        raise ValueError(f"on_empty must be 'warn', 'raise' or 'ignore'; got {on_empty!r}.")


def segment_beats(
    X, y=None, *, sfreq, tmin=-0.25, tmax=0.45, detector="auto", on_empty="warn"
):
    """Cut continuous records into heartbeats around their R peaks.

    R peaks are found in ``X`` (:func:`detect_r_peaks`); every channel of ``X``,
    and of ``y`` when it is a paired signal, is cut at the same instants.

    Parameters
    ----------
    X : array-like of shape (n_records, n_times) or (n_records, n_channels, n_times)
        Continuous records in which the beats are detected (usually ECG).
    y : array-like, default=None
        Read by its shape:

        - ``(n_records, n_channels_y, n_times)`` or ``(n_records, n_times)`` with
          X's ``n_times``: a paired signal (e.g. the MCG of the same records), cut
          at the R peaks of ``X``;
        - ``(n_records,)`` or ``(n_records, n_labels)`` otherwise: one label (or a
          multi-hot row) per record, repeated for each of its beats.
    sfreq : float
        Sampling rate in Hz of ``X`` (and of ``y`` when it is a signal).
    tmin, tmax : float, default=-0.25, 0.45
        Window start and end relative to the R peak, in seconds; ``tmin < 0 < tmax``.
        Both ends are included: a window has ``round(-tmin * sfreq) +
        round(tmax * sfreq) + 1`` samples.
    detector : {"auto", "xqrs", "rms"}, default="auto"
        R-peak detector, see :func:`detect_r_peaks`.
    on_empty : {"warn", "raise", "ignore"}, default="warn"
        What to do when records give no beat. The records are listed in
        ``empty_records`` whatever the choice.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With keys:

        - ``X``: ndarray of shape (n_beats, [n_channels,] n_window), beats in the
          dtype of ``X`` (2-D when ``X`` is 2-D), ordered by record then time;
        - ``y``: the beats of ``y`` or its labels per beat, None when ``y`` is None;
        - ``groups``: ndarray of shape (n_beats,), the record index of each beat
          (map it to subjects with ``subject_ids[result.groups]``);
        - ``peaks``: list of n_records int arrays, the R peaks of the kept beats;
        - ``empty_records``: int array of the records that gave no beat;
        - ``times``: ndarray of shape (n_window,), window times in seconds.

    Raises
    ------
    ValueError
        If the window does not contain the R peak or is longer than the records,
        if ``y`` does not match ``X``, or (``on_empty="raise"``) if a record
        gives no beat.

    Notes
    -----
    A beat whose window would run past the start or end of its record is skipped:
    records are not padded. Use :func:`detect_r_peaks` for all detected peaks.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.preprocessing import segment_beats
    >>> t = np.arange(5000) / 500.0
    >>> ecg = np.exp(-((t % 1.0 - 0.5) ** 2) / (2 * 0.01**2))[np.newaxis]
    >>> beats = segment_beats(ecg, np.array(["NORM"]), sfreq=500.0)
    >>> beats.X.shape, beats.y[:2], beats.groups[:2]
    ((10, 351), array(['NORM', 'NORM'], dtype='<U4'), array([0, 0]))
    """
    sfreq = check_sfreq(sfreq)
    _check_on_empty(on_empty)
    X = check_signals(X)
    offsets = _window_offsets(tmin, tmax, sfreq)
    if len(offsets) > X.shape[-1]:
        raise ValueError(
            f"The beat window tmin={tmin} s to tmax={tmax} s has {len(offsets)} "
            f"samples at sfreq={sfreq} Hz, longer than the records ({X.shape[-1]} "
            "samples); shorten the window or pass longer records."
        )
    _resolve_detector(detector, 1 if X.ndim == 2 else X.shape[1])
    if y is not None:
        y, y_kind = _check_y(y, X, X.shape[0])
    X3 = X[:, np.newaxis] if X.ndim == 2 else X
    peaks = _detect(X3, sfreq, detector)
    beats, groups, kept = _cut(X3, peaks, offsets)
    empty = np.flatnonzero([len(p) == 0 for p in kept])
    _report_empty(empty, len(X), on_empty)
    if y is None:
        y_beats = None
    elif y_kind == "label":
        y_beats = y[groups]
    else:
        y_beats = _cut(y[:, np.newaxis] if y.ndim == 2 else y, kept, offsets)[0]
        y_beats = y_beats[:, 0] if y.ndim == 2 else y_beats
    return Bunch(
        X=beats[:, 0] if X.ndim == 2 else beats,
        y=y_beats,
        groups=groups,
        peaks=kept,
        empty_records=empty,
        times=offsets / sfreq,
    )


class BeatSegmenter(StatelessSignalTransformer):
    """Find R peaks and cut heartbeats; the median beat per record in a Pipeline.

    Two uses:

    - ``transform(X)`` keeps one output per record, its median beat (signal
      averaging, the standard in MCG), so it fits in a plain
      :class:`~sklearn.pipeline.Pipeline`;
    - ``fit_resample(X, y)`` (the imbalanced-learn sampler protocol, usable in
      ``imblearn.pipeline.Pipeline``) returns every beat, with ``y`` cut at the
      same instants when it is a paired signal or repeated per beat when it is a
      per-record label.

    Parameters
    ----------
    sfreq : float, default=None
        Sampling rate in Hz. Required: there is no safe default.
    tmin, tmax : float, default=-0.25, 0.45
        Window around each R peak in seconds, ``tmin < 0 < tmax``, both ends
        included.
    detector : {"auto", "xqrs", "rms"}, default="auto"
        R-peak detector, see :func:`detect_r_peaks`: wfdb's XQRS for ECG, the
        channel-RMS curve for multichannel MCG; ``"auto"`` picks by channel count.
    on_empty : {"warn", "raise", "ignore"}, default="warn"
        What ``fit_resample`` does when records give no beat (``transform``
        always raises then, since it must return one beat per record).

    Attributes
    ----------
    n_features_in_ : int
        Values per record seen in the last ``fit`` or ``fit_resample``: ``n_times``
        for 2-D input, ``n_channels * n_times`` for 3-D. Informational: records of
        any length are accepted later.
    sample_indices_ : ndarray of shape (n_beats,)
        Set by ``fit_resample``: the record of each returned beat, like
        imbalanced-learn's ``sample_indices_``. Use it to carry subject ids:
        ``groups[segmenter.sample_indices_]``.
    peaks_ : list of ndarray
        Set by ``fit_resample``: the R peaks of the returned beats, per record.

    See Also
    --------
    segment_beats : The function behind ``fit_resample``, with more outputs.
    detect_r_peaks : The R-peak detectors.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.preprocessing import BeatSegmenter
    >>> t = np.arange(5000) / 500.0
    >>> ecg = np.exp(-((t % 1.0 - 0.5) ** 2) / (2 * 0.01**2))
    >>> X = np.stack([ecg, 2 * ecg])[:, np.newaxis]  # 2 records, 1 channel
    >>> seg = BeatSegmenter(sfreq=500.0)
    >>> seg.fit_transform(X).shape
    (2, 1, 351)
    >>> X_beats, y_beats = seg.fit_resample(X, np.array([0, 1]))
    >>> X_beats.shape, y_beats.tolist()[::10], seg.sample_indices_[::10].tolist()
    ((20, 1, 351), [0, 1], [0, 1])
    """

    _parameter_constraints = {
        "sfreq": [Interval(Real, 0, None, closed="neither"), None],
        "tmin": [Interval(Real, None, 0, closed="neither")],
        "tmax": [Interval(Real, 0, None, closed="neither")],
        "detector": [StrOptions(set(DETECTORS))],
        "on_empty": [StrOptions({"warn", "raise", "ignore"})],
    }

    def __init__(self, sfreq=None, tmin=-0.25, tmax=0.45, detector="auto", on_empty="warn"):
        self.sfreq = sfreq
        self.tmin = tmin
        self.tmax = tmax
        self.detector = detector
        self.on_empty = on_empty

    def _segment(self, X, y=None, on_empty="warn"):
        return segment_beats(
            X, y, sfreq=required_sfreq(self), tmin=self.tmin, tmax=self.tmax,
            detector=self.detector, on_empty=on_empty,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_records, n_times) or (n_records, n_channels, n_times)
            Continuous records.
        y : None
            Ignored.

        Returns
        -------
        self : BeatSegmenter
        """
        required_sfreq(self)
        X = check_signals(X)
        self.n_features_in_ = int(np.prod(X.shape[1:]))
        return self

    def transform(self, X):
        """Median beat of each record.

        Parameters
        ----------
        X : array-like of shape (n_records, n_times) or (n_records, n_channels, n_times)
            Continuous records. Not modified.

        Returns
        -------
        median_beats : ndarray of shape (n_records, [n_channels,] n_window)
            The sample-wise median over the beats of each record, in the dtype of
            ``X`` (2-D when ``X`` is 2-D).

        Raises
        ------
        ValueError
            If a record gives no beat (its index is in the message): ``transform``
            must return one output per record. Use ``fit_resample`` or
            :func:`segment_beats` to drop such records explicitly.
        """
        self._validate_params()
        result = self._segment(X, on_empty="ignore")
        if len(result.empty_records):
            raise ValueError(
                f"Records {result.empty_records.tolist()} of X gave no complete beat, "
                "so they have no median beat (no R peak found, or every window ran "
                "past the record's edges). Remove them, or use fit_resample / "
                "segment_beats, which report and skip them."
            )
        bounds = np.flatnonzero(np.diff(result.groups)) + 1
        medians = [np.median(b, axis=0) for b in np.split(result.X, bounds)]
        return np.stack(medians).astype(result.X.dtype, copy=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y=None):
        """Return every beat of ``X``, and ``y`` cut or repeated to match.

        Parameters
        ----------
        X : array-like of shape (n_records, n_times) or (n_records, n_channels, n_times)
            Continuous records in which the R peaks are detected.
        y : array-like, default=None
            Paired signal (cut at the same instants) or per-record labels (repeated
            per beat); see :func:`segment_beats` for how the two are told apart.

        Returns
        -------
        X_beats : ndarray of shape (n_beats, [n_channels,] n_window)
        y_beats : ndarray or None
            Beats of ``y`` or one label per beat; None when ``y`` is None.
        """
        result = self._segment(X, y, on_empty=self.on_empty)
        self.n_features_in_ = int(np.prod(np.shape(X)[1:]))
        self.sample_indices_ = result.groups
        self.peaks_ = result.peaks
        return result.X, result.y
