"""Generic multi-record reader for WFDB files, on top of the ``wfdb`` package."""

from numbers import Integral
from os import PathLike
from pathlib import Path

import numpy as np
import wfdb
from sklearn.utils import Bunch

__all__ = ["read_wfdb"]

# Factor that converts a physical unit of a WFDB header to millivolts.
_TO_MV = {"v": 1e3, "mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "nv": 1e-6}


def read_wfdb(
    records,
    *,
    directory=None,
    channels=None,
    sampfrom=0,
    sampto=None,
    crop=False,
    to_mv=True,
    dtype=np.float32,
):
    """Read several WFDB records into one signal array.

    Every record must have the same sampling rate and hold the requested
    channels; the signals are stacked into ``(n_records, n_channels, n_times)``.

    Parameters
    ----------
    records : str, path-like or sequence of them
        Record paths without extension (``"records500/00000/00001_hr"``), as
        ``wfdb.rdrecord`` takes them. Relative paths are read from
        ``directory`` when it is given.
    directory : str or path-like, default=None
        Folder the record paths are relative to.
    channels : sequence of str, default=None
        Channel names to read, in this order (e.g. ``["I", "II", "V1"]``).
        None reads every channel; then every record must have the same channel
        names in the same order.
    sampfrom : int, default=0
        First sample read from each record.
    sampto : int, default=None
        One past the last sample read from each record. None reads to the end
        of each record; records of different lengths are then an error unless
        ``crop=True``.
    crop : bool, default=False
        If True, records are cut to the length of the shortest one instead of
        raising on different lengths.
    to_mv : bool, default=True
        Convert voltage channels (units V, mV, uV or nV in the header) to mV.
        A channel with another physical unit is then an error. If False, the
        signals stay in the units of the header.
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the returned signals.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ecg : ndarray of shape (n_records, n_channels, n_times)
            Signals, in mV when ``to_mv=True``.
        sfreq : float
            Sampling rate in Hz.
        ch_names : list of str
            Channel names.
        units : list of str
            Units of the returned signals (``"mV"`` for every channel when
            ``to_mv=True``, else the header units of the first record).
        record_names : ndarray of str, shape (n_records,)
            Record names from the headers.
        record_paths : list of str
            Paths of the records as read (without extension).
        n_times_original : ndarray of int, shape (n_records,)
            Full length of each record in samples, before ``sampfrom``,
            ``sampto`` and ``crop``.
        comments : list of list of str
            The ``#`` comment lines of each header.

    Raises
    ------
    FileNotFoundError
        If a header or signal file is missing; the message names it.
    ValueError
        If a header cannot be parsed, a signal file is shorter than its header
        says, records disagree on sampling rate, channels or length, a
        requested channel is missing, or a unit cannot be converted to mV.
    """
    paths = _record_paths(records, directory)
    sampfrom, sampto = _check_sample_range(sampfrom, sampto)
    channels = _check_channels(channels)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be np.float32 or np.float64; got {dtype!r}.")
    for path in paths:
        _header_file(path)

    # One wfdb.rdrecord per record (header parsing dominates the cost), each
    # record checked against the first as it comes.
    ecg, cropped, headers = None, [], []
    for i, path in enumerate(paths):
        record = _read_record(path)
        first = headers[0] if headers else record
        ch_names = _check_like_first(record, path, first, paths[0], channels, to_mv)
        signal = _window(record, path, ch_names, sampfrom, sampto, to_mv).astype(dtype)
        record.p_signal = None  # keep only the header fields
        headers.append(record)
        if crop:
            cropped.append(signal)
        elif ecg is None:
            ecg = np.empty((len(paths),) + signal.shape, dtype=dtype)
            ecg[0] = signal
        elif signal.shape[1] != ecg.shape[2]:
            raise ValueError(
                f"records have different lengths: {paths[0]} gives {ecg.shape[2]} samples, "
                f"{path} gives {signal.shape[1]}; pass crop=True or sampto=... to cut "
                "them to one length."
            )
        else:
            ecg[i] = signal
    if crop:
        n_times = min(signal.shape[1] for signal in cropped)
        ecg = np.stack([signal[:, :n_times] for signal in cropped])
    units = [headers[0].units[headers[0].sig_name.index(name)] for name in ch_names]
    return Bunch(
        ecg=ecg,
        sfreq=float(headers[0].fs),
        ch_names=list(ch_names),
        units=["mV"] * len(ch_names) if to_mv else units,
        record_names=np.array([h.record_name for h in headers]),
        record_paths=[str(p) for p in paths],
        n_times_original=np.array([h.sig_len for h in headers]),
        comments=[list(h.comments or []) for h in headers],
    )


def _record_paths(records, directory):
    if isinstance(records, (str, PathLike)):
        records = [records]
    try:
        records = list(records)
    except TypeError:
        raise TypeError(
            f"records must be a path or a sequence of paths; got {type(records).__name__}."
        ) from None
    if not records:
        raise ValueError("records is empty: give at least one record path.")
    base = Path(directory) if directory is not None else None
    if base is not None and not base.is_dir():
        raise FileNotFoundError(f"directory {base} does not exist.")
    paths = []
    for record in records:
        if not isinstance(record, (str, PathLike)):
            raise TypeError(f"each record must be a path; got {record!r}.")
        path = Path(record)
        if path.suffix in (".hea", ".dat"):
            path = path.with_suffix("")
        paths.append(base / path if base is not None else path)
    return paths


def _check_sample_range(sampfrom, sampto):
    if not isinstance(sampfrom, Integral) or sampfrom < 0:
        raise ValueError(f"sampfrom must be a non-negative integer; got {sampfrom!r}.")
    if sampto is not None and (not isinstance(sampto, Integral) or sampto <= sampfrom):
        raise ValueError(
            f"sampto must be None or an integer greater than sampfrom={sampfrom}; "
            f"got {sampto!r}."
        )
    return int(sampfrom), None if sampto is None else int(sampto)


def _check_channels(channels):
    if channels is None:
        return None
    if isinstance(channels, str):
        raise TypeError(f"channels must be a sequence of names; got the string {channels!r}.")
    channels = list(channels)
    if not channels or len(set(channels)) != len(channels):
        raise ValueError(f"channels must be non-empty names without repeats; got {channels}.")
    return channels


def _header_file(path):
    header_file = path.with_name(path.name + ".hea")
    if not header_file.is_file():
        raise FileNotFoundError(f"WFDB header file {header_file} not found.")
    return header_file


def _read_record(path):
    header_file = _header_file(path)
    try:
        record = wfdb.rdrecord(str(path))
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"WFDB signal file {exc.filename or exc} (listed in {header_file}) not found."
        ) from exc
    except Exception as exc:  # wfdb raises many types on malformed files
        try:
            wfdb.rdheader(str(path))
        except Exception as header_exc:
            raise ValueError(f"cannot parse WFDB header {header_file}: {header_exc}") from exc
        raise ValueError(
            f"cannot read the signals of WFDB record {path} (signal file truncated or "
            f"not matching its header): {exc}"
        ) from exc
    if not record.sig_name or record.p_signal is None:
        raise ValueError(f"WFDB header {header_file} lists no signal.")
    return record


