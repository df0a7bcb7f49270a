"""Writing an on-disk corpus (:func:`write_corpus`) from WFDB files or a stream."""

import itertools
import json
import sys
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import wfdb
from tqdm import tqdm

from ._corpus import (
    DTYPE,
    FORMAT,
    FORMAT_VERSION,
    INDEX_FILE,
    ECGCorpus,
    chunk_names,
    file_sha256,
    npy_bytes,
    read_index,
    write_atomic,
)
from ._ptbxl import PTBXL_LEADS, SUPERCLASSES, read_ptbxl_tables, superclass_target
from ._wfdb import read_wfdb

__all__ = ["write_corpus"]

_PTBXL_COLUMN = {100: "filename_lr", 500: "filename_hr"}
_CHUNK_BYTES = 32 * 2**20


def write_corpus(source, path, *, n_times=None, channels=None, sampling_rate=500,
                 modality="ecg", chunk_records=None, verbose=1):
    """Write signals into one chunked on-disk corpus, resumably.

    The corpus (float32 ``.npy`` chunks and a JSON index, see
    :class:`ECGCorpus`) holds records of one length, one sampling rate and one
    channel set, with record ids, patient ids (``groups``) and labels. Records
    are written in order; after each chunk the index is replaced atomically, so
    a write that is interrupted (an error, Ctrl-C, a killed job) leaves a valid
    partial corpus, and calling ``write_corpus`` again with the same arguments
    resumes after the last finished chunk.

    Parameters
    ----------
    source : str, path-like or iterable of dict
        - A PTB-XL folder (it holds ``ptbxl_database.csv``): every record the
          table lists at ``sampling_rate``, the 12 leads in PTB-XL order,
          ``groups`` = ``patient_id``, ``target`` = multi-hot diagnostic
          superclasses, record ids = ``ecg_id``.
        - Any other folder: every WFDB record (``*.hea``) below it, sorted by
          path; record ids are the paths, ``groups`` the record's folder (one
          patient per folder, as in PTB Diagnostic) or the record itself at the
          top level; no labels.
        - An iterable of dict-like batches, e.g. the Bunches of
          :func:`simulate_paired_recordings`: ``batch[modality]`` of shape
          ``(n, n_channels, n_times)`` or ``(n_channels, n_times)``, ``sfreq``,
          channel names in ``f"{modality}_ch_names"`` or ``ch_names``, and
          optionally ``groups``, ``target``, ``target_names`` and
          ``record_ids``. Patient ids must be unique across batches (offset the
          simulator's subject numbers). On resume, the batches already written
          are skipped: a sequence is indexed past them, another iterable is
          iterated past them (so it must yield the same batches again).
    path : str or path-like
        Folder of the corpus; created if needed. A folder holding anything else,
        or a corpus written from another source or with other settings, is
        never overwritten (ValueError).
    n_times : int, default=None
        Samples per record. Longer records are cut into consecutive windows of
        ``n_times`` samples (record ids get ``:k`` appended), the remainder
        dropped; a shorter record is an error. None takes the first record's
        length.
    channels : sequence of str, default=None
        Channels to keep, in this order (WFDB folders only). None keeps the
        first record's channels (PTB-XL: the 12 standard leads).
    sampling_rate : {100, 500}, default=500
        PTB-XL only: which of its two record sets to read.
    modality : {"ecg", "mcg"}, default="ecg"
        What the signals are (ECG in mV, MCG in pT); a stream's batches are
        read from this key.
    chunk_records : int, default=None
        Records per chunk file (a chunk ends at a batch boundary, so it may
        hold a few more); None gives chunks of about 32 MB.
    verbose : int, default=1
        1 shows a progress bar (on a terminal only); 0 is silent.

    Returns
    -------
    corpus : ECGCorpus
        The finished corpus, opened for reading.

    Raises
    ------
    FileNotFoundError
        If ``source`` is a folder that does not exist.
    ValueError
        If ``path`` holds something else; if a record has another sampling rate,
        other channels, fewer than ``n_times`` samples or non-finite values than
        the corpus (the message names the record). For WFDB folders every header
        is checked before anything is written; for a stream each batch is checked
        before it is written, and the chunks finished before it stay valid.

    Examples
    --------
    >>> from sklearn_ecgmcg.datasets import write_corpus
    >>> corpus = write_corpus("../shared/data/ptbxl", "ptbxl_corpus")  # doctest: +SKIP
    >>> corpus.shape  # doctest: +SKIP
    (434, 12, 5000)
    """
    if modality not in ("ecg", "mcg"):
        raise ValueError(f'modality must be "ecg" or "mcg"; got {modality!r}.')
    if n_times is not None and (
        isinstance(n_times, bool) or int(n_times) != n_times or n_times < 1
    ):
        raise ValueError(f"n_times must be a positive integer or None; got {n_times!r}.")
    if sampling_rate not in _PTBXL_COLUMN:
        raise ValueError(f"sampling_rate must be 100 or 500 (Hz); got {sampling_rate!r}.")
    plan = _plan(source, n_times, channels, sampling_rate, modality, verbose)
    path = Path(path)
    index = _start_or_resume(path, plan["fingerprint"])
    if not index["complete"]:
        _write_batches(path, index, plan, chunk_records, verbose)
    return ECGCorpus(path)


