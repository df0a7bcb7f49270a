import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_ecgmcg.preprocessing import (
    BandpassFilter,
    BeatSegmenter,
    detect_r_peaks,
    segment_beats,
)
from sklearn_ecgmcg.preprocessing._rpeaks import _r_peak_f1

SFREQ = 500.0
N_BEFORE, N_AFTER = 125, 225  # default window: -0.25 s to +0.45 s at 500 Hz
N_WINDOW = N_BEFORE + N_AFTER + 1

# (delay from R in s, amplitude, width in s) of P, Q, R, S and T
WAVES = [(-0.18, 0.12, 0.025), (-0.025, -0.12, 0.008), (0.0, 1.0, 0.01), (0.025, -0.25, 0.008)]


def synthetic_records(rng, n_records=3, n_channels=12, duration=10.0, t_amplitude=0.3, noise=0.02):
    """Beat trains with irregular RR, one morphology scaled per channel, plus wander
    and white noise. Returns X of shape (n_records, n_channels, n_times) and the R peaks."""
    n_times = int(duration * SFREQ)
    t = np.arange(n_times) / SFREQ
    waves = WAVES + [(0.28, t_amplitude, 0.045)]
    X, peaks = [], []
    for _ in range(n_records):
        r_times = np.cumsum(np.r_[rng.uniform(0.3, 0.7), rng.uniform(0.6, 1.1, size=20)])
        r_times = r_times[r_times < duration - 0.2]
        shape = sum(
            a * np.exp(-((t[:, None] - r_times - d) ** 2) / (2 * w**2)).sum(axis=1) for d, a, w in waves
        )
        gains = rng.choice([-1, 1], n_channels) * rng.uniform(0.3, 1.0, n_channels)
        wander = 0.2 * np.sin(2 * np.pi * 0.3 * t + rng.uniform(0, 2 * np.pi, (n_channels, 1)))
        X.append(gains[:, None] * shape + wander + noise * rng.normal(size=(n_channels, n_times)))
        peaks.append(np.round(r_times * SFREQ).astype(int))
    return np.stack(X), peaks


@pytest.fixture(scope="module")
def ecg():
    return synthetic_records(np.random.default_rng(1))


@pytest.fixture(scope="module")
def mcg():
    return synthetic_records(np.random.default_rng(2), n_channels=36, t_amplitude=0.5, noise=0.05)


# --- detection ---------------------------------------------------------------


def test_xqrs_finds_synthetic_ecg_peaks(ecg):
    X, truth = ecg
    assert _r_peak_f1(truth, detect_r_peaks(X, sfreq=SFREQ, detector="xqrs"), sfreq=SFREQ) == 1.0


def test_rms_finds_synthetic_mcg_peaks_and_auto_picks_it(mcg):
    X, truth = mcg
    found = detect_r_peaks(X, sfreq=SFREQ)
    assert _r_peak_f1(truth, found, sfreq=SFREQ) == 1.0
    for a, b in zip(found, detect_r_peaks(X, sfreq=SFREQ, detector="rms")):
        np.testing.assert_array_equal(a, b)


def test_xqrs_at_100_hz_and_beats_near_the_record_start(ecg):
    X, truth = ecg
    found = detect_r_peaks(X[..., ::5], sfreq=SFREQ / 5)
    assert _r_peak_f1([np.round(t / 5) for t in truth], found, sfreq=SFREQ / 5, tolerance=0.02) == 1.0
    # XQRS alone skips beats in its first ~200 ms; a beat at 0.1 s is found
    starts = [t[1] - 50 for t in truth]  # records cut to begin 0.1 s before a beat
    late_start = np.stack([x[:, start : start + 4000] for x, start in zip(X, starts)])
    assert [p[0] for p in detect_r_peaks(late_start, sfreq=SFREQ)] == pytest.approx([50] * 3, abs=2)


def test_single_channel_records(ecg):
    X, truth = ecg
    found = detect_r_peaks(X[:, 0], sfreq=SFREQ)
    assert _r_peak_f1(truth, found, sfreq=SFREQ) == 1.0


