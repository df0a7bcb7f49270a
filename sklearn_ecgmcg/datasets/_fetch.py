"""Cached, checksum-verified download of PTB-XL from PhysioNet."""

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor
from numbers import Real
from pathlib import Path

import pandas as pd

from ..utils._validation import check_positive_int
from ._ptbxl import _FILENAME_COLUMN, DATABASE_CSV, STATEMENTS_CSV, _select, load_ptbxl

__all__ = ["get_data_home", "fetch_ptbxl", "PTBXL_URL"]

PTBXL_URL = "https://physionet.org/files/ptb-xl/1.0.3/"
DATA_HOME_ENV = "SKLEARN_ECGMCG_DATA"
CHECKSUMS = "SHA256SUMS.txt"
# Files whose checksum mismatch is a warning, not an error: the record index is
# the one file a mirror of a PTB-XL subset must shorten. Every record file and
# the statement table are still verified strictly.
_INDEX_FILES = {DATABASE_CSV}
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)


def get_data_home(data_home=None):
    """Return the folder where downloaded data sets are cached, creating it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder. None uses the environment variable
        ``SKLEARN_ECGMCG_DATA`` when set, else ``~/sklearn_ecgmcg_data``.

    Returns
    -------
    data_home : pathlib.Path
        The folder, with ``~`` expanded.
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or Path("~") / "sklearn_ecgmcg_data"
    data_home = Path(data_home).expanduser()
    data_home.mkdir(parents=True, exist_ok=True)
    return data_home


def fetch_ptbxl(
    data_home=None,
    sampling_rate=500,
    download_if_missing=True,
    *,
    folds=None,
    ecg_ids=None,
    base_url=PTBXL_URL,
    n_jobs=4,
    timeout=60,
):
    """Download PTB-XL into a local cache (once) and load it.

    Files go to ``get_data_home(data_home) / "ptbxl"`` with PhysioNet's
    layout. A file already there is not downloaded again. Every downloaded
    file that has a line in PhysioNet's ``SHA256SUMS.txt`` is checked
    against it, and so is every cached file before it is reused: a record
    file or ``scp_statements.csv`` that does not match is downloaded again
    once, then raises. A mismatch of ``ptbxl_database.csv``, the record index,
    only warns, because a mirror that serves a subset of PTB-XL has to
    shorten it; the records it lists are still verified one by one (turn the
    warning into an error with ``warnings.simplefilter("error", UserWarning)``).
    Files without a checksum line are accepted as downloaded.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    sampling_rate : {100, 500}, default=500
        Which version of the records to download and load.
    download_if_missing : bool, default=True
        If False, use only the cache and raise when a needed file is missing.
    folds : int or sequence of int, default=None
        Download and load only the records of these ``strat_fold`` values.
    ecg_ids : sequence of int, default=None
        Download and load only these records.
    base_url : str, default=PTBXL_URL
        URL of the PTB-XL folder (PhysioNet's ptb-xl 1.0.3 files), or of a
        mirror with the same layout.
    n_jobs : int, default=4
        Number of files downloaded at the same time.
    timeout : float, default=60
        Seconds to wait for a server response.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The output of :func:`load_ptbxl` on the cached folder.

    Raises
    ------
    ConnectionError
        If the server cannot be reached; the message names the URL.
    OSError
        If the server refuses a file (HTTP error), a file stays corrupted
        after a second download, or, with ``download_if_missing=False``, a
        file is not in the cache.
    ValueError
        If ``sampling_rate`` is not 100 or 500, or ``n_jobs`` or ``timeout``
        is not positive (checked before any download).
    """
    if sampling_rate not in _FILENAME_COLUMN:
        raise ValueError(f"sampling_rate must be 100 or 500 (Hz); got {sampling_rate!r}.")
    n_jobs = check_positive_int(n_jobs, name="n_jobs")
    if not isinstance(timeout, Real) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds; got {timeout!r}.")
    cache = _Cache(
        get_data_home(data_home) / "ptbxl", base_url, download_if_missing, timeout
    )
    cache.ensure(CHECKSUMS, verify=False)
    cache.load_checksums()
    for name in (DATABASE_CSV, STATEMENTS_CSV, "LICENSE.txt"):
        cache.ensure(name)
    database = _select(
        pd.read_csv(cache.folder / DATABASE_CSV, index_col="ecg_id"), folds, ecg_ids
    )
    files = [
        f"{record}{ext}"
        for record in database[_FILENAME_COLUMN[sampling_rate]]
        for ext in (".hea", ".dat")
    ]
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        list(pool.map(cache.ensure, files))
    return load_ptbxl(cache.folder, sampling_rate, folds, ecg_ids=ecg_ids)


class _Cache:
    """A local mirror of a remote folder, filled file by file on demand."""

    def __init__(self, folder, base_url, download_if_missing, timeout):
        self.folder = Path(folder)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.download_if_missing = download_if_missing
        self.timeout = timeout
        self.checksums = {}

    def load_checksums(self):
        for line in (self.folder / CHECKSUMS).read_text("utf-8").splitlines():
            digest, _, name = line.strip().partition(" ")
            if name:
                self.checksums[name.strip().lstrip("*")] = digest.lower()

    def ensure(self, name, verify=True):
        """Make ``name`` present and verified in the cache; return its path."""
        path = self.folder / name
        if path.is_file() and (not verify or self._matches(name, warn=False)):
            return path
        if not self.download_if_missing:
            state = "is corrupted" if path.is_file() else "is not"
            raise OSError(
                f"{path} {state} in the cache and download_if_missing=False; pass "
                "download_if_missing=True to download it."
            )
        for attempt in range(2):
            self._download(name)
            if not verify or self._matches(name, warn=attempt == 0):
                return path
        path.unlink()
        raise OSError(
            f"{self.base_url}{name} does not match its SHA-256 checksum in {CHECKSUMS} "
            "after two downloads (corrupted on the server or in transit); the file was "
            "removed from the cache."
        )

    def _matches(self, name, warn):
        expected = self.checksums.get(name)
        if expected is None or _sha256(self.folder / name) == expected:
            return True
        if name in _INDEX_FILES:
            if warn:
                warnings.warn(
                    f"{name} from {self.base_url} does not match PhysioNet's checksum; "
                    "expected when the server holds a subset of PTB-XL. Each record "
                    "file it lists is still verified.",
                    UserWarning,
                    stacklevel=4,
                )
            return True
        return False

    def _download(self, name):
        url = self.base_url + name
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(
                url, timeout=self.timeout
            ) as response:
                shutil.copyfileobj(response, out)
            os.replace(tmp, path)
        except urllib.error.HTTPError as exc:
            raise OSError(f"downloading {url} failed: HTTP {exc.code} {exc.reason}.") from exc
        except _NETWORK_ERRORS as exc:
            raise ConnectionError(
                f"downloading {url} failed ({getattr(exc, 'reason', exc)}). Check the "
                "network connection and base_url, or pass download_if_missing=False to "
                "use only the files already cached."
            ) from exc
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
