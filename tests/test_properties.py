"""Property-based tests (hypothesis) of the filter, the segmenter, the simulator and metrics.

Retrieval accuracy under a joint permutation of the pairs is in tests/metrics/test_metrics.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.metrics import mean_reciprocal_rank, retrieval_accuracy, virtual_mcg_r2
from sklearn_ecgmcg.preprocessing import BandpassFilter, BeatSegmenter, segment_beats

FEW = settings(max_examples=15, deadline=None)
SFREQS = st.sampled_from([100.0, 250.0, 360.0, 500.0, 1000.0])
SEEDS = st.integers(0, 2**32 - 1)


@st.composite
def bandpass_settings(draw):
    sfreq = draw(SFREQS)
    l_freq = draw(st.one_of(st.none(), st.floats(0.1, 5.0)))
    h_freq = draw(st.one_of(st.none(), st.floats(10.0, 0.4 * sfreq)))
    if l_freq is None and h_freq is None:
        h_freq = 0.2 * sfreq
    return {"sfreq": sfreq, "l_freq": l_freq, "h_freq": h_freq, "order": draw(st.integers(1, 4))}


@st.composite
def signals(draw, dtype=None):
    shape = draw(st.sampled_from([(3, 400), (2, 1, 300), (2, 3, 500)]))
    dtype = dtype or draw(st.sampled_from([np.float32, np.float64]))
    return np.random.default_rng(draw(SEEDS)).standard_normal(shape).astype(dtype)


@FEW
@given(params=bandpass_settings(), X=signals())
def test_filter_keeps_shape_and_dtype(params, X):
    out = BandpassFilter(**params).transform(X)
    assert out.shape == X.shape
    assert out.dtype == X.dtype


@FEW
@given(
    params=bandpass_settings(),
    seed=SEEDS,
    a=st.floats(-10, 10),
    b=st.floats(-10, 10),
)
def test_filter_is_linear(params, seed, a, b):
    x, y = np.random.default_rng(seed).standard_normal((2, 2, 3, 400))
    filt = BandpassFilter(**params)
    combined = filt.transform(a * x + b * y)
    separate = a * filt.transform(x) + b * filt.transform(y)
    np.testing.assert_allclose(combined, separate, rtol=0, atol=1e-9 * (abs(a) + abs(b) + 1))


@FEW
@given(
    sfreq=SFREQS,
    l_freq=st.floats(0.5, 5.0),
    level=st.floats(-1e3, 1e3),
    n_times=st.integers(300, 2000),
)
def test_highpass_removes_a_constant(sfreq, l_freq, level, n_times):
    X = np.full((2, 3, n_times), level)
    out = BandpassFilter(l_freq=l_freq, h_freq=None, sfreq=sfreq).transform(X)
    np.testing.assert_allclose(out, 0.0, atol=1e-9 * max(abs(level), 1.0))


@st.composite
def pulse_records(draw):
    """Records of Gaussian R waves at random intervals; y is a linear mix of X's channels."""
    sfreq = draw(st.sampled_from([250.0, 360.0, 500.0]))
    n_records = draw(st.integers(1, 3))
    n_channels = draw(st.integers(1, 3))
    duration = draw(st.floats(3.0, 8.0))
    rng = np.random.default_rng(draw(SEEDS))
    t = np.arange(int(duration * sfreq)) / sfreq
    X = np.zeros((n_records, n_channels, len(t)))
    for record in X:
        beat_times = np.cumsum(rng.uniform(0.6, 1.2, size=int(duration / 0.6) + 1))
        waves = np.exp(-((t[:, None] - beat_times[None]) ** 2) / (2 * 0.012**2)).sum(axis=1)
        record += rng.uniform(0.5, 2.0, size=(n_channels, 1)) * waves
    mix = rng.standard_normal((draw(st.integers(1, 4)), n_channels))
    y = np.einsum("mc,rct->rmt", mix, X)
    return X, y, mix, sfreq


@settings(max_examples=10, deadline=None)
@given(data=pulse_records(), tmin=st.floats(-0.3, -0.05), tmax=st.floats(0.05, 0.5))
def test_segmented_beats_are_windows_at_valid_peaks(data, tmin, tmax):
    X, y, mix, sfreq = data
    result = segment_beats(X, y, sfreq=sfreq, tmin=tmin, tmax=tmax, on_empty="ignore")
    assert len(result.groups) > 0  # every record holds several clear R waves
    n_window = round(-tmin * sfreq) + round(tmax * sfreq) + 1
    assert result.X.shape == (len(result.groups), X.shape[1], n_window)
    assert result.times.shape == (n_window,)
    assert np.all((result.groups >= 0) & (result.groups < len(X)))
    assert np.all(np.diff(result.groups) >= 0)  # ordered by record
    before, after = round(-tmin * sfreq), round(tmax * sfreq)
    for record, peaks in enumerate(result.peaks):
        assert np.all((peaks >= before) & (peaks + after < X.shape[-1]))
        beats = result.X[result.groups == record]
        windows = np.stack([X[record, :, p - before : p + after + 1] for p in peaks])
        np.testing.assert_array_equal(beats, windows.reshape(beats.shape))
    # The paired signal is cut at the same instants: its beats are the same mix of X's.
    np.testing.assert_allclose(result.y, np.einsum("mc,bct->bmt", mix, result.X), atol=1e-9)