# ------------------------------------------------------------------ sources
def _plan(source, n_times, channels, sampling_rate, modality, verbose=0):
    """What to write: the batches (a function of how many to skip), count, fingerprint."""
    settings = {"n_times": n_times, "modality": modality,
                "channels": None if channels is None else list(channels)}
    if isinstance(source, (str, PathLike)):
        root = Path(source)
        if not root.is_dir():
            raise FileNotFoundError(f"Source folder {root} does not exist.")
        if (root / "ptbxl_database.csv").is_file():
            records = _ptbxl_records(root, sampling_rate, channels)
            kind = {"kind": "ptbxl", "sampling_rate": sampling_rate}
        else:
            records = _wfdb_records(root, channels)
            kind = {"kind": "wfdb"}
        n_times = _check_headers(root, records, n_times, verbose)
        return {"batches": lambda skip: _wfdb_batches(root, records, skip, n_times),
                "total": len(records["paths"]), "n_times": n_times,
                "fingerprint": {"source": str(root.resolve()), **kind, **settings}}
    if isinstance(source, (dict, np.ndarray)) or not (hasattr(source, "__iter__")
                                                      or _indexable(source)):
        raise TypeError(
            "source must be a folder of WFDB records or an iterable of dict-like batches "
            f"(e.g. Bunches of simulate_paired_recordings); got {type(source).__name__}."
        )
    return {"batches": lambda skip: _stream_batches(source, skip, modality, n_times),
            "total": len(source) if hasattr(source, "__len__") else None,
            "n_times": n_times, "fingerprint": {"source": "stream", **settings}}


def _ptbxl_records(root, sampling_rate, channels):
    database, statements = read_ptbxl_tables(root)
    return {
        "paths": database[_PTBXL_COLUMN[sampling_rate]].tolist(),
        "ids": [int(i) for i in database.index],
        "groups": [int(g) for g in database["patient_id"]],
        "target": superclass_target(database["scp_codes"], statements).tolist(),
        "target_names": list(SUPERCLASSES),
        "channels": list(channels) if channels is not None else list(PTBXL_LEADS),
        "sfreq": float(sampling_rate),
    }


def _wfdb_records(root, channels):
    paths = sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.hea"))
    if not paths:
        raise ValueError(f"Source folder {root} holds no WFDB record (no .hea file).")
    groups = [str(Path(p).parent) if Path(p).parent != Path(".") else p for p in paths]
    return {"paths": paths, "ids": paths, "groups": groups, "target": [None] * len(paths),
            "target_names": None, "channels": None if channels is None else list(channels),
            "sfreq": None}


