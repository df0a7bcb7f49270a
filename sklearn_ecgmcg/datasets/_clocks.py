"""Two devices, two clocks: an ECG and an MCG put on one uniform time base."""

from fractions import Fraction

import numpy as np
from scipy import signal
from sklearn.utils import Bunch

from ..utils import check_sfreq, check_signals

__all__ = ["align_streams"]

ENVELOPE_SMOOTHING = 0.02  # s: the QRS energy is smoothed over about a QRS quarter
QRS_BAND = (5.0, 25.0)  # Hz: where the QRS has its energy and hum and drift have none
N_LAG_WINDOWS = 4  # the lag is measured in this many stretches of the overlap


def align_streams(ecg_times, ecg, mcg_times, mcg, *, sfreq=None, max_lag=2.0, max_gap=0.1,
                  min_overlap=20.0, sync=None):
    """Put an ECG and an MCG recorded by two devices, each on its own clock, on one time base.

    Each stream is first made uniform at its own rate (the rate and its jitter
    are read from its timestamps), then brought to the common rate with
    :func:`scipy.signal.resample_poly` (anti-aliased, not bare interpolation).
    The lag between the devices is found by cross-correlating the QRS energy
    of the ECG (band-passed to 5-25 Hz, differentiated, squared and summed over
    leads, as in Pan-Tompkins, so mains hum and drift stay out) with that of the MCG,
    in several stretches of the overlap; a straight line through those lags
    gives the lag at the start and the relative clock drift. The MCG is then
    read at the ECG's instants (linear interpolation of the anti-aliased MCG).

    On clean simulated pairs the drift is measured within a few ppm over a
    minute, but the lag is that of the QRS energies: one MCG channel's peaks up
    to ~50 ms from the ECG's (each lead field weighs the heart's regions
    differently), and on a noisy channel the quasi-periodic beats can make the
    correlation pick a wrong peak altogether. Two devices that both record one
    reference (a trigger pulse, or the same ECG lead on an auxiliary input) pass
    it as ``sync``: its two copies then give lag and drift to a fraction of a
    sample. Check ``lags``: stretches that disagree mean the estimate failed.

    Parameters
    ----------
    ecg_times, mcg_times : array-like of shape (n_times_ecg,), (n_times_mcg,)
        Timestamps of each sample in seconds, each on its device's clock;
        strictly increasing.
    ecg, mcg : array-like of shape ([n_channels,] n_times)
        The signals (ECG in mV, MCG in pT), one column per timestamp.
    sfreq : float, default=None
        Common rate in Hz; None takes the slower stream's.
    max_lag : float, default=2.0
        Largest clock offset searched, in seconds.
    max_gap : float, default=0.1
        Longest accepted interval between two timestamps, in seconds; a longer
        gap raises (split the recording there).
    min_overlap : float, default=20.0
        Shortest accepted overlap of the two recordings, in seconds.
    sync : tuple of two array-like, default=None
        ``(on_ecg_device, on_mcg_device)``: one reference signal recorded by both
        devices, on ``ecg_times`` and ``mcg_times``; its energy replaces the QRS
        energies for the lag.

    Returns
    -------
    aligned : :class:`~sklearn.utils.Bunch`
        ``ecg`` (n_ecg_channels, n_times), ``mcg`` (n_mcg_channels, n_times),
        ``times`` (n_times,) on the ECG's clock, ``sfreq``; ``lag`` (s): the MCG
        clock reads ``lag + drift * (t - times[0])`` ahead of the ECG clock at ECG
        time ``t``; ``drift_ppm``; ``ecg_sfreq``, ``mcg_sfreq`` and their
        ``ecg_jitter``, ``mcg_jitter`` (std of the sampling intervals over their
        median); ``lags``: the lag measured in each stretch, with ``lag_times``.

    Raises
    ------
    ValueError
        If timestamps are not strictly increasing (naming the first bad row),
        hold a gap longer than ``max_gap``, do not match the signals, or if the
        streams overlap for less than ``min_overlap`` seconds.
    """
    ecg_times, ecg = _check_stream(ecg_times, ecg, "ecg", max_gap)
    mcg_times, mcg = _check_stream(mcg_times, mcg, "mcg", max_gap)
    if sync is not None:
        if len(sync) != 2:
            raise ValueError("sync must be a pair (on_ecg_device, on_mcg_device) of signals.")
        ecg = np.vstack([ecg, _check_stream(ecg_times, sync[0], "sync[0]", max_gap)[1]])
        mcg = np.vstack([mcg, _check_stream(mcg_times, sync[1], "sync[1]", max_gap)[1]])
    rates = {name: sampling_rate(t) for name, t in (("ecg", ecg_times), ("mcg", mcg_times))}
    target = check_sfreq(sfreq) if sfreq is not None else min(r[0] for r in rates.values())
    ecg_grid, ecg_u = _to_rate(ecg_times, ecg, rates["ecg"][0], target)
    mcg_grid, mcg_u = _to_rate(mcg_times, mcg, rates["mcg"][0], target)
    reference = slice(-1, None) if sync is not None else slice(None)
    lag_times, lags = _measure_lags(ecg_grid, ecg_u[reference], mcg_grid, mcg_u[reference],
                                    target, max_lag, min_overlap)
    if sync is not None:
        ecg_u, mcg_u = ecg_u[:-1], mcg_u[:-1]
    drift, lag0 = np.polyfit(lag_times - ecg_grid[0], lags, 1)
    on_mcg_clock = ecg_grid + lag0 + drift * (ecg_grid - ecg_grid[0])
    inside = (on_mcg_clock >= mcg_grid[0]) & (on_mcg_clock <= mcg_grid[-1])
    if inside.sum() / target < min_overlap:
        raise ValueError(
            f"ecg and mcg overlap for {inside.sum() / target:.1f} s once aligned, less than "
            f"min_overlap={min_overlap:g} s."
        )
    mcg_aligned = np.stack([np.interp(on_mcg_clock[inside], mcg_grid, ch) for ch in mcg_u])
    return Bunch(
        ecg=ecg_u[:, inside], mcg=mcg_aligned, times=ecg_grid[inside], sfreq=target,
        lag=float(lag0), drift_ppm=float(1e6 * drift), lags=lags, lag_times=lag_times,
        ecg_sfreq=rates["ecg"][0], mcg_sfreq=rates["mcg"][0],
        ecg_jitter=rates["ecg"][1], mcg_jitter=rates["mcg"][1],
    )


