import numpy as np
import pytest

from sklearn_ecgmcg.utils import (
    UnitsWarning,
    _validation,
    check_amplitude,
    check_paired_signals,
    check_sfreq,
    check_signals,
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 100), (4, 3, 100)])
def test_accepts_2d_and_3d_floats_and_keeps_dtype(dtype, shape):
    X = np.ones(shape, dtype=dtype)
    out = check_signals(X)
    assert out.dtype == dtype
    assert out.shape == shape


def test_integer_input_becomes_float64():
    assert check_signals(np.ones((2, 10), dtype=np.int16)).dtype == np.float64


def test_ensure_3d_adds_channel_axis():
    assert check_signals(np.ones((2, 10)), ensure_3d=True).shape == (2, 1, 10)


def test_list_input_is_accepted():
    assert check_signals([[0.0, 1.0, 2.0]]).shape == (1, 3)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rejects_non_finite_and_names_argument(bad):
    X = np.zeros((2, 3, 10))
    X[1, 2, 5] = bad
    with pytest.raises(ValueError, match="ecg contains NaN or infinite"):
        check_signals(X, name="ecg")


@pytest.mark.parametrize("shape", [(0, 10), (3, 0), (2, 0, 10), (2, 3, 0)])
def test_rejects_empty(shape):
    with pytest.raises(ValueError, match="mcg is empty"):
        check_signals(np.zeros(shape), name="mcg")


@pytest.mark.parametrize("shape", [(10,), (2, 3, 4, 5), ()])
def test_rejects_wrong_ndim(shape):
    with pytest.raises(ValueError, match="X must be 2-D .* or 3-D"):
        check_signals(np.zeros(shape))


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((2, 10)).astype(object), "X must be a numeric"),
        (np.array([["a", "b"]]), "X must be a numeric"),
        ("signal", "got a string"),
    ],
)
def test_rejects_non_numeric_types(X, match):
    with pytest.raises(TypeError, match=match):
        check_signals(X)


def test_rejects_complex_like_sklearn():
    with pytest.raises(ValueError, match="Complex data not supported: X must be real-valued"):
        check_signals(np.zeros((2, 10), dtype=complex))


def test_min_times():
    with pytest.raises(ValueError, match="X has 5 time samples; at least 10"):
        check_signals(np.zeros((1, 5)), min_times=10)


def test_input_is_never_modified_and_copy_is_independent():
    X = np.arange(20, dtype=np.float64).reshape(2, 10)
    before = X.copy()
    out = check_signals(X, copy=True)
    out[:] = 0
    np.testing.assert_array_equal(X, before)


def test_paired_length_mismatch_names_both():
    with pytest.raises(ValueError, match="ecg and mcg must hold the same number"):
        check_paired_signals(np.zeros((3, 10)), np.zeros((4, 10)), names=("ecg", "mcg"))


@pytest.mark.parametrize("sfreq, exc", [(0, ValueError), (-5.0, ValueError), (np.nan, ValueError),
                                        ("500", TypeError), (None, TypeError), (True, TypeError)])
def test_check_sfreq_rejects(sfreq, exc):
    with pytest.raises(exc, match="sfreq"):
        check_sfreq(sfreq)


def test_check_sfreq_accepts_numbers():
    assert check_sfreq(500) == 500.0
    assert check_sfreq(np.float32(250.0)) == 250.0


def test_rejects_sparse_and_hints_reshape_for_1d():
    from scipy import sparse

    with pytest.raises(TypeError, match="sparse input is not supported"):
        check_signals(sparse.csr_matrix(np.ones((2, 10))))
    with pytest.raises(ValueError, match="Reshape your data"):
        check_signals(np.zeros(10))


@pytest.fixture
def small_finite_blocks(monkeypatch):
    """Check finiteness in blocks of 2 rows of (3, 10) float32, so inputs span many blocks."""
    monkeypatch.setattr(_validation, "_FINITE_CHECK_BYTES", 2 * 3 * 10 * 4)


@pytest.mark.parametrize("row", [0, 24, 49])
def test_non_finite_found_in_any_block(small_finite_blocks, row):
    X = np.zeros((50, 3, 10), dtype=np.float32)
    X[row, 2, 9] = np.nan
    X[row, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"X contains NaN or infinite values \(2 of 1500\)"):
        check_signals(X)


def test_float32_c_contiguous_input_is_not_copied(small_finite_blocks):
    X = np.random.default_rng(0).standard_normal((50, 3, 10)).astype(np.float32)
    out = check_signals(X, ensure_3d=True, dtype=np.float32)
    assert np.shares_memory(out, X)
    assert not np.shares_memory(check_signals(X, dtype=np.float32, copy=True), X)


