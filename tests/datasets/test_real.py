"""Tests of the real-data loaders: read_wfdb, load_ptbxl, load_ptbdb, load_sample_ecg."""

import hashlib
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wfdb
from sklearn.model_selection import GroupKFold

from sklearn_ecgmcg.datasets import load_ptbdb, load_ptbxl, load_sample_ecg, read_wfdb
from sklearn_ecgmcg.datasets._ptbdb import normalize_reason, parse_ptbdb_comments

SUPERCLASS_COUNTS = {"NORM": 261, "MI": 65, "STTC": 80, "CD": 67, "HYP": 33}
LEADS = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]
PTBDB_RECORD = "patient001/s0010_re"


@pytest.fixture(scope="module", params=[500, 100])
def ptbxl(request, ptbxl_path):
    return request.param, load_ptbxl(ptbxl_path, sampling_rate=request.param)


def _mini_ptbxl(ptbxl_path, tmp_path, ecg_ids=(1, 2, 3)):
    """Copy a 3-record PTB-XL (100 Hz files, both tables) to tmp_path."""
    lines = (ptbxl_path / "ptbxl_database.csv").read_text("utf-8").splitlines(keepends=True)
    rows = [line for line in lines[1:] if int(line.split(",", 1)[0]) in ecg_ids]
    (tmp_path / "ptbxl_database.csv").write_text("".join(lines[:1] + rows), "utf-8")
    shutil.copy(ptbxl_path / "scp_statements.csv", tmp_path)
    (tmp_path / "records100" / "00000").mkdir(parents=True)
    for ecg_id in ecg_ids:
        for ext in (".hea", ".dat"):
            name = f"records100/00000/{ecg_id:05d}_lr{ext}"
            shutil.copy(ptbxl_path / name, tmp_path / name)
    return tmp_path


def _tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------- PTB-XL


def test_load_ptbxl_shapes_units_and_superclass_counts(ptbxl):
    rate, data = ptbxl
    assert data.ecg.shape == (434, 12, 10 * rate)
    assert data.ecg.dtype == np.float32
    assert data.sfreq == rate
    assert data.ch_names == LEADS
    assert data.target_names == list(SUPERCLASS_COUNTS)
    assert data.target.shape == (434, 5)
    assert dict(zip(data.target_names, data.target.sum(axis=0))) == SUPERCLASS_COUNTS
    assert (data.target.sum(axis=1) == 0).sum() == 10
    assert len(np.unique(data.groups)) == 407
    for key in ("ecg_id", "strat_fold", "age", "sex", "groups"):
        assert data[key].shape == (434,)
    assert set(np.unique(data.sex)) <= {0, 1}
    assert "434 records of 407 patients" in data.DESCR
    assert "CC BY 4.0" in data.DESCR


def test_load_ptbxl_values_are_millivolts(ptbxl, ptbxl_path):
    rate, data = ptbxl
    suffix = "hr" if rate == 500 else "lr"
    raw = wfdb.rdrecord(str(ptbxl_path / f"records{rate}/00000/00001_{suffix}"), physical=False)
    assert raw.units == ["mV"] * 12 and raw.adc_gain == [1000.0] * 12
    index = np.flatnonzero(data.ecg_id == 1)[0]
    np.testing.assert_allclose(data.ecg[index], raw.d_signal.T / 1000.0, atol=1e-6)
    # a 12-lead ECG in mV: R waves of tenths of mV to a few mV
    peak = np.abs(data.ecg).max(axis=(1, 2))
    assert 0.2 < np.median(peak) < 5


def test_load_ptbxl_groups_are_patient_ids(ptbxl):
    _, data = ptbxl
    np.testing.assert_array_equal(data.groups, data.metadata["patient_id"].astype(int))
    np.testing.assert_array_equal(data.ecg_id, data.metadata.index)
    assert data.metadata.loc[1, "scp_codes"] == {"NORM": 100.0, "LVOLT": 0.0, "SR": 0.0}
    for train, test in GroupKFold(n_splits=3).split(data.ecg, groups=data.groups):
        assert not set(data.groups[train]) & set(data.groups[test])


