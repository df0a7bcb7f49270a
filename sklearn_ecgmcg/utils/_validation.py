"""Input validation shared by every public function and estimator."""

import mmap
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.utils import check_array

__all__ = [
    "UnitsWarning",
    "check_amplitude",
    "check_paired_signals",
    "check_sfreq",
    "check_signals",
    "is_lazy_signals",
]


def check_signals(
    X,
    *,
    name="X",
    ensure_3d=False,
    min_times=1,
    dtype="numeric",
    copy=False,
    signals=True,
    lazy=False,
):
    """Validate a batch of signals.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_times) or (n_samples, n_channels, n_times)
        Signals. A 2-D array is read as single-channel signals.
    name : str, default="X"
        Name of the argument, used in error messages.
    ensure_3d : bool, default=False
        If True, a 2-D input is returned as ``(n_samples, 1, n_times)``.
    min_times : int, default=1
        Smallest accepted number of time samples.
    dtype : {"numeric", np.float32, np.float64}, default="numeric"
        ``"numeric"`` keeps float32 and float64 and converts integer and boolean
        input to float64. A NumPy float type converts to that type.
    copy : bool, default=False
        Always return a new array, never a view of ``X``.
    signals : bool, default=True
        ``X`` holds channels over time, so a 3-D array with far more "channels"
        than time samples is rejected as channels-last. False for other 3-D
        arrays checked the same way (time-resolved latents).
    lazy : bool, default=False
        If True, a float array read on demand (memory-mapped, e.g. opened with
        ``np.load(..., mmap_mode="r")``, or an on-disk
        :class:`~sklearn_ecgmcg.datasets.ECGCorpus`) is checked block by block
        and returned as it is, in its own dtype, never loaded whole: the caller
        reads and converts it batch by batch. Ignored when ``copy=True``.

    Returns
    -------
    X_checked : ndarray of shape (n_samples, n_times) or (n_samples, n_channels, n_times)
        A float32 or float64 array, C-contiguous; with ``lazy=True``, an input
        read on demand as it was passed (a 2-D memory map gets a channel axis
        as a view when ``ensure_3d``).

    Raises
    ------
    TypeError
        If ``X`` holds string, object or other non-numeric values.
    ValueError
        If ``X`` is complex, empty, has the wrong number of dimensions, too few
        time samples, looks channels-last, or holds NaN or infinite values.
    """
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array of signals, got a string.")
    if sparse.issparse(X):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported for signals. "
            "Convert it with X.toarray()."
        )
    if hasattr(X, "__array__") and not isinstance(X, np.ndarray) and hasattr(X, "to_numpy"):
        X = X.to_numpy()  # pandas objects
    on_demand = lazy and not copy and is_lazy_signals(X) and np.dtype(X.dtype).kind == "f"
    array = X if on_demand else np.asarray(X)
    kind = array.dtype.kind
    if kind == "c":
        # ValueError, like sklearn's check_array ("Complex data not supported").
        raise ValueError(
            f"Complex data not supported: {name} must be real-valued, got dtype "
            f"{array.dtype}. Take the real part or the magnitude first."
        )
    if kind not in "biuf":
        raise TypeError(
            f"{name} must be a numeric (float32 or float64) array; got dtype "
            f"{array.dtype}. Object, string and other non-numeric arrays are not "
            "accepted."
        )
    if array.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_times) or 3-D "
            f"(n_samples, n_channels, n_times); got {array.ndim}-D array of shape "
            f"{array.shape}."
            + (" Reshape your data: one signal x is x[np.newaxis]." if array.ndim == 1 else "")
        )
    if int(np.prod(array.shape)) == 0:
        raise ValueError(
            f"{name} is empty: shape {array.shape}. At least one sample, channel and "
            "time point are needed."
            + (
                # sklearn's wording for zero columns, which its common checks expect.
                f" Found array with 0 feature(s) (shape={array.shape}) while a minimum "
                "of 1 is required."
                if array.ndim == 2 and array.shape[0] > 0
                else ""
            )
        )
    if signals:
        _reject_channels_last(array.shape, name)
    if array.shape[-1] < min_times:
        raise ValueError(
            f"{name} has {array.shape[-1]} time samples; at least {min_times} are needed."
        )
    if on_demand:
        out = array  # converted batch by batch where it is read
    else:
        target = (array.dtype if array.dtype in (np.float32, np.float64) else np.float64
                  ) if dtype == "numeric" else np.dtype(dtype)
        out = np.array(array, dtype=target, order="C", copy=copy or None)
    if not _all_finite(out):
        raise ValueError(f"{name} contains NaN or infinite values ({_count_bad(out)} of "
                         f"{int(np.prod(out.shape))}).")
    if ensure_3d and out.ndim == 2:
        out = out[:, np.newaxis, :]
    return out


