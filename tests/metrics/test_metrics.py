import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_ecgmcg.metrics import (
    channel_correlation,
    field_map_angle_error,
    field_map_poles,
    find_rt_peaks,
    make_retrieval_scorer,
    make_virtual_mcg_scorer,
    mean_reciprocal_rank,
    retrieval_accuracy,
    retrieval_ranks,
    retrieval_report,
    subject_retrieval_accuracy,
    virtual_mcg_r2,
)

METRICS = ["cosine", "dot", "euclidean"]

# 6 x 6 magnetometer grid at 40 mm pitch, centred on the dipole (physics.md section 4).
GRID_SIDE = 6
_coords = (np.arange(GRID_SIDE) - (GRID_SIDE - 1) / 2) * 0.04
SENSORS = np.stack(np.meshgrid(_coords, _coords, indexing="ij"), axis=-1).reshape(-1, 2)
SFREQ = 250.0
R_INDEX, T_INDEX, N_TIMES = 50, 125, 200  # T peak 0.3 s after the R peak


def dipole_bz(theta, depth=0.09, centre=(0.0, 0.0)):
    """Half-space Bz (pT) of a unit in-plane dipole at angle theta, depth below the grid."""
    moment = np.array([np.cos(theta), np.sin(theta), 0.0])
    offset = np.column_stack(
        [SENSORS[:, 0] - centre[0], SENSORS[:, 1] - centre[1], np.full(len(SENSORS), depth)]
    )
    return 1e-7 * np.cross(moment, offset)[:, 2] / np.linalg.norm(offset, axis=1) ** 3 * 1e12


def beat(r_map, t_map):
    """(n_channels, n_times) beat: R map with a narrow QRS, T map 0.3 s later, T/R 0.4."""
    times = np.arange(N_TIMES)
    qrs = np.exp(-0.5 * ((times - R_INDEX) / 3) ** 2)
    t_wave = 0.4 * np.exp(-0.5 * ((times - T_INDEX) / 12) ** 2)
    return np.outer(r_map, qrs) + np.outer(t_map, t_wave)


def rotate_grid_90(maps):
    """Rotate maps of shape (..., 36) by 90 degrees about the grid centre."""
    grids = maps.reshape(*maps.shape[:-1], GRID_SIDE, GRID_SIDE)
    return np.rot90(grids, axes=(-2, -1)).reshape(maps.shape)


@pytest.fixture
def mcg_beats():
    thetas = [0.3, 1.2, 2.5, -0.8]
    return np.stack([beat(dipole_bz(th), dipole_bz(th + 0.5)) for th in thetas])


# ----------------------------------------------------------------- retrieval


@pytest.mark.parametrize("metric", METRICS)
def test_identity_embeddings_retrieve_perfectly(metric, rng):
    z = rng.normal(size=(30, 8))
    z /= np.linalg.norm(z, axis=1, keepdims=True)  # so that "dot" ranks like cosine
    assert retrieval_accuracy(z, z, metric=metric) == 1.0
    assert mean_reciprocal_rank(z, z, metric=metric) == 1.0
    np.testing.assert_array_equal(retrieval_ranks(z, z, metric=metric), np.ones(30))


@pytest.mark.parametrize("metric", METRICS)
def test_hand_computed_ranks_with_pessimistic_ties(metric):
    query = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    gallery = np.array([[1.0, 0.1], [1.0, 0.0], [0.0, 1.0]])
    # q0 prefers g1 over its match g0; q1's match g1 is its worst; q2's match g2
    # ties with g1 and both lose to g0: ranks 2, 3, 3 under every metric.
    np.testing.assert_array_equal(retrieval_ranks(query, gallery, metric=metric), [2, 3, 3])
    assert retrieval_accuracy(query, gallery, metric=metric) == 0.0
    assert retrieval_accuracy(query, gallery, k=2, metric=metric) == pytest.approx(1 / 3)
    assert mean_reciprocal_rank(query, gallery, metric=metric) == pytest.approx(7 / 18)


def test_dot_product_favours_long_embeddings():
    query = np.array([[1.0, 0.0], [1.0, 0.1]])
    gallery = np.array([[1.0, 0.0], [3.0, 0.0]])
    np.testing.assert_array_equal(retrieval_ranks(query, gallery, metric="dot"), [2, 1])
    # Cosine ignores length: query 1's two candidates tie, and ties count against it.
    np.testing.assert_array_equal(retrieval_ranks(query, gallery, metric="cosine"), [2, 2])
    np.testing.assert_array_equal(retrieval_ranks(query, gallery, metric="euclidean"), [1, 2])