def test_load_ptbxl_folds_and_ecg_ids(ptbxl_path):
    folds = [1, 9]
    data = load_ptbxl(ptbxl_path, sampling_rate=100, folds=folds)
    assert folds == [1, 9]
    assert set(data.strat_fold) == {1, 9}
    table = pd.read_csv(ptbxl_path / "ptbxl_database.csv")
    expected = table.loc[table["strat_fold"].isin(folds), "ecg_id"]
    np.testing.assert_array_equal(data.ecg_id, expected)
    ecg_ids = np.array([5, 2, 8])
    subset = load_ptbxl(ptbxl_path, sampling_rate=100, ecg_ids=ecg_ids)
    np.testing.assert_array_equal(ecg_ids, [5, 2, 8])
    np.testing.assert_array_equal(subset.ecg_id, [2, 5, 8])
    assert subset.ecg.shape == (3, 12, 1000)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sampling_rate": 250}, "sampling_rate must be 100 or 500"),
        ({"folds": 10}, "no record of PTB-XL is in folds"),
        ({"folds": [0, 3]}, "folds must be strat_fold values"),
        ({"folds": "1"}, "folds must be an integer"),
        ({"ecg_ids": [1, 999999]}, "ecg_ids \\[999999\\] are not in the database"),
    ],
)
def test_load_ptbxl_rejects_bad_parameters(ptbxl_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_ptbxl(ptbxl_path, **kwargs)


def test_load_ptbxl_path_that_is_not_a_database(tmp_path, ptbxl_path):
    with pytest.raises(FileNotFoundError, match="not a PTB-XL database.*ptbxl_database.csv"):
        load_ptbxl(tmp_path)
    shutil.copy(ptbxl_path / "ptbxl_database.csv", tmp_path)
    with pytest.raises(FileNotFoundError, match="scp_statements.csv"):
        load_ptbxl(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_ptbxl(tmp_path / "nowhere")


def test_load_ptbxl_corrupted_header_names_the_file(tmp_path, ptbxl_path):
    root = _mini_ptbxl(ptbxl_path, tmp_path)
    header = root / "records100/00000/00002_lr.hea"
    header.write_text("00002_lr twelve lead garbage\nnot a signal line\n")
    with pytest.raises(ValueError, match="cannot parse WFDB header .*00002_lr.hea"):
        load_ptbxl(root, sampling_rate=100)


def test_load_ptbxl_missing_dat_names_the_file(tmp_path, ptbxl_path):
    root = _mini_ptbxl(ptbxl_path, tmp_path)
    (root / "records100/00000/00003_lr.dat").unlink()
    with pytest.raises(FileNotFoundError, match="00003_lr.dat"):
        load_ptbxl(root, sampling_rate=100)
    with pytest.raises(FileNotFoundError, match="00001_hr.hea"):
        load_ptbxl(root, sampling_rate=500)  # the 500 Hz files were never copied


def test_load_ptbxl_truncated_dat_names_the_record(tmp_path, ptbxl_path):
    root = _mini_ptbxl(ptbxl_path, tmp_path)
    dat = root / "records100/00000/00002_lr.dat"
    dat.write_bytes(dat.read_bytes()[:1000])
    with pytest.raises(ValueError, match="00002_lr"):
        load_ptbxl(root, sampling_rate=100)


def test_load_ptbxl_leaves_files_unchanged(tmp_path, ptbxl_path):
    root = _mini_ptbxl(ptbxl_path, tmp_path)
    before = _tree_digest(root)
    load_ptbxl(root, sampling_rate=100)
    assert _tree_digest(root) == before


# ------------------------------------------------------------------ read_wfdb


def test_read_wfdb_channel_selection_and_slicing(ptbxl_path):
    records = ["records100/00000/00001_lr", "records100/00000/00002_lr"]
    full = read_wfdb(records, directory=ptbxl_path)
    assert full.ecg.shape == (2, 12, 1000) and full.units == ["mV"] * 12
    np.testing.assert_array_equal(full.record_names, ["00001_lr", "00002_lr"])
    channels = ["V1", "I"]
    part = read_wfdb(records, directory=ptbxl_path, channels=channels, sampfrom=100, sampto=300)
    assert channels == ["V1", "I"]
    assert part.ch_names == ["V1", "I"] and part.ecg.shape == (2, 2, 200)
    np.testing.assert_array_equal(part.ecg, full.ecg[:, [6, 0], 100:300])
    single = read_wfdb(ptbxl_path / records[0])
    np.testing.assert_array_equal(single.ecg, full.ecg[:1])


def _write_record(folder, name, signal, units, fs=250.0, sig_name=None):
    sig_name = sig_name or [f"ch{i}" for i in range(signal.shape[1])]
    wfdb.wrsamp(
        name, fs=fs, units=units, sig_name=sig_name, p_signal=signal, fmt=["16"] * len(units),
        adc_gain=[1000.0] * len(units), baseline=[0] * len(units), write_dir=str(folder),
    )
    return folder / name


def test_read_wfdb_converts_voltage_units_to_mv(tmp_path):
    signal = np.tile(np.array([[1.0, 2.0, 3.0]]), (50, 1))
    path = _write_record(tmp_path, "units", signal, ["uV", "V", "mV"])
    data = read_wfdb(path, dtype=np.float64)
    np.testing.assert_allclose(data.ecg[0, :, 0], [1e-3, 2e3, 3.0])
    assert data.units == ["mV"] * 3
    kept = read_wfdb(path, to_mv=False)
    assert kept.units == ["uV", "V", "mV"]
    np.testing.assert_allclose(kept.ecg[0, :, 0], [1.0, 2.0, 3.0])
    pressure = _write_record(tmp_path, "bp", signal[:, :1], ["mmHg"])
    with pytest.raises(ValueError, match="unit 'mmHg'.*not a voltage"):
        read_wfdb(pressure)


def test_read_wfdb_rejects_mismatched_records(tmp_path):
    signal = np.zeros((100, 2))
    a = _write_record(tmp_path, "a", signal, ["mV", "mV"])
    short = _write_record(tmp_path, "short", signal[:60], ["mV", "mV"])
    fast = _write_record(tmp_path, "fast", signal, ["mV", "mV"], fs=500.0)
    other = _write_record(tmp_path, "other", signal, ["mV", "mV"], sig_name=["x", "y"])
    with pytest.raises(ValueError, match="different lengths.*short"):
        read_wfdb([a, short])
    assert read_wfdb([a, short], crop=True).ecg.shape == (2, 2, 60)
    assert read_wfdb([a, short], sampto=50).ecg.shape == (2, 2, 50)
    with pytest.raises(ValueError, match="short has 60 samples"):
        read_wfdb([a, short], sampto=80)
    with pytest.raises(ValueError, match="fast is sampled at 500.0 Hz"):
        read_wfdb([a, fast])
    with pytest.raises(ValueError, match="other has channels"):
        read_wfdb([a, other])
    with pytest.raises(ValueError, match="has no channel \\['x'\\]"):
        read_wfdb([a, other], channels=["x"])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"records": []}, ValueError, "records is empty"),
        ({"records": 3}, TypeError, "records must be a path"),
        ({"records": "nope"}, FileNotFoundError, "nope.hea not found"),
        ({"records": "a", "sampfrom": -1}, ValueError, "sampfrom"),
        ({"records": "a", "sampto": 0}, ValueError, "sampto"),
        ({"records": "a", "channels": "ch0"}, TypeError, "channels must be a sequence"),
        ({"records": "a", "channels": ["ch0", "ch0"]}, ValueError, "without repeats"),
        ({"records": "a", "dtype": np.int16}, ValueError, "dtype"),
    ],
)
def test_read_wfdb_rejects_bad_input(tmp_path, kwargs, error, match):
    _write_record(tmp_path, "a", np.zeros((10, 2)), ["mV", "mV"])
    with pytest.raises(error, match=match):
        read_wfdb(directory=tmp_path, **kwargs)


