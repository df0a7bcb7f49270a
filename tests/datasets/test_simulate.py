"""API tests of the paired ECG + MCG simulator (shapes, seeding, validation)."""

import numpy as np
import pytest

from sklearn_ecgmcg.datasets import make_paired_beats, mcg_from_ecg, simulate_paired_recordings

SMALL = dict(n_subjects=3, beats_per_subject=4)


@pytest.fixture(scope="module")
def beats():
    return make_paired_beats(**SMALL, random_state=0)


def test_make_paired_beats_shapes_and_metadata(beats):
    n, n_times = 12, 351  # -0.25 .. 0.45 s at 500 Hz, both ends included
    assert beats.ecg.shape == beats.ecg_clean.shape == (n, 12, n_times)
    assert beats.mcg.shape == beats.mcg_clean.shape == (n, 36, n_times)
    assert beats.dipole.shape == beats.mcg_silent.shape[:1] + (3, n_times)
    assert beats.mcg_silent.shape == (n, 36, n_times)
    assert beats.dipole_position.shape == (n, 3)
    n_elements = beats.patch_positions.shape[1]
    assert beats.activation_times.shape == beats.repolarisation_times.shape == (n, n_elements)
    assert np.all(beats.repolarisation_times > beats.activation_times)
    assert beats.patch_positions.shape == beats.patch_normals.shape == (3, n_elements, 3)
    assert beats.anatomy.sensor_positions.shape == (3, 36, 3)
    assert list(beats.pathology_region) == ["none"] * 3
    assert beats.sensor_positions.shape == (36, 3)
    assert beats.electrode_positions.shape == (9, 3)
    assert beats.times.shape == (n_times,)
    assert beats.times[beats.r_peak_index] == 0.0
    assert beats.sfreq == 500.0
    np.testing.assert_array_equal(beats.groups, np.repeat([0, 1, 2], 4))
    assert list(beats.target_names[beats.target]) == ["normal"] * n
    assert beats.ch_names["ecg"][6] == "V1" and len(beats.ch_names["mcg"]) == 36
    assert "SIMULATED" in beats.DESCR and "double layer" in beats.DESCR
    for key in ("ecg", "mcg", "dipole"):
        assert np.isfinite(beats[key]).all() and beats[key].dtype == np.float32
    assert not np.allclose(beats.mcg, beats.mcg_clean)


def test_dipole_source_keeps_its_ground_truth():
    data = make_paired_beats(**SMALL, source="dipole", random_state=0)
    assert data.dipole.shape == data.secondary_dipole.shape == (12, 3, 351)
    assert "Sameni" in data.DESCR and "activation_times" not in data


def test_layouts_change_channel_counts():
    data = make_paired_beats(
        n_subjects=1, beats_per_subject=2, ecg_layout="bspm32", mcg_layout="8x8",
        sensor="gradiometer", random_state=0,
    )
    assert data.ecg.shape[1] == 32 and data.electrode_positions.shape == (32, 3)
    assert data.mcg.shape[1] == 64 and len(data.mcg_ch_names) == 64


def test_dtype_float64_and_bad_dtype():
    data = make_paired_beats(n_subjects=1, beats_per_subject=1, dtype=np.float64,
                             random_state=0)
    assert data.ecg.dtype == data.mcg_clean.dtype == data.dipole.dtype == np.float64
    single = make_paired_beats(n_subjects=1, beats_per_subject=1, random_state=0)
    np.testing.assert_allclose(single.mcg_clean, data.mcg_clean, rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match="dtype"):
        make_paired_beats(n_subjects=1, beats_per_subject=1, dtype=int)


def test_noise_none_returns_clean_copies():
    data = make_paired_beats(n_subjects=1, beats_per_subject=2, noise="none", random_state=0)
    np.testing.assert_array_equal(data.ecg, data.ecg_clean)
    np.testing.assert_array_equal(data.mcg, data.mcg_clean)
    assert data.ecg is not data.ecg_clean


def test_same_seed_same_output_different_seed_differs(beats):
    again = make_paired_beats(**SMALL, random_state=0)
    for key in ("ecg", "mcg", "ecg_clean", "mcg_clean", "dipole", "dipole_position"):
        np.testing.assert_array_equal(beats[key], again[key])
    other = make_paired_beats(**SMALL, random_state=1)
    assert not np.allclose(beats.mcg_clean, other.mcg_clean)
    assert not np.allclose(beats.ecg, other.ecg)


