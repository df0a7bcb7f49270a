"""Reading device exports as delimited text (read_recording), on files written here."""

import numpy as np
import pytest

from sklearn_ecgmcg.datasets import read_recording

RATE = 500.0


def _signals(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE + rng.normal(0, 1e-5, n)  # a device clock with jitter
    return t, np.round(rng.normal(0, 1, (2, n)), 6)


def _write(path, rows, separator, decimal=".", header=None):
    lines = [separator.join(header)] if header else []
    for row in rows:
        cells = [f"{v:.6f}" for v in row]
        lines.append(separator.join(c.replace(".", decimal) for c in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "separator, decimal, header, unit",
    [
        (",", ".", ["time", "ecg", "mcg"], "s"),
        (";", ",", ["Zeit (ms)", "ECG", "MCG"], "ms"),
        ("\t", ",", ["t [s]", "a", "b"], "s"),
        (" ", ".", ["timestamp", "x", "y"], "ms"),
    ],
)
def test_text_exports_round_trip(tmp_path, separator, decimal, header, unit):
    t, x = _signals()
    scale = 1e3 if unit == "ms" else 1.0
    path = _write(tmp_path / "rec.txt", np.column_stack([t * scale, x.T]), separator, decimal,
                  header)
    before = path.read_bytes()
    rec = read_recording(path)
    assert path.read_bytes() == before  # nothing written
    np.testing.assert_allclose(rec.signals, x, atol=1e-6)
    np.testing.assert_allclose(rec.times, np.round(t * scale, 6) / scale, atol=1e-9)
    assert rec.sfreq == pytest.approx(RATE, rel=1e-3) and rec.jitter < 0.05
    assert rec.ch_names == header[1:] and rec.decimal == decimal
    assert rec.start_time == pytest.approx(t[0], abs=1e-6)


def test_a_file_without_header_or_time_needs_sfreq(tmp_path):
    _, x = _signals()
    path = _write(tmp_path / "bare.csv", x.T, ";", ",")
    with pytest.raises(ValueError, match="no time column found; pass time_column= or sfreq="):
        read_recording(path)
    rec = read_recording(path, sfreq=RATE)
    np.testing.assert_allclose(rec.signals, x, atol=1e-6)
    assert rec.ch_names == ["ch0", "ch1"] and rec.sfreq == pytest.approx(RATE)
    t, _ = _signals()
    timed = _write(tmp_path / "bare_timed.csv", np.column_stack([t, x.T]), ";", ",")
    rec = read_recording(timed, time_column=0)
    np.testing.assert_allclose(rec.signals, x, atol=1e-6)
    assert rec.ch_names == ["ch1", "ch2"] and rec.sfreq == pytest.approx(RATE, rel=1e-3)


@pytest.mark.parametrize(
    "text, match",
    [
        ("", r"empty\.csv is empty"),
        ("time,a\n0.000,1.0\n0.002,2.0,3.0\n0.004,1.0\n", r"row|different lengths|fewer cells"),
        ("time,a\n0.000,1.0\n0.002,abc\n0.004,1.0\n", r"row 3, column 2 holds 'abc', not a number"),
        ("time,a\n0.000,1.0\n0.004,2.0\n0.002,1.0\n", r"row 3 .* duplicated or out-of-order"),
        ("time,a\n" + "".join(f"{0.002 * i:.3f},1.0\n" for i in range(9)) + "0.900,1.0\n",
         r"jumps by 0.884 s before row 11"),
    ],
)
def test_malformed_files_name_file_and_row(tmp_path, text, match):
    path = tmp_path / "empty.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=match) as info:
        read_recording(path)
    assert "empty.csv" in str(info.value)


def test_an_unreadable_file_is_a_value_error(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x82" * 10)
    with pytest.raises(ValueError, match="cannot be read as text"):
        read_recording(path)


def _write_edf(path, data, rate, labels, units, bdf=False):
    edfio = pytest.importorskip("edfio")
    signal_type = edfio.BdfSignal if bdf else edfio.EdfSignal
    signals = [signal_type(d, rate, label=lab, physical_dimension=u,
                           physical_range=(-10.0, 10.0))
               for d, lab, u in zip(data, labels, units)]
    (edfio.Bdf if bdf else edfio.Edf)(signals).write(path)
    return path


@pytest.mark.parametrize("suffix", [".edf", ".bdf"])
def test_edf_and_bdf_round_trip(tmp_path, suffix):
    _, x = _signals(n=1000)
    x = np.clip(x, -9.9, 9.9)
    path = _write_edf(tmp_path / f"rec{suffix}", x, RATE, ["ECG II", "MCG 1"], ["mV", "pT"],
                      bdf=suffix == ".bdf")
    rec = read_recording(path)
    resolution = 20.0 / (2**24 if suffix == ".bdf" else 2**16)
    np.testing.assert_allclose(rec.signals, x, atol=resolution)
    assert rec.ch_names == ["ECG II", "MCG 1"] and rec.units == ["mV", "pT"]
    assert rec.sfreq == RATE and rec.times[1] == 1 / RATE
    only = read_recording(path, channels=["MCG 1"])
    assert only.signals.shape == (1, 1000)


def test_a_truncated_edf_names_the_file(tmp_path):
    _, x = _signals(n=1000)
    path = _write_edf(tmp_path / "cut.edf", np.clip(x, -9, 9), RATE, ["a", "b"], ["mV", "mV"])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.edf: cannot be read as EDF"):
        read_recording(path)
    with pytest.raises(ValueError, match=r"no signal labelled \['c'\]"):
        read_recording(_write_edf(tmp_path / "ok.edf", np.clip(x, -9, 9), RATE, ["a", "b"],
                                  ["mV", "mV"]), channels=["c"])


def test_mixed_decimal_marks_are_refused(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("time;a\n0.000;1.5\n0.002;1,5\n0.004;2.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"mixed\.csv: both decimal commas and decimal points"):
        read_recording(path)