def _check_headers(root, records, n_times, verbose=0):
    """Check every header against the first before writing anything; return n_times."""
    first = None
    for path in tqdm(records["paths"], desc="checking headers", unit="record",
                     disable=not verbose or not sys.stderr.isatty()):
        try:
            header = wfdb.rdheader(str(root / path))
        except (OSError, ValueError) as error:
            raise ValueError(f"Cannot read the WFDB header of record {root / path}: {error}")
        found = {"sfreq": float(header.fs), "ch_names": list(header.sig_name)}
        if first is None:
            first = found
            records["sfreq"] = records["sfreq"] or found["sfreq"]
            records["channels"] = records["channels"] or found["ch_names"]
            n_times = n_times or int(header.sig_len)
        _check_record(root / path, found["sfreq"], found["ch_names"], header.sig_len,
                      records["sfreq"], records["channels"], n_times, subset=True)
    return n_times


def _check_record(name, sfreq, ch_names, length, corpus_sfreq, corpus_channels, n_times,
                  subset=False):
    if not np.isclose(sfreq, corpus_sfreq, rtol=1e-9):
        raise ValueError(
            f"Record {name} is sampled at {sfreq:g} Hz, but the corpus is at "
            f"{corpus_sfreq:g} Hz: resample it first. Nothing was written for it."
        )
    missing = [c for c in corpus_channels if c not in ch_names]
    if (missing if subset else list(ch_names) != list(corpus_channels)):
        raise ValueError(
            f"Record {name} has channels {list(ch_names)}, but the corpus has "
            f"{list(corpus_channels)}. Nothing was written for it."
        )
    if length is not None and length < n_times:
        raise ValueError(
            f"Record {name} has {length} samples, fewer than the corpus's n_times={n_times}."
        )


def _wfdb_batches(root, records, skip, n_times):
    for i in range(skip, len(records["paths"])):
        data = read_wfdb([records["paths"][i]], directory=root, channels=records["channels"])
        yield _windows(data.ecg, data.sfreq, records["channels"], [records["ids"][i]],
                       [records["groups"][i]], [records["target"][i]], n_times,
                       records["target_names"])


def _stream_batches(source, skip, modality, n_times):
    if _indexable(source):
        items = (source[i] for i in range(skip, len(source)))
    else:
        items = itertools.islice(iter(source), skip, None)
    for number, batch in enumerate(items, start=skip):
        signals = np.asarray(batch[modality])
        signals = signals[np.newaxis] if signals.ndim == 2 else signals
        if signals.ndim != 3:
            raise ValueError(
                f"Batch {number}: {modality} must be (n, n_channels, n_times) or "
                f"(n_channels, n_times); got shape {signals.shape}."
            )
        n = len(signals)
        ids = _per_record(batch, "record_ids", [f"{number}-{k}" for k in range(n)], n, number)
        ch_names = batch.get(f"{modality}_ch_names", batch.get("ch_names"))
        if isinstance(ch_names, dict):
            ch_names = ch_names[modality]
        yield _windows(signals, float(batch["sfreq"]), list(ch_names), ids,
                       _per_record(batch, "groups", ids, n, number),
                       _per_record(batch, "target", [None] * n, n, number),
                       n_times, batch.get("target_names"))


def _indexable(source):
    """A sequence of batches: indexed past the finished ones on resume."""
    return isinstance(source, Sequence) or (
        hasattr(source, "__getitem__") and hasattr(source, "__len__")
    )


def _per_record(batch, key, default, n, number):
    values = batch.get(key)
    if values is None:
        return list(default)
    values = np.asarray(values).tolist()
    if len(values) != n:
        raise ValueError(f"Batch {number}: {key} has {len(values)} entries for {n} records.")
    return values


def _windows(signals, sfreq, ch_names, ids, groups, target, n_times, target_names):
    """A batch of records cut into windows of ``n_times`` (the first record's by default)."""
    n_times = n_times or signals.shape[-1]
    n_windows = signals.shape[-1] // n_times
    if n_windows == 0:
        raise ValueError(
            f"Record {ids[0]} has {signals.shape[-1]} samples, fewer than the corpus's "
            f"n_times={n_times}."
        )
    cut = signals[..., : n_windows * n_times].reshape(len(signals), -1, n_windows, n_times)
    suffix = (lambda rid, k: f"{rid}:{k}") if n_windows > 1 else (lambda rid, k: rid)
    return {
        "signals": cut.transpose(0, 2, 1, 3).reshape(-1, signals.shape[1], n_times),
        "sfreq": sfreq, "ch_names": ch_names, "n_times": n_times,
        "record_ids": [suffix(r, k) for r in ids for k in range(n_windows)],
        "groups": [g for g in groups for _ in range(n_windows)],
        "target": [t for t in target for _ in range(n_windows)],
        "target_names": None if target_names is None else [str(n) for n in target_names],
    }


