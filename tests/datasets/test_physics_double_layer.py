"""Physics v2 (the default source): the equivalent double layer (physics.md section 8).

The thresholds are issue 15's; sizes are small so the suite stays fast, and
``benchmarks/bench_simulate.py`` measures the same facts on more subjects.
"""

import numpy as np
import pytest
from numpy.polynomial import legendre
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ecgmcg.datasets import make_paired_beats, simulate_paired_recordings
from sklearn_ecgmcg.datasets._physics import _activation, _conductor, _forward, _heart

CLEAN = dict(noise="none", dtype=np.float64, random_state=0)


def _per_sample(x):
    """(beats, channels, times) -> (beats * times, channels)."""
    return x.transpose(0, 2, 1).reshape(-1, x.shape[1])


def _subject_ceiling(ecg, mcg, groups):
    """Per-subject least-squares R^2 of MCG(t) from ECG(t), fitted and scored in sample."""
    scores = []
    for subject in np.unique(groups):
        x, y = _per_sample(ecg[groups == subject]), _per_sample(mcg[groups == subject])
        x = np.column_stack([x, np.ones(len(x))])
        weights, *_ = np.linalg.lstsq(x, y, rcond=None)
        scores.append(r2_score(y, x @ weights, multioutput="variance_weighted"))
    return np.array(scores)


@pytest.fixture(scope="module")
def normal_beats():
    return make_paired_beats(n_subjects=40, beats_per_subject=3, **CLEAN)


# --- conductors ----------------------------------------------------------------


def test_sphere_potential_matches_its_legendre_series():
    # surface potential of a dipole in an insulated sphere: the r0-gradient of
    # sum_n (2n+1)/n (r0/R)^n P_n(cos g) / R  (independent of the closed form)
    rng = np.random.default_rng(0)
    radius, centre = 0.11, np.array([0.03, 0.03, 0.0])
    electrodes = centre + radius * rng.normal(size=(6, 3)) / 1.0
    electrodes = centre + radius * (electrodes - centre) / np.linalg.norm(electrodes - centre, axis=1, keepdims=True)
    source = centre + np.array([0.02, -0.01, -0.03])
    closed = _conductor.sphere_potential_lead_field(source, electrodes, radius, centre)

    def series(r0):
        rel, r = r0 - centre, electrodes - centre
        cos = r @ rel / (np.linalg.norm(rel) * radius)
        n = np.arange(1, 80)
        coef = (2 * n + 1) / n * (np.linalg.norm(rel) / radius) ** n / radius
        return np.array([legendre.legval(c, np.r_[0.0, coef]) for c in cos])

    step = 1e-6
    grad = np.column_stack(
        [(series(source + step * e) - series(source - step * e)) / (2 * step) for e in np.eye(3)]
    )
    expected = grad * 1e3 / (4 * np.pi * _forward.CONDUCTIVITY)
    np.testing.assert_allclose(closed, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())


def test_central_dipole_in_sphere_gives_three_times_the_infinite_medium_potential():
    centre, radius = np.zeros(3), 0.1
    electrode = np.array([[0.0, 0.0, radius]])
    lead_field = _conductor.sphere_potential_lead_field(centre, electrode, radius, centre)
    infinite = 1e3 / (4 * np.pi * _forward.CONDUCTIVITY * radius**2)
    np.testing.assert_allclose(lead_field[0], [0.0, 0.0, 3 * infinite])


def test_radial_dipole_in_sphere_has_no_field_and_large_sphere_is_a_half_space():
    rng = np.random.default_rng(1)
    centre = np.zeros(3)
    sensors = rng.normal(size=(5, 3))
    sensors = 0.14 * sensors / np.linalg.norm(sensors, axis=1, keepdims=True)
    source = np.array([0.02, 0.01, -0.03])
    radial = source / np.linalg.norm(source)
    field = _conductor.sarvas_lead_field(source, sensors, centre) @ radial
    assert np.abs(field).max() < 1e-9 * np.abs(_conductor.sarvas_lead_field(source, sensors, centre)).max()
    # near the surface of a large sphere, the radial field is the half-space Bz
    big = np.array([0.0, 0.0, 3.0])  # radius 3 m, its surface at z = 0
    near = np.array([[0.01, -0.02, -0.02], [0.02, 0.01, -0.02], [0.03, 0.01, -0.02]])
    dipole = np.array([[0.0, 0.0, 0.07]])
    sarvas = _conductor.sarvas_lead_field(dipole, near, big)
    half_space = _forward.bz_lead_field(dipole, near)
    np.testing.assert_allclose(sarvas, half_space, atol=0.03 * np.abs(half_space).max())


