import numpy as np
import pytest
from scipy import signal
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ecgmcg.preprocessing import BandpassFilter

SFREQ = 500.0


def sine(freq, duration=10.0, sfreq=SFREQ, amplitude=1.0):
    t = np.arange(int(duration * sfreq)) / sfreq
    return amplitude * np.sin(2 * np.pi * freq * t)


def gain(filt, freq, duration=10.0):
    """Gain of ``filt`` at ``freq``: the output's amplitude at that frequency (lock-in)."""
    x = sine(freq, duration)[np.newaxis]
    out = filt.fit_transform(x)[0]
    middle = slice(len(out) // 4, 3 * len(out) // 4)  # away from the edge transients
    t = np.arange(len(out))[middle] / SFREQ
    return 2 * np.abs(np.mean(out[middle] * np.exp(-2j * np.pi * freq * t)))


@pytest.mark.parametrize("shape", [(3, 1000), (3, 12, 1000)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_are_kept(shape, dtype, rng):
    X = rng.normal(size=shape).astype(dtype)
    out = BandpassFilter(sfreq=SFREQ).fit_transform(X)
    assert out.shape == shape
    assert out.dtype == dtype


def test_integer_input_gives_float64():
    X = np.arange(3000).reshape(3, 1000) % 7
    assert BandpassFilter(sfreq=SFREQ).fit_transform(X).dtype == np.float64


def test_passband_kept_stopbands_removed():
    filt = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=SFREQ, order=4)
    assert gain(filt, 10.0) == pytest.approx(1.0, abs=0.01)
    # forward-backward squares the Butterworth response: -6 dB at the cut-offs
    assert gain(filt, 40.0) == pytest.approx(0.5, abs=0.02)
    assert gain(filt, 100.0) < 1e-3
    assert gain(filt, 0.05, duration=120.0) < 1e-3


def test_zero_phase_keeps_peak_position():
    t = np.arange(5000) / SFREQ
    x = np.exp(-((t - 4.32) ** 2) / (2 * 0.012**2)) + 0.3 * np.sin(2 * np.pi * 0.2 * t)
    out = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=SFREQ).fit_transform(x[np.newaxis])[0]
    assert np.argmax(out) == 2160  # 4.32 s, where the spike peaks


def test_lowpass_mode_keeps_offset_and_removes_high_frequencies():
    filt = BandpassFilter(l_freq=None, h_freq=40.0, sfreq=SFREQ)
    offset = np.full((1, 2000), 3.0)
    np.testing.assert_allclose(filt.fit_transform(offset), offset, atol=1e-9)
    assert gain(filt, 100.0) < 1e-3


def test_highpass_mode_keeps_high_frequencies_and_removes_drift():
    filt = BandpassFilter(l_freq=0.5, h_freq=None, sfreq=SFREQ)
    assert gain(filt, 150.0) == pytest.approx(1.0, abs=0.01)
    assert gain(filt, 0.05, duration=120.0) < 1e-3


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_notch_removes_mains_only(mains):
    filt = BandpassFilter(l_freq=None, h_freq=None, sfreq=SFREQ, notch_freq=mains)
    assert gain(filt, mains) < 0.01
    assert gain(filt, 10.0) == pytest.approx(1.0, abs=0.01)
    assert gain(filt, mains + 10.0) > 0.95


def test_notch_combines_with_bandpass():
    filt = BandpassFilter(l_freq=0.5, h_freq=100.0, sfreq=SFREQ, notch_freq=50.0)
    assert gain(filt, 50.0) < 0.01
    assert gain(filt, 20.0) > 0.95


def test_transform_needs_no_fit_and_input_is_not_modified(rng):
    X = rng.normal(size=(2, 3, 1000))
    X_before = X.copy()
    out = BandpassFilter(sfreq=SFREQ).transform(X)
    np.testing.assert_array_equal(X, X_before)
    assert not np.shares_memory(out, X)


def test_fit_sets_attributes():
    filt = BandpassFilter(sfreq=SFREQ).fit(np.zeros((2, 3, 1000)))
    assert filt.n_features_in_ == 3000
    assert filt.sos_.shape == (4, 6)
    # stateless: other record lengths are accepted after fit
    assert filt.transform(np.zeros((1, 3, 500))).shape == (1, 3, 500)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"h_freq": 250.0}, r"h_freq=250.0 Hz must be below the Nyquist frequency sfreq/2 = 250.0"),
        ({"h_freq": None, "l_freq": 300.0}, "l_freq=300.0 Hz must be below the Nyquist"),
        ({"notch_freq": 260.0}, "notch_freq=260.0 Hz must be below the Nyquist"),
        ({"l_freq": 40.0, "h_freq": 40.0}, "l_freq=40.0 Hz must be below h_freq=40.0 Hz"),
        ({"l_freq": None, "h_freq": None}, "all None, so the filter would do nothing"),
        ({"sfreq": None}, "needs the sampling rate: pass sfreq"),
    ],
)
def test_impossible_parameters_are_explained(params, match):
    filt = BandpassFilter(**{"sfreq": SFREQ, **params})
    X = np.zeros((1, 1000))
    for method in (filt.fit, filt.transform):
        with pytest.raises(ValueError, match=match):
            method(X)