# ------------------------------------------------------------------ writing
def _start_or_resume(path, fingerprint):
    """The index to continue from: a new one, or the one of the same unfinished corpus."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"Corpus path {path} exists and is not a folder.")
    if path.is_dir() and (path / INDEX_FILE).is_file():
        index = read_index(path)
        if index["fingerprint"] != fingerprint:
            raise ValueError(
                f"{path} holds another corpus (written with {index['fingerprint']}, not "
                f"{fingerprint}); it is not overwritten. Choose another path or delete it."
            )
        return index
    if path.is_dir() and any(path.iterdir()):
        raise ValueError(
            f"{path} is a folder that is not empty and holds no corpus; it is not "
            "overwritten. Choose an empty or new folder."
        )
    path.mkdir(parents=True, exist_ok=True)
    index = {"format": FORMAT, "format_version": FORMAT_VERSION, "complete": False,
             "fingerprint": fingerprint, "n_source_done": 0, "chunks": []}
    write_atomic(path / INDEX_FILE, json.dumps(index, indent=1).encode())  # marks the folder ours
    return index


def _write_batches(path, index, plan, chunk_records, verbose):
    done = index["n_source_done"]
    unit = "batch" if plan["total"] is None else "record"
    bar = tqdm(total=plan["total"], initial=done, unit=unit, desc=f"writing {path.name}", disable=not verbose or not sys.stderr.isatty())
    pending, n_pending, n_source = [], 0, done
    with bar:
        for batch in plan["batches"](done):
            _check_batch(batch, index, path)
            pending.append(batch)
            n_pending += len(batch["signals"])
            n_source += 1
            bar.update(1)
            row_bytes = batch["signals"][0].size * DTYPE.itemsize
            if n_pending >= (chunk_records or max(1, _CHUNK_BYTES // row_bytes)):
                _write_chunk(path, index, pending, n_source)
                pending, n_pending = [], 0
    if pending:
        _write_chunk(path, index, pending, n_source)
    if not index["chunks"]:
        raise ValueError("The source held no record; no corpus was written.")
    index["complete"] = True
    write_atomic(path / INDEX_FILE, json.dumps(index, indent=1).encode())


def _check_batch(batch, index, path):
    """Check a batch against the corpus (set by the first batch) before it is written."""
    if "sfreq" not in index:
        index.update(sfreq=batch["sfreq"], ch_names=batch["ch_names"],
                     n_times=batch["n_times"], target_names=batch["target_names"],
                     modality=index["fingerprint"]["modality"])
    _check_record(batch["record_ids"][0], batch["sfreq"], batch["ch_names"],
                  batch["signals"].shape[-1], index["sfreq"], index["ch_names"],
                  index["n_times"])
    finite = np.isfinite(batch["signals"]).all(axis=(1, 2))
    if not finite.all():
        bad = batch["record_ids"][int(np.argmin(finite))]
        raise ValueError(f"Record {bad} holds NaN or infinite values; nothing was written for it.")


def _write_chunk(path, index, batches, n_source):
    """Data, then metadata, then the index that lists them: each replaced atomically."""
    data_name, meta_name = chunk_names(len(index["chunks"]))
    signals = np.concatenate([b["signals"] for b in batches]).astype(DTYPE, copy=False)
    write_atomic(path / data_name, npy_bytes(signals))
    meta = {key: [value for batch in batches for value in batch[key]]
            for key in ("record_ids", "groups", "target")}
    write_atomic(path / meta_name, json.dumps(meta).encode())
    index["chunks"].append({"file": data_name, "meta": meta_name, "n_records": len(signals),
                            "sha256": file_sha256(path / data_name)})
    index["n_source_done"] = n_source
    write_atomic(path / INDEX_FILE, json.dumps(index, indent=1).encode())
