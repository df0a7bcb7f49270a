"""Finding the mains (line) frequency, 50 or 60 Hz, from the signals' spectrum."""

import numpy as np
from scipy import signal

from ..utils import check_sfreq, check_signals

__all__ = ["detect_mains_frequency", "mains_harmonics"]

MAINS_CANDIDATES = (50.0, 60.0)
# A hum must stand this many times above the spectrum around it (power ratio).
MIN_PEAK_RATIO = 5.0
PEAK_HALF_WIDTH_HZ = 1.0
BACKGROUND_HZ = (3.0, 8.0)  # distance from the line of the band its background is read in


def _mean_spectrum(X, sfreq):
    """Welch power spectrum averaged over samples and channels (``freqs``, ``power``)."""
    n_times = X.shape[-1]
    nperseg = int(min(n_times, 2 * sfreq))  # 0.5 Hz resolution where records allow
    freqs, power = signal.welch(X, fs=sfreq, nperseg=nperseg, axis=-1)
    return freqs, power.reshape(-1, len(freqs)).mean(axis=0)


def _peak_ratio(freqs, power, line):
    """Power at ``line`` over the median power 3-8 Hz on either side of it."""
    distance = np.abs(freqs - line)
    peak = power[distance <= PEAK_HALF_WIDTH_HZ]
    around = power[(distance >= BACKGROUND_HZ[0]) & (distance <= BACKGROUND_HZ[1])]
    if peak.size == 0 or around.size == 0:
        return 0.0
    return float(peak.max() / max(np.median(around), np.finfo(float).tiny))


def detect_mains_frequency(X, sfreq, *, candidates=MAINS_CANDIDATES):
    """Return the mains frequency whose hum the signals carry, or None.

    The Welch spectrum (:func:`scipy.signal.welch`, averaged over samples and
    channels) is read at each candidate and its harmonics below the Nyquist
    frequency: the candidate whose lines stand highest above the spectrum 3-8 Hz
    around them wins, if they stand at least 5 times (7 dB) above it.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_times) or (n_samples, n_channels, n_times)
        Signals; records of a few seconds give a clear answer, single beats
        (0.7 s, 1.4 Hz resolution) a usable one.
    sfreq : float
        Sampling rate in Hz; a candidate must lie below the Nyquist frequency.
    candidates : sequence of float, default=(50.0, 60.0)
        Mains frequencies to choose from, in Hz.

    Returns
    -------
    mains_freq : float or None
        The detected frequency, or None when no candidate's hum stands out.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.preprocessing import detect_mains_frequency
    >>> t = np.arange(5000) / 500.0
    >>> noise = np.random.default_rng(0).normal(0, 0.05, (2, 5000))
    >>> detect_mains_frequency(noise + 0.2 * np.sin(2 * np.pi * 60 * t), 500.0)
    60.0
    """
    sfreq = check_sfreq(sfreq)
    candidates = np.atleast_1d(np.asarray(candidates, dtype=float))
    if candidates.size == 0 or not np.all(np.isfinite(candidates) & (candidates > 0)):
        raise ValueError(
            f"candidates must be positive mains frequencies in Hz; got {candidates.tolist()}."
        )
    X = check_signals(X)
    freqs, power = _mean_spectrum(X, sfreq)
    scores = {}
    for line in candidates:
        lines = mains_harmonics(float(line), sfreq)
        if lines:
            scores[float(line)] = np.mean([_peak_ratio(freqs, power, f) for f in lines])
    if not scores:
        return None
    best = max(scores, key=scores.get)
    return best if scores[best] >= MIN_PEAK_RATIO else None


def mains_harmonics(mains_freq, sfreq, notch_quality=30.0):
    """The mains frequency and its harmonics whose notch fits below the Nyquist frequency.

    Parameters
    ----------
    mains_freq : float
        Fundamental in Hz.
    sfreq : float
        Sampling rate in Hz.
    notch_quality : float, default=30.0
        Quality factor of the notches: a harmonic ``f`` is kept when
        ``f + f / notch_quality`` lies below ``sfreq / 2``.

    Returns
    -------
    lines : list of float
    """
    nyquist = sfreq / 2.0
    lines, k = [], 1
    while k * mains_freq * (1.0 + 1.0 / notch_quality) < nyquist:
        lines.append(k * mains_freq)
        k += 1
    return lines
