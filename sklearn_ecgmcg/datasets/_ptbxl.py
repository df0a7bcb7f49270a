"""Loader for PTB-XL (any subset of it, including the full database)."""

import ast
from importlib import resources
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._wfdb import read_wfdb

__all__ = ["load_ptbxl"]

SUPERCLASSES = ["NORM", "MI", "STTC", "CD", "HYP"]
PTBXL_LEADS = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]
DATABASE_CSV = "ptbxl_database.csv"
STATEMENTS_CSV = "scp_statements.csv"
_FILENAME_COLUMN = {100: "filename_lr", 500: "filename_hr"}


def load_ptbxl(path, sampling_rate=500, folds=None, *, ecg_ids=None, dtype=np.float32):
    """Load the 12-lead ECGs and diagnostic superclasses of PTB-XL.

    Reads ``ptbxl_database.csv`` and ``scp_statements.csv`` in ``path`` and
    every record that the database table lists (after the ``folds`` and
    ``ecg_ids`` selections). Works on the full database and on any subset
    whose table lists only the records present: a listed record whose files
    are missing is an error, never skipped silently.

    Parameters
    ----------
    path : str or path-like
        Folder of a PTB-XL copy (the one holding ``ptbxl_database.csv``).
    sampling_rate : {100, 500}, default=500
        Which version of the records to read: 100 Hz (``records100``, 1000
        samples) or 500 Hz (``records500``, 5000 samples).
    folds : int or sequence of int, default=None
        Keep only the records of these ``strat_fold`` values (1 to 10). PTB-XL
        keeps each patient in one fold; its authors use folds 1-8 to train,
        9 to validate and 10 to test. None keeps every fold.
    ecg_ids : sequence of int, default=None
        Keep only these ``ecg_id`` values. None keeps every record.
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the signals.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ecg : ndarray of shape (n_records, 12, n_times)
            Signals in mV, leads in ``ch_names`` order.
        sfreq : float
            Sampling rate in Hz.
        ch_names : list of str
            ``["I", "II", "III", "AVR", "AVL", "AVF", "V1", ..., "V6"]``.
        target : ndarray of shape (n_records, 5), dtype int
            Multi-hot diagnostic superclasses: column ``k`` is 1 when the
            record has an SCP statement with ``diagnostic == 1`` whose
            ``diagnostic_class`` is ``target_names[k]`` (any likelihood).
            Records without a diagnostic statement have an all-zero row.
        target_names : list of str
            ``["NORM", "MI", "STTC", "CD", "HYP"]``.
        groups : ndarray of shape (n_records,), dtype int
            ``patient_id`` of each record; split on it.
        ecg_id, strat_fold : ndarray of shape (n_records,), dtype int
            PTB-XL record id and recommended fold (1-10) of each record.
        age : ndarray of shape (n_records,), dtype float
            Age in years (NaN where unknown; PTB-XL sets ages over 89 to 300).
        sex : ndarray of shape (n_records,), dtype int
            PTB-XL codes: 0 male, 1 female.
        metadata : pandas.DataFrame
            The selected rows of ``ptbxl_database.csv``, indexed by ``ecg_id``,
            with ``scp_codes`` parsed into dicts.
        DESCR : str
            Description of the data set.

    Raises
    ------
    FileNotFoundError
        If ``path`` has no ``ptbxl_database.csv`` or ``scp_statements.csv``,
        or a listed record file is missing (the message names the file).
    ValueError
        If ``sampling_rate`` is not 100 or 500, ``folds`` or ``ecg_ids``
        select nothing, or a record cannot be read (the message names it).

    Notes
    -----
    The full database takes about 5.2 GB as float32 at 500 Hz and 1 GB at
    100 Hz; select ``folds`` to load less. Reading costs about 5-10 ms per
    record on one core (``benchmarks/bench_loaders.py``), mostly ``wfdb``'s
    header parsing.

    Examples
    --------
    >>> from sklearn_ecgmcg.datasets import load_ptbxl
    >>> data = load_ptbxl("../shared/data/ptbxl", sampling_rate=100, folds=9)  # doctest: +SKIP
    >>> data.ecg.shape  # doctest: +SKIP
    (81, 12, 1000)
    """
    path = Path(path)
    if sampling_rate not in _FILENAME_COLUMN:
        raise ValueError(f"sampling_rate must be 100 or 500 (Hz); got {sampling_rate!r}.")
    database, statements = read_ptbxl_tables(path)
    database = _select(database, folds, ecg_ids)
    records = read_wfdb(
        database[_FILENAME_COLUMN[sampling_rate]].tolist(),
        directory=path,
        channels=PTBXL_LEADS,
        dtype=dtype,
    )
    if records.sfreq != sampling_rate:
        raise ValueError(
            f"records in {path} listed under {_FILENAME_COLUMN[sampling_rate]} are "
            f"sampled at {records.sfreq} Hz, not {sampling_rate} Hz."
        )
    return ptbxl_bunch(records.ecg, records.sfreq, database, statements, "ptbxl.rst")


