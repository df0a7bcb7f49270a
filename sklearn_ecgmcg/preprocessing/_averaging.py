"""ECG-triggered averaging of a noisy MCG, with beat rejection and an SNR report."""

import numpy as np
from sklearn.utils import Bunch

from ..utils import check_paired_signals
from ._baseline import BaselineCorrector
from ._segment import segment_beats

__all__ = ["average_beats"]


def average_beats(ecg, mcg, *, sfreq, tmin=-0.25, tmax=0.45, min_correlation=0.8,
                  detector="auto", ch_names=None):
    """Average the MCG over the beats of one record, triggered at the ECG's R peaks.

    Single MCG beats of a lab (unshielded, one to a few channels) are buried in
    noise; averaging ``N`` beats lowers the noise power ``N`` times. R peaks are
    found in the ECG (:func:`detect_r_peaks`), each beat's **quality** is the
    correlation of its ECG with the median ECG beat (ectopic and artefact beats
    correlate poorly), and beats below ``min_correlation`` are left out of both
    averages. Each beat first loses its baseline (:class:`BaselineCorrector`), so
    drift slower than a beat does not survive the average. The **noise** of the
    average is estimated per channel from the
    plus-minus average (every other beat negated), which cancels the heartbeat
    and keeps the noise of an ``N``-beat average; it misses noise that changes
    slowly from beat to beat (drift left after the baseline correction), so on
    drifting records it can read a few dB high.

    Parameters
    ----------
    ecg : array-like of shape (n_times,) or (n_ecg_channels, n_times)
        The record's ECG in mV, on the MCG's clock (one lead is enough).
    mcg : array-like of shape (n_times,) or (n_mcg_channels, n_times)
        The record's MCG in pT (one to many channels), filtered as wanted.
    sfreq : float
        Sampling rate in Hz of both.
    tmin, tmax : float, default=-0.25, 0.45
        Beat window around the R peak in seconds.
    min_correlation : float, default=0.8
        Smallest correlation of a beat's ECG with the median ECG beat to keep it.
    detector : {"auto", "xqrs", "rms"}, default="auto"
        R-peak detector (:func:`detect_r_peaks`).
    ch_names : sequence of str, default=None
        MCG channel names for the report.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``ecg``, ``mcg``: the averaged beats ``(n_channels, n_window)``;
        ``times``: window times in s; ``peaks``: R peaks of all beats (samples);
        ``kept``: bool per beat; ``quality``: the ECG correlation per beat;
        ``n_beats``: beats averaged; ``snr``: per MCG channel, the power of the
        averaged beat over that of its noise; ``single_beat_snr``: ``snr /
        n_beats``; ``beats_for_20db``: beats that a 20 dB average needs per channel;
        ``report``: the same in words.

    Raises
    ------
    ValueError
        If ECG and MCG differ in length, if no beat is found, or if fewer than 2
        beats pass ``min_correlation``.

    Examples
    --------
    >>> from sklearn_ecgmcg.datasets import simulate_paired_recordings
    >>> from sklearn_ecgmcg.preprocessing import average_beats
    >>> rec = simulate_paired_recordings(n_subjects=1, duration=30, noise="unshielded",
    ...                                  random_state=0)
    >>> result = average_beats(rec.ecg[0, 1], rec.mcg[0, 14], sfreq=rec.sfreq)
    >>> result.mcg.shape, result.n_beats > 20
    ((1, 351), True)
    """
    if not 0.0 <= min_correlation < 1.0:
        raise ValueError(f"min_correlation must lie in [0, 1); got {min_correlation!r}.")
    ecg, mcg = (np.atleast_2d(np.asarray(a)) for a in (ecg, mcg))
    ecg, mcg = check_paired_signals(ecg[np.newaxis], mcg[np.newaxis], names=("ecg", "mcg"))
    beats = segment_beats(ecg, mcg, sfreq=sfreq, tmin=tmin, tmax=tmax, detector=detector,
                          on_empty="raise")
    # drift slower than a beat would survive averaging (and hide from the
    # plus-minus estimate): each beat loses its baseline first
    level = BaselineCorrector(sfreq=sfreq)
    beats.X, beats.y = level.fit_transform(beats.X), level.fit_transform(beats.y)
    quality = _template_correlation(beats.X)
    kept = quality >= min_correlation
    if kept.sum() < 2:
        raise ValueError(
            f"only {int(kept.sum())} of {len(kept)} beats correlate with the median ECG beat "
            f"at >= min_correlation={min_correlation}; lower it, or check the ECG."
        )
    snr = _plus_minus_snr(beats.y[kept])
    n_beats = int(kept.sum())
    result = Bunch(
        ecg=beats.X[kept].mean(axis=0), mcg=beats.y[kept].mean(axis=0), times=beats.times,
        peaks=beats.peaks[0], kept=kept, quality=quality, n_beats=n_beats, snr=snr,
        single_beat_snr=snr / n_beats,
        beats_for_20db=np.ceil(100.0 / np.maximum(snr / n_beats, 1e-12)).astype(int),
    )
    result.report = _report(result, ch_names)
    return result


def _template_correlation(ecg_beats):
    """Correlation of each beat (all its channels) with the median beat."""
    flat = ecg_beats.reshape(len(ecg_beats), -1)
    flat = flat - flat.mean(axis=1, keepdims=True)
    template = np.median(flat, axis=0)
    norms = np.linalg.norm(flat, axis=1) * np.linalg.norm(template)
    return flat @ template / np.maximum(norms, 1e-30)


def _plus_minus_snr(beats):
    """Per channel: power of the average over the noise power left in it.

    The plus-minus average (alternate beats negated, an even count) cancels the
    beat-locked signal and keeps noise of the same power as the average's.
    """
    even = beats[: len(beats) // 2 * 2]
    signs = np.where(np.arange(len(even)) % 2 == 0, 1.0, -1.0)[:, None, None]
    noise = (signs * even).mean(axis=0)
    average = beats.mean(axis=0)
    noise_power = np.mean(noise**2, axis=-1) * len(even) / len(beats)
    signal_power = np.maximum(np.mean(average**2, axis=-1) - noise_power, 0.0)
    return signal_power / np.maximum(noise_power, 1e-30)


def _report(result, ch_names):
    names = ch_names if ch_names is not None else [f"ch{i}" for i in range(len(result.snr))]
    lines = [
        f"{result.n_beats} of {len(result.kept)} beats averaged (ECG correlation with the "
        "median beat >= min_correlation)."
    ]
    for name, snr, single, needed in zip(names, result.snr, result.single_beat_snr,
                                         result.beats_for_20db):
        lines.append(
            f"{name}: SNR {10 * np.log10(max(snr, 1e-12)):.1f} dB after {result.n_beats} beats "
            f"(one beat {10 * np.log10(max(single, 1e-12)):.1f} dB); 20 dB needs about "
            f"{needed} beats."
        )
    return "\n".join(lines)