def test_normal_dipole_gives_no_half_space_bz():
    sensors = _forward.mcg_sensor_positions("6x6")
    lead_field = _forward.bz_lead_field(_forward.HEART_CENTRE, sensors)
    assert np.abs(lead_field @ _forward.SENSOR_NORMAL).max() == 0.0


def test_magnetic_dipole_on_its_axis():
    sensor = np.array([[0.0, 0.0, -0.1]])
    moment = np.array([0.0, 0.0, -1.0])  # along the sensor normal (-z)
    field = _conductor.magnetic_dipole_lead_field(np.zeros(3), sensor) @ moment
    np.testing.assert_allclose(field, 2e-7 / 0.1**3 * 1e12)


# --- the heart -------------------------------------------------------------------


def test_every_closed_surface_has_zero_area_vector_and_uniform_layers_are_silent():
    data = make_paired_beats(n_subjects=3, beats_per_subject=1, **CLEAN)
    template = _heart.patch_template(24)
    for chamber in (_heart.LV, _heart.RV):
        on = template.chamber == chamber
        np.testing.assert_allclose(data.patch_normals[:, on].sum(axis=1), 0.0, atol=1e-15)
        # a uniform voltage over a closed surface gives no ECG and no MCG
        for key in ("ecg", "mcg"):
            assert np.abs(data.lead_matrices[key][:, :, on].sum(axis=-1)).max() < 1e-9


def test_silent_sources_give_exactly_no_ecg():
    kwargs = dict(n_subjects=3, beats_per_subject=2, **CLEAN)
    without = make_paired_beats(silent_fraction=0.0, **kwargs)
    with_silent = make_paired_beats(silent_fraction=0.1, **kwargs)
    np.testing.assert_array_equal(without.ecg_clean, with_silent.ecg_clean)
    np.testing.assert_allclose(with_silent.mcg_clean - with_silent.mcg_silent, without.mcg_clean,
                               atol=1e-9)
    assert np.abs(without.mcg_silent).max() == 0.0
    power = lambda x: (x**2).sum()  # noqa: E731
    share = power(with_silent.mcg_silent) / (power(without.mcg_clean) + power(with_silent.mcg_silent))
    assert share == pytest.approx(0.1, abs=1e-6)


def test_ground_truth_reproduces_the_signals():
    data = make_paired_beats(n_subjects=2, beats_per_subject=2, respiration=False,
                             silent_fraction=0.0, **CLEAN)
    s = data.groups
    voltage, _ = _activation.transmembrane(
        data.times, data.activation_times, data.repolarisation_times, data.patch_amplitude[s],
        data.patch_rest[s], data.repolarisation_slope[s], np.float64,
    )
    mcg = np.einsum("nce,net->nct", data.lead_matrices.mcg[s], voltage)
    np.testing.assert_allclose(mcg, data.mcg_clean, atol=1e-9 * np.abs(mcg).max())
    ecg = np.einsum("nce,net->nct", data.lead_matrices.ecg[s], voltage)
    # the ECG is AC-coupled: equal up to one offset per beat and lead
    offset = (ecg - data.ecg_clean).mean(axis=-1, keepdims=True)
    np.testing.assert_allclose(ecg - offset, data.ecg_clean, atol=1e-9 * np.abs(ecg).max())


# --- issue 15's must-show facts -------------------------------------------------


def test_mcg_is_no_longer_a_linear_function_of_ecg(normal_beats):
    data, train = normal_beats, normal_beats.groups < 28
    ridge = Ridge(alpha=1e-6).fit(_per_sample(data.ecg_clean[train]),
                                  _per_sample(data.mcg_clean[train]))
    pooled = r2_score(_per_sample(data.mcg_clean[~train]),
                      ridge.predict(_per_sample(data.ecg_clean[~train])),
                      multioutput="variance_weighted")
    assert 0.40 <= pooled <= 0.85
    without_silent = make_paired_beats(n_subjects=10, beats_per_subject=3, silent_fraction=0.0,
                                       **CLEAN)
    ceiling = _subject_ceiling(without_silent.ecg_clean, without_silent.mcg_clean,
                               without_silent.groups)
    assert np.median(ceiling) >= 0.98 > pooled


def test_a_map_fitted_on_one_subject_fails_on_another(normal_beats):
    data = normal_beats
    x0, y0 = (_per_sample(a[data.groups == 0]) for a in (data.ecg_clean, data.mcg_clean))
    weights, *_ = np.linalg.lstsq(x0, y0, rcond=None)
    own = _subject_ceiling(data.ecg_clean, data.mcg_clean, data.groups)
    losses = [
        own[s] - r2_score(_per_sample(data.mcg_clean[data.groups == s]),
                          _per_sample(data.ecg_clean[data.groups == s]) @ weights,
                          multioutput="variance_weighted")
        for s in range(1, 10)
    ]
    assert np.median(losses) >= 0.1