def read_ptbxl_tables(path):
    """Read ``ptbxl_database.csv`` (indexed by ecg_id, scp_codes parsed) and
    ``scp_statements.csv`` (indexed by statement) from a PTB-XL folder."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"PTB-XL folder {path} does not exist.")
    for name in (DATABASE_CSV, STATEMENTS_CSV):
        if not (path / name).is_file():
            raise FileNotFoundError(
                f"{path} is not a PTB-XL database: {path / name} not found."
            )
    database = pd.read_csv(path / DATABASE_CSV, index_col="ecg_id")
    required = {"patient_id", "scp_codes", "strat_fold", "age", "sex"}
    required |= set(_FILENAME_COLUMN.values())
    missing = sorted(required - set(database.columns))
    if missing:
        raise ValueError(f"{path / DATABASE_CSV} lacks the PTB-XL columns {missing}.")
    database["scp_codes"] = database["scp_codes"].map(ast.literal_eval)
    statements = pd.read_csv(path / STATEMENTS_CSV, index_col=0)
    if not {"diagnostic", "diagnostic_class"} <= set(statements.columns):
        raise ValueError(
            f"{path / STATEMENTS_CSV} lacks the columns 'diagnostic' and 'diagnostic_class'."
        )
    return database, statements


def superclass_target(scp_codes, statements):
    """Multi-hot ``(n, 5)`` diagnostic superclasses from parsed ``scp_codes``."""
    diagnostic = statements.loc[statements["diagnostic"] == 1, "diagnostic_class"]
    column = {name: k for k, name in enumerate(SUPERCLASSES)}
    target = np.zeros((len(scp_codes), len(SUPERCLASSES)), dtype=int)
    for i, codes in enumerate(scp_codes):
        for code in codes:
            if code in diagnostic.index:
                target[i, column[diagnostic[code]]] = 1
    return target


def ptbxl_bunch(ecg, sfreq, database, statements, descr_file):
    """Assemble the Bunch shared by :func:`load_ptbxl` and ``load_sample_ecg``.

    ``descr_file`` names the template in ``descr/`` that becomes ``DESCR``.
    """
    target = superclass_target(database["scp_codes"], statements)
    return Bunch(
        ecg=ecg,
        sfreq=float(sfreq),
        ch_names=list(PTBXL_LEADS),
        target=target,
        target_names=list(SUPERCLASSES),
        groups=database["patient_id"].to_numpy().astype(int),
        ecg_id=database.index.to_numpy().astype(int),
        strat_fold=database["strat_fold"].to_numpy().astype(int),
        age=database["age"].to_numpy(dtype=float),
        sex=database["sex"].to_numpy().astype(int),
        metadata=database,
        DESCR=_describe(descr_file, database, target),
    )


def _select(database, folds, ecg_ids):
    if folds is not None:
        folds = _as_int_list(folds, "folds")
        bad = [f for f in folds if not 1 <= f <= 10]
        if bad:
            raise ValueError(f"folds must be strat_fold values from 1 to 10; got {bad}.")
        database = database[database["strat_fold"].isin(folds)]
    if ecg_ids is not None:
        ecg_ids = _as_int_list(ecg_ids, "ecg_ids")
        unknown = sorted(set(ecg_ids) - set(database.index))
        if unknown:
            raise ValueError(
                f"ecg_ids {unknown[:10]} are not in the database"
                + (" (or not in the selected folds)." if folds is not None else ".")
            )
        database = database.loc[sorted(set(ecg_ids))]
    if database.empty:
        raise ValueError(f"no record of PTB-XL is in folds {folds}.")
    return database.copy()


def _as_int_list(values, name):
    if isinstance(values, Integral):
        values = [values]
    values = list(np.asarray(values).ravel())
    if not values or not all(isinstance(v, Integral) for v in values):
        raise ValueError(f"{name} must be an integer or a non-empty sequence of integers.")
    return [int(v) for v in values]


def _describe(descr_file, database, target):
    template = resources.files(__package__).joinpath("descr", descr_file).read_text("utf-8")
    counts = ", ".join(f"{name} {n}" for name, n in zip(SUPERCLASSES, target.sum(axis=0)))
    return template.format(
        n_records=len(database),
        n_patients=database["patient_id"].nunique(),
        folds=", ".join(str(f) for f in sorted(database["strat_fold"].unique())),
        counts=counts,
        n_unlabelled=int((target.sum(axis=1) == 0).sum()),
    )
