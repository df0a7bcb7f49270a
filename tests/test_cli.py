"""The command line's argument checks (the demo itself is exercised by `make demo`)."""

import os
import subprocess
import sys

import pytest

from sklearn_ecgmcg.cli import main


def test_bad_ptbxl_path_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="is not a PTB-XL folder: it has no ptbxl_database.csv"):
        main(["demo", "--out", str(tmp_path / "out"), "--ptbxl", str(tmp_path)])


def test_out_that_is_a_file_is_a_clear_error(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("x")
    with pytest.raises(SystemExit, match="exists and is not a directory"):
        main(["demo", "--out", str(path)])


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_unwritable_out_is_a_clear_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(SystemExit, match="not writable|cannot create"):
            main(["demo", "--out", str(locked / "sub")])
    finally:
        locked.chmod(0o700)


def test_out_under_a_file_is_a_clear_error(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("x")
    with pytest.raises(SystemExit, match="cannot create --out directory"):
        main(["demo", "--out", str(path / "sub")])


def test_module_entry_point_shows_help():
    result = subprocess.run([sys.executable, "-m", "sklearn_ecgmcg", "demo", "--help"],
                            capture_output=True, text=True, check=True)
    assert "report.html" in result.stdout
    assert "--ptbxl" in result.stdout