def is_lazy_signals(X):
    """Whether ``X`` (or a value of the dict ``X``) is read from disk on demand.

    True for a memory-mapped array (``np.memmap``, ``np.load(..., mmap_mode=...)``
    and views of them) and for an array-like that is not a NumPy array and has no
    ``__array__`` but has ``shape``, ``dtype`` and integer/slice indexing (an
    :class:`~sklearn_ecgmcg.datasets.ECGCorpus`).

    Parameters
    ----------
    X : object
        An array, array-like, or a dict of them (then: whether any value is).

    Returns
    -------
    lazy : bool
        True when ``X`` should be read batch by batch rather than loaded.
    """
    if isinstance(X, dict):
        return any(is_lazy_signals(value) for value in X.values())
    if isinstance(X, np.ndarray):
        base = X
        while isinstance(base, np.ndarray):
            if isinstance(base, np.memmap):
                return True
            base = base.base
        return isinstance(base, mmap.mmap)
    return not hasattr(X, "__array__") and all(
        hasattr(X, attribute) for attribute in ("shape", "dtype", "__getitem__", "__len__")
    )


def _count_bad(array):
    """Non-finite values of ``array``, counted block by block."""
    step = max(_FINITE_CHECK_BYTES // max(array[:1].nbytes, 1), 1)
    return sum(int(np.size(block) - np.count_nonzero(np.isfinite(block)))
               for block in (np.asarray(array[i : i + step]) for i in range(0, len(array), step)))


# More "channels" than any ECG/MCG/BSPM system has, or many times more channels than
# time samples with only a handful of those: an array given channels-last.
MAX_CHANNELS = 256
CHANNELS_LAST_RATIO, FEW_CHANNELS = 4, 16


def _reject_channels_last(shape, name):
    if len(shape) != 3:
        return
    _, n_channels, n_times = shape
    if n_channels <= n_times:
        return
    if n_channels > MAX_CHANNELS or (
        n_times <= FEW_CHANNELS and n_channels > CHANNELS_LAST_RATIO * n_times
    ):
        raise ValueError(
            f"{name} has shape {shape}: {n_channels} channels of {n_times} time samples "
            "each. That looks like channels-last data (n_samples, n_times, n_channels); "
            f"signals are (n_samples, n_channels, n_times): pass {name}.transpose(0, 2, 1)."
        )


# Input bytes checked at once by _all_finite (its boolean mask is a fraction of it).
_FINITE_CHECK_BYTES = 64 * 2**20


def _all_finite(array):
    """Whether ``array`` holds only finite values, checked in blocks of rows.

    ``np.isfinite(array).all()`` allocates a boolean array as large as the input;
    blocks of about 64 MB keep the extra memory independent of the number of samples
    (a memory-mapped input is read block by block) and stop at the first bad block.
    """
    row_bytes = max(array[:1].nbytes, 1)
    step = max(_FINITE_CHECK_BYTES // row_bytes, 1)
    return all(
        np.isfinite(array[start : start + step]).all() for start in range(0, len(array), step)
    )


def check_paired_signals(X, y, *, names=("X", "y"), **kwargs):
    """Validate two paired signal batches with the same number of samples.

    Parameters
    ----------
    X, y : array-like of shape (n_samples, [n_channels,] n_times)
        Paired signals, sample ``i`` of each being the same heartbeat.
    names : tuple of str, default=("X", "y")
        Argument names used in error messages.
    **kwargs
        Passed to :func:`check_signals` for both arrays.

    Returns
    -------
    X_checked, y_checked : ndarray
    """
    X = check_signals(X, name=names[0], **kwargs)
    y = check_signals(y, name=names[1], **kwargs)
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{names[0]} and {names[1]} must hold the same number of paired samples; "
            f"got {X.shape[0]} and {y.shape[0]}."
        )
    return X, y


def check_sfreq(sfreq, *, name="sfreq"):
    """Validate a sampling rate in Hz and return it as a float."""
    if isinstance(sfreq, bool) or not isinstance(sfreq, Real):
        raise TypeError(f"{name} must be a positive number in Hz; got {sfreq!r}.")
    if not np.isfinite(sfreq) or sfreq <= 0:
        raise ValueError(f"{name} must be a positive, finite number in Hz; got {sfreq!r}.")
    return float(sfreq)


def check_positive_int(value, *, name):
    """Validate a strictly positive integer."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a positive integer; got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def check_embeddings(z, name="z"):
    """Validate embeddings: a 2-D float32 or float64 array ``(n_samples, n_components)``."""
    array = np.asarray(z) if not hasattr(z, "to_numpy") else z.to_numpy()
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of embeddings (n_samples, n_components); "
            f"got {array.ndim}-D array of shape {array.shape}."
        )
    return check_array(array, dtype=[np.float64, np.float32], input_name=name)


def check_paired_embeddings(z_query, z_gallery):
    """Validate two embeddings of the same shape, row ``i`` of both the same heartbeat."""
    z_query = check_embeddings(z_query, "z_query")
    z_gallery = check_embeddings(z_gallery, "z_gallery")
    if z_query.shape != z_gallery.shape:
        raise ValueError(
            "z_query and z_gallery must be paired embeddings of the same shape "
            f"(row i of both is the same heartbeat); got {z_query.shape} and "
            f"{z_gallery.shape}."
        )
    return z_query, z_gallery


def check_groups(groups, n_samples):
    """Validate subject ids: a 1-D array of ``n_samples`` finite ids."""
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.shape[0] != n_samples:
        raise ValueError(
            f"groups must be a 1-D array with one subject id per sample ({n_samples}); "
            f"got shape {groups.shape}."
        )
    if groups.dtype.kind == "f" and not np.isfinite(groups).all():
        raise ValueError("groups contains NaN or infinite subject ids.")
    return groups


class UnitsWarning(UserWarning):
    """Warning that a signal's amplitude points to the wrong physical units."""


# modality: (expected unit, typical amplitude in it, {other unit: its size in the expected
# unit}). The typical amplitude is that of ``_robust_amplitude``: ECG QRS ~0.5-5 mV, MCG
# QRS tens of pT.
_UNITS = {
    "ecg": ("mV", 1.0, {"V": 1e3, "µV": 1e-3}),
    "mcg": ("pT", 20.0, {"T": 1e12, "nT": 1e3, "fT": 1e-3}),
}
_UNITS_TOLERANCE = 100.0  # warn only when the amplitude is this far off the typical one
_AMPLITUDE_SUBSAMPLE = 256  # records used to estimate the amplitude


def _robust_amplitude(X):
    """Median over records of the 99th percentile of ``|x - median(x)|`` per record."""
    step = max(1, -(-len(X) // _AMPLITUDE_SUBSAMPLE))
    # One record at a time: a memory map or a corpus is read 256 records deep, and
    # the float64 work arrays stay the size of one record.
    amplitudes = []
    for index in range(0, len(X), step):
        record = np.asarray(X[index], dtype=np.float64).ravel()
        amplitudes.append(np.percentile(np.abs(record - np.median(record)), 99))
    return float(np.median(amplitudes))


def check_amplitude(X, *, modality="ecg", name="X"):
    """Warn when the amplitude of signals says they are in the wrong units.

    The robust amplitude (median over records of the 99th percentile of
    ``|x - median(x)|``, on at most 256 evenly spaced records) is compared with the
    typical amplitude of the modality: ECG in mV (~1) or MCG in pT (~20). More than
    100 times off gives a :class:`UnitsWarning` naming the likely unit and how to
    convert. Flat signals (amplitude 0) carry no unit information and pass silently.

    Parameters
    ----------
    X : ndarray of shape (n_samples, [n_channels,] n_times)
        Validated signals (see :func:`check_signals`).
    modality : {"ecg", "mcg"}, default="ecg"
        ``"ecg"`` expects millivolts, ``"mcg"`` picotesla.
    name : str, default="X"
        Name of the argument, used in the warning.

    Returns
    -------
    amplitude : float
        The robust amplitude, in the units of ``X``.
    """
    expected, typical, others = _UNITS[modality]
    amplitude = _robust_amplitude(X)
    if amplitude == 0 or _plausible(amplitude, modality):
        return amplitude
    # The unit that brings the amplitude closest to the typical one, on a log scale.
    unit, size = min(others.items(), key=lambda u: abs(np.log(amplitude * u[1] / typical)))
    factor = "multiply by" if size > 1 else "divide by"
    scale = size if size > 1 else 1 / size
    warnings.warn(
        f"{name} has a typical amplitude of {amplitude:.3g}, far from the "
        f"~{typical:g} {expected} of {modality.upper()}: it looks like {modality.upper()} "
        f"in {unit}, not {expected}. Convert it to {expected} ({factor} {scale:g}).",
        UnitsWarning,
        stacklevel=3,
    )
    return amplitude


# ECG in mV (~1) is tens of times smaller than MCG in pT (~20-50); an ECG this many
# times larger than its MCG means the two were swapped or one is in other units.
SWAPPED_RATIO = 10.0


def check_ecg_mcg_order(ecg_amplitude, mcg_amplitude, names=("X", "y")):
    """Raise when the ECG is far larger than its paired MCG: the two were swapped.

    Only when both amplitudes are plausible for their own modality (else
    :func:`check_amplitude` has already warned about the units).

    Parameters
    ----------
    ecg_amplitude, mcg_amplitude : float
        Robust amplitudes from :func:`check_amplitude`.
    names : tuple of str, default=("X", "y")
        Argument names of the ECG and the MCG, used in the message.
    """
    if not (_plausible(ecg_amplitude, "ecg") and _plausible(mcg_amplitude, "mcg")):
        return
    if ecg_amplitude > SWAPPED_RATIO * mcg_amplitude:
        ecg, mcg = names
        raise ValueError(
            f"{ecg} (ECG, typical amplitude {ecg_amplitude:.3g}) is {ecg_amplitude / mcg_amplitude:.0f} "
            f"times larger than {mcg} (MCG, {mcg_amplitude:.3g}), but ECG in mV (~1) is tens "
            f"of times smaller than MCG in pT (~20-50). {ecg} and {mcg} look swapped: pass "
            f"the ECG as {ecg} and the MCG as {mcg}."
        )


def _plausible(amplitude, modality):
    """Whether a nonzero amplitude lies within the units tolerance of its modality."""
    typical = _UNITS[modality][1]
    return typical / _UNITS_TOLERANCE <= amplitude <= typical * _UNITS_TOLERANCE