# ---------------------------------------------------------------------- PTB-DB


def test_load_ptbdb_shared_record(ptbdb_path):
    data = load_ptbdb(ptbdb_path)
    assert data.ecg.shape == (1, 15, 38400)
    assert data.sfreq == 1000.0
    assert data.ch_names[-3:] == ["vx", "vy", "vz"] and len(data.ch_names) == 15
    assert data.target_names[data.target[0]] == "myocardial infarction"
    assert data.reason[0] == "myocardial infarction"
    assert data.age[0] == 81 and data.sex[0] == 1
    np.testing.assert_array_equal(data.groups, ["patient001"])
    np.testing.assert_array_equal(data.n_times_original, [38400])
    row = data.metadata.iloc[0]
    assert row["Reason for admission"] == "Myocardial infarction"
    assert row["Acute infarction (localization)"] == "infero-latera"
    assert row["Catheterization date (Therapy)"] == "16-Oct-90"
    raw = wfdb.rdrecord(str(ptbdb_path / PTBDB_RECORD))
    np.testing.assert_allclose(data.ecg[0], raw.p_signal.T, atol=1e-6)
    assert "myocardial infarction 1" in data.DESCR


def test_load_ptbdb_crops_to_shortest_or_sampto(tmp_path, ptbdb_path):
    shutil.copytree(ptbdb_path / "patient001", tmp_path / "patient001")
    raw = wfdb.rdrecord(str(ptbdb_path / PTBDB_RECORD))
    (tmp_path / "patient002").mkdir()
    wfdb.wrsamp(
        "s0011_re", fs=1000, units=raw.units, sig_name=raw.sig_name,
        p_signal=raw.p_signal[:2000], fmt=["16"] * 15, adc_gain=[2000.0] * 15,
        baseline=[0] * 15, write_dir=str(tmp_path / "patient002"),
        comments=[
            "age: n/a", "sex: male", "Diagnose:", "Reason for admission: Heart failure (NYHA 2)"
        ],
    )
    data = load_ptbdb(tmp_path)
    assert data.ecg.shape == (2, 15, 2000)
    np.testing.assert_array_equal(data.n_times_original, [38400, 2000])
    np.testing.assert_array_equal(data.reason, ["myocardial infarction", "heart failure"])
    np.testing.assert_array_equal(data.groups, ["patient001", "patient002"])
    assert np.isnan(data.age[1]) and data.sex[1] == 0
    np.testing.assert_allclose(data.ecg[1], data.ecg[0], atol=1e-3)
    assert load_ptbdb(tmp_path, sampto=500).ecg.shape == (2, 15, 500)
    with pytest.raises(ValueError, match="s0011_re has 2000 samples"):
        load_ptbdb(tmp_path, sampto=5000)