def _check_like_first(record, path, first, first_path, channels, to_mv):
    """Check ``record`` against the first record; return the channels to read."""
    if float(record.fs) != float(first.fs):
        raise ValueError(
            f"record {path} is sampled at {float(record.fs)} Hz, but {first_path} at "
            f"{float(first.fs)} Hz; all records must share one sampling rate."
        )
    if channels is None:
        if record.sig_name != first.sig_name:
            raise ValueError(
                f"record {path} has channels {record.sig_name}, but {first_path} has "
                f"{first.sig_name}; pass channels=[...] to select common channels."
            )
        channels = first.sig_name
    missing = [name for name in channels if name not in record.sig_name]
    if missing:
        raise ValueError(
            f"record {path} has no channel {missing}; its channels are {record.sig_name}."
        )
    if not to_mv:
        units = [record.units[record.sig_name.index(name)] for name in channels]
        first_units = [first.units[first.sig_name.index(name)] for name in channels]
        if units != first_units:
            raise ValueError(
                f"record {path} has units {units}, but {first_path} has {first_units}; "
                "pass to_mv=True to convert voltages to mV."
            )
    return list(channels)


def _window(record, path, ch_names, sampfrom, sampto, to_mv):
    """Signals ``[sampfrom, sampto)`` of ``ch_names``, shape (n_channels, n_times)."""
    needed = sampfrom + 1 if sampto is None else sampto
    if record.sig_len < needed:
        raise ValueError(
            f"record {path} has {record.sig_len} samples, fewer than the requested "
            f"range [{sampfrom}, {sampto}) needs."
        )
    stop = record.sig_len if sampto is None else sampto
    index = [record.sig_name.index(name) for name in ch_names]
    signal = record.p_signal[sampfrom:stop, index]
    if signal.shape[0] != stop - sampfrom:
        raise ValueError(
            f"WFDB record {path}: the signal file holds fewer samples than its header says."
        )
    if to_mv:
        signal = signal * _unit_factors([record.units[j] for j in index], path)
    return signal.T


def _unit_factors(units, path):
    factors = []
    for unit in units:
        key = (unit or "").strip().lower()
        if key not in _TO_MV:
            raise ValueError(
                f"record {path} has a channel in unit {unit!r}, which is not a voltage; "
                "pass to_mv=False to keep the header units."
            )
        factors.append(_TO_MV[key])
    return np.asarray(factors)
