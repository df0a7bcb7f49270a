"""On-disk signal corpus: the lazy reader (:class:`ECGCorpus`) and its file format.

Why NumPy ``.npy`` chunks and a JSON index, not zarr
---------------------------------------------------
A corpus is written once, in order, and read row by row in random order during
training. Plain ``.npy`` files give exactly that with NumPy alone: a fixed-size
header then C-ordered float32 rows, so row ``i`` is one ``pread`` at a known
offset, and any tool that reads ``.npy`` (``np.load(mmap_mode="r")``) reads a
chunk. zarr v3 would add compression and cloud object stores, at the cost of a
new dependency and a codec per read; ECG compresses poorly as float32 and the
corpora that motivated this (PTB-XL, CODE-15, MIMIC-IV-ECG) fit on a local disk.

Layout of a corpus folder
-------------------------
``corpus.json``
    The index: format and version, ``complete``, ``sfreq``, ``ch_names``,
    ``n_times``, ``modality``, ``target_names``, the writer's ``fingerprint``
    (what was asked for, checked on resume) and the list of finished
    ``chunks`` (file, number of records, SHA-256). It is replaced atomically
    after each chunk, so it only ever lists chunks that were written whole.
``chunk_NNNNNN.npy``
    ``(n_records, n_channels, n_times)`` float32 signals.
``chunk_NNNNNN.json``
    ``record_ids``, ``groups`` (patient ids) and ``target`` of those records.

Rows are read with ``os.preadv`` into fresh arrays (not memory-mapped), so the
pages a training run reads count towards the page cache, not the process's
resident memory: memory stays bounded by the batch.
"""

import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np

__all__ = ["ECGCorpus"]

FORMAT = "sklearn_ecgmcg-corpus"
FORMAT_VERSION = 1
INDEX_FILE = "corpus.json"
DTYPE = np.dtype("<f4")


def chunk_names(number):
    """Data and metadata file names of chunk ``number``."""
    return f"chunk_{number:06d}.npy", f"chunk_{number:06d}.json"


def read_index(path):
    """The parsed ``corpus.json`` of folder ``path`` (errors name the file)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Corpus path {path} does not exist.")
    index_file = path / INDEX_FILE
    if not index_file.is_file():
        raise FileNotFoundError(
            f"{path} is not a corpus: {index_file} not found (write one with "
            "sklearn_ecgmcg.datasets.write_corpus)."
        )
    try:
        index = json.loads(index_file.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"Corpus index {index_file} is corrupt: {error}.") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise ValueError(f"{index_file} is not a sklearn_ecgmcg corpus index.")
    if index.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{index_file} has corpus format version {index.get('format_version')}; "
            f"this version of sklearn_ecgmcg reads version {FORMAT_VERSION}."
        )
    return index


def write_atomic(path, data):
    """Write bytes to ``path`` through a temporary file and ``os.replace``."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)


def npy_bytes(array):
    """The ``.npy`` file content of a C-ordered array (header + data)."""
    header = {"descr": np.lib.format.dtype_to_descr(array.dtype),
              "fortran_order": False, "shape": array.shape}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + np.ascontiguousarray(array).tobytes()


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(2**22), b""):
            digest.update(block)
    return digest.hexdigest()


def _chunk_data_offset(file_path, expected_shape):
    """Byte offset of the rows of a chunk, after checking its header and size."""
    try:
        with open(file_path, "rb") as file:
            version = np.lib.format.read_magic(file)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(file)
            offset = file.tell()
    except FileNotFoundError:
        raise FileNotFoundError(f"Corpus chunk {file_path} is missing.") from None
    except (ValueError, OSError, SyntaxError) as error:
        raise ValueError(f"Corpus chunk {file_path} is corrupt: {error}") from None
    if tuple(shape) != tuple(expected_shape) or fortran or dtype != DTYPE:
        raise ValueError(
            f"Corpus chunk {file_path} holds {dtype} {tuple(shape)}, but the index "
            f"says float32 {tuple(expected_shape)}: the chunk is corrupt or from "
            "another corpus."
        )
    size = os.path.getsize(file_path)
    expected = offset + int(np.prod(shape)) * DTYPE.itemsize
    if size != expected:
        raise ValueError(
            f"Corpus chunk {file_path} is truncated or corrupt: {size} bytes, "
            f"{expected} expected from its header."
        )
    return offset