def test_load_ptbdb_errors_name_the_file(tmp_path, ptbdb_path):
    with pytest.raises(FileNotFoundError, match="no PTB Diagnostic record"):
        load_ptbdb(tmp_path)
    shutil.copytree(ptbdb_path / "patient001", tmp_path / "patient001")
    header = tmp_path / PTBDB_RECORD
    text = header.with_suffix(".hea").read_text()
    header.with_suffix(".hea").write_text(text.replace("Myocardial infarction", "Gout"))
    with pytest.raises(ValueError, match="unknown reason for admission 'Gout' in .*s0010_re.hea"):
        load_ptbdb(tmp_path)
    header.with_suffix(".xyz").unlink()
    with pytest.raises(FileNotFoundError, match="s0010_re.xyz"):
        load_ptbdb(tmp_path)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Myocardial infarction", "myocardial infarction"),
        ("  HEALTHY CONTROL ", "healthy control"),
        ("Heart failure (NYHA 3)", "heart failure"),
        ("Bundle branch block", "bundle branch block"),
        ("Valvular heart disease", "valvular heart disease"),
        ("Unstable angina", "unstable angina"),
        ("Stable angina", "stable angina"),
        ("Palpitation", "palpitation"),
        ("n/a", "n/a"),
        ("", "n/a"),
    ],
)
def test_normalize_reason_variants(text, expected):
    assert normalize_reason(text) == expected


def test_normalize_reason_rejects_partial_words():
    with pytest.raises(ValueError, match="'nausea'"):
        normalize_reason("nausea")


def test_parse_ptbdb_comments_sections_and_repeats():
    comments = ["age: 81", "", "Diagnose:", "Reason for admission: Healthy control",
                "Therapy:", "age: 82", "no colon here"]
    assert parse_ptbdb_comments(comments) == {
        "age": "81", "Reason for admission": "Healthy control", "age (Therapy)": "82",
    }


# ------------------------------------------------------------- shipped sample


def test_load_sample_ecg_needs_nothing_outside_the_package():
    data = load_sample_ecg()
    assert data.ecg.shape == (56, 12, 5000) and data.sfreq == 500.0
    assert data.ch_names == LEADS
    assert data.target.shape == (56, 5) and (data.target.sum(axis=0) > 0).all()
    assert len(np.unique(data.strat_fold)) >= 2
    assert len(np.unique(data.groups)) == 53
    assert 0.2 < np.median(np.abs(data.ecg).max(axis=(1, 2))) < 5
    assert "CC BY 4.0" in data.DESCR and "Wagner" in data.DESCR
    assert load_sample_ecg(dtype=np.float64).ecg.dtype == np.float64


def test_sample_ecg_is_small_and_keeps_attribution():
    folder = resources.files("sklearn_ecgmcg.datasets").joinpath("data", "ptbxl_sample")
    with resources.as_file(folder) as folder:
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert sum(p.stat().st_size for p in files) < 5 * 2**20
        names = {p.name for p in files}
        assert {"LICENSE.txt", "README.md"} <= names
        assert "Attribution 4.0" in (folder / "LICENSE.txt").read_text("utf-8")


def test_load_sample_ecg_matches_load_ptbxl(ptbxl_path):
    sample = load_sample_ecg()
    data = load_ptbxl(ptbxl_path, sampling_rate=500, ecg_ids=sample.ecg_id)
    assert set(sample) == set(data)
    np.testing.assert_array_equal(sample.ecg, data.ecg)
    for key in ("target", "groups", "strat_fold", "sex", "age"):
        np.testing.assert_array_equal(sample[key], data[key])