def test_no_peaks_in_a_flat_record():
    found = detect_r_peaks(np.zeros((2, 3, 2000)), sfreq=SFREQ)
    assert [len(p) for p in found] == [0, 0]


def test_r_peak_f1_counts_misses_and_false_detections():
    truth = [np.array([100, 600, 1100])]
    assert _r_peak_f1(truth, [np.array([103, 600, 1100])], sfreq=SFREQ) == 1.0
    # 6 samples = 12 ms is outside the 10 ms tolerance; one extra detection
    assert _r_peak_f1(truth, [np.array([106, 600, 1100, 1500])], sfreq=SFREQ) == pytest.approx(4 / 7)
    # one detection cannot match two true peaks
    assert _r_peak_f1([np.array([100, 104])], [np.array([102])], sfreq=SFREQ) == pytest.approx(2 / 3)


def test_detector_name_is_checked(ecg):
    with pytest.raises(ValueError, match="detector must be one of"):
        detect_r_peaks(ecg[0], sfreq=SFREQ, detector="pan-tompkins")


# --- segment_beats -----------------------------------------------------------


def test_beats_are_windows_around_the_peaks(ecg):
    X, _ = ecg
    result = segment_beats(X, sfreq=SFREQ)
    assert result.X.shape == (len(result.groups), 12, N_WINDOW)
    np.testing.assert_allclose(result.times[[0, N_BEFORE, -1]], [-0.25, 0.0, 0.45])
    np.testing.assert_array_equal(result.groups, np.repeat([0, 1, 2], [len(p) for p in result.peaks]))
    beat = 0
    for record, peaks in enumerate(result.peaks):
        for peak in peaks:
            np.testing.assert_array_equal(result.X[beat], X[record, :, peak - N_BEFORE : peak + N_AFTER + 1])
            beat += 1
    assert result.y is None
    assert len(result.empty_records) == 0


def test_windows_past_the_edges_are_skipped(ecg):
    X, _ = ecg
    all_peaks = detect_r_peaks(X, sfreq=SFREQ)
    kept = segment_beats(X, sfreq=SFREQ).peaks
    n_times = X.shape[-1]
    for found, used in zip(all_peaks, kept):
        inside = (found >= N_BEFORE) & (found + N_AFTER < n_times)
        np.testing.assert_array_equal(used, found[inside])
    assert any(len(u) < len(f) for f, u in zip(all_peaks, kept))  # the data has edge beats


def test_paired_signal_is_cut_at_the_peaks_of_X(ecg, rng):
    X, _ = ecg
    y = rng.normal(size=(3, 5, X.shape[-1]))
    result = segment_beats(X, y, sfreq=SFREQ)
    assert result.y.shape == (len(result.groups), 5, N_WINDOW)
    record, peak = result.groups[-1], result.peaks[-1][-1]
    np.testing.assert_array_equal(result.y[-1], y[record, :, peak - N_BEFORE : peak + N_AFTER + 1])
    single = segment_beats(X, y[:, 0], sfreq=SFREQ).y  # 2-D y of X's length: one-channel signal
    np.testing.assert_array_equal(single, result.y[:, 0])


def test_per_record_labels_are_repeated(ecg):
    X, _ = ecg
    labels = np.array(["NORM", "MI", "CD"])
    result = segment_beats(X, labels, sfreq=SFREQ)
    np.testing.assert_array_equal(result.y, labels[result.groups])
    multi_hot = np.eye(3, 5, dtype=int)
    np.testing.assert_array_equal(segment_beats(X, multi_hot, sfreq=SFREQ).y, multi_hot[result.groups])


def test_two_d_input_gives_two_d_beats_and_keeps_float32(ecg):
    X = ecg[0][:, 0].astype(np.float32)
    X_before = X.copy()
    result = segment_beats(X, sfreq=SFREQ)
    assert result.X.shape == (len(result.groups), N_WINDOW)
    assert result.X.dtype == np.float32
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize(
    "y, match",
    [
        (np.zeros(2), r"one label \(row\) per record, 3 in all; got shape \(2,\)"),
        (np.zeros((3, 2, 4000)), "X's 3 records and 5000 time samples"),
        (np.zeros((2, 5000)), "X's 3 records and 5000 time samples"),
    ],
)
def test_mismatched_y_is_rejected(ecg, y, match):
    with pytest.raises(ValueError, match=match):
        segment_beats(ecg[0], y, sfreq=SFREQ)