def test_reversed_pairs_and_constant_embeddings():
    z = np.eye(4)
    # Every true match scores 0, tied with two others and beaten by one: rank 4.
    assert retrieval_accuracy(z, z[::-1], k=3) == 0.0
    assert mean_reciprocal_rank(z, z[::-1]) == pytest.approx(0.25)
    constant = np.ones((5, 3))
    assert retrieval_accuracy(constant, constant, k=4) == 0.0
    assert retrieval_accuracy(constant, constant, k=5) == 1.0


def test_k_at_least_n_gives_one(rng):
    query, gallery = rng.normal(size=(2, 12, 4))
    assert retrieval_accuracy(query, gallery, k=12) == 1.0
    assert retrieval_accuracy(query, gallery, k=100) == 1.0
    assert subject_retrieval_accuracy(query, gallery, np.arange(12) % 3, k=12) == 1.0


def test_subject_level_counts_any_beat_of_the_subject():
    query = np.eye(4)
    gallery = np.eye(4)[[1, 0, 3, 2]]  # best match is the other beat of the subject
    groups = ["a", "a", "b", "b"]
    assert retrieval_accuracy(query, gallery) == 0.0
    assert subject_retrieval_accuracy(query, gallery, groups) == 1.0
    # Across subjects: the best match of every query belongs to the other subject.
    assert subject_retrieval_accuracy(query, gallery, ["a", "b", "a", "b"]) == 0.0
    # Its own subject's items score 0, tied with one item of the other subject.
    assert subject_retrieval_accuracy(query, gallery, ["a", "b", "a", "b"], k=2) == 0.0
    assert subject_retrieval_accuracy(query, gallery, ["a", "b", "a", "b"], k=3) == 1.0


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 25),
    k=st.integers(1, 6),
    metric=st.sampled_from(METRICS),
    integer_valued=st.booleans(),
)
def test_joint_permutation_of_pairs_permutes_ranks(seed, n, k, metric, integer_valued):
    rng = np.random.default_rng(seed)
    if integer_valued and metric != "cosine":
        # Small integers: exact arithmetic and many exact ties.
        query, gallery = rng.integers(-2, 3, size=(2, n, 3)).astype(float)
    else:
        query, gallery = rng.normal(size=(2, n, 3))
    groups = rng.integers(0, 4, size=n)
    perm = rng.permutation(n)
    ranks = retrieval_ranks(query, gallery, metric=metric)
    np.testing.assert_array_equal(
        retrieval_ranks(query[perm], gallery[perm], metric=metric), ranks[perm]
    )
    subject_ranks = retrieval_ranks(query, gallery, groups=groups, metric=metric)
    np.testing.assert_array_equal(
        retrieval_ranks(query[perm], gallery[perm], groups=groups[perm], metric=metric),
        subject_ranks[perm],
    )
    assert retrieval_accuracy(query[perm], gallery[perm], k=k, metric=metric) == (
        retrieval_accuracy(query, gallery, k=k, metric=metric)
    )
    assert np.all(subject_ranks <= ranks) and np.all((ranks >= 1) & (ranks <= n))


@pytest.mark.parametrize("metric", METRICS)
def test_chunked_similarity_matches_one_block(metric, rng):
    query = rng.normal(size=(40, 5))
    gallery = query + rng.normal(scale=1.0, size=query.shape)
    groups = np.arange(40) // 4
    expected = retrieval_ranks(query, gallery, metric=metric)
    expected_subject = retrieval_ranks(query, gallery, groups=groups, metric=metric)
    with sklearn.config_context(working_memory=1e-4):  # one query per chunk
        np.testing.assert_array_equal(retrieval_ranks(query, gallery, metric=metric), expected)
        np.testing.assert_array_equal(
            retrieval_ranks(query, gallery, groups=groups, metric=metric), expected_subject
        )
    assert 1 < expected.max()  # the noisy case is not trivially perfect


def test_float32_embeddings_are_accepted(rng):
    query = rng.normal(size=(20, 6))
    gallery = query + 0.3 * rng.normal(size=query.shape)
    np.testing.assert_array_equal(
        retrieval_ranks(query.astype(np.float32), gallery.astype(np.float32)),
        retrieval_ranks(query, gallery),
    )