class ECGCorpus:
    """A corpus of signals on disk, read record by record on demand.

    Written by :func:`write_corpus`. Every estimator's ``fit`` and
    ``transform`` accept it in place of an array: records are read batch by
    batch, so memory stays bounded by the batch, not the corpus. Indexing
    returns NumPy arrays: ``corpus[i]`` is one record ``(n_channels,
    n_times)``, ``corpus[a:b]`` or ``corpus[[i, j]]`` several.

    Parameters
    ----------
    path : str or path-like
        Folder written by :func:`write_corpus`.
    verify : bool, default=False
        Also check every chunk's SHA-256 against the index (reads the whole
        corpus once). Without it, each chunk's header and size are checked,
        which finds missing, truncated and replaced chunks.

    Attributes
    ----------
    shape : tuple of int
        ``(n_records, n_channels, n_times)``.
    sfreq : float
        Sampling rate in Hz.
    ch_names : list of str
        Channel names.
    record_ids : ndarray of shape (n_records,)
        Record identifiers (PTB-XL ``ecg_id``, a WFDB record path, ...).
    groups : ndarray of shape (n_records,)
        Patient id of each record, for subject-disjoint splits and the
        ``objective="patient"`` pretraining.
    target : ndarray or None
        Labels of each record (multi-hot for PTB-XL superclasses), or None.
    target_names : list of str or None
        Names of the labels.
    modality : {"ecg", "mcg"}
        What the signals are (ECG in mV, MCG in pT).

    Raises
    ------
    FileNotFoundError
        If ``path`` or a chunk is missing (the message names it).
    ValueError
        If the index or a chunk is corrupt or truncated, or the corpus was not
        finished (resume it with :func:`write_corpus`); the message names the file.

    Examples
    --------
    >>> from sklearn_ecgmcg.datasets import ECGCorpus
    >>> corpus = ECGCorpus("ptbxl_corpus")  # doctest: +SKIP
    >>> corpus.shape, corpus.sfreq  # doctest: +SKIP
    ((434, 12, 5000), 500.0)
    """

    ndim = 3
    dtype = DTYPE

    def __init__(self, path, *, verify=False):
        self.path = Path(path)
        index = read_index(self.path)
        if not index.get("complete"):
            done = sum(chunk["n_records"] for chunk in index.get("chunks", []))
            raise ValueError(
                f"Corpus {self.path} was not finished ({done} records written); run "
                "write_corpus again with the same source and path to resume it."
            )
        self.sfreq = float(index["sfreq"])
        self.ch_names = list(index["ch_names"])
        self.modality = index.get("modality", "ecg")
        self.target_names = index.get("target_names")
        self._open_chunks(index["chunks"], int(index["n_times"]), verify)
        self._handles = {}

    def _open_chunks(self, chunks, n_times, verify):
        record_shape = (len(self.ch_names), n_times)
        self._files, self._offsets, ids, groups, targets = [], [], [], [], []
        for chunk in chunks:
            file_path = self.path / chunk["file"]
            self._offsets.append(
                _chunk_data_offset(file_path, (chunk["n_records"], *record_shape))
            )
            if verify and file_sha256(file_path) != chunk["sha256"]:
                raise ValueError(
                    f"Corpus chunk {file_path} is corrupt: its SHA-256 differs from the index."
                )
            self._files.append(file_path)
            meta = _read_chunk_meta(self.path / chunk["meta"], chunk["n_records"])
            ids += meta["record_ids"]
            groups += meta["groups"]
            targets += meta["target"]
        counts = [chunk["n_records"] for chunk in chunks]
        self._starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.shape = (int(self._starts[-1]), *record_shape)
        self.record_ids = np.asarray(ids)
        self.groups = np.asarray(groups)
        has_target = any(value is not None for value in targets)
        self.target = np.asarray(targets) if has_target else None

    def __len__(self):
        return self.shape[0]

    @property
    def nbytes(self):
        """Bytes of signal data in the corpus."""
        return int(np.prod(self.shape)) * DTYPE.itemsize

    def __repr__(self):
        return (f"ECGCorpus({str(self.path)!r}: {self.shape[0]} records x "
                f"{self.shape[1]} channels x {self.shape[2]} samples at {self.sfreq:g} Hz)")

    def __getstate__(self):  # open file handles stay in their process
        return {**self.__dict__, "_handles": {}}

    def __getitem__(self, key):
        if isinstance(key, tuple):  # corpus[rows, channels, times]
            records, rest = self[key[0]], key[1:]
            if np.ndim(self._rows(key[0])) == 0:
                return records[rest]
            return records[(slice(None), *rest)]
        rows = self._rows(key)
        if np.ndim(rows) == 0:
            return self._read(int(rows), int(rows) + 1)[0]
        if isinstance(key, slice) and (key.step in (None, 1)) and len(rows):
            return self._read(int(rows[0]), int(rows[-1]) + 1)
        out = np.empty((len(rows), *self.shape[1:]), dtype=DTYPE)
        for position, row in enumerate(rows):
            self._read(int(row), int(row) + 1, out=out[position : position + 1])
        return out

    def _rows(self, key):
        n = len(self)
        if isinstance(key, slice):
            return np.arange(*key.indices(n))
        rows = np.asarray(key)
        if rows.dtype.kind == "b":
            if rows.shape != (n,):
                raise IndexError(f"boolean index of shape {rows.shape} for {n} records")
            return np.flatnonzero(rows)
        if rows.dtype.kind not in "iu" or rows.ndim > 1:
            raise IndexError(f"ECGCorpus indices must be integers or slices; got {key!r}.")
        if np.any(rows >= n) or np.any(rows < -n):
            raise IndexError(f"record index out of range for a corpus of {n} records")
        return np.where(rows < 0, rows + n, rows)

    def _read(self, start, stop, out=None):
        """Rows ``start:stop`` (contiguous), across chunk boundaries."""
        if out is None:
            out = np.empty((stop - start, *self.shape[1:]), dtype=DTYPE)
        row_bytes = int(np.prod(self.shape[1:])) * DTYPE.itemsize
        position = start
        while position < stop:
            chunk = int(np.searchsorted(self._starts, position, side="right")) - 1
            end = min(stop, int(self._starts[chunk + 1]))
            target = out[position - start : end - start]
            offset = self._offsets[chunk] + (position - int(self._starts[chunk])) * row_bytes
            _read_into(self._handle(chunk), target, offset, self._files[chunk])
            position = end
        return out

    def _handle(self, chunk):
        key = (os.getpid(), chunk)  # a DataLoader worker opens its own descriptors
        if key not in self._handles:
            self._handles[key] = os.open(self._files[chunk], os.O_RDONLY)
        return self._handles[key]

    def __del__(self):
        for descriptor in getattr(self, "_handles", {}).values():
            try:
                os.close(descriptor)
            except OSError:
                pass


def _read_into(descriptor, target, offset, file_path):
    view = memoryview(target).cast("B")
    n_read = os.preadv(descriptor, [view], offset) if hasattr(os, "preadv") else None
    if n_read is None:  # platforms without preadv
        data = os.pread(descriptor, len(view), offset)
        n_read = len(data)
        view[:n_read] = data
    if n_read != len(view):
        raise ValueError(f"Corpus chunk {file_path} is truncated: a read came back short.")


def _read_chunk_meta(meta_path, n_records):
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"Corpus metadata {meta_path} is missing.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"Corpus metadata {meta_path} is corrupt: {error}.") from None
    if any(len(meta.get(key, ())) != n_records for key in ("record_ids", "groups", "target")):
        raise ValueError(
            f"Corpus metadata {meta_path} does not list {n_records} records as its chunk holds."
        )
    return meta
