"""Two devices, two clocks: align_streams on simulated two-device recordings."""

import numpy as np
import pytest

from sklearn_ecgmcg.datasets import align_streams, simulate_paired_recordings

OFFSET, DRIFT = 0.7371, 50e-6  # the ECG device starts 0.74 s late and runs 50 ppm fast
ECG_RATE, SECONDS = 500.0, 60.0


@pytest.fixture(scope="module")
def devices():
    """An MCG device at 1 kHz on the reference clock, an ECG device at 500 Hz on its own."""
    rec = simulate_paired_recordings(n_subjects=1, duration=70.0, sfreq=1000, noise="none",
                                     random_state=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    ecg_clock = np.arange(int(SECONDS * ECG_RATE)) / ECG_RATE + rng.normal(0, 2e-5, 30000)
    true_time = ecg_clock / (1 + DRIFT) + OFFSET
    ecg = np.stack([np.interp(true_time, rec.times, lead) for lead in rec.ecg_clean[0][:2]])
    mcg_clock = rec.times + rng.normal(0, 1e-5, len(rec.times))
    return dict(rec=rec, ecg_clock=ecg_clock, ecg=ecg, mcg_clock=mcg_clock,
                mcg=rec.mcg_clean[0][[14]], truth=lambda t: np.interp(
                    t / (1 + DRIFT) + OFFSET, rec.times, rec.mcg_clean[0][14]))


def test_drift_and_qrs_lag_without_a_shared_reference(devices):
    out = align_streams(devices["ecg_clock"], devices["ecg"], devices["mcg_clock"],
                        devices["mcg"])
    assert out.drift_ppm == pytest.approx(-1e6 * DRIFT, abs=20.0)
    # the QRS energies of the ECG and of one MCG channel peak tens of ms apart
    assert abs(out.lag - OFFSET) < 0.05
    assert out.sfreq == pytest.approx(ECG_RATE, rel=1e-4)
    assert out.mcg_sfreq == pytest.approx(1000.0, rel=1e-4) and out.ecg_jitter < 0.05


def test_a_shared_reference_gives_the_lag_within_a_sample(devices):
    sync = (devices["ecg"][1], devices["rec"].ecg_clean[0][1])  # lead II on both devices
    out = align_streams(devices["ecg_clock"], devices["ecg"], devices["mcg_clock"],
                        devices["mcg"], sync=sync)
    assert abs(out.lag - OFFSET) < 1.0 / ECG_RATE
    assert out.drift_ppm == pytest.approx(-1e6 * DRIFT, abs=20.0)
    assert out.ecg.shape[0] == 2 and out.mcg.shape == (1, out.ecg.shape[1])
    assert np.corrcoef(out.mcg[0], devices["truth"](out.times))[0, 1] > 0.99


@pytest.mark.parametrize(
    "corrupt, match",
    [
        (lambda t: np.r_[t[:100], t[99], t[101:]], r"row 100 .* duplicated or out-of-order"),
        (lambda t: np.r_[t[:500], t[500:] + 1.0], r"jumps by 1.* before row 500.*split"),
        (lambda t: t[:-3], r"has 30000 samples but ecg_times has 29997 timestamps"),
    ],
)
def test_bad_timestamps_name_the_row(devices, corrupt, match):
    with pytest.raises(ValueError, match=match):
        align_streams(corrupt(devices["ecg_clock"]), devices["ecg"], devices["mcg_clock"],
                      devices["mcg"])


def test_too_little_overlap_is_refused(devices):
    with pytest.raises(ValueError, match="overlap for .* less than min_overlap"):
        align_streams(devices["ecg_clock"][:5000], devices["ecg"][:, :5000],
                      devices["mcg_clock"], devices["mcg"])
