"""R- and T-peak positions in multichannel beats (:func:`find_rt_peaks`)."""

import numpy as np

from ..utils import check_sfreq, check_signals

__all__ = ["find_rt_peaks"]


def channel_rms(y):
    return np.sqrt(np.mean(y**2, axis=1))


def check_t_window(t_window):
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


def t_peak_indices(rms, r_peaks, sfreq, t_window):
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
    t_window = check_t_window(t_window)
    y = check_signals(y, name="y", ensure_3d=True)
    rms = channel_rms(y)
    r_peaks = np.argmax(rms, axis=1)
    return r_peaks, t_peak_indices(rms, r_peaks, sfreq, t_window)
