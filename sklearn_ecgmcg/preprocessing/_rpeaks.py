"""R-peak detection in ECG and MCG records: XQRS on ECG, the channel-RMS curve on MCG."""

import numpy as np
from scipy import signal
from scipy.ndimage import uniform_filter1d
from wfdb import processing

from ..utils import check_sfreq, check_signals
from ._filter import design_filter

__all__ = ["detect_r_peaks"]

DETECTORS = ("auto", "xqrs", "rms")
# "auto" switches to the channel-RMS detector above this many channels: clinical
# ECG montages have at most 15 leads, MCG arrays 36 channels or more.
MAX_XQRS_CHANNELS = 15
REFRACTORY_S = 0.2  # shortest RR interval accepted by the RMS detector (300 bpm)
RMS_THRESHOLD = 0.3  # beat threshold, relative to the 99th percentile of the envelope
XQRS_MIN_SFREQ = 250.0  # slower records are upsampled for XQRS
XQRS_PAD_S = 0.5  # edge padding of the XQRS input, in seconds
REFINE_RADIUS_S = 0.1  # detected peaks move at most this far to the RMS maximum


def _resolve_detector(detector, n_channels):
    if detector not in DETECTORS:
        raise ValueError(f"detector must be one of {DETECTORS}; got {detector!r}.")
    if detector == "auto":
        return "xqrs" if n_channels <= MAX_XQRS_CHANNELS else "rms"
    return detector


def _bandpass(record, sfreq, l_freq, h_freq):
    """Zero-phase 4th-order band-pass of one record, the edge clipped to Nyquist.

    The record is padded by up to 1 s (mirrored) rather than sosfiltfilt's
    default few samples, so the high-pass transient does not fake a peak at the
    record edges.
    """
    sos = design_filter(sfreq, l_freq, min(h_freq, 0.45 * sfreq), 4)
    pad = min(record.shape[-1] - 1, round(sfreq))
    return signal.sosfiltfilt(sos, record, axis=-1, padtype="even", padlen=pad)


def _xqrs_peaks(record, sfreq):
    """wfdb's XQRS on the first principal component of the QRS band."""
    if record.shape[0] == 1:
        lead = record[0]
    else:
        qrs_band = _bandpass(record, sfreq, 5.0, 20.0)
        u = np.linalg.eigh(qrs_band @ qrs_band.T)[1][:, -1]  # leading eigenvector
        lead = u @ record
    # XQRS misses beats at low rates (100 Hz) and in its first ~200 ms: run it
    # on an upsampled lead padded with its edge values.
    factor = int(np.ceil(XQRS_MIN_SFREQ / sfreq))
    lead = signal.resample_poly(lead.astype(np.float64), factor, 1) if factor > 1 else lead
    pad = round(XQRS_PAD_S * sfreq * factor)
    xqrs = processing.XQRS(sig=np.pad(lead.astype(np.float64), pad, mode="edge"), fs=sfreq * factor)
    xqrs.detect(verbose=False)
    peaks = np.round((np.asarray(xqrs.qrs_inds) - pad) / factor).astype(np.intp)
    return peaks[(peaks >= 0) & (peaks < record.shape[-1])]


def _rms_peaks(record, sfreq):
    """Maxima of the smoothed channel-RMS of the 10-40 Hz band, where the QRS
    outweighs the T wave more than at lower frequencies."""
    qrs_band = _bandpass(record, sfreq, 10.0, 40.0)
    energy = uniform_filter1d((qrs_band**2).mean(axis=0), max(1, round(0.06 * sfreq)))
    envelope = np.sqrt(energy)
    height = RMS_THRESHOLD * np.percentile(envelope, 99)
    distance = max(1, round(REFRACTORY_S * sfreq))
    peaks, _ = signal.find_peaks(envelope, height=height, distance=distance)
    return peaks.astype(np.intp)


def _refine_peaks(record, peaks, sfreq):
    """Move each peak to the maximum of the 1-40 Hz channel-RMS curve nearby.

    Written here rather than with ``wfdb.processing.correct_peaks``, which
    misplaces peaks within its search radius of the record start (wfdb 4.3).
    A maximum on the first or last sample is a QRS cut by the record edge, not
    a peak: it is dropped.
    """
    if len(peaks) == 0:
        return peaks
    rms = np.sqrt((_bandpass(record, sfreq, 1.0, 40.0) ** 2).mean(axis=0))
    radius = max(1, round(REFINE_RADIUS_S * sfreq))
    refined = [
        max(p - radius, 0) + int(np.argmax(rms[max(p - radius, 0) : p + radius + 1]))
        for p in peaks
    ]
    refined = np.unique(np.asarray(refined, dtype=np.intp))
    return refined[(refined > 0) & (refined < len(rms) - 1)]


