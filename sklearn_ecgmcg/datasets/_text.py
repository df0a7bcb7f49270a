"""Reading a device's delimited-text export (any separator, decimal comma or point)."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..utils import check_sfreq
from ._clocks import check_timestamps, sampling_rate
from ._edf import read_edf

__all__ = ["read_recording"]

_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+(?:[eE][-+]?\d+)?\s*$")
_DECIMAL_POINT = re.compile(r"^\s*[-+]?\d+\.\d+(?:[eE][-+]?\d+)?\s*$")
_TIME_NAME = re.compile(r"^\s*(t|time|times|timestamp|zeit)\s*(?:[\[(]?\s*(s|ms)\s*[\])]?)?\s*$",
                        re.IGNORECASE)
_SNIFF_LINES = 20


def read_recording(path, *, time_column="auto", time_unit="auto", sfreq=None, max_gap=0.1,
                   channels=None):
    """Read one device's recording: delimited text, or EDF / BDF.

    EDF and BDF files (by their suffix) are read with ``edfio`` (pure Python on
    NumPy: no compiled extension to build, unlike ``pyedflib``, and none of MNE's
    weight); their rate, labels, units and start come from the header.

    The separator (comma, semicolon, tab, bar or spaces) and the decimal mark
    (point or comma) are found from the first lines; a first line of names is a
    header. The time column is the one named ``t``, ``time`` or ``timestamp``
    (with an optional ``[s]`` / ``(ms)``), else none: then ``sfreq`` is needed.
    The sampling rate and its jitter are read from the timestamps.

    Parameters
    ----------
    path : str or Path
        The text file.
    time_column : "auto", int, str or None, default="auto"
        The time column: found by name (``"auto"``), given by position or name,
        or None when the file has none.
    time_unit : {"auto", "s", "ms"}, default="auto"
        Unit of the time column; ``"auto"`` reads it from the column name, else
        from the step (steps of 0.1 or more are milliseconds: rates of 250-2000 Hz
        give 0.5-4 ms).
    sfreq : float, default=None
        Sampling rate in Hz of a file without a time column.
    max_gap : float, default=0.1
        Longest accepted interval between two timestamps, in seconds.
    channels : sequence of str, default=None
        EDF / BDF: the signal labels to read (all but annotations by default;
        they must share one sampling rate).

    Returns
    -------
    recording : :class:`~sklearn.utils.Bunch`
        ``signals`` (n_channels, n_times), ``times`` (s, as in the file, starting
        at ``start_time``), ``sfreq`` (estimated from the timestamps), ``jitter``
        (std of the sampling intervals over their median), ``ch_names``,
        ``start_time`` (s), ``separator``, ``decimal`` and ``path``. Units are the
        file's: convert ECG to mV and MCG to pT. EDF / BDF: ``units`` (the
        physical dimension of each signal), ``start_time`` the recording's start
        (a ``datetime``, or None when anonymised), ``jitter`` 0.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.
    ValueError
        Naming the file and row: an empty or unreadable file, rows of different
        lengths, a cell that is not a number, timestamps that do not increase or
        jump by more than ``max_gap``, a missing time column or ``sfreq``.
    """
    if time_unit not in ("auto", "s", "ms"):
        raise ValueError(f'time_unit must be "auto", "s" or "ms"; got {time_unit!r}.')
    if sfreq is not None:
        sfreq = check_sfreq(sfreq)
    if not max_gap > 0:
        raise ValueError(f"max_gap must be a positive number of seconds; got {max_gap!r}.")
    path = Path(path)
    if path.suffix.lower() in (".edf", ".bdf"):
        return read_edf(path, channels)
    lines = _first_lines(path)
    separator, decimal = _dialect(lines, path)
    header = _has_header(lines[0], separator, decimal)
    table = _read_table(path, separator, decimal, header)
    names = [str(c).strip() for c in table.columns] if header else [
        f"ch{i}" for i in range(table.shape[1])]
    values = _numeric(table, path, header, decimal)
    column = _time_column(time_column, names, header)
    if column is None:
        if sfreq is None:
            raise ValueError(f"{path}: no time column found; pass time_column= or sfreq=.")
        times = np.arange(len(values)) / float(sfreq)
        signals, ch_names = values.T, names
    else:
        times = values[:, column] * _time_scale(time_unit, names[column] if header else "",
                                                values[:, column])
        signals = np.delete(values, column, axis=1).T
        ch_names = [n for i, n in enumerate(names) if i != column]
    try:
        check_timestamps(times, "times", max_gap, first_row=1 + int(header))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    rate, jitter = sampling_rate(times)
    return Bunch(signals=signals, times=times, sfreq=rate, jitter=jitter, ch_names=ch_names,
                 start_time=float(times[0]), separator=separator, decimal=decimal, path=path)


def _first_lines(path):
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found.")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            lines = [line.rstrip("\r\n") for _, line in zip(range(_SNIFF_LINES), handle)]
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot be read as text ({error}).") from None
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise ValueError(f"{path} is empty: no rows to read.")
    return lines


def _dialect(lines, path):
    """Separator and decimal mark from the first lines.

    A separator is one that every line holds the same number of times (";",
    tab and "|" before ",", since a comma may be a decimal mark); else runs of
    spaces. A comma between digits, with another separator, is a decimal comma.
    """
    separator = next(
        (sep for sep in ";\t|," if len({line.count(sep) for line in lines}) == 1
         and lines[0].count(sep) > 0),
        r"\s+",
    )
    cells = [c for line in lines[1:] for c in re.split(separator, line.strip())]
    commas = separator != "," and any(_DECIMAL_COMMA.match(c) for c in cells)
    if commas and any(_DECIMAL_POINT.match(c) for c in cells):
        raise ValueError(f"{path}: both decimal commas and decimal points in the first rows; "
                         "export the file with one decimal mark.")
    return separator, "," if commas else "."


def _has_header(line, separator, decimal):
    cells = re.split(separator, line.strip())
    return not all(_is_number(c, decimal) for c in cells)


def _is_number(cell, decimal):
    try:
        float(cell.strip().replace(decimal, ".") if decimal == "," else cell)
    except ValueError:
        return False
    return True


def _read_table(path, separator, decimal, header):
    try:
        return pd.read_csv(path, sep=separator, decimal=decimal, header=0 if header else None,
                           engine="python", dtype=str, skip_blank_lines=True,
                           encoding="utf-8-sig")
    except pd.errors.ParserError as error:
        raise ValueError(f"{path}: rows of different lengths ({error}).") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty: no rows to read.") from None


def _numeric(table, path, header, decimal):
    """The table as floats; the first cell that is not a number is named by file row."""
    if table.shape[0] == 0:
        raise ValueError(f"{path} has a header but no rows of values.")
    if table.isna().any().any():
        row = int(np.flatnonzero(table.isna().any(axis=1).to_numpy())[0])
        raise ValueError(f"{path}: row {row + 1 + int(header)} has fewer cells than the others.")
    def to_float(column):
        column = column.str.strip()
        if decimal == ",":
            column = column.str.replace(",", ".", regex=False)
        return pd.to_numeric(column, errors="coerce")

    numbers = table.apply(to_float)
    bad = numbers.isna().to_numpy()
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise ValueError(
            f"{path}: row {row + 1 + int(header)}, column {col + 1} holds "
            f"{table.iat[row, col]!r}, not a number."
        )
    return numbers.to_numpy(dtype=float)


def _time_column(time_column, names, header):
    if time_column is None:
        return None
    if time_column == "auto":
        if not header:
            return None
        found = [i for i, name in enumerate(names) if _TIME_NAME.match(name)]
        return found[0] if found else None
    if isinstance(time_column, str):
        if time_column not in names:
            raise ValueError(f"time_column={time_column!r} is not a column; columns: {names}.")
        return names.index(time_column)
    return int(time_column)


def _time_scale(time_unit, name, times):
    """Factor from the file's time unit to seconds."""
    if time_unit == "auto":
        match = _TIME_NAME.match(name) if name else None
        if match and match.group(2):
            time_unit = match.group(2).lower()
        else:
            step = np.median(np.diff(times)) if len(times) > 1 else 0.0
            time_unit = "ms" if step >= 0.1 else "s"
    return 1e-3 if time_unit == "ms" else 1.0