def test_retrieval_report_both_directions(rng):
    z_ecg = rng.normal(size=(24, 4))
    z_mcg = z_ecg + rng.normal(size=z_ecg.shape)
    groups = np.arange(24) // 6
    report = retrieval_report(z_ecg, z_mcg, groups, ks=(1, 5))
    for direction, query, gallery in (
        ("ecg_to_mcg", z_ecg, z_mcg),
        ("mcg_to_ecg", z_mcg, z_ecg),
    ):
        for k in (1, 5):
            assert report[f"{direction}_top{k}"] == retrieval_accuracy(query, gallery, k=k)
            assert report[f"{direction}_subject_top{k}"] == subject_retrieval_accuracy(
                query, gallery, groups, k=k
            )
        assert report[f"{direction}_mrr"] == mean_reciprocal_rank(query, gallery)
    assert report["ecg_to_mcg_top1"] != report["mcg_to_ecg_top1"]  # the directions differ
    assert set(retrieval_report(z_ecg, z_mcg)) == {
        f"{d}_{m}" for d in ("ecg_to_mcg", "mcg_to_ecg") for m in ("top1", "top5", "mrr")
    }


@pytest.mark.parametrize(
    "query, gallery, kwargs, error, match",
    [
        (np.ones((4, 2)), np.ones((5, 2)), {}, ValueError, "same shape"),
        (np.ones((4, 2)), np.ones((4, 3)), {}, ValueError, "same shape"),
        (np.ones(4), np.ones(4), {}, ValueError, "z_query must be a 2-D"),
        (np.ones((4, 2)), np.ones((4, 2, 1)), {}, ValueError, "z_gallery must be a 2-D"),
        (np.full((4, 2), np.nan), np.ones((4, 2)), {}, ValueError, "z_query"),
        (np.ones((4, 2)), np.full((4, 2), np.inf), {}, ValueError, "z_gallery"),
        (np.ones((4, 2)), np.ones((4, 2)), {"metric": "manhattan"}, ValueError, "metric"),
        (np.ones((4, 2)), np.ones((4, 2)), {"k": 0}, ValueError, "k must be"),
        (np.ones((4, 2)), np.ones((4, 2)), {"k": 1.5}, TypeError, "k must be"),
    ],
)
def test_retrieval_rejects_bad_input(query, gallery, kwargs, error, match):
    with pytest.raises(error, match=match):
        retrieval_accuracy(query, gallery, **kwargs)


def test_groups_are_validated():
    z = np.eye(3)
    with pytest.raises(ValueError, match="groups"):
        subject_retrieval_accuracy(z, z, [0, 1])
    with pytest.raises(ValueError, match="groups"):
        subject_retrieval_accuracy(z, z, [0.0, np.nan, 1.0])


