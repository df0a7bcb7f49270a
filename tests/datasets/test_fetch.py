"""Tests of get_data_home and fetch_ptbxl against a real HTTP server on 127.0.0.1."""

import functools
import http.server
import shutil
import socket
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_ecgmcg.datasets import fetch_ptbxl, get_data_home, load_ptbxl

ECG_IDS = [1, 2, 3, 4, 5]  # all have a line in SHA256SUMS.txt
TABLES = ["SHA256SUMS.txt", "ptbxl_database.csv", "scp_statements.csv", "LICENSE.txt"]


class _Server:
    """Serve a folder over HTTP on 127.0.0.1 and record the requested paths."""

    def __init__(self, folder):
        self.requests = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path.lstrip("/"))
                super().do_GET()

            def log_message(self, *args):
                pass

        handler = functools.partial(Handler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    servers = []

    def start(folder):
        servers.append(_Server(folder))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _record_files(ecg_ids, rate=100):
    suffix = "lr" if rate == 100 else "hr"
    return [
        f"records{rate}/00000/{i:05d}_{suffix}{ext}" for i in ecg_ids for ext in (".hea", ".dat")
    ]


def _mirror(ptbxl_path, folder, ecg_ids):
    """A served copy of the shared PTB-XL subset with a few 100 Hz records."""
    for name in TABLES + _record_files(ecg_ids):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ptbxl_path / name, folder / name)
    return folder


def test_get_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_ECGMCG_DATA", str(tmp_path / "from_env"))
    assert get_data_home() == tmp_path / "from_env"
    assert (tmp_path / "from_env").is_dir()
    assert get_data_home(tmp_path / "explicit") == tmp_path / "explicit"
    monkeypatch.delenv("SKLEARN_ECGMCG_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_home() == tmp_path / "home" / "sklearn_ecgmcg_data"


def test_fetch_ptbxl_downloads_verifies_and_reuses_the_cache(tmp_path, ptbxl_path, serve):
    server = serve(ptbxl_path)
    ecg_ids = list(ECG_IDS)
    with pytest.warns(UserWarning, match="ptbxl_database.csv .*does not match"):
        data = fetch_ptbxl(
            tmp_path, sampling_rate=100, ecg_ids=ecg_ids, base_url=server.url, n_jobs=2
        )
    assert ecg_ids == ECG_IDS
    assert sorted(server.requests) == sorted(TABLES + _record_files(ECG_IDS))
    expected = load_ptbxl(ptbxl_path, sampling_rate=100, ecg_ids=ECG_IDS)
    np.testing.assert_array_equal(data.ecg, expected.ecg)
    np.testing.assert_array_equal(data.target, expected.target)
    for name in _record_files(ECG_IDS):
        assert (tmp_path / "ptbxl" / name).read_bytes() == (ptbxl_path / name).read_bytes()
    assert not list((tmp_path / "ptbxl").rglob("*.part"))

    # present and verified: nothing is downloaded again, and the cache alone suffices
    n_requests = len(server.requests)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*checksum")
        again = fetch_ptbxl(tmp_path, sampling_rate=100, ecg_ids=ECG_IDS, base_url=server.url)
    assert len(server.requests) == n_requests
    np.testing.assert_array_equal(again.ecg, data.ecg)
    server.close()
    offline = fetch_ptbxl(tmp_path, sampling_rate=100, ecg_ids=ECG_IDS, download_if_missing=False)
    np.testing.assert_array_equal(offline.ecg, data.ecg)


def test_fetch_ptbxl_replaces_a_corrupted_cached_file(tmp_path, ptbxl_path, serve):
    server = serve(ptbxl_path)
    with pytest.warns(UserWarning):
        fetch_ptbxl(tmp_path, sampling_rate=100, ecg_ids=[1, 2], base_url=server.url)
    cached = tmp_path / "ptbxl" / "records100/00000/00002_lr.dat"
    cached.write_bytes(b"\0" * cached.stat().st_size)
    with pytest.raises(OSError, match="00002_lr.dat is corrupted.*download_if_missing=False"):
        fetch_ptbxl(tmp_path, sampling_rate=100, ecg_ids=[1, 2], download_if_missing=False)
    del server.requests[:]
    data = fetch_ptbxl(tmp_path, sampling_rate=100, ecg_ids=[1, 2], base_url=server.url)
    assert server.requests == ["records100/00000/00002_lr.dat"]
    expected = load_ptbxl(ptbxl_path, sampling_rate=100, ecg_ids=[1, 2])
    np.testing.assert_array_equal(data.ecg, expected.ecg)


def test_fetch_ptbxl_rejects_a_tampered_download(tmp_path, ptbxl_path, serve):
    mirror = _mirror(ptbxl_path, tmp_path / "server", ECG_IDS[:3])
    dat = mirror / "records100/00000/00003_lr.dat"
    tampered = bytearray(dat.read_bytes())
    tampered[100] ^= 0xFF
    dat.write_bytes(bytes(tampered))
    server = serve(mirror)
    with pytest.warns(UserWarning), pytest.raises(OSError, match="00003_lr.dat does not match"):
        fetch_ptbxl(
            tmp_path / "cache", sampling_rate=100, ecg_ids=ECG_IDS[:3], base_url=server.url
        )
    assert server.requests.count("records100/00000/00003_lr.dat") == 2  # re-downloaded once
    assert not (tmp_path / "cache/ptbxl/records100/00000/00003_lr.dat").exists()
    assert (tmp_path / "cache/ptbxl/records100/00000/00001_lr.dat").is_file()


def test_fetch_ptbxl_rejects_a_tampered_label_table(tmp_path, ptbxl_path, serve):
    mirror = _mirror(ptbxl_path, tmp_path / "server", [1])
    table = mirror / "scp_statements.csv"
    table.write_text(table.read_text("utf-8").replace("NORM", "MI", 1), "utf-8")
    server = serve(mirror)
    with pytest.warns(UserWarning), pytest.raises(OSError, match="scp_statements.csv does not"):
        fetch_ptbxl(tmp_path / "cache", sampling_rate=100, ecg_ids=[1], base_url=server.url)


def test_fetch_ptbxl_offline_fails_cleanly(tmp_path):
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/ptb-xl/"
    with pytest.raises(ConnectionError, match=f"{url}SHA256SUMS.txt.*download_if_missing=False"):
        fetch_ptbxl(tmp_path, base_url=url, timeout=5)
    with pytest.raises(OSError, match="not in the cache and download_if_missing=False"):
        fetch_ptbxl(tmp_path, download_if_missing=False)
    assert not list(Path(tmp_path).rglob("*.part"))


def test_fetch_ptbxl_http_error_names_the_url(tmp_path, ptbxl_path, serve):
    server = serve(ptbxl_path)
    with pytest.raises(OSError, match="missing/SHA256SUMS.txt failed: HTTP 404"):
        fetch_ptbxl(tmp_path, base_url=server.url + "missing/")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"sampling_rate": 250}, ValueError, "sampling_rate must be 100 or 500"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be a positive integer"),
        ({"n_jobs": 2.5}, TypeError, "n_jobs must be a positive integer"),
        ({"timeout": 0}, ValueError, "timeout must be a positive number"),
    ],
)
def test_fetch_ptbxl_checks_parameters_before_any_download(
    tmp_path, serve, ptbxl_path, kwargs, error, match
):
    server = serve(ptbxl_path)
    with pytest.raises(error, match=match):
        fetch_ptbxl(tmp_path, base_url=server.url, **kwargs)
    assert server.requests == []