@pytest.mark.parametrize("tmin, tmax", [(0.1, 0.4), (-0.2, 0.0), (-0.2, -0.1)])
def test_window_must_contain_the_peak(ecg, tmin, tmax):
    with pytest.raises(ValueError, match="need tmin < 0 < tmax"):
        segment_beats(ecg[0], sfreq=SFREQ, tmin=tmin, tmax=tmax)


def test_window_longer_than_records_is_rejected():
    with pytest.raises(ValueError, match="351 samples at sfreq=500.0 Hz, longer than the records \\(300"):
        segment_beats(np.zeros((1, 300)), sfreq=SFREQ)


def test_records_without_beats_are_reported(ecg):
    X = ecg[0].copy()
    X[1] = 0.0
    with pytest.warns(UserWarning, match=r"1 of 3 records gave no complete beat \(records \[1\]\)"):
        result = segment_beats(X, sfreq=SFREQ)
    np.testing.assert_array_equal(result.empty_records, [1])
    assert 1 not in result.groups and len(result.peaks[1]) == 0
    with pytest.raises(ValueError, match=r"records \[1\]"):
        segment_beats(X, sfreq=SFREQ, on_empty="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ignored = segment_beats(X, sfreq=SFREQ, on_empty="ignore")
    np.testing.assert_array_equal(ignored.empty_records, [1])
    with pytest.raises(ValueError, match="on_empty must be"):
        segment_beats(X, sfreq=SFREQ, on_empty="drop")


# --- BeatSegmenter -----------------------------------------------------------


def test_transform_gives_the_median_beat_per_record(ecg):
    X, _ = ecg
    medians = BeatSegmenter(sfreq=SFREQ).fit_transform(X)
    assert medians.shape == (3, 12, N_WINDOW)
    beats = segment_beats(X, sfreq=SFREQ)
    np.testing.assert_allclose(medians[2], np.median(beats.X[beats.groups == 2], axis=0))
    # the R wave of the median beat sits at time 0 (true peaks fall between samples)
    assert abs(np.argmax(np.abs(medians[0, 0])) - N_BEFORE) <= 1
    assert BeatSegmenter(sfreq=SFREQ).transform(X[:, 0]).shape == (3, N_WINDOW)


def test_transform_raises_for_a_record_without_beats(ecg):
    X = ecg[0].copy()
    X[2] = 0.0
    with pytest.raises(ValueError, match=r"Records \[2\] of X gave no complete beat"):
        BeatSegmenter(sfreq=SFREQ).transform(X)


def test_fit_resample_with_paired_signal_and_labels(ecg, rng):
    X, _ = ecg
    mcg = rng.normal(size=(3, 4, X.shape[-1]))
    seg = BeatSegmenter(sfreq=SFREQ)
    X_beats, y_beats = seg.fit_resample(X, mcg)
    expected = segment_beats(X, mcg, sfreq=SFREQ)
    np.testing.assert_array_equal(X_beats, expected.X)
    np.testing.assert_array_equal(y_beats, expected.y)
    np.testing.assert_array_equal(seg.sample_indices_, expected.groups)
    assert seg.n_features_in_ == 12 * X.shape[-1]
    _, labels = seg.fit_resample(X, np.array([0, 1, 1]))
    np.testing.assert_array_equal(labels, np.array([0, 1, 1])[seg.sample_indices_])
    X_only, nothing = seg.fit_resample(X)
    assert nothing is None and len(X_only) == len(X_beats)


def test_segmenter_needs_sfreq_and_checks_parameters(ecg):
    with pytest.raises(ValueError, match="needs the sampling rate"):
        BeatSegmenter().fit(ecg[0])
    with pytest.raises(ValueError, match="tmax"):
        BeatSegmenter(sfreq=SFREQ, tmax=-0.1).transform(ecg[0])


def test_plain_pipeline_filter_segment_classify(ecg):
    X, _ = ecg
    X = np.concatenate([X, -X])  # class 1: inverted polarity
    y = np.repeat([0, 1], 3)
    flatten = FunctionTransformer(lambda beats: beats.reshape(len(beats), -1))
    pipe = make_pipeline(
        BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=SFREQ),
        BeatSegmenter(sfreq=SFREQ),
        flatten,
        LogisticRegression(),
    )
    assert pipe[:2].fit_transform(X).shape == (6, 12, N_WINDOW)
    np.testing.assert_array_equal(pipe.fit(X, y).predict(X), y)


