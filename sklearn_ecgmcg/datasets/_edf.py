"""EDF and BDF recordings through edfio."""

import datetime
import warnings

import numpy as np
from sklearn.utils import Bunch

__all__ = ["read_edf"]

ANNOTATIONS = ("EDF Annotations", "BDF Annotations")


def read_edf(path, channels=None):
    """Read the signals of an EDF or BDF file (see :func:`read_recording`)."""
    import edfio

    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found.")
    reader = edfio.read_bdf if path.suffix.lower() == ".bdf" else edfio.read_edf
    kind = path.suffix[1:].upper()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            recording = reader(path)
            signals = [s for s in recording.signals if s.label not in ANNOTATIONS]
            data = [np.asarray(s.data, dtype=float) for s in signals]
    except Exception as error:  # edfio raises several types for damaged files
        raise ValueError(f"{path}: cannot be read as {kind} "
                         f"({type(error).__name__}: {error}).") from None
    damage = [str(w.message) for w in caught if "truncat" in str(w.message).lower()
              or "incomplete" in str(w.message).lower()]
    if damage:
        raise ValueError(f"{path}: cannot be read as {kind}: the file is truncated "
                         f"({damage[0]})")
    labels = [s.label for s in signals]
    if channels is not None:
        missing = [c for c in channels if c not in labels]
        if missing:
            raise ValueError(f"{path}: no signal labelled {missing}; labels: {labels}.")
        picks = [labels.index(c) for c in channels]
        signals, data = [signals[i] for i in picks], [data[i] for i in picks]
    if not signals:
        raise ValueError(f"{path} holds no signal.")
    rates = sorted({float(s.sampling_frequency) for s in signals})
    if len(rates) > 1:
        raise ValueError(
            f"{path}: the signals are sampled at {rates} Hz; read the channels of one "
            "rate at a time with channels=[...]."
        )
    data = np.stack(data)
    if data.shape[1] == 0:
        raise ValueError(f"{path} holds no samples.")
    return Bunch(signals=data, times=np.arange(data.shape[1]) / rates[0], sfreq=rates[0],
                 jitter=0.0, ch_names=[s.label for s in signals],
                 units=[s.physical_dimension for s in signals], start_time=_start(recording),
                 path=path)


def _start(recording):
    try:
        return datetime.datetime.combine(recording.startdate, recording.starttime)
    except Exception:  # anonymised dates
        return None