def test_ecg_rank_and_mcg_richness(normal_beats):
    singular = np.linalg.svd(normal_beats.ecg_clean, compute_uv=False)
    effective_rank = (singular > 0.01 * singular[:, :1]).sum(axis=1)
    assert np.median(effective_rank) >= 5
    mcg = normal_beats.mcg_clean - normal_beats.mcg_clean.mean(axis=-1, keepdims=True)
    singular = np.linalg.svd(mcg, compute_uv=False) ** 2
    two = singular[:, :2].sum(axis=1) / singular.sum(axis=1)
    assert 0.80 <= np.median(two) <= 0.96


def _qrs_duration(data):
    """Activation spread plus the patch upstroke's 10-90 % rise, ms per beat."""
    span = data.activation_times.max(axis=1) - data.activation_times.min(axis=1)
    return 1e3 * (span + 4.4 * _activation.UPSTROKE)


def test_amplitudes_and_timing_of_normal_beats(normal_beats):
    data, t = normal_beats, normal_beats.times
    qrs = (t > -0.06) & (t < 0.08)
    r_wave = data.ecg_clean[:, 6:12][:, :, qrs].max(axis=(1, 2))  # tallest precordial R
    assert 0.5 <= np.median(r_wave) <= 3.0
    field = np.abs(data.mcg_clean)
    r_peak_bz = field[:, :, qrs].max(axis=(1, 2))
    assert 20.0 <= np.median(r_peak_bz) <= 100.0
    t_wave = field[:, :, (t > 0.12) & (t < 0.42)].max(axis=(1, 2))
    assert 0.2 <= np.median(t_wave / r_peak_bz) <= 0.5
    assert 80.0 <= np.median(_qrs_duration(data)) <= 110.0


def test_normal_st_segment_is_isoelectric(normal_beats):
    # ST level in the 20 ms after the J point (the end of activation), from the TQ level
    data, t = normal_beats, normal_beats.times
    j_point = data.activation_times.max(axis=1) + 4.4 * _activation.UPSTROKE
    baseline = data.ecg_clean[:, :, t < -0.2].mean(axis=-1)
    deviation = [
        data.ecg_clean[i][:, (t >= j) & (t <= j + 0.02)].mean(axis=-1) - baseline[i]
        for i, j in enumerate(j_point)
    ]
    assert np.median(np.abs(deviation)) <= 0.020  # mV


def test_lbbb_widens_the_qrs_and_lvh_raises_amplitudes(normal_beats):
    lbbb = make_paired_beats(n_subjects=10, beats_per_subject=1, conditions="lbbb", **CLEAN)
    assert np.median(_qrs_duration(lbbb)) >= 120.0
    lvh = make_paired_beats(n_subjects=40, beats_per_subject=3, conditions="lvh", **CLEAN)
    assert np.median(np.abs(lvh.ecg_clean).max(axis=(1, 2))) > 1.1 * np.median(
        np.abs(normal_beats.ecg_clean).max(axis=(1, 2)))


@pytest.mark.parametrize("condition, leads", [("anterior_mi", ["V1", "V2", "V3"]),
                                              ("inferior_mi", ["III", "aVF"])])
def test_a_scar_takes_the_r_wave_of_the_leads_facing_it_and_leaves_st_alone(condition, leads):
    kwargs = dict(n_subjects=20, beats_per_subject=1, **CLEAN)
    normal, scar = make_paired_beats(**kwargs), make_paired_beats(conditions=condition, **kwargs)
    t = normal.times
    qrs, st = (t > -0.06) & (t < 0.08), (t > 0.07) & (t < 0.09)
    for lead in leads:
        k = normal.ch_names["ecg"].index(lead)
        r_normal = np.median(normal.ecg_clean[:, k, qrs].max(axis=1))
        r_scar = np.median(scar.ecg_clean[:, k, qrs].max(axis=1))
        assert r_scar < 0.5 * r_normal
    shift = np.abs(scar.ecg_clean[:, :, st] - normal.ecg_clean[:, :, st]).mean(axis=-1)
    assert np.median(shift) < 0.05  # mV: no injury current in a healed scar