def _check_stream(times, values, name, max_gap):
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or not np.all(np.isfinite(times)):
        raise ValueError(f"{name}_times must be a 1-D array of finite seconds; got shape "
                         f"{times.shape}.")
    values = check_signals(np.atleast_2d(values)[np.newaxis], name=name)[0]
    if values.shape[-1] != len(times):
        raise ValueError(
            f"{name} has {values.shape[-1]} samples but {name}_times has {len(times)} "
            "timestamps; give one timestamp per sample."
        )
    check_timestamps(times, f"{name}_times", max_gap)
    return times, values


def check_timestamps(times, name, max_gap, first_row=0):
    """Raise, naming the row, unless ``times`` increase strictly with no gap over ``max_gap``.

    Rows are numbered from ``first_row`` (0 for array indices, the file line of
    the first value for a file).
    """
    steps = np.diff(times)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise ValueError(
            f"{name} must be strictly increasing; row {i + first_row} ({float(times[i])!r} s) "
            f"does not come after row {i - 1 + first_row} ({float(times[i - 1])!r} s): "
            "duplicated or out-of-order timestamps."
        )
    if np.any(steps > max_gap):
        i = int(np.flatnonzero(steps > max_gap)[0]) + 1
        raise ValueError(
            f"{name} jumps by {steps[i - 1]:.3g} s before row {i + first_row}, more than "
            f"max_gap={max_gap:g} s; split the recording at that gap."
        )