def test_random_state_instance_is_accepted():
    rs = np.random.RandomState(3)
    first = make_paired_beats(n_subjects=1, beats_per_subject=1, random_state=rs)
    second = make_paired_beats(n_subjects=1, beats_per_subject=1, random_state=rs)
    assert not np.allclose(first.ecg, second.ecg)


def test_conditions_round_robin_and_fractions():
    data = make_paired_beats(
        n_subjects=4, beats_per_subject=1, conditions=["normal", "lbbb"], random_state=0
    )
    assert list(data.target_names[data.target]) == ["normal", "lbbb", "normal", "lbbb"]
    data = make_paired_beats(
        n_subjects=4, beats_per_subject=1, conditions={"normal": 0.25, "ischemia": 0.75},
        random_state=0,
    )
    assert list(data.target_names[data.target]) == ["normal"] + ["ischemia"] * 3
    assert data.pathology_region[0] == "none" and data.pathology_severity[0] == 0
    assert set(data.pathology_region[1:]) <= {"anterior", "inferior", "lateral"}
    assert np.all(data.pathology_severity[1:] > 0)
    assert not data.patch_in_region[0].any() and data.patch_in_region[1:].any(axis=1).all()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_subjects=0), ValueError, "n_subjects"),
        (dict(n_subjects=1.5), TypeError, "n_subjects"),
        (dict(beats_per_subject=0), ValueError, "beats_per_subject"),
        (dict(sfreq=-1), ValueError, "sfreq"),
        (dict(sfreq=50), ValueError, r"range \[100.0, inf\)"),
        (dict(tmin=0.1), ValueError, "tmin < 0 < tmax"),
        (dict(tmax=-0.1), ValueError, "tmin < 0 < tmax"),
        (dict(ecg_layout="15-lead"), ValueError, "12-lead"),
        (dict(mcg_layout="7x7"), ValueError, "6x6"),
        (dict(noise="loud"), ValueError, "unshielded"),
        (dict(conditions=["normal", "flu"]), ValueError, "flu"),
        (dict(conditions={"normal": 0.5, "lbbb": 0.2}), ValueError, "sum to 1"),
        (dict(sensor="coil"), ValueError, "gradiometer"),
        (dict(depth=0.5), ValueError, "depth"),
        (dict(heart_rate=(90, 60)), ValueError, "heart_rate"),
        (dict(mains_freq=55), ValueError, "mains_freq"),
        (dict(respiration="yes"), TypeError, "respiration"),
        (dict(dtype="int32"), ValueError, "dtype"),
        (dict(gradiometer_baseline=0.0), ValueError, "gradiometer_baseline"),
    ],
)
def test_make_paired_beats_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_paired_beats(**{**SMALL, **kwargs})


def test_recordings_shapes_and_true_r_peaks():
    rec = simulate_paired_recordings(n_subjects=2, duration=6.0, records_per_subject=2,
                                     noise="none", random_state=0)
    assert rec.ecg.shape == (4, 12, 3000) and rec.mcg.shape == (4, 36, 3000)
    np.testing.assert_array_equal(rec.groups, [0, 0, 1, 1])
    for record, peaks in zip(rec.ecg_clean, rec.r_peaks):
        rr = np.diff(peaks) / rec.sfreq
        assert np.all((rr > 0.6) & (rr < 1.2))  # 55-85 bpm with HRV
        # the ECG's largest deflection (its spatial RMS) lies within 10 ms of every R peak
        rms = np.sqrt((record**2).mean(axis=0))
        for p in peaks[(peaks > 10) & (peaks < rms.size - 10)]:
            assert abs(np.argmax(rms[p - 10 : p + 11]) - 10) <= 5


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(duration=1.0), ValueError, "duration"),
        (dict(duration="10"), TypeError, "duration"),
        (dict(n_subjects=0), ValueError, "n_subjects"),
        (dict(records_per_subject=0), ValueError, "records_per_subject"),
        (dict(conditions=["stemi"]), ValueError, "stemi"),
        (dict(noise="quiet"), ValueError, "noise"),
        (dict(sfreq=0), ValueError, "sfreq"),
    ],
)
def test_recordings_reject_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        simulate_paired_recordings(**{"n_subjects": 1, "duration": 3.0, **kwargs})


def test_recordings_seeded():
    a = simulate_paired_recordings(n_subjects=1, duration=3.0, random_state=5)
    b = simulate_paired_recordings(n_subjects=1, duration=3.0, random_state=5)
    np.testing.assert_array_equal(a.mcg, b.mcg)
    np.testing.assert_array_equal(a.r_peaks[0], b.r_peaks[0])


