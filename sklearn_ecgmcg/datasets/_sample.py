"""A small real PTB-XL sample shipped inside the package."""

import shutil
from importlib import resources
from pathlib import Path

import numpy as np

from ._ptbxl import (
    DATABASE_CSV,
    STATEMENTS_CSV,
    SUPERCLASSES,
    load_ptbxl,
    ptbxl_bunch,
    read_ptbxl_tables,
)

__all__ = ["load_sample_ecg"]

SAMPLE_FOLDER = "ptbxl_sample"
SIGNALS_FILE = "signals.npz"
GAIN_ADU_PER_MV = 1000  # PTB-XL's own gain, so int16 storage is lossless


def load_sample_ecg(*, dtype=np.float32):
    """Load a small sample of real PTB-XL ECGs shipped with the package.

    56 records of 53 patients at 500 Hz (10 s, 12 leads) from folds 1-9 of
    PTB-XL, chosen so that every diagnostic superclass has 16 records. It needs no
    download and no data outside the package, for examples, demos and tests.
    The signals are the original PTB-XL samples (int16 at 1000 adu/mV,
    stored compressed), so they equal what :func:`load_ptbxl` reads.

    Parameters
    ----------
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the signals.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Same layout as :func:`load_ptbxl`: ``ecg`` of shape (56, 12, 5000) in
        mV, ``sfreq`` (500.0), ``ch_names``, ``target`` (56, 5) multi-hot,
        ``target_names``, ``groups`` (patient id), ``ecg_id``,
        ``strat_fold``, ``age``, ``sex``, ``metadata`` and ``DESCR``.

    Examples
    --------
    >>> from sklearn_ecgmcg.datasets import load_sample_ecg
    >>> data = load_sample_ecg()
    >>> data.ecg.shape
    (56, 12, 5000)
    >>> data.target_names
    ['NORM', 'MI', 'STTC', 'CD', 'HYP']
    """
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be np.float32 or np.float64; got {dtype!r}.")
    folder = resources.files(__package__).joinpath("data", SAMPLE_FOLDER)
    with resources.as_file(folder) as folder:
        database, statements = read_ptbxl_tables(folder)
        with np.load(folder / SIGNALS_FILE) as stored:
            digital, ecg_id, sfreq = stored["ecg"], stored["ecg_id"], stored["sfreq"]
    if not np.array_equal(ecg_id, database.index.to_numpy()):
        raise ValueError(f"{folder}: {SIGNALS_FILE} and {DATABASE_CSV} list different records.")
    ecg = digital.astype(dtype) / dtype(GAIN_ADU_PER_MV)
    return ptbxl_bunch(ecg, sfreq, database, statements, "sample_ecg.rst")


def _build_sample(ptbxl_path, out_dir, n_per_class=16):
    """Write the shipped sample from a PTB-XL copy (run once by maintainers).

    Picks, rarest superclass first, the lowest ``ecg_id`` records having the
    superclass until it has ``n_per_class`` records in the sample, then
    stores their 500 Hz signals as int16 (``signals.npz``), their rows of
    ``ptbxl_database.csv``, ``scp_statements.csv`` and PTB-XL's LICENSE.txt
    in ``out_dir``. The shipped files were made with
    ``_build_sample("../shared/data/ptbxl", "sklearn_ecgmcg/datasets/data/ptbxl_sample")``.
    """
    ptbxl_path, out_dir = Path(ptbxl_path), Path(out_dir)
    full = load_ptbxl(ptbxl_path, sampling_rate=500, dtype=np.float64)
    chosen = np.zeros(len(full.ecg_id), dtype=bool)
    for k in np.argsort(full.target.sum(axis=0)):
        missing = n_per_class - full.target[chosen, k].sum()
        candidates = np.flatnonzero((full.target[:, k] == 1) & ~chosen)
        chosen[candidates[: max(missing, 0)]] = True
    digital = np.round(full.ecg[chosen] * GAIN_ADU_PER_MV)
    if np.abs(digital).max() > np.iinfo(np.int16).max:
        raise ValueError("a chosen record does not fit int16 at the PTB-XL gain.")
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out_dir / SIGNALS_FILE,
        ecg=digital.astype(np.int16),
        ecg_id=full.ecg_id[chosen],
        sfreq=np.float64(full.sfreq),
    )
    ids = set(full.ecg_id[chosen])
    lines = (ptbxl_path / DATABASE_CSV).read_text("utf-8").splitlines(keepends=True)
    rows = [line for line in lines[1:] if int(line.split(",", 1)[0]) in ids]
    (out_dir / DATABASE_CSV).write_text("".join(lines[:1] + rows), "utf-8")
    for name in (STATEMENTS_CSV, "LICENSE.txt"):
        shutil.copyfile(ptbxl_path / name, out_dir / name)
    return dict(zip(SUPERCLASSES, full.target[chosen].sum(axis=0)))