def sampling_rate(times):
    """Sampling rate (Hz) from the median interval, and the intervals' relative jitter."""
    steps = np.diff(times)
    median = np.median(steps)
    return float(1.0 / median), float(np.std(steps) / median)


def _to_rate(times, values, rate, target):
    """Uniform at its own rate (interpolation), then at ``target`` (resample_poly)."""
    uniform = times[0] + np.arange(int((times[-1] - times[0]) * rate) + 1) / rate
    values = np.stack([np.interp(uniform, times, ch) for ch in values])
    ratio = Fraction(target / rate).limit_denominator(1000)
    if ratio != 1:
        values = signal.resample_poly(values, ratio.numerator, ratio.denominator, axis=-1)
    grid = times[0] + np.arange(values.shape[-1]) / (rate * ratio.numerator / ratio.denominator)
    return grid, values


def _qrs_energy(values, sfreq):
    """QRS energy as in Pan-Tompkins: band-passed to the QRS band, differentiated,
    squared, summed over channels, smoothed and standardised (hum and drift stay out)."""
    sos = signal.butter(2, QRS_BAND, btype="bandpass", fs=sfreq, output="sos")
    band = signal.sosfiltfilt(sos, values, axis=-1)
    energy = (np.diff(band, axis=-1, prepend=band[:, :1]) ** 2).sum(axis=0)
    width = max(1, int(ENVELOPE_SMOOTHING * sfreq))
    energy = np.convolve(energy, np.ones(width) / width, mode="same")
    return (energy - energy.mean()) / (energy.std() or 1.0)


def _measure_lags(ecg_grid, ecg, mcg_grid, mcg, sfreq, max_lag, min_overlap):
    """Lag (MCG clock minus ECG clock, s) in stretches of the ECG, with their mid-times."""
    start, stop = max(ecg_grid[0], mcg_grid[0] - max_lag), min(ecg_grid[-1], mcg_grid[-1] + max_lag)
    if stop - start < min_overlap:
        raise ValueError(
            f"ecg ({ecg_grid[0]:.3g}-{ecg_grid[-1]:.3g} s) and mcg ({mcg_grid[0]:.3g}-"
            f"{mcg_grid[-1]:.3g} s) overlap for {max(stop - start, 0):.1f} s, less than "
            f"min_overlap={min_overlap:g} s (with max_lag={max_lag:g} s)."
        )
    ecg_energy, mcg_energy = _qrs_energy(ecg, sfreq), _qrs_energy(mcg, sfreq)
    edges = np.linspace(start + max_lag, stop - max_lag, N_LAG_WINDOWS + 1)
    lag_times, lags = [], []
    max_shift = int(round(max_lag * sfreq))
    for lo, hi in zip(edges[:-1], edges[1:]):
        i0, i1 = np.searchsorted(ecg_grid, [lo, hi])
        piece = ecg_energy[i0:i1]
        j0 = np.searchsorted(mcg_grid, ecg_grid[i0]) - max_shift
        j0 = max(j0, 0)
        target = mcg_energy[j0 : j0 + len(piece) + 2 * max_shift]
        if len(target) < len(piece):
            continue
        score = signal.correlate(target, piece, mode="valid")
        k = int(np.argmax(score))
        k_fine = k + _parabolic_peak(score, k)
        lags.append(mcg_grid[j0] + k_fine / sfreq - ecg_grid[i0])
        lag_times.append((ecg_grid[i0] + ecg_grid[i1 - 1]) / 2.0)
    if len(lags) < 2:
        raise ValueError("ecg and mcg overlap too little to measure their lag; lower max_lag.")
    return np.array(lag_times), np.array(lags)


def _parabolic_peak(score, k):
    """Sub-sample offset of a correlation peak from the parabola through three points."""
    if 0 < k < len(score) - 1:
        left, mid, right = score[k - 1 : k + 2]
        denom = left - 2 * mid + right
        if denom != 0:
            return 0.5 * (left - right) / denom
    return 0.0