def test_retrieval_does_not_modify_inputs(rng):
    query = rng.normal(size=(10, 3))
    gallery = rng.normal(size=(10, 3)).astype(np.float32)
    saved = query.copy(), gallery.copy()
    retrieval_report(query, gallery, groups=np.arange(10) // 2, metric="euclidean")
    retrieval_report(query, gallery, metric="cosine")
    np.testing.assert_array_equal(query, saved[0])
    np.testing.assert_array_equal(gallery, saved[1])


# ---------------------------------------------------------------- virtual MCG


@pytest.mark.parametrize("multioutput", ["uniform_average", "variance_weighted"])
def test_r2_is_sklearn_r2_on_flattened_beats(multioutput, rng):
    y_true = rng.normal(size=(15, 3, 20))
    y_pred = y_true + rng.normal(scale=0.5, size=y_true.shape)
    expected = r2_score(y_true.reshape(15, -1), y_pred.reshape(15, -1), multioutput=multioutput)
    assert virtual_mcg_r2(y_true, y_pred, multioutput=multioutput) == pytest.approx(expected)
    raw = virtual_mcg_r2(y_true, y_pred, multioutput="raw_values")
    assert raw.shape == (3, 20)
    assert raw.mean() == pytest.approx(
        virtual_mcg_r2(y_true, y_pred, multioutput="uniform_average")
    )
    assert virtual_mcg_r2(y_true, y_true) == 1.0
    assert virtual_mcg_r2(y_true, np.broadcast_to(y_true.mean(0), y_true.shape)) == 0.0


def test_r2_is_variance_weighted_by_default(rng):
    # One near-silent output with a poor prediction: a uniform average is dragged far
    # below zero by it, the variance-weighted default barely notices it.
    y_true = rng.normal(size=(20, 2, 10))
    y_true[:, 1] *= 1e-3
    y_pred = y_true + rng.normal(scale=0.1, size=y_true.shape)
    weighted = virtual_mcg_r2(y_true, y_pred, multioutput="variance_weighted")
    assert virtual_mcg_r2(y_true, y_pred) == weighted
    assert weighted > 0.9
    assert virtual_mcg_r2(y_true, y_pred, multioutput="uniform_average") < -100


def test_r2_rejects_bad_input(rng):
    y = rng.normal(size=(4, 3, 10))
    with pytest.raises(ValueError, match="same shape"):
        virtual_mcg_r2(y, y[:, :2])
    with pytest.raises(ValueError, match="same number of paired samples"):
        virtual_mcg_r2(y, y[:3])
    with pytest.raises(ValueError, match="at least 2 samples"):
        virtual_mcg_r2(y[:1], y[:1])
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        virtual_mcg_r2(y, np.full_like(y, np.nan))
    with pytest.raises(ValueError, match="multioutput"):
        virtual_mcg_r2(y, y, multioutput="mean")


def test_channel_correlation(rng):
    y_true = rng.normal(size=(6, 4, 30))
    y_pred = y_true + rng.normal(size=y_true.shape)
    expected = [
        np.mean([np.corrcoef(y_true[s, c], y_pred[s, c])[0, 1] for s in range(6)])
        for c in range(4)
    ]
    np.testing.assert_allclose(channel_correlation(y_true, y_pred), expected)
    np.testing.assert_allclose(channel_correlation(y_true, 3 * y_true + 1), np.ones(4))
    np.testing.assert_allclose(channel_correlation(y_true, -y_true), -np.ones(4))
    assert channel_correlation(y_true, y_pred, multioutput="uniform_average") == (
        pytest.approx(np.mean(expected))
    )
    assert channel_correlation(y_true[:, 0], y_true[:, 0]).shape == (1,)
    flat = np.zeros_like(y_true)
    np.testing.assert_array_equal(channel_correlation(y_true, flat), np.zeros(4))
    assert np.isnan(channel_correlation(y_true, flat, force_finite=False)).all()


def test_dipole_poles_are_perpendicular_to_the_dipole():
    for theta in np.linspace(0, 2 * np.pi, 13):
        positive, negative = field_map_poles(dipole_bz(theta, centre=(0.01, -0.02)), SENSORS)
        main = negative - positive
        # Bz ~ (p x a) . n: the main vector is the dipole turned by -90 degrees.
        expected = np.array([np.sin(theta), -np.cos(theta)])
        angle = np.degrees(np.arccos(main @ expected / np.linalg.norm(main)))
        assert angle < 3
    # physics.md section 6: extrema about sqrt(2) * depth apart.
    positive, negative = field_map_poles(dipole_bz(0.3), SENSORS, pole_fraction=0.95)
    assert np.linalg.norm(negative - positive) == pytest.approx(np.sqrt(2) * 0.09, rel=0.1)


def test_poles_are_invariant_to_offset_and_positive_scale(rng):
    maps = np.stack([dipole_bz(th) for th in rng.uniform(0, 6, 5)])
    positive, negative = field_map_poles(maps, SENSORS)
    shifted = field_map_poles(2.5 * maps + 7.0, SENSORS)
    np.testing.assert_allclose(shifted[0], positive)
    np.testing.assert_allclose(shifted[1], negative)
    assert np.isnan(field_map_poles(np.zeros(36), SENSORS)[0]).all()
    with pytest.raises(ValueError, match="sensor_positions"):
        field_map_poles(maps, SENSORS[:30])
    with pytest.raises(ValueError, match="pole_fraction"):
        field_map_poles(maps, SENSORS, pole_fraction=1.0)


def test_find_rt_peaks(mcg_beats):
    r_peaks, t_peaks = find_rt_peaks(mcg_beats, sfreq=SFREQ)
    np.testing.assert_array_equal(r_peaks, R_INDEX)
    np.testing.assert_array_equal(t_peaks, T_INDEX)
    with pytest.raises(ValueError, match="t_window"):
        find_rt_peaks(mcg_beats[..., : R_INDEX + 10], sfreq=SFREQ)
    with pytest.raises(ValueError, match="t_window"):
        find_rt_peaks(mcg_beats, sfreq=SFREQ, t_window=(0.4, 0.1))
    with pytest.raises(ValueError, match="sfreq"):
        find_rt_peaks(mcg_beats, sfreq=0)


def test_angle_error_perfect_rotated_and_flipped(mcg_beats):
    def angles(y_pred, latency):
        return field_map_angle_error(
            mcg_beats, y_pred, SENSORS, latency=latency, sfreq=SFREQ, reduce=None
        )

    for latency in ("r_peak", "t_peak", T_INDEX):
        np.testing.assert_array_equal(angles(mcg_beats, latency), 0.0)
        np.testing.assert_allclose(angles(-mcg_beats, latency), 180.0)
    rotated = rotate_grid_90(mcg_beats.swapaxes(1, 2)).swapaxes(1, 2)
    np.testing.assert_allclose(angles(rotated, "r_peak"), 90.0, atol=1e-6)
    np.testing.assert_allclose(angles(rotated, "t_peak"), 90.0, atol=1e-6)


def test_angle_error_separates_r_and_t_maps(mcg_beats):
    thetas = [0.3, 1.2, 2.5, -0.8]
    # T map turned by 40 degrees, R map kept.
    y_pred = np.stack(
        [beat(dipole_bz(th), dipole_bz(th + 0.5 + np.radians(40))) for th in thetas]
    )
    r_angle = field_map_angle_error(mcg_beats, y_pred, SENSORS, latency="r_peak")
    t_angles = field_map_angle_error(
        mcg_beats, y_pred, SENSORS, latency="t_peak", sfreq=SFREQ, reduce=None
    )
    assert r_angle < 1
    np.testing.assert_allclose(t_angles, 40, atol=3)
    per_beat = np.full(4, T_INDEX)
    np.testing.assert_allclose(
        field_map_angle_error(mcg_beats, y_pred, SENSORS, latency=per_beat, reduce=None),
        t_angles,
    )


def test_angle_error_flat_prediction_is_nan(mcg_beats):
    angles = field_map_angle_error(
        mcg_beats, np.zeros_like(mcg_beats), SENSORS, reduce=None
    )
    assert np.isnan(angles).all()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"latency": "t_peak"}, ValueError, "sfreq"),
        ({"latency": "p_peak"}, ValueError, "latency"),
        ({"latency": 2.5}, TypeError, "latency"),
        ({"latency": N_TIMES}, ValueError, "latency"),
        ({"latency": np.array([1, 2])}, ValueError, "latency"),
        ({"reduce": "median"}, ValueError, "reduce"),
        ({"sensor_positions": SENSORS[:, :1]}, ValueError, "sensor_positions"),
    ],
)
def test_angle_error_rejects_bad_input(mcg_beats, kwargs, error, match):
    kwargs = {"sensor_positions": SENSORS, **kwargs}
    with pytest.raises(error, match=match):
        field_map_angle_error(mcg_beats, mcg_beats, **kwargs)


