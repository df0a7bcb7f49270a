"""Validation of the simulator's arguments (shared by the generators)."""

from numbers import Integral, Real

import numpy as np

from ._physics import _dipole, _forward, _noise
from ..utils import check_sfreq

MIN_SFREQ = 100.0  # the narrowest QRS Gaussians are ~5 ms wide
MIN_DURATION = 2.0
SOURCES = ("double_layer", "dipole")
MCG_MODELS = ("half-space", "sphere")
MIN_PATCHES, MAX_PATCHES = 8, 400
MIN_DOUBLE_LAYER_DEPTH = 0.08


def _check_choice(value, choices, name):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}.")
    return value


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


def _check_respiration(respiration):
    if not isinstance(respiration, (bool, np.bool_)):
        raise TypeError(f"respiration must be True or False; got {respiration!r}.")
    return bool(respiration)


def _check_common(sfreq, ecg_layout, mcg_layout, noise, sensor, gradiometer_baseline, depth,
                  heart_rate, mains_freq):
    sfreq = check_sfreq(sfreq)
    if sfreq < MIN_SFREQ:
        raise ValueError(f"sfreq must be at least {MIN_SFREQ:g} Hz (QRS detail); got {sfreq:g}.")
    _check_choice(ecg_layout, _forward.ECG_LAYOUTS, "ecg_layout")
    _check_choice(mcg_layout, tuple(_forward.MCG_LAYOUTS), "mcg_layout")
    _check_choice(noise, _noise.NOISE_PRESETS, "noise")
    _check_choice(sensor, _forward.SENSOR_TYPES, "sensor")
    baseline = _check_real(gradiometer_baseline, "gradiometer_baseline", 0.01, 0.2)
    depth = _check_real(depth, "depth", 0.05, 0.2)
    heart_rate = _check_heart_rate(heart_rate)
    if mains_freq not in (50, 60):
        raise ValueError(f"mains_freq must be 50 or 60 Hz; got {mains_freq!r}.")
    return sfreq, baseline, depth, heart_rate


def _check_source(source, n_patches, silent_fraction, ecg_highpass, mcg_model, depth):
    """Validate the source model's options; return them as numbers."""
    _check_choice(source, SOURCES, "source")
    _check_choice(mcg_model, MCG_MODELS, "mcg_model")
    if isinstance(n_patches, bool) or not isinstance(n_patches, Integral):
        raise TypeError(f"n_patches must be an integer; got {n_patches!r}.")
    if not MIN_PATCHES <= n_patches <= MAX_PATCHES:
        raise ValueError(
            f"n_patches must lie in [{MIN_PATCHES}, {MAX_PATCHES}]; got {n_patches!r}."
        )
    silent_fraction = _check_real(silent_fraction, "silent_fraction", 0.0, 0.5)
    if ecg_highpass is not None:
        ecg_highpass = _check_real(ecg_highpass, "ecg_highpass", 0.01, 1.0)
    if source == "double_layer" and depth < MIN_DOUBLE_LAYER_DEPTH:
        raise ValueError(
            f"depth={depth:g} m puts the sensors inside the chest wall of the double-layer "
            f"torso (7 cm in front of the heart); use depth >= {MIN_DOUBLE_LAYER_DEPTH:g}."
        )
    if source == "dipole" and mcg_model != "half-space":
        raise ValueError('mcg_model="sphere" needs source="double_layer".')
    return int(n_patches), silent_fraction, ecg_highpass


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
