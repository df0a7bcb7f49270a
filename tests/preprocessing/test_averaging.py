"""ECG-triggered averaging of a noisy one-channel MCG (average_beats)."""

import numpy as np
import pytest

from sklearn_ecgmcg.datasets import simulate_paired_recordings
from sklearn_ecgmcg.preprocessing import BandpassFilter, average_beats

CHANNEL = 14  # one sensor near the middle of the 6 x 6 grid


@pytest.fixture(scope="module")
def lab():
    """A 100-beat unshielded record, one MCG channel buried at beat-locked SNR 0.05."""
    rec = simulate_paired_recordings(n_subjects=1, duration=101.0, noise="unshielded",
                                     heart_rate=(60.0, 60.0), random_state=0, dtype=np.float64)
    clean = rec.mcg_clean[0, CHANNEL]
    noise = rec.mcg[0, CHANNEL] - clean  # unshielded: drift, mains, SQUID noise
    noise *= np.sqrt(clean.var() / 0.05 / noise.var())  # beat-locked variance 1/20 of the rest
    band = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=rec.sfreq)
    return dict(
        sfreq=rec.sfreq, raw_snr=clean.var() / noise.var(),
        ecg=band.fit_transform(rec.ecg[:, 1])[0],
        mcg=band.fit_transform((clean + noise)[None])[0],
        clean=band.fit_transform(clean[None])[0],
    )


def test_a_hundred_beats_bring_the_buried_mcg_beat_out(lab):
    assert lab["raw_snr"] == pytest.approx(0.05)
    result = average_beats(lab["ecg"], lab["mcg"], sfreq=lab["sfreq"])
    truth = average_beats(lab["ecg"], lab["clean"], sfreq=lab["sfreq"])
    assert 95 <= result.n_beats <= 101
    assert np.corrcoef(result.mcg[0], truth.mcg[0])[0, 1] >= 0.95


def test_the_snr_report_matches_the_noise_it_estimates(lab):
    result = average_beats(lab["ecg"], lab["mcg"], sfreq=lab["sfreq"], ch_names=["MCG-r3c3"])
    truth = average_beats(lab["ecg"], lab["clean"], sfreq=lab["sfreq"])
    true_snr = np.mean(truth.mcg**2) / np.mean((result.mcg - truth.mcg) ** 2)
    # within 5 dB: the plus-minus estimate misses drift that changes slowly from beat to beat
    assert abs(10 * np.log10(result.snr[0] / true_snr)) < 5.0
    assert result.single_beat_snr[0] == pytest.approx(result.snr[0] / result.n_beats)
    assert result.beats_for_20db[0] == int(np.ceil(100 / result.single_beat_snr[0]))
    assert result.report.splitlines()[1].startswith("MCG-r3c3: SNR")
    assert f"after {result.n_beats} beats" in result.report


def test_beats_with_a_corrupted_ecg_are_left_out(lab):
    ecg = lab["ecg"].copy()
    peaks = average_beats(ecg, lab["mcg"], sfreq=lab["sfreq"]).peaks
    bad = peaks[[10, 30, 50]]
    rng = np.random.default_rng(1)
    for p in bad:  # an artefact over the whole beat window
        ecg[p - 100 : p + 200] = rng.normal(0, 1.0, 300)
    result = average_beats(ecg, lab["mcg"], sfreq=lab["sfreq"])
    rejected = result.peaks[~result.kept]
    assert len(rejected) >= 3  # the detector's peaks inside the artefacts
    # every rejected peak lies in or next to an artefact, and only those are rejected
    assert all(np.any((r - bad > -150) & (r - bad < 250)) for r in rejected)
    assert result.quality[result.kept].min() > 0.9


def test_bad_input_is_rejected_before_work(lab):
    with pytest.raises(ValueError, match="min_correlation"):
        average_beats(lab["ecg"], lab["mcg"], sfreq=lab["sfreq"], min_correlation=1.5)
    with pytest.raises(ValueError, match="paired signal must have X's 1 records and"):
        average_beats(lab["ecg"], lab["mcg"][:-10], sfreq=lab["sfreq"])
    with pytest.raises(ValueError, match="channels-last"):
        average_beats(lab["ecg"][:, None], lab["mcg"], sfreq=lab["sfreq"])
