"""Zero-phase Butterworth band-pass (and notch) filtering of signal batches."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import signal
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils import check_sfreq, check_signals
from ._mains import detect_mains_frequency, mains_harmonics
from ._stateless import StatelessSignalTransformer, required_sfreq

__all__ = ["BandpassFilter"]


def design_filter(sfreq, l_freq, h_freq, order, notch_freq=None, notch_quality=30.0):
    """Design the Butterworth (and optional notch) filter as second-order sections.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    l_freq, h_freq : float or None
        Lower and upper -3 dB cut-offs in Hz. ``l_freq=None`` gives a low-pass,
        ``h_freq=None`` a high-pass, both None no Butterworth stage.
    order : int
        Butterworth order of each edge (a band-pass has ``2 * order`` poles).
    notch_freq : float, sequence of float or None, default=None
        Centre of an IIR notch (``scipy.signal.iirnotch``) in Hz, or of several
        (a mains frequency and its harmonics).
    notch_quality : float, default=30.0
        Quality factor of the notch: its -3 dB width is ``notch_freq / notch_quality``.

    Returns
    -------
    sos : ndarray of shape (n_sections, 6)
        The whole cascade, to be applied with :func:`scipy.signal.sosfiltfilt`.

    Raises
    ------
    ValueError
        If a frequency is not below the Nyquist frequency, if ``l_freq >= h_freq``,
        or if every stage is None.
    """
    sfreq = check_sfreq(sfreq)
    nyquist = sfreq / 2.0
    notches = [] if notch_freq is None else list(np.atleast_1d(notch_freq).astype(float))
    edges = [("l_freq", l_freq), ("h_freq", h_freq)] + [("notch_freq", f) for f in notches]
    for name, freq in edges:
        if freq is not None and freq >= nyquist:
            raise ValueError(
                f"{name}={freq} Hz must be below the Nyquist frequency sfreq/2 = "
                f"{nyquist} Hz; lower {name} or use data sampled faster than "
                f"{2 * freq} Hz."
            )
    if l_freq is not None and h_freq is not None and l_freq >= h_freq:
        raise ValueError(
            f"l_freq={l_freq} Hz must be below h_freq={h_freq} Hz; swap them, or set "
            "one to None for a high- or low-pass filter."
        )
    if l_freq is None and h_freq is None and not notches:
        raise ValueError(
            "l_freq, h_freq and notch_freq are all None, so the filter would do "
            "nothing; set at least one of them."
        )
    stages = []
    if l_freq is not None and h_freq is not None:
        stages.append(signal.butter(order, [l_freq, h_freq], "bandpass", fs=sfreq, output="sos"))
    elif h_freq is not None:
        stages.append(signal.butter(order, h_freq, "lowpass", fs=sfreq, output="sos"))
    elif l_freq is not None:
        stages.append(signal.butter(order, l_freq, "highpass", fs=sfreq, output="sos"))
    for freq in notches:
        b, a = signal.iirnotch(freq, notch_quality, fs=sfreq)
        stages.append(signal.tf2sos(b, a))
    return np.vstack(stages)


def min_signal_length(sos):
    """Fewest time samples that :func:`scipy.signal.sosfiltfilt` pads by default.

    This repeats scipy's default edge padding (``padlen = 3 * ntaps``, with ntaps
    reduced by the sections whose last coefficients are zero); sosfiltfilt's default
    needs strictly more samples than ``padlen``.
    """
    n_taps = 2 * len(sos) + 1
    n_taps -= min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * n_taps + 1


def apply_filter(X, sos, *, name="X"):
    """Filter ``X`` forward and backward along its last axis, keeping its dtype.

    Records at least :func:`min_signal_length` long get sosfiltfilt's default odd
    extension of ``3 * ntaps`` samples at each edge. Shorter records get the longest
    odd extension they allow (``n_times - 1`` samples) and a ``UserWarning``: the
    filter's transient then reaches the whole record.

    Parameters
    ----------
    X : ndarray of shape (n_samples, [n_channels,] n_times)
        Validated float signals; never modified.
    sos : ndarray of shape (n_sections, 6)
        Filter from :func:`design_filter`.
    name : str, default="X"
        Argument name used in the warning.

    Returns
    -------
    X_filtered : ndarray of the same shape and dtype as ``X``
    """
    n_times = X.shape[-1]
    n_needed = min_signal_length(sos)
    if n_times >= n_needed:
        return signal.sosfiltfilt(sos, X, axis=-1).astype(X.dtype, copy=False)
    warnings.warn(
        f"{name} has {n_times} time samples, fewer than the {n_needed} this filter "
        f"({len(sos)} second-order sections) needs for the edge padding of zero-phase "
        f"filtering; it is padded with {n_times - 1} samples instead, so its edges, and "
        "for records this short the whole output, are unreliable. Pass longer records, "
        "lower `order`, or drop an edge (l_freq=None or h_freq=None) or the notch.",
        UserWarning,
        stacklevel=3,
    )
    return signal.sosfiltfilt(sos, X, axis=-1, padlen=n_times - 1).astype(X.dtype, copy=False)


# A high-pass needs records of a few periods of its cut-off: on a single heartbeat
# (0.7 s) a 0.5 Hz high-pass bent simulated ECG so much that a linear ECG -> MCG map
# fitted across subjects fell from R^2 0.91 to 0.50.
HIGH_PASS_MIN_PERIODS = 3


class BandpassFilter(StatelessSignalTransformer):
    """Zero-phase Butterworth band-pass filter with an optional mains notch.

    The filter runs forward and backward along the last (time) axis with
    :func:`scipy.signal.sosfiltfilt`, so waves are not shifted in time and the
    magnitude response is the square of the Butterworth one (-6 dB at each
    cut-off). It is stateless: ``fit`` only validates the parameters, and
    ``transform`` may be called without it.

    Parameters
    ----------
    l_freq : float or None, default=0.5
        Lower cut-off in Hz (removes baseline wander). None gives a low-pass filter.
    h_freq : float or None, default=40.0
        Upper cut-off in Hz (removes muscle noise). None gives a high-pass filter.
    sfreq : float, default=None
        Sampling rate of the signals in Hz. Required: there is no safe default.
    order : int, default=4
        Butterworth order of each edge.
    notch_freq : float, "auto" or None, default=None
        Mains frequency to remove (typically 50 or 60 Hz) with an IIR notch, also
        applied forward and backward. ``"auto"``: find 50 or 60 Hz in the
        spectrum of the signals being filtered
        (:func:`~sklearn_ecgmcg.preprocessing.detect_mains_frequency`) and notch
        it and its harmonics below the Nyquist frequency; no notch when neither
        hum stands out. None: no notch.
    notch_quality : float, default=30.0
        Quality factor of the notch; its -3 dB width is ``notch_freq / notch_quality``.

    Attributes
    ----------
    n_features_in_ : int
        Values per sample seen in ``fit``: ``n_times`` for 2-D input,
        ``n_channels * n_times`` for 3-D input. Informational only: being a
        stateless filter, ``transform`` accepts records of any length and channel
        count.
    sos_ : ndarray of shape (n_sections, 6) or None
        The filter cascade designed for the data seen in ``fit`` (None when
        ``notch_freq="auto"`` found no hum and there is no band edge).
    notch_freq_ : float or None
        The notch frequency used for the data seen in ``fit``: ``notch_freq``,
        or what ``"auto"`` found there. ``transform`` looks again at each batch
        it filters (the filter is stateless).

    See Also
    --------
    scipy.signal.sosfiltfilt : The zero-phase filtering routine used here.
    BeatSegmenter : Cuts the filtered records into heartbeats.

    Notes
    -----
    Records should be longer than the edge padding of ``sosfiltfilt``
    (``3 * (2 * n_sections + 1)`` samples, 28 for the default band-pass); shorter
    records are padded with as many samples as they allow (``n_times - 1``) and get
    a ``UserWarning``, since the filter's transient then spans them. Records
    shorter than three periods of ``l_freq`` (6 s at 0.5 Hz), such as single beats,
    get a ``UserWarning``: the high-pass then distorts the waves, so filter
    continuous records before segmenting them, or low-pass beats only
    (``l_freq=None``). A notch rings with time constant ``Q / (pi f)`` (0.2 s at
    50 Hz): where the hum is strong, its onset at each edge of a record leaves
    about a second of ringing there; filter continuous records and drop their
    edges.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.preprocessing import BandpassFilter
    >>> X = np.random.default_rng(0).normal(size=(3, 12, 5000))
    >>> BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=500.0).fit_transform(X).shape
    (3, 12, 5000)
    """

    _parameter_constraints = {
        "l_freq": [Interval(Real, 0, None, closed="neither"), None],
        "h_freq": [Interval(Real, 0, None, closed="neither"), None],
        "sfreq": [Interval(Real, 0, None, closed="neither"), None],
        "order": [Interval(Integral, 1, None, closed="left")],
        "notch_freq": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"}), None],
        "notch_quality": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        l_freq=0.5,
        h_freq=40.0,
        sfreq=None,
        order=4,
        notch_freq=None,
        notch_quality=30.0,
    ):
        self.l_freq = l_freq
        self.h_freq = h_freq
        self.sfreq = sfreq
        self.order = order
        self.notch_freq = notch_freq
        self.notch_quality = notch_quality

    def _notch(self, X):
        """The notch frequency for ``X``, and every line to notch (harmonics for "auto")."""
        if self.notch_freq != "auto":
            return self.notch_freq, self.notch_freq
        found = detect_mains_frequency(X, required_sfreq(self))
        if found is None:
            return None, None
        return found, mains_harmonics(found, required_sfreq(self), self.notch_quality)

    def _design(self, X):
        """The cascade for ``X``, or None when "auto" found no hum and nothing else is asked."""
        _, lines = self._notch(X)
        if lines is None and self.l_freq is None and self.h_freq is None and self.notch_freq:
            return None
        return design_filter(
            required_sfreq(self), self.l_freq, self.h_freq, self.order, lines, self.notch_quality,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_times) or (n_samples, n_channels, n_times)
            Signals.
        y : None
            Ignored.

        Returns
        -------
        self : BandpassFilter
        """
        X = check_signals(X)
        self.notch_freq_, _ = self._notch(X)
        self.sos_ = self._design(X)
        self.n_features_in_ = int(np.prod(X.shape[1:]))
        return self

    def transform(self, X):
        """Filter each channel of each sample along time.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_times) or (n_samples, n_channels, n_times)
            Signals, float32 or float64 (other numeric types become float64).
            Not modified.

        Returns
        -------
        X_filtered : ndarray of the same shape as ``X``
            Filtered signals, float32 when ``X`` is float32, else float64.
        """
        self._validate_params()
        X = check_signals(X)
        sos = self._design(X)
        self._warn_if_too_short_for_high_pass(X.shape[-1])
        return X.copy() if sos is None else apply_filter(X, sos)

    def _warn_if_too_short_for_high_pass(self, n_times):
        if self.l_freq is None:
            return
        min_seconds = HIGH_PASS_MIN_PERIODS / self.l_freq
        seconds = n_times / required_sfreq(self)
        if seconds < min_seconds:
            warnings.warn(
                f"BandpassFilter: the records last {seconds:.3g} s, shorter than "
                f"{HIGH_PASS_MIN_PERIODS} periods of l_freq={self.l_freq:g} Hz "
                f"({min_seconds:.3g} s), so the high-pass acts mostly on the edge padding "
                "and distorts the waves. Filter the continuous records before cutting "
                "beats (BeatSegmenter), or use l_freq=None on beats.",
                UserWarning,
                stacklevel=3,
            )