LEADS = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def test_mcg_from_ecg_round_trip_on_simulated_ecg():
    # Dower then inverse Dower is close to identity, so the MCG of the simulated
    # 12-lead ECG is close to the MCG of the true dipole at the same position.
    data = make_paired_beats(n_subjects=1, beats_per_subject=2, noise="none",
                             respiration=False, random_state=0, source="dipole")
    out = mcg_from_ecg(data.ecg_clean, data.sfreq, [n.lower() for n in LEADS], noise="none",
                       heart_position=data.dipole_position[0], source="dipole")
    assert out.mcg.shape == data.mcg_clean.shape
    corr = np.corrcoef(out.mcg.ravel(), data.mcg_clean.ravel())[0, 1]
    assert corr > 0.9
    assert "SIMULATED" in out.DESCR


def test_double_layer_mcg_from_ecg_recovers_much_of_the_simulated_mcg():
    # the minimum-norm source of a nominal heart is not the subject's heart, but the
    # field it predicts follows the true MCG (median R^2 0.65 over 60 beats)
    data = make_paired_beats(n_subjects=12, beats_per_subject=1, noise="none",
                             silent_fraction=0.0, respiration=False, random_state=0)
    out = mcg_from_ecg(data.ecg_clean, data.sfreq, LEADS, noise="none", silent_fraction=0.0)
    assert out.patch_voltages.shape[:2] == (12, data.patch_positions.shape[1])
    corr = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(out.mcg, data.mcg_clean)]
    assert np.median(corr) > 0.7
    with_silent = mcg_from_ecg(data.ecg_clean, data.sfreq, LEADS, noise="none", random_state=0)
    share = (with_silent.mcg_silent**2).sum() / (with_silent.mcg_clean**2).sum()
    assert 0.03 < share < 0.12  # silent_fraction=0.07 of the power, before cross terms


def test_mcg_from_ecg_does_not_modify_input():
    ecg = np.random.default_rng(0).normal(size=(1, 12, 500))
    before = ecg.copy()
    mcg_from_ecg(ecg, 500, LEADS, random_state=0)
    np.testing.assert_array_equal(ecg, before)


@pytest.mark.parametrize(
    "names, match",
    [
        (LEADS[:11] + ["X"], r"missing \['V6'\]"),
        (LEADS[:6], "one name per ECG channel"),
    ],
)
def test_mcg_from_ecg_rejects_bad_channel_names(names, match):
    ecg = np.zeros((1, 12, 500))
    with pytest.raises(ValueError, match=match):
        mcg_from_ecg(ecg, 500, names)


def test_mcg_from_ecg_rejects_bad_signals():
    with pytest.raises(ValueError, match="NaN"):
        mcg_from_ecg(np.full((1, 12, 100), np.nan), 500, LEADS)
    with pytest.raises(ValueError, match="3-D"):
        mcg_from_ecg(np.zeros((12, 100)), 500, LEADS)


def test_mcg_from_ecg_on_real_ptbxl_record(ptbxl_path):
    wfdb = pytest.importorskip("wfdb")
    record = wfdb.rdrecord(str(ptbxl_path / "records500" / "00000" / "00001_hr"))
    ecg = record.p_signal.T[np.newaxis]
    out = mcg_from_ecg(ecg, record.fs, record.sig_name, random_state=0)
    assert out.mcg.shape == (1, 36, ecg.shape[-1])
    peak = np.abs(out.mcg_clean).max()
    assert 10.0 < peak < 150.0  # tens of pT (median 49 pT over the first 20 PTB-XL records)


def _noise_svd(record_noise):
    centred = record_noise - record_noise.mean(axis=1, keepdims=True)
    return np.linalg.svd(centred, compute_uv=False)


def test_mcg_environmental_noise_is_low_rank_and_squid_noise_independent():
    rec = simulate_paired_recordings(n_subjects=2, duration=8.0, noise="shielded",
                                     random_state=0)
    for noise in rec.mcg - rec.mcg_clean:
        s = _noise_svd(noise)
        # uniform field + 3 gradients: 4 components hold ~all the environmental power
        assert (s[:4] ** 2).sum() / (s**2).sum() > 0.95
        squid_rms = np.sqrt((s[4:] ** 2).sum() / noise.size)
        assert 0.15 < squid_rms < 0.6  # shielded preset: 0.2-0.5 pT per channel


