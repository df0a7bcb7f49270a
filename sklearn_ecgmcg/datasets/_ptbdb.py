"""Loader for the PTB Diagnostic ECG Database (15 leads, 1000 Hz)."""

import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._wfdb import read_wfdb

__all__ = ["load_ptbdb", "parse_ptbdb_comments", "normalize_reason"]

PTBDB_LEADS = [
    "i", "ii", "iii", "avr", "avl", "avf",
    "v1", "v2", "v3", "v4", "v5", "v6",
    "vx", "vy", "vz",
]  # fmt: skip

# Classes of "Reason for admission", each with the lower-case prefixes that
# map to it; "Heart failure (NYHA 3)" -> "heart failure".
REASON_CLASSES = {
    "myocardial infarction": ("myocardial infarction",),
    "healthy control": ("healthy control", "healthy"),
    "cardiomyopathy": ("cardiomyopathy",),
    "heart failure": ("heart failure",),
    "bundle branch block": ("bundle branch block",),
    "dysrhythmia": ("dysrhythmia",),
    "hypertrophy": ("hypertrophy",),
    "valvular heart disease": ("valvular heart disease",),
    "myocarditis": ("myocarditis",),
    "stable angina": ("stable angina",),
    "unstable angina": ("unstable angina",),
    "palpitation": ("palpitation",),
    "n/a": ("n/a", "na", ""),
}
REASON_KEY = "Reason for admission"


def load_ptbdb(path, *, sampto=None, dtype=np.float32):
    """Load PTB Diagnostic ECG Database records with their header metadata.

    Reads every record ``<path>/<patient>/<record>.hea`` (the PhysioNet
    layout, e.g. ``patient001/s0010_re``): the 12 standard leads from ``.dat``
    and the Frank leads vx, vy, vz from ``.xyz``, at 1000 Hz. The header
    comments (``# key: value``) become metadata, and "Reason for admission"
    is normalised to one of ``target_names``.

    PTB records differ in length (about 30 to 120 s). By default every record
    is cut to the length of the shortest one (keeping its start), so ``ecg``
    is one array; ``n_times_original`` keeps the full lengths. To read a
    fixed window instead, pass ``sampto``.

    Parameters
    ----------
    path : str or path-like
        Folder holding the patient folders.
    sampto : int, default=None
        Read the first ``sampto`` samples of each record; a shorter record is
        an error. None cuts all records to the shortest one.
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the signals.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ecg : ndarray of shape (n_records, 15, n_times)
            Signals in mV.
        sfreq : float
            Sampling rate in Hz (1000).
        ch_names : list of str
            ``i, ii, iii, avr, avl, avf, v1-v6, vx, vy, vz``.
        target : ndarray of shape (n_records,), dtype int
            Index of the normalised reason for admission in ``target_names``.
        target_names : list of str
            Every class the normaliser knows, so codes are stable across
            subsets.
        reason : ndarray of str, shape (n_records,)
            Normalised reason for admission (``target_names[target]``).
        groups : ndarray of str, shape (n_records,)
            Patient folder name (``"patient001"``) of each record.
        record_names : ndarray of str, shape (n_records,)
            Record name of each record.
        age : ndarray of shape (n_records,), dtype float
            Age in years, NaN where the header says n/a.
        sex : ndarray of shape (n_records,), dtype int
            0 male, 1 female, -1 unknown (PTB-XL's codes).
        n_times_original : ndarray of shape (n_records,), dtype int
            Full length of each record in samples.
        metadata : pandas.DataFrame
            One row per record: ``record``, ``patient`` and every header
            comment field as text (see :func:`parse_ptbdb_comments`).
        DESCR : str
            Description of the data set.

    Raises
    ------
    FileNotFoundError
        If ``path`` holds no ``<patient>/<record>.hea`` or a signal file is
        missing (the message names it).
    ValueError
        If a header cannot be parsed, a record lacks one of the 15 leads, a
        reason for admission is not recognised, or a record is shorter than
        ``sampto`` (the message names the record).
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"PTB Diagnostic folder {path} does not exist.")
    headers = sorted(path.glob("*/*.hea"))
    if not headers:
        raise FileNotFoundError(
            f"{path} holds no PTB Diagnostic record: expected <patient>/<record>.hea files, "
            "e.g. patient001/s0010_re.hea."
        )
    records = read_wfdb(
        [h.with_suffix("") for h in headers],
        channels=PTBDB_LEADS,
        sampto=sampto,
        crop=sampto is None,
        dtype=dtype,
    )
    fields = [parse_ptbdb_comments(c) for c in records.comments]
    reason = np.array(
        [normalize_reason(f.get(REASON_KEY, "n/a"), h) for f, h in zip(fields, headers)]
    )
    target_names = list(REASON_CLASSES)
    metadata = pd.DataFrame(fields)
    metadata.insert(0, "record", records.record_names)
    metadata.insert(1, "patient", [h.parent.name for h in headers])
    return Bunch(
        ecg=records.ecg,
        sfreq=records.sfreq,
        ch_names=records.ch_names,
        target=np.array([target_names.index(r) for r in reason]),
        target_names=target_names,
        reason=reason,
        groups=metadata["patient"].to_numpy(dtype=str),
        record_names=records.record_names,
        age=np.array([_age(f.get("age")) for f in fields]),
        sex=np.array([_sex(f.get("sex")) for f in fields]),
        n_times_original=records.n_times_original,
        metadata=metadata,
        DESCR=_describe(reason, metadata["patient"].nunique()),
    )


def parse_ptbdb_comments(comments):
    """Parse the ``#`` comment lines of a PTB Diagnostic header.

    Parameters
    ----------
    comments : list of str
        Comment lines without the leading ``#`` (``wfdb`` ``Record.comments``).

    Returns
    -------
    fields : dict of str to str
        ``"key: value"`` lines, values stripped. Section titles (``"Diagnose:"``,
        ``"Hemodynamics:"``, ``"Therapy:"``) hold no value and are dropped; a
        key repeated in a later section is stored as ``"key (section)"``, e.g.
        ``"Catheterization date (Therapy)"``.
    """
    fields = {}
    section = ""
    for line in comments:
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            continue
        if not value:
            section = key
            continue
        if key in fields:
            key = f"{key} ({section})"
        fields[key] = value
    return fields


def normalize_reason(reason, source="header"):
    """Map a PTB "Reason for admission" string to its class name.

    Matching ignores case and surrounding blanks and accepts variants that
    start with a class name as a whole word, e.g. "Heart failure (NYHA 2)" ->
    "heart failure".

    Parameters
    ----------
    reason : str
        The header value.
    source : str or path-like, default="header"
        Where the value comes from, named in the error message.

    Returns
    -------
    name : str
        One of the keys of ``REASON_CLASSES``.
    """
    text = " ".join(str(reason).lower().split())
    for name, prefixes in REASON_CLASSES.items():
        if any(text == p or (p and re.match(re.escape(p) + r"\b", text)) for p in prefixes):
            return name
    raise ValueError(
        f"unknown reason for admission {reason!r} in {source}; known classes are "
        f"{list(REASON_CLASSES)}."
    )


def _age(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _sex(value):
    return {"male": 0, "m": 0, "female": 1, "f": 1}.get(str(value).strip().lower(), -1)


def _describe(reason, n_patients):
    classes, counts = np.unique(reason, return_counts=True)
    template = resources.files(__package__).joinpath("descr", "ptbdb.rst").read_text("utf-8")
    return template.format(
        n_records=len(reason),
        n_patients=n_patients,
        counts=", ".join(f"{c} {n}" for c, n in zip(classes, counts)),
    )