def test_ischaemia_shows_in_the_st_and_tq_levels_of_the_mcg():
    data = make_paired_beats(n_subjects=120, beats_per_subject=6,
                             conditions=["normal", "ischemia"], random_state=0)
    t, y = data.times, (data.target_names[data.target] == "ischemia").astype(int)

    def auroc(signal):
        levels = np.hstack([signal[:, :, (t >= 0.08) & (t <= 0.12)].mean(axis=-1),
                            signal[:, :, t <= -0.2].mean(axis=-1)])
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
        proba = cross_val_predict(model, levels, y, groups=data.groups, cv=GroupKFold(5),
                                  method="predict_proba")[:, 1]
        return roc_auc_score(y, proba)

    assert auroc(data.mcg) >= 0.85
    assert auroc(data.mcg) > auroc(data.ecg)


def test_conditions_change_only_the_heart():
    kwargs = dict(n_subjects=4, beats_per_subject=2, random_state=3)
    normal = make_paired_beats(**kwargs)
    sick = make_paired_beats(conditions=["ischemia", "lbbb", "anterior_mi", "lvh"], **kwargs)
    np.testing.assert_array_equal(normal.heart_rate, sick.heart_rate)
    np.testing.assert_allclose(normal.ecg - normal.ecg_clean, sick.ecg - sick.ecg_clean, atol=1e-5)
    np.testing.assert_array_equal(normal.anatomy.rotation, sick.anatomy.rotation)
    # the LVH subject's LV is thicker; the others' geometry is untouched
    np.testing.assert_array_equal(normal.patch_positions[:3], sick.patch_positions[:3])
    assert sick.anatomy.lv_wall[3] > normal.anatomy.lv_wall[3]
    assert not np.allclose(normal.mcg_clean, sick.mcg_clean)


# Any change to the physics moves these sums by far more than 1e-8 of their magnitude;
# summation order and BLAS kernels (numpy / scipy builds) move them by ~1e-9.
REL = 1e-8


def test_dipole_source_reproduces_physics_v1():
    # sums of make_paired_beats / simulate_paired_recordings / mcg_from_ecg outputs
    # of the package before physics v2 (commit b3c5355), same arguments
    from sklearn_ecgmcg.datasets import mcg_from_ecg

    data = make_paired_beats(n_subjects=3, beats_per_subject=2, random_state=0, source="dipole",
                             conditions=["normal", "ischemia", "lbbb"], dtype=np.float64)
    assert float(np.abs(data.mcg).sum()) == pytest.approx(357390.6416094797, rel=REL)
    # a signed sum cancels: its tolerance is relative to the sum of magnitudes
    assert float(data.ecg.sum()) == pytest.approx(
        -637.040553326905, abs=REL * float(np.abs(data.ecg).sum()))
    assert float(np.abs(data.dipole).sum()) == pytest.approx(0.005552857124782751, rel=REL)
    rec = simulate_paired_recordings(n_subjects=1, duration=3.0, random_state=0, source="dipole",
                                     dtype=np.float64)
    assert float(np.abs(rec.mcg).sum()) == pytest.approx(278361.9226313097, rel=REL)
    names = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    semi = mcg_from_ecg(data.ecg_clean[:2], 500, names, random_state=0, dtype=np.float64,
                        source="dipole")
    assert float(np.abs(semi.mcg).sum()) == pytest.approx(182831.19879651163, rel=REL)


def test_records_and_beats_share_the_physics():
    rec = simulate_paired_recordings(n_subjects=2, duration=6.0, random_state=0, noise="none")
    assert rec.mcg_silent.shape == rec.mcg.shape and rec.dipole.shape == (2, 3, 3000)
    rr = np.diff(rec.r_peaks[0]) / rec.sfreq
    assert np.all((rr > 0.6) & (rr < 1.2))
    # AC coupling: the ECG's long-run mean is zero, the DC-coupled MCG keeps its level
    assert np.abs(rec.ecg_clean.mean(axis=-1)).max() < 0.02
    dc = simulate_paired_recordings(n_subjects=2, duration=6.0, random_state=0, noise="none",
                                    ecg_highpass=None)
    np.testing.assert_array_equal(dc.mcg_clean, rec.mcg_clean)
    assert not np.allclose(dc.ecg_clean, rec.ecg_clean)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(source="triple"), ValueError, "source"),
        (dict(n_patches=4), ValueError, "n_patches"),
        (dict(n_patches=20.5), TypeError, "n_patches"),
        (dict(silent_fraction=0.9), ValueError, "silent_fraction"),
        (dict(ecg_highpass=5.0), ValueError, "ecg_highpass"),
        (dict(mcg_model="cube"), ValueError, "mcg_model"),
        (dict(depth=0.06), ValueError, "chest wall"),
        (dict(source="dipole", mcg_model="sphere"), ValueError, "double_layer"),
    ],
)
def test_double_layer_options_are_validated(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_paired_beats(n_subjects=1, beats_per_subject=1, **kwargs)