def test_virtual_mcg_metrics_do_not_modify_inputs(mcg_beats):
    y_pred = mcg_beats[::-1].copy()
    saved = mcg_beats.copy(), y_pred.copy(), SENSORS.copy()
    virtual_mcg_r2(mcg_beats, y_pred)
    channel_correlation(mcg_beats, y_pred)
    field_map_angle_error(mcg_beats, y_pred, SENSORS, latency="t_peak", sfreq=SFREQ)
    field_map_poles(mcg_beats[:, :, R_INDEX], SENSORS)
    for before, after in zip(saved, (mcg_beats, y_pred, SENSORS)):
        np.testing.assert_array_equal(before, after)


# -------------------------------------------------------------------- scorers


class FakeAligner(TransformerMixin, BaseEstimator):
    """Latents are the flattened beats; ``shuffle`` destroys the pairing of the MCG side."""

    def __init__(self, shuffle=False):
        self.shuffle = shuffle

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X)[0].size
        return self

    def transform(self, X, y=None):
        z_ecg = np.asarray(X).reshape(len(X), -1)
        if y is None:
            return z_ecg
        z_mcg = np.asarray(y).reshape(len(y), -1)
        if self.shuffle:
            z_mcg = z_mcg[np.random.default_rng(0).permutation(len(z_mcg))]
        return z_ecg, z_mcg


