"""Finding and removing mains hum: detect_mains_frequency and BandpassFilter(notch_freq="auto")."""

import numpy as np
import pytest
from scipy import signal

from sklearn_ecgmcg.datasets import simulate_paired_recordings
from sklearn_ecgmcg.preprocessing import BandpassFilter, detect_mains_frequency
from sklearn_ecgmcg.preprocessing._mains import mains_harmonics

SFREQ = 500.0


@pytest.fixture(scope="module")
def ecg():
    rec = simulate_paired_recordings(n_subjects=2, duration=8.0, noise="none", random_state=0)
    return rec.ecg_clean.astype(np.float64)


def _with_hum(x, mains, sfreq=SFREQ, scale=10.0, seed=0):
    """Hum at ``scale`` times the ECG's peak amplitude, 30 % second harmonic, random phases."""
    rng = np.random.default_rng(seed)
    t = np.arange(x.shape[-1]) / sfreq
    amplitude = scale * np.abs(x).max()
    phase = rng.uniform(0, 2 * np.pi, x.shape[:-1] + (1,))
    hum = np.sin(2 * np.pi * mains * t + phase) + 0.3 * np.sin(4 * np.pi * mains * t + 2 * phase)
    return x + amplitude * hum


def _line_power(x, line, sfreq=SFREQ):
    freqs, power = signal.welch(x, fs=sfreq, nperseg=int(2 * sfreq), axis=-1)
    return power[..., np.abs(freqs - line) <= 1.0].sum()


@pytest.mark.parametrize("mains", [50.0, 60.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hum_ten_times_the_ecg_is_found(ecg, mains, seed):
    assert detect_mains_frequency(_with_hum(ecg, mains, seed=seed), SFREQ) == mains


def test_no_hum_means_no_notch(ecg):
    assert detect_mains_frequency(ecg, SFREQ) is None
    auto = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=SFREQ, notch_freq="auto").fit(ecg)
    assert auto.notch_freq_ is None
    plain = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=SFREQ)
    np.testing.assert_array_equal(auto.transform(ecg), plain.fit_transform(ecg))


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_auto_notch_removes_the_hum_and_its_harmonics_and_keeps_the_ecg(ecg, mains):
    noisy = _with_hum(ecg, mains)
    before = noisy.copy()
    filt = BandpassFilter(l_freq=None, h_freq=None, sfreq=SFREQ, notch_freq="auto")
    cleaned = filt.fit_transform(noisy)
    np.testing.assert_array_equal(noisy, before)  # the input is left alone
    assert filt.notch_freq_ == mains
    inside = slice(int(SFREQ), -int(SFREQ))  # the notch rings for ~1 s at each edge
    for line in (mains, 2 * mains):
        assert _line_power(cleaned[..., inside], line) < 1e-4 * _line_power(noisy, line)
    corr = np.corrcoef(cleaned[..., inside].ravel(), ecg[..., inside].ravel())[0, 1]
    assert corr > 0.999


def test_auto_notch_alone_returns_a_copy_when_there_is_no_hum(ecg):
    filt = BandpassFilter(l_freq=None, h_freq=None, sfreq=SFREQ, notch_freq="auto")
    out = filt.fit_transform(ecg)
    np.testing.assert_array_equal(out, ecg)
    assert out is not ecg and filt.sos_ is None


def test_harmonics_stop_below_nyquist():
    assert mains_harmonics(50.0, 250.0) == [50.0, 100.0]
    assert mains_harmonics(60.0, 250.0) == [60.0, 120.0]
    assert mains_harmonics(60.0, 500.0) == [60.0, 120.0, 180.0, 240.0]
    assert mains_harmonics(60.0, 100.0) == []


def test_candidates_above_nyquist_are_skipped(ecg):
    slow = ecg[..., ::5]  # 100 Hz: 50 and 60 Hz lie at or above Nyquist
    assert detect_mains_frequency(slow, SFREQ / 5) is None


def test_bad_notch_freq_is_rejected():
    with pytest.raises(ValueError, match="notch_freq"):
        BandpassFilter(sfreq=SFREQ, notch_freq="mains").fit(np.zeros((1, 1000)))