def test_gradiometer_rejects_environmental_noise_and_unshielded_is_louder():
    kwargs = dict(n_subjects=2, duration=6.0, random_state=0)
    rms = {}
    for noise in ("shielded", "unshielded"):
        for sensor in ("magnetometer", "gradiometer"):
            rec = simulate_paired_recordings(noise=noise, sensor=sensor, **kwargs)
            rms[noise, sensor] = np.std(rec.mcg - rec.mcg_clean)
    assert rms["shielded", "gradiometer"] < rms["shielded", "magnetometer"] / 3
    assert rms["unshielded", "gradiometer"] < rms["unshielded", "magnetometer"] / 3
    assert rms["unshielded", "magnetometer"] > 5 * rms["shielded", "magnetometer"]


def test_ecg_noise_level_is_realistic():
    rec = simulate_paired_recordings(n_subjects=3, duration=8.0, random_state=0)
    noise_rms = np.std(rec.ecg - rec.ecg_clean, axis=(1, 2))
    assert np.all((noise_rms > 0.03) & (noise_rms < 0.4))  # mostly baseline wander


def test_mcg_sensor_positions_grid_geometry():
    from sklearn_ecgmcg.datasets import mcg_sensor_positions

    for layout, n_side, pitch in (("6x6", 6, 0.040), ("8x8", 8, 0.025)):
        positions = mcg_sensor_positions(layout, depth=0.09)
        assert positions.shape == (n_side**2, 3)
        np.testing.assert_allclose(np.diff(positions[:n_side, 0]), pitch)
        np.testing.assert_allclose(positions[:, 2], -0.04 - 0.09)  # 9 cm in front of the heart
    with pytest.raises(ValueError, match="6x6"):
        mcg_sensor_positions("5x5")
    with pytest.raises(ValueError, match="depth"):
        mcg_sensor_positions("6x6", depth=-0.1)


def test_mcg_from_ecg_on_ptbdb_lowercase_leads_at_1000_hz(ptbdb_path):
    wfdb = pytest.importorskip("wfdb")
    record = wfdb.rdrecord(str(ptbdb_path / "patient001" / "s0010_re"), sampto=5000)
    ecg = record.p_signal.T[np.newaxis]  # 15 leads: i, ii, ..., v6, vx, vy, vz
    out = mcg_from_ecg(ecg, record.fs, record.sig_name, mcg_layout="8x8", random_state=0)
    assert out.mcg.shape == (1, 64, 5000)
    assert 5.0 < np.abs(out.mcg_clean).max() < 300.0


def test_inverse_dower_vcg_matches_the_measured_frank_leads(ptbdb_path):
    """The PTB record also holds Frank vx, vy, vz: the inverse Dower VCG follows them.

    x and y (the components the MCG sees) correlate > 0.9; z, which the MCG cannot
    see, is reconstructed poorly on this patient (r ~ 0.3), as known for inverse Dower.
    """
    wfdb = pytest.importorskip("wfdb")
    from scipy.signal import butter, sosfiltfilt

    record = wfdb.rdrecord(str(ptbdb_path / "patient001" / "s0010_re"), sampto=10000)
    sos = butter(2, [0.5, 40.0], btype="bandpass", fs=record.fs, output="sos")
    signals = sosfiltfilt(sos, record.p_signal.T, axis=-1)
    out = mcg_from_ecg(signals[np.newaxis], record.fs, record.sig_name, noise="none",
                       dtype=np.float64, source="dipole")
    frank = signals[[record.sig_name.index(name) for name in ("vx", "vy")]]
    for k in range(2):
        assert np.corrcoef(out.vcg[0, k], frank[k])[0, 1] > 0.9


def test_noisy_ecg_keeps_einthoven_and_goldberger_relations():
    # ECG noise arises at the electrodes, so it obeys the lead algebra like the signal
    data = make_paired_beats(n_subjects=2, beats_per_subject=2, dtype=np.float64,
                             random_state=0)
    lead = {name: data.ecg[:, i] for i, name in enumerate(data.ecg_ch_names)}
    np.testing.assert_allclose(lead["III"], lead["II"] - lead["I"], atol=1e-9)
    np.testing.assert_allclose(lead["aVR"], -(lead["I"] + lead["II"]) / 2, atol=1e-9)
    np.testing.assert_allclose(lead["aVF"], lead["II"] - lead["I"] / 2, atol=1e-9)