@settings(max_examples=5, deadline=None)
@given(data=pulse_records())
def test_segmenter_fit_resample_matches_segment_beats(data):
    X, y, _, sfreq = data
    result = segment_beats(X, y, sfreq=sfreq, on_empty="ignore")
    X_beats, y_beats = BeatSegmenter(sfreq=sfreq, on_empty="ignore").fit_resample(X, y)
    np.testing.assert_array_equal(X_beats, result.X)
    np.testing.assert_array_equal(y_beats, result.y)


@settings(max_examples=8, deadline=None)
@given(
    n_subjects=st.integers(1, 3),
    beats_per_subject=st.integers(1, 3),
    sfreq=st.sampled_from([100.0, 250.0, 500.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**31 - 1),
)
def test_make_paired_beats_shapes_dtypes_and_seed(
    n_subjects, beats_per_subject, sfreq, dtype, seed
):
    kwargs = dict(
        n_subjects=n_subjects, beats_per_subject=beats_per_subject, sfreq=sfreq,
        dtype=dtype, random_state=seed,
    )
    data = make_paired_beats(**kwargs)
    n_beats = n_subjects * beats_per_subject
    n_times = len(data.times)
    assert n_times == round(0.25 * sfreq) + round(0.45 * sfreq) + 1
    assert data.ecg.shape == (n_beats, len(data.ecg_ch_names), n_times)
    assert data.mcg.shape == (n_beats, len(data.mcg_ch_names), n_times)
    assert data.ecg.dtype == data.mcg.dtype == data.dipole.dtype == dtype
    assert np.all(np.isfinite(data.ecg)) and np.all(np.isfinite(data.mcg))
    np.testing.assert_array_equal(np.bincount(data.groups), [beats_per_subject] * n_subjects)
    assert data.times[data.r_peak_index] == 0
    again = make_paired_beats(**kwargs)
    np.testing.assert_array_equal(again.ecg, data.ecg)
    np.testing.assert_array_equal(again.mcg, data.mcg)


@st.composite
def embedding_pairs(draw):
    n, d = draw(st.integers(2, 30)), draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(SEEDS))
    query = rng.standard_normal((n, d))
    gallery = query + draw(st.floats(0.0, 3.0)) * rng.standard_normal((n, d))
    return query, gallery


@FEW
@given(pair=embedding_pairs(), metric=st.sampled_from(["cosine", "dot", "euclidean"]))
def test_mrr_is_in_zero_one(pair, metric):
    mrr = mean_reciprocal_rank(*pair, metric=metric)
    assert 1 / len(pair[0]) <= mrr <= 1.0


@FEW
@given(pair=embedding_pairs(), metric=st.sampled_from(["cosine", "dot", "euclidean"]))
def test_top_k_accuracy_grows_with_k_and_reaches_one(pair, metric):
    n = len(pair[0])
    accuracies = [retrieval_accuracy(*pair, k=k, metric=metric) for k in range(1, n + 1)]
    assert np.all(np.diff(accuracies) >= 0)
    assert accuracies[-1] == 1.0
    assert accuracies[0] >= 0.0


@st.composite
def virtual_mcg(draw):
    shape = draw(st.sampled_from([(6, 20), (5, 3, 10), (8, 2, 4)]))
    rng = np.random.default_rng(draw(SEEDS))
    y_true = rng.standard_normal(shape) * 10
    y_pred = y_true + draw(st.floats(0.0, 20.0)) * rng.standard_normal(shape)
    return y_true, y_pred, rng.permutation(shape[0])


@FEW
@given(data=virtual_mcg())
def test_r2_is_one_for_a_perfect_prediction(data):
    y_true = data[0]
    assert virtual_mcg_r2(y_true, y_true.copy()) == pytest.approx(1.0)


@FEW
@given(
    data=virtual_mcg(),
    multioutput=st.sampled_from(["uniform_average", "variance_weighted"]),
)
def test_r2_is_invariant_to_joint_permutation_of_beats(data, multioutput):
    y_true, y_pred, order = data
    score = virtual_mcg_r2(y_true, y_pred, multioutput=multioutput)
    permuted = virtual_mcg_r2(y_true[order], y_pred[order], multioutput=multioutput)
    assert permuted == pytest.approx(score, rel=1e-9, abs=1e-12)
    assert score <= 1.0