@pytest.mark.parametrize(
    "params", [{"l_freq": -1.0}, {"h_freq": 0.0}, {"order": 0}, {"sfreq": -500.0}, {"notch_quality": 0}]
)
def test_out_of_range_parameters_are_rejected(params):
    with pytest.raises(InvalidParameterError):
        BandpassFilter(**{"sfreq": SFREQ, **params}).fit(np.zeros((1, 1000)))


@pytest.mark.parametrize("n_times", [1, 2, 10, 27])
def test_records_shorter_than_the_padding_are_padded_less_and_warn(n_times, rng):
    short = rng.normal(size=(2, 3, n_times))
    filt = BandpassFilter(sfreq=SFREQ)
    with pytest.warns(
        UserWarning,
        match=f"{n_times} time samples, fewer than the 28 this filter .* padded with "
        f"{n_times - 1} samples.*lower `order`",
    ):
        out = filt.transform(short)
    expected = signal.sosfiltfilt(filt.fit(short).sos_, short, axis=-1, padlen=n_times - 1)
    np.testing.assert_array_equal(out, expected)


def test_records_as_long_as_the_padding_use_sosfiltfilt_default(rng, recwarn):
    record = rng.normal(size=(2, 28))
    filt = BandpassFilter(sfreq=SFREQ)
    np.testing.assert_array_equal(
        filt.fit_transform(record), signal.sosfiltfilt(filt.sos_, record, axis=-1)
    )
    # a single edge of order 2 needs far fewer samples
    BandpassFilter(l_freq=None, sfreq=SFREQ, order=2).transform(rng.normal(size=(2, 27)))
    assert not [w for w in recwarn if "padded with" in str(w.message)]


def test_high_pass_on_single_beats_warns_and_says_what_to_do(rng):
    beats = rng.normal(size=(4, 12, 350))  # 0.7 s at 500 Hz
    with pytest.warns(UserWarning, match=r"0\.7 s, shorter than 3 periods of l_freq=0\.5 Hz"):
        BandpassFilter(l_freq=0.5, sfreq=SFREQ).fit_transform(beats)
    with pytest.warns(UserWarning, match="before cutting beats"):
        BandpassFilter(l_freq=0.5, h_freq=None, sfreq=SFREQ).transform(beats)


def test_no_warning_for_long_records_or_low_pass_only(rng, recwarn):
    BandpassFilter(l_freq=0.5, sfreq=SFREQ).transform(rng.normal(size=(2, 3000)))  # 6 s
    BandpassFilter(l_freq=None, h_freq=40.0, sfreq=SFREQ).transform(rng.normal(size=(2, 350)))
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_rejects_bad_signals():
    filt = BandpassFilter(sfreq=SFREQ)
    with pytest.raises(ValueError, match="NaN"):
        filt.transform(np.full((1, 1000), np.nan))
    with pytest.raises(ValueError, match="Reshape your data"):
        filt.transform(np.zeros(1000))


def test_clone_keeps_parameters():
    filt = BandpassFilter(l_freq=1.0, h_freq=30.0, sfreq=250.0, order=2, notch_freq=50.0)
    assert clone(filt).get_params() == filt.get_params()


# --------------------------------------------------------------- BaselineCorrector
def test_baseline_corrector_removes_offset_and_tilt_per_channel_and_beat():
    from sklearn_ecgmcg.preprocessing import BaselineCorrector

    rng = np.random.default_rng(0)
    t = np.arange(175) / 250.0
    wave = np.exp(-(((t - 0.35) / 0.03) ** 2))  # silent at both ends of the window
    offsets, slopes = rng.normal(size=(6, 3, 1)), rng.normal(size=(6, 3, 1))
    beats = wave + offsets + slopes * t
    original = beats.copy()
    corrected = BaselineCorrector(sfreq=250.0).fit_transform(beats)
    np.testing.assert_allclose(corrected, np.broadcast_to(wave, beats.shape), atol=1e-6)
    np.testing.assert_array_equal(beats, original)  # input untouched


def test_baseline_corrector_keeps_float32_and_waves_between_the_ends():
    from sklearn_ecgmcg.datasets import make_paired_beats
    from sklearn_ecgmcg.preprocessing import BaselineCorrector

    data = make_paired_beats(n_subjects=4, beats_per_subject=3, sfreq=250.0, random_state=0)
    corrected = BaselineCorrector(sfreq=250.0).fit_transform(data.ecg)
    assert corrected.dtype == np.float32 and corrected.shape == data.ecg.shape
    # Baseline wander is what it removes: closer to the clean ECG than the raw beats,
    # while the R wave (mid-window) keeps its height.
    error_before = np.abs(data.ecg - data.ecg_clean).mean()
    error_after = np.abs(corrected - (data.ecg_clean - data.ecg_clean[..., :10].mean(-1, keepdims=True))).mean()
    assert error_after < 0.5 * error_before
    peak = data.ecg_clean.shape[-1] * 25 // 70  # R peak at 0.25 s of the 0.7 s window
    np.testing.assert_allclose(np.abs(corrected[..., peak]).mean(),
                               np.abs(data.ecg_clean[..., peak]).mean(), rtol=0.15)