# --- real data ---------------------------------------------------------------


def test_ptbxl_heart_rates_are_physiological(ptbxl_path):
    """Fold 1 (58 records) of the shared PTB-XL subset; benchmarks/bench_preprocessing.py
    runs all 434."""
    from sklearn_ecgmcg.datasets import load_ptbxl

    data = load_ptbxl(ptbxl_path, sampling_rate=500, folds=[1])
    result = segment_beats(data.ecg, data.target, sfreq=data.sfreq)
    heart_rate = np.array([60 * data.sfreq / np.median(np.diff(p)) for p in result.peaks])
    assert np.mean((heart_rate >= 30) & (heart_rate <= 200)) >= 0.95
    assert len(result.empty_records) == 0
    assert result.y.shape[0] == result.X.shape[0]


# --- simulated paired ECG + MCG (true R peaks known) -------------------------


@pytest.fixture(scope="module")
def paired():
    from sklearn_ecgmcg.datasets import simulate_paired_recordings

    return simulate_paired_recordings(
        n_subjects=6, duration=10.0, sfreq=SFREQ, noise="shielded", random_state=0
    )


@pytest.mark.parametrize(
    "modality, detector, tolerance", [("ecg", "xqrs", 0.01), ("mcg", "rms", 0.02)]
)
def test_detection_f1_on_simulated_recordings(paired, modality, detector, tolerance):
    """F1 >= 0.99 within 10 ms (ECG) or 20 ms (MCG); peaks within 0.1 s of a record
    edge (QRS cut by the edge, no beat window possible) are not scored.

    The true R peak is the heart vector's peak; the MCG's RMS peaks up to 20 ms from
    it, because the MCG weighs the double layer's patches by its own lead field."""
    X = paired[modality]
    found = detect_r_peaks(X, sfreq=SFREQ)  # "auto": 12 ECG leads -> xqrs, 36 MCG -> rms
    for auto, chosen in zip(found, detect_r_peaks(X, sfreq=SFREQ, detector=detector)):
        np.testing.assert_array_equal(auto, chosen)
    f1 = _r_peak_f1(paired.r_peaks, found, sfreq=SFREQ, tolerance=tolerance,
                    n_times=X.shape[-1], margin=0.1)
    assert f1 >= 0.99


def test_ecg_and_mcg_beats_line_up_sample_for_sample(paired):
    X_beats, y_beats = BeatSegmenter(sfreq=SFREQ).fit_resample(paired.ecg, paired.mcg)
    seg = BeatSegmenter(sfreq=SFREQ)
    _, clean_mcg = seg.fit_resample(paired.ecg, paired.mcg_clean)
    assert X_beats.shape[0] == y_beats.shape[0] == clean_mcg.shape[0]
    assert y_beats.shape[1:] == (paired.mcg.shape[1], N_WINDOW)
    # the same instants cut both: each MCG beat is the MCG at the ECG's R peak
    record, peak = seg.sample_indices_[-1], seg.peaks_[seg.sample_indices_[-1]][-1]
    np.testing.assert_array_equal(y_beats[-1], paired.mcg[record, :, peak - N_BEFORE : peak + N_AFTER + 1])
    # and the magnetic R peak sits within 20 ms of time 0 of the beats cut at the
    # electric R peaks (the two lead fields weigh the heart's patches differently)
    mcg_peak = np.argmax(np.sqrt((clean_mcg**2).mean(axis=1)), axis=1)
    assert np.mean(np.abs(mcg_peak - N_BEFORE) <= 0.02 * SFREQ) >= 0.99