def test_read_only_memmap_is_checked_in_place(tmp_path, small_finite_blocks):
    path = tmp_path / "beats.f32"
    X = np.memmap(path, dtype=np.float32, mode="w+", shape=(50, 3, 10))
    X[:] = 1.0
    X[-1, -1, -1] = np.nan
    X.flush()
    mapped = np.memmap(path, dtype=np.float32, mode="r", shape=(50, 3, 10))
    with pytest.raises(ValueError, match="contains NaN"):
        check_signals(mapped, dtype=np.float32)
    X[-1, -1, -1] = 0.0
    X.flush()
    out = check_signals(mapped, ensure_3d=True, dtype=np.float32)
    assert np.shares_memory(out, mapped)


@pytest.fixture(scope="module")
def paired_beats():
    from sklearn_ecgmcg.datasets import make_paired_beats

    return make_paired_beats(n_subjects=2, beats_per_subject=4, random_state=0)


@pytest.mark.parametrize(
    "modality, scale, unit, conversion",
    [
        ("ecg", 1e-3, "V", "multiply by 1000"),
        ("ecg", 1e3, "µV", "divide by 1000"),
        ("mcg", 1e-12, "T", r"multiply by 1e\+12"),
        ("mcg", 1e-3, "nT", "multiply by 1000"),
        ("mcg", 1e3, "fT", "divide by 1000"),
    ],
)
def test_check_amplitude_names_the_likely_unit(paired_beats, modality, scale, unit, conversion):
    X = paired_beats[modality] * scale
    with pytest.warns(UnitsWarning, match=rf"^y has a typical amplitude .* looks like .* in {unit}, not .*{conversion}"):
        check_amplitude(X, modality=modality, name="y")


def test_check_amplitude_is_silent_for_mv_ecg_pt_mcg_and_flat_lines(paired_beats, recwarn):
    assert 0.2 < check_amplitude(paired_beats.ecg) < 5  # QRS of order 1 mV
    assert 5 < check_amplitude(paired_beats.mcg, modality="mcg") < 100  # tens of pT
    check_amplitude(np.random.default_rng(0).standard_normal((20, 5)))  # sklearn checks
    assert check_amplitude(np.zeros((3, 2, 50))) == 0.0
    assert not [w for w in recwarn if issubclass(w.category, UnitsWarning)]


def test_check_amplitude_reads_a_bounded_subsample(recwarn):
    # 10,000 records in V except every 40th in mV: only 256 evenly spaced records (every
    # 40th) are read, so the estimate is that of the mV records and nothing warns.
    X = np.random.default_rng(0).standard_normal((10_000, 100)) * 1e-3
    X[::40] *= 1e3
    assert 2 < check_amplitude(X) < 3.5  # 99th percentile of |N(0, 1)|: 2.58
    assert not [w for w in recwarn if issubclass(w.category, UnitsWarning)]


@pytest.mark.parametrize("shape", [(3, 5000, 12), (3, 88, 12), (3, 5000, 1), (2, 300, 36)])
def test_channels_last_signals_are_rejected_with_the_transpose_to_use(shape):
    X = np.zeros(shape)
    with pytest.raises(ValueError, match=r"channels-last .* pass X\.transpose\(0, 2, 1\)"):
        check_signals(X)
    from sklearn_ecgmcg.alignment import CrossModalAligner
    from sklearn_ecgmcg.preprocessing import BandpassFilter

    with pytest.raises(ValueError, match="channels-last"):
        BandpassFilter(l_freq=None, h_freq=40.0, sfreq=500.0).fit_transform(X)
    with pytest.raises(ValueError, match="channels-last"):
        CrossModalAligner(max_epochs=0).fit(X, np.zeros((shape[0], 36, 100)))


@pytest.mark.parametrize("shape", [(3, 12, 5000), (3, 36, 20), (3, 1, 500), (3, 64, 64)])
def test_channels_first_signals_are_accepted(shape):
    assert check_signals(np.zeros(shape)).shape == shape


def test_swapped_ecg_and_mcg_are_caught_before_fitting(paired_beats):
    from sklearn_ecgmcg.alignment import CrossModalAligner

    aligner = CrossModalAligner(max_epochs=0)
    with pytest.raises(ValueError, match=r"X and y look swapped: pass the ECG as X"):
        aligner.fit(paired_beats.mcg, paired_beats.ecg)
    assert not hasattr(aligner, "net_")