def _detect(X, sfreq, detector):
    """Peaks of each record of a validated 3-D batch."""
    method = _resolve_detector(detector, X.shape[1])
    find = _xqrs_peaks if method == "xqrs" else _rms_peaks
    return [_refine_peaks(record, find(record, sfreq), sfreq) for record in X]


def detect_r_peaks(X, *, sfreq, detector="auto"):
    """Find the R peaks of each ECG or MCG record.

    Parameters
    ----------
    X : array-like of shape (n_records, n_times) or (n_records, n_channels, n_times)
        Continuous records (ECG in mV or MCG in pT; the scale does not matter).
    sfreq : float
        Sampling rate in Hz.
    detector : {"auto", "xqrs", "rms"}, default="auto"
        ``"xqrs"``: wfdb's XQRS detector (:class:`wfdb.processing.XQRS`) on the
        first principal component of the 5-20 Hz band of the channels, meant for
        ECG; records below 250 Hz are upsampled for it. ``"rms"``: maxima of
        the root-mean-square over channels of the 10-40 Hz band, smoothed over
        60 ms, at least 200 ms apart and above 0.3 times the 99th percentile of
        that envelope, meant for multichannel MCG. ``"auto"`` uses ``"xqrs"``
        for up to 15 channels and ``"rms"`` above.

    Returns
    -------
    peaks : list of ndarray of int, one per record
        Sample indices of the R peaks, increasing. Either way each peak is then
        moved (at most 100 ms) to the maximum of the 1-40 Hz channel-RMS curve,
        so ECG and MCG of the same beat give the same instant up to the
        physiology. A QRS cut by the record edge, whose maximum falls on the
        first or last sample, gives no peak.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.preprocessing import detect_r_peaks
    >>> t = np.arange(5000) / 500.0
    >>> ecg = np.exp(-((t % 1.0 - 0.5) ** 2) / (2 * 0.01**2))  # one spike a second
    >>> detect_r_peaks(ecg[np.newaxis], sfreq=500.0)[0]
    array([ 250,  750, 1250, 1750, 2250, 2750, 3250, 3750, 4250, 4750])
    """
    sfreq = check_sfreq(sfreq)
    X = check_signals(X, ensure_3d=True)
    _resolve_detector(detector, X.shape[1])
    return _detect(X, sfreq, detector)


def _r_peak_f1(true_peaks, detected_peaks, *, sfreq, tolerance=0.01, n_times=None, margin=0.0):
    """F1 of detected against true R peaks, pooled over records.

    A detected peak is a hit when a true peak lies within ``tolerance`` seconds
    and no earlier detection took it (one-to-one, in time order).

    Parameters
    ----------
    true_peaks, detected_peaks : list of int arrays, one per record
        Sample indices.
    sfreq : float
        Sampling rate in Hz.
    tolerance : float, default=0.01
        Largest accepted distance in seconds.
    n_times : int, default=None
        Record length in samples; needed when ``margin > 0``.
    margin : float, default=0.0
        Peaks (true and detected) closer than this many seconds to either record
        edge are left out: their QRS is cut by the edge.

    Returns
    -------
    f1 : float
    """
    max_lag = tolerance * sfreq
    lo = margin * sfreq
    hi = np.inf if n_times is None else n_times - 1 - lo
    n_hits = n_true = n_detected = 0
    for truth, found in zip(true_peaks, detected_peaks, strict=True):
        truth, found = np.sort(truth), np.sort(found)
        truth = truth[(truth >= lo) & (truth <= hi)]
        found = found[(found >= lo) & (found <= hi)]
        taken = np.zeros(len(truth), dtype=bool)
        for peak in found:
            near = np.flatnonzero(~taken & (np.abs(truth - peak) <= max_lag))
            if len(near):
                taken[near[np.argmin(np.abs(truth[near] - peak))]] = True
        n_hits += int(taken.sum())
        n_true += len(truth)
        n_detected += len(found)
    return 2 * n_hits / (n_true + n_detected) if n_true + n_detected else 1.0