class FakeProjector(RegressorMixin, BaseEstimator):
    """Predicts the input MCG itself, optionally turned by 90 degrees on the grid."""

    def __init__(self, rotate=False):
        self.rotate = rotate

    def fit(self, X, y):
        return self

    def predict(self, X):
        if self.rotate:
            return rotate_grid_90(X.swapaxes(1, 2)).swapaxes(1, 2)
        return X.copy()


@pytest.fixture
def paired(rng):
    groups = np.repeat(np.arange(6), 5)
    subject_beat = rng.normal(size=(6, 2, 8))
    ecg = subject_beat[groups] + 0.5 * rng.normal(size=(30, 2, 8))
    mcg = ecg + 0.5 * rng.normal(size=ecg.shape)
    return ecg, mcg, groups


def test_retrieval_scorer_matches_the_metric(paired):
    ecg, mcg, groups = paired
    flat_ecg, flat_mcg = ecg.reshape(30, -1), mcg.reshape(30, -1)
    aligner = FakeAligner().fit(ecg, mcg)
    assert make_retrieval_scorer()(aligner, ecg, mcg) == retrieval_accuracy(flat_ecg, flat_mcg)
    assert make_retrieval_scorer(k=3, direction="mcg_to_ecg")(aligner, ecg, mcg) == (
        retrieval_accuracy(flat_mcg, flat_ecg, k=3)
    )
    subject = make_retrieval_scorer(level="subject", metric="dot")
    assert subject(aligner, ecg, mcg, groups=groups) == subject_retrieval_accuracy(
        flat_ecg, flat_mcg, groups, metric="dot"
    )
    with pytest.raises(ValueError, match="metadata routing"):
        subject(aligner, ecg, mcg)


def test_retrieval_scorer_transforms_x_through_pipeline(paired):
    ecg, mcg, _ = paired
    scorer = make_retrieval_scorer()
    assert scorer(FakeAligner().fit(ecg, mcg), ecg, mcg) > 0.5
    # Negating only the ECG side turns every true match into the worst one.
    pipe = Pipeline([("negate", FunctionTransformer(np.negative)), ("align", FakeAligner())])
    assert scorer(pipe.fit(ecg, mcg), ecg, mcg) == 0.0
    single_step = Pipeline([("align", FakeAligner())]).fit(ecg, mcg)
    assert scorer(single_step, ecg, mcg) == scorer(FakeAligner().fit(ecg, mcg), ecg, mcg)

    class NoPairs(FakeAligner):
        def transform(self, X, y=None):
            return np.asarray(X).reshape(len(X), -1)

    with pytest.raises(TypeError, match="must return a pair"):
        scorer(NoPairs().fit(ecg, mcg), ecg, mcg)


def test_retrieval_scorer_prefers_retrieval_latents(paired):
    """The scorer's protocol: retrieval_latents(X, y) where an estimator has it."""
    ecg, mcg, _ = paired

    class PooledForRetrieval(FakeAligner):
        def transform(self, X, y=None):  # time-resolved, as latent="temporal"
            return np.asarray(X)[..., None] if y is None else (X, y)

        def retrieval_latents(self, X, y):
            return FakeAligner.transform(self, X, y)

    aligner = PooledForRetrieval().fit(ecg, mcg)
    scorer = make_retrieval_scorer()
    assert scorer(aligner, ecg, mcg) == scorer(FakeAligner().fit(ecg, mcg), ecg, mcg)


def test_find_rt_peaks_lives_in_preprocessing_and_stays_importable_from_metrics():
    import sklearn_ecgmcg.metrics
    import sklearn_ecgmcg.preprocessing

    assert sklearn_ecgmcg.metrics.find_rt_peaks is sklearn_ecgmcg.preprocessing.find_rt_peaks


