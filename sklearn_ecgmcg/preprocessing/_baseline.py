"""Per-beat baseline removal: the straight line through the isoelectric ends of each beat."""

from numbers import Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval

from ..utils import check_signals
from ._stateless import StatelessSignalTransformer, required_sfreq

__all__ = ["BaselineCorrector"]


class BaselineCorrector(StatelessSignalTransformer):
    """Subtract each beat's baseline: the line through the levels at its two ends.

    Baseline wander (respiration, electrode drift, 0.05-0.5 Hz) moves a whole beat
    up or down and tilts it, differently on every channel. A beat is too short for a
    high-pass filter (see :class:`BandpassFilter`), but its window starts before the
    P wave and ends after the T wave, where the heart is electrically silent: the
    mean of the first and of the last ``edge`` seconds of each channel estimate the
    baseline there, and the straight line through them is subtracted (the classic
    isoelectric-point correction, with the TP segment as reference). Nothing is
    learned; each beat is corrected on its own.

    Parameters
    ----------
    sfreq : float, default=None
        Sampling rate of the beats in Hz (required).
    edge : float, default=0.04
        Length in seconds of the start and end of the beat window taken as
        isoelectric. With :class:`BeatSegmenter`'s default window (-0.25 s to
        0.45 s around the R peak) 40 ms end before the P wave and start after the
        T wave at resting heart rates.

    Attributes
    ----------
    n_features_in_ : int
        Values per sample seen at ``fit`` (``n_channels * n_times``).

    See Also
    --------
    BandpassFilter : Low-pass the beats (or high-pass continuous records).
    BeatSegmenter : Cuts the beats.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.preprocessing import BaselineCorrector
    >>> t = np.arange(100) / 100.0
    >>> wave = np.exp(-((t - 0.5) / 0.05) ** 2)           # zero at both ends
    >>> drifting = wave + 0.3 + 0.2 * t                      # offset and tilt
    >>> corrected = BaselineCorrector(sfreq=100.0).fit_transform(drifting[None, None])
    >>> bool(np.abs(corrected[0, 0] - wave).max() < 1e-3)
    True
    """

    _parameter_constraints = {
        "sfreq": [Interval(Real, 0, None, closed="neither"), None],
        "edge": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, sfreq=None, edge=0.04):
        self.sfreq = sfreq
        self.edge = edge

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_times) or (n_samples, n_channels, n_times)
            Beats.
        y : None
            Ignored.

        Returns
        -------
        self : BaselineCorrector
        """
        X = check_signals(X)
        self._edge_samples(X.shape[-1])
        self.n_features_in_ = int(np.prod(X.shape[1:]))
        return self

    def transform(self, X):
        """Subtract the baseline of each channel of each beat.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_times) or (n_samples, n_channels, n_times)
            Beats, float32 or float64 (other numeric types become float64). Not modified.

        Returns
        -------
        X_corrected : ndarray of the same shape and float dtype as ``X``
        """
        self._validate_params()
        X = check_signals(X)
        n_edge = self._edge_samples(X.shape[-1])
        start = X[..., :n_edge].mean(axis=-1, keepdims=True)
        end = X[..., -n_edge:].mean(axis=-1, keepdims=True)
        n_times = X.shape[-1]
        # The line passes through the centres of the two end windows.
        centre = (n_edge - 1) / 2.0
        slope_position = (np.arange(n_times, dtype=X.dtype) - centre) / (n_times - n_edge)
        return X - (start + (end - start) * slope_position)

    def _edge_samples(self, n_times):
        n_edge = int(round(self.edge * required_sfreq(self)))
        if n_edge < 1:
            raise ValueError(
                f"edge={self.edge} s is less than one sample at sfreq={self.sfreq} Hz; "
                "use a longer edge."
            )
        if 2 * n_edge > n_times:
            raise ValueError(
                f"The beats have {n_times} time samples, too short for two non-overlapping "
                f"end windows of edge={self.edge} s ({n_edge} samples each at "
                f"sfreq={self.sfreq} Hz): {n_times} feature(s) per channel where at least "
                f"{2 * n_edge} are needed; pass whole beats or a shorter edge."
            )
        return n_edge
