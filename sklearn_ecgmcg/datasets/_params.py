"""Validation of the simulator's arguments (shared by the generators).

Types, ranges and choices are ``sklearn.utils._param_validation`` constraints, one
table shared by the generators (``PHYSICS_CONSTRAINTS``); what a constraint cannot
say (relations between arguments, the content of ``conditions``) is checked here.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

from ..utils import check_sfreq
from ._physics import _dipole, _forward, _noise

MIN_SFREQ = 100.0  # the narrowest QRS Gaussians are ~5 ms wide
MIN_DURATION = 2.0
SOURCES = ("double_layer", "dipole")
MCG_MODELS = ("half-space", "sphere")
MIN_PATCHES, MAX_PATCHES = 8, 400
MIN_DOUBLE_LAYER_DEPTH = 0.08


def _count():
    return [Interval(Integral, 1, None, closed="left")]


# The options every generator shares, in this order, all keyword-only.
PHYSICS_CONSTRAINTS = {
    "sfreq": [Interval(Real, MIN_SFREQ, None, closed="left")],
    "source": [StrOptions(set(SOURCES))],
    "ecg_layout": [StrOptions(set(_forward.ECG_LAYOUTS))],
    "mcg_layout": [StrOptions(set(_forward.MCG_LAYOUTS))],
    "noise": [StrOptions(set(_noise.NOISE_PRESETS))],
    "conditions": [None, str, list, tuple, dict],
    "n_patches": [Interval(Integral, MIN_PATCHES, MAX_PATCHES, closed="both")],
    "silent_fraction": [Interval(Real, 0.0, 0.5, closed="both")],
    "ecg_highpass": [None, Interval(Real, 0.01, 1.0, closed="both")],
    "mcg_model": [StrOptions(set(MCG_MODELS))],
    "sensor": [StrOptions(set(_forward.SENSOR_TYPES))],
    "gradiometer_baseline": [Interval(Real, 0.01, 0.2, closed="both")],
    "depth": [Interval(Real, 0.05, 0.2, closed="both")],
    "heart_rate": [tuple, list, np.ndarray],
    "respiration": ["boolean"],
    "mains_freq": [Options(Real, {50, 60})],
    "random_state": ["random_state"],
    "dtype": [type, str, np.dtype],
}
BEATS_CONSTRAINTS = {
    "n_subjects": _count(),
    "beats_per_subject": _count(),
    "tmin": [Interval(Real, -2.0, 2.0, closed="both")],
    "tmax": [Interval(Real, -2.0, 2.0, closed="both")],
    **PHYSICS_CONSTRAINTS,
}
RECORDS_CONSTRAINTS = {
    "n_subjects": _count(),
    "duration": [Interval(Real, MIN_DURATION, None, closed="left")],
    "records_per_subject": _count(),
    **PHYSICS_CONSTRAINTS,
}
SEMI_SYNTHETIC_CONSTRAINTS = {
    "ecg": ["array-like"],
    "sfreq": [Interval(Real, 0.0, None, closed="neither")],
    "ch_names": ["array-like"],
    "heart_position": [None, "array-like"],
    **{key: PHYSICS_CONSTRAINTS[key] for key in (
        "mcg_layout", "depth", "noise", "random_state", "source", "n_patches",
        "silent_fraction", "mcg_model", "sensor", "gradiometer_baseline", "mains_freq", "dtype",
    )},
}


def _check_real(value, name, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number; got {value!r}.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must lie in [{low}, {high}]; got {value!r}.")
    return float(value)


def _check_heart_rate(heart_rate):
    try:
        low, high = (float(v) for v in heart_rate)
    except (TypeError, ValueError):
        raise TypeError(
            f"heart_rate must be a pair (min_bpm, max_bpm); got {heart_rate!r}."
        ) from None
    if not (30.0 <= low <= high <= 200.0):
        raise ValueError(
            f"heart_rate must satisfy 30 <= min_bpm <= max_bpm <= 200; got {heart_rate!r}."
        )
    return low, high


def _condition_codes(conditions, n_subjects):
    """Condition index per subject from None, a name, a list of names or a dict of fractions."""
    names = _dipole.CONDITIONS
    if conditions is None:
        return np.zeros(n_subjects, dtype=int)
    if isinstance(conditions, str):
        conditions = [conditions]
    if isinstance(conditions, dict):
        unknown = [c for c in conditions if c not in names]
        if unknown:
            raise ValueError(f"Unknown condition(s) {unknown}; choose from {list(names)}.")
        fractions = np.array([_check_real(f, f"conditions[{c!r}]", 0.0, 1.0)
                              for c, f in conditions.items()])
        if not np.isclose(fractions.sum(), 1.0, atol=1e-6):
            raise ValueError(f"conditions fractions must sum to 1; got {fractions.sum():g}.")
        counts = np.floor(fractions * n_subjects).astype(int)
        remainder = fractions * n_subjects - counts
        counts[np.argsort(-remainder, kind="stable")[: n_subjects - counts.sum()]] += 1
        return np.repeat([names.index(c) for c in conditions], counts)
    conditions = list(conditions)
    unknown = [c for c in conditions if not isinstance(c, str) or c not in names]
    if unknown or not conditions:
        raise ValueError(
            f"conditions must be None, a name, a list of names or a dict name -> fraction "
            f"with names from {list(names)}; got unknown {unknown or conditions!r}."
        )
    return np.array([names.index(conditions[i % len(conditions)]) for i in range(n_subjects)])


def check_physics(sfreq, heart_rate, source, depth, mcg_model):
    """What the constraints cannot say: finite sfreq, the heart-rate pair, depth vs source."""
    sfreq = check_sfreq(sfreq)
    heart_rate = _check_heart_rate(heart_rate)
    if source == "double_layer" and depth < MIN_DOUBLE_LAYER_DEPTH:
        raise ValueError(
            f"depth={depth:g} m puts the sensors inside the chest wall of the double-layer "
            f"torso (7 cm in front of the heart); use depth >= {MIN_DOUBLE_LAYER_DEPTH:g}."
        )
    if source == "dipole" and mcg_model != "half-space":
        raise ValueError('mcg_model="sphere" needs source="double_layer".')
    return sfreq, heart_rate


def _check_dtype(dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype not in (np.float32, np.float64):
        raise ValueError("dtype must be np.float32 or np.float64.")
    return dtype


def _pick_inverse_dower_leads(ch_names, n_channels):
    if isinstance(ch_names, str) or len(ch_names) != n_channels:
        raise ValueError(
            f"ch_names must list one name per ECG channel ({n_channels}); got {ch_names!r}."
        )
    lookup = {str(name).strip().upper(): i for i, name in enumerate(ch_names)}
    missing = [lead for lead in _forward.INVERSE_DOWER_LEADS if lead.upper() not in lookup]
    if missing:
        raise ValueError(
            f"mcg_from_ecg needs leads {list(_forward.INVERSE_DOWER_LEADS)} for the inverse "
            f"Dower transform (names are case-insensitive); missing {missing} in "
            f"ch_names={list(ch_names)}."
        )
    return [lookup[lead.upper()] for lead in _forward.INVERSE_DOWER_LEADS]


def _check_heart_position(heart_position):
    if heart_position is None:
        return _forward.HEART_CENTRE.copy()
    position = np.asarray(heart_position, dtype=float)
    if position.shape != (3,) or not np.isfinite(position).all():
        raise ValueError(f"heart_position must be 3 finite numbers; got {heart_position!r}.")
    return position