def test_retrieval_scorer_in_cross_validate_and_grid_search(paired):
    ecg, mcg, groups = paired
    cv = GroupKFold(n_splits=3)
    scoring = {
        "top1": make_retrieval_scorer(),
        "top5_mcg_to_ecg": make_retrieval_scorer(k=5, direction="mcg_to_ecg"),
    }
    result = cross_validate(FakeAligner(), ecg, mcg, groups=groups, cv=cv, scoring=scoring)
    for fold, (_, test) in enumerate(cv.split(ecg, mcg, groups)):
        z_ecg, z_mcg = ecg[test].reshape(len(test), -1), mcg[test].reshape(len(test), -1)
        assert result["test_top1"][fold] == retrieval_accuracy(z_ecg, z_mcg)
        assert result["test_top5_mcg_to_ecg"][fold] == retrieval_accuracy(z_mcg, z_ecg, k=5)
    search = GridSearchCV(
        FakeAligner(), {"shuffle": [True, False]}, scoring=make_retrieval_scorer(), cv=cv
    ).fit(ecg, mcg, groups=groups)
    assert search.best_params_ == {"shuffle": False}


def test_subject_scorer_gets_groups_through_metadata_routing(paired):
    ecg, mcg, groups = paired
    cv = GroupKFold(n_splits=3)
    scorer = make_retrieval_scorer(level="subject")
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(
            FakeAligner(), ecg, mcg, cv=cv, scoring=scorer, params={"groups": groups}
        )
    for fold, (_, test) in enumerate(cv.split(ecg, mcg, groups)):
        z_ecg, z_mcg = ecg[test].reshape(len(test), -1), mcg[test].reshape(len(test), -1)
        expected = subject_retrieval_accuracy(z_ecg, z_mcg, groups[test])
        assert result["test_score"][fold] == expected
    beat_level = cross_validate(FakeAligner(), ecg, mcg, groups=groups, cv=cv,
                                scoring=make_retrieval_scorer())
    assert (result["test_score"] > beat_level["test_score"]).any()
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            FakeAligner(), {"shuffle": [True, False]}, scoring=scorer, cv=cv
        ).fit(ecg, mcg, groups=groups)
    assert search.best_params_ == {"shuffle": False}
    with pytest.raises(ValueError, match="metadata routing"):
        cross_validate(FakeAligner(), ecg, mcg, groups=groups, cv=cv, scoring=scorer,
                       error_score="raise")


def test_virtual_mcg_scorers_in_cross_validate(mcg_beats):
    y = np.concatenate([mcg_beats, 1.1 * mcg_beats, 0.9 * mcg_beats])
    groups = np.repeat(np.arange(6), 2)
    names = ["r2", "channel_correlation", "neg_angle_r_peak", "neg_angle_t_peak"]
    scoring = {
        name: make_virtual_mcg_scorer(name, sensor_positions=SENSORS, sfreq=SFREQ)
        for name in names
    }
    cv = GroupKFold(n_splits=2)
    exact = cross_validate(FakeProjector(), y, y, groups=groups, cv=cv, scoring=scoring)
    for name, best in zip(names, [1.0, 1.0, 0.0, 0.0]):
        np.testing.assert_allclose(exact[f"test_{name}"], best)
    rotated = cross_validate(
        FakeProjector(rotate=True), y, y, groups=groups, cv=cv, scoring=scoring
    )
    np.testing.assert_allclose(rotated["test_neg_angle_r_peak"], -90.0, atol=1e-6)
    np.testing.assert_allclose(rotated["test_neg_angle_t_peak"], -90.0, atol=1e-6)
    assert (rotated["test_r2"] < 1).all()


@pytest.mark.parametrize(
    "factory, kwargs, match",
    [
        (make_virtual_mcg_scorer, {"name": "mse"}, "name must be"),
        (make_virtual_mcg_scorer, {"name": "neg_angle_r_peak"}, "sensor_positions"),
        (make_virtual_mcg_scorer, {"name": "neg_angle_t_peak", "sensor_positions": SENSORS},
         "sfreq"),
        (make_virtual_mcg_scorer,
         {"name": "neg_angle_r_peak", "sensor_positions": np.ones((36, 4))}, "sensor_positions"),
        (make_retrieval_scorer, {"direction": "both"}, "direction"),
        (make_retrieval_scorer, {"level": "record"}, "level"),
        (make_retrieval_scorer, {"metric": "l1"}, "metric"),
        (make_retrieval_scorer, {"k": 0}, "k must be"),
    ],
)
def test_scorer_factories_reject_bad_arguments(factory, kwargs, match):
    with pytest.raises(ValueError, match=match):
        factory(**kwargs)
