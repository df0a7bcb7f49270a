"""Simulated paired ECG + MCG from one cardiac current dipole (physics.md).

Everything produced here is SIMULATED: a dynamical dipole model of the heart
(Sameni et al. 2007, after McSharry et al. 2003) drives an ECG forward model (the
Dower transform, or a homogeneous volume conductor for body-surface maps) and an
MCG forward model (the normal field above a conducting half-space, Cohen & Hosaka
1976). No code of ECGSYN, OSET, fecgsyn or MCGpy is used.
"""

from numbers import Integral, Real

import numpy as np
from scipy.signal import savgol_filter
from sklearn.utils import Bunch, check_random_state

from ..utils import check_amplitude, check_positive_int, check_sfreq, check_signals
from ._physics import _dipole, _double_layer, _forward, _noise

__all__ = ["make_paired_beats", "simulate_paired_recordings", "mcg_from_ecg"]

MIN_SFREQ = 100.0  # the narrowest QRS Gaussians are ~5 ms wide
MIN_DURATION = 2.0
SOURCES = ("double_layer", "dipole")
MCG_MODELS = ("half-space", "sphere")
MIN_PATCHES, MAX_PATCHES = 8, 400
MIN_DOUBLE_LAYER_DEPTH = 0.08
# Between-subject variation (physics.md section 2; the ranges marked as published
# simulators' are used as given, the rest are engineering estimates).
LOOP_ROTATION_DEG = (10.0, 20.0)
LOOP_SCALE = (0.8, 1.2)
GAUSSIAN_AMPLITUDE_SPREAD = 0.2
GAUSSIAN_THETA_SPREAD = 0.05
GAUSSIAN_WIDTH_SPREAD = 0.1
HEART_SHIFT_M = 0.01
JITTER = (0.02, 0.05)
HR_STD_BPM = 1.0
RESPIRATION_HZ = (0.2, 0.3)
RESPIRATION_ROTATION_DEG = (2.0, 5.0)
RESPIRATION_SHIFT_M = (0.003, 0.005)
ISCHEMIC_DIPOLE_FRACTION = (0.1, 0.3)
# The ischemic region sits in the wall: 2-4 cm off the heart centre in the frontal
# plane and 2-3.5 cm toward the chest (anterior epicardium); engineering estimate.
ISCHEMIC_DIPOLE_OFFSET_M = (0.02, 0.04)
ISCHEMIC_DIPOLE_ANTERIOR_M = (0.02, 0.035)
_STREAMS = ("anatomy", "condition", "rhythm", "respiration", "jitter", "ecg_noise", "mcg_noise")

_DESCR_TEMPLATE = """Simulated paired ECG + MCG ({kind})
{underline}

SIMULATED DATA: no real paired ECG-MCG recording is involved.

A current dipole p(t) = kappa * VCG(t) (kappa = 8e-6 A m per mV) follows the
dynamical dipole model of Sameni et al. (EURASIP JASP 2007:043407; extending
McSharry et al., IEEE TBME 50:289, 2003): each Frank component is a sum of
Gaussians in cardiac phase, with between-subject loop rotation (10-20 deg) and
scale (+-20 %), heart position and depth, heart rate, per-beat RR variability
(LF 0.1 Hz / HF 0.25 Hz spectrum), respiration (2-5 deg rotation, 3-5 mm
dipole-sensor distance) and 2-5 % parameter jitter. Conditions are parameter edits:
{conditions}.

ECG ({ecg_layout}, mV): {ecg_model}
MCG ({mcg_layout} {sensor}, pT): normal field component above a conducting
half-space (Cohen & Hosaka, J Electrocardiol 1976), sensor normal out of the chest,
nominal dipole-sensor distance {depth:.3f} m.
Noise ({noise}): {noise_model}

Axes: x subject's left, y toward the feet, z toward the back; metres.
"""

_DOUBLE_LAYER_DESCR = """Simulated paired ECG + MCG ({kind})
{underline}

SIMULATED DATA: no real paired ECG-MCG recording is involved.

Source: an equivalent double layer on the ventricular surface (Geselowitz 1989;
van Oosterom 2001): LV and RV shells cut at the valve plane, each patch with an
epicardial and an endocardial element whose transmembrane potential rises at its
activation time (from 4 breakthrough sites through the Purkinje network, then
through the wall) and falls at activation + APD (apico-basal and transmural
gradients, restitution). Per subject: heart size, position (+-1.5 cm) and
orientation (up to 20 deg), LV wall, torso scale 0.9-1.15, sensor lift-off.
Per beat: RR (LF/HF variability), respiration (heart turned 2-5 deg and moved
3-5 mm), timing jitter. Electrically silent (solenoidal) currents as magnetic
dipoles along the wall normal, proportional to dV/dt, seen by the MCG only.
Conditions are tissue: {conditions}.

ECG ({ecg_layout}, mV): homogeneous sphere conductor (Frank 1952), electrodes on
its surface, Wilson's central terminal; AC-coupled unless ecg_highpass=None.
MCG ({mcg_layout} {sensor}, pT): normal field (half-space or Sarvas sphere),
DC-coupled, nominal heart-sensor distance {depth:.3f} m.
Noise ({noise}): {noise_model}

Axes: x subject's left, y toward the feet, z toward the back; metres.
"""

_ECG_MODELS = {
    "12-lead": "Dower transform of the VCG (Dower 1980).",
    "bspm32": (
        "32 body-surface electrodes (after Lux et al. 1978) in a homogeneous half-space "
        "(sigma 0.2 S/m), referenced to Wilson's central terminal."
    ),
}
_NOISE_MODELS = {
    "none": "no noise added (ecg equals ecg_clean, mcg equals mcg_clean).",
    "shielded": (
        "magnetically shielded room: SQUID white + 1/f noise 0.2-0.5 pT rms per channel, "
        "environmental drift 1-5 pT and mains 0.1-1 pT as a uniform field plus linear "
        "gradient shared by all channels; ECG baseline wander, EMG, mains, white and 1/f noise."
    ),
    "unshielded": (
        "unshielded: SQUID noise 1-5 pT rms per channel, environmental drift 10-50 pT and "
        "mains 5-20 pT shared by all channels (uniform field plus linear gradient); ECG "
        "baseline wander, EMG, mains, white and 1/f noise."
    ),
}


# --------------------------------------------------------------------------- validation


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


def _streams(random_state):
    """Independent generators per model component (one SeedSequence child each)."""
    entropy = check_random_state(random_state).randint(0, 2**31 - 1, size=4)
    children = np.random.SeedSequence([int(e) for e in entropy]).spawn(len(_STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(_STREAMS, children)}


# --------------------------------------------------------------------------- subjects


def _draw_subjects(rngs, codes, heart_rate, depth):
    """Morphology, geometry, rhythm and respiration of each subject."""
    n = len(codes)
    anatomy, cond, resp = rngs["anatomy"], rngs["condition"], rngs["respiration"]
    alpha, theta, width = (
        np.repeat(a[np.newaxis], n, axis=0) for a in _dipole.normal_parameters()
    )
    shape = alpha.shape
    alpha *= 1.0 + anatomy.uniform(-1, 1, shape) * GAUSSIAN_AMPLITUDE_SPREAD
    theta *= 1.0 + anatomy.uniform(-1, 1, shape) * GAUSSIAN_THETA_SPREAD
    width *= 1.0 + anatomy.uniform(-1, 1, shape) * GAUSSIAN_WIDTH_SPREAD
    rotation = _dipole.random_rotations(anatomy, n, *LOOP_ROTATION_DEG)
    scale = anatomy.uniform(*LOOP_SCALE, (n, 3))
    position = _forward.HEART_CENTRE + anatomy.uniform(-HEART_SHIFT_M, HEART_SHIFT_M, (n, 3))
    sensor_z = _forward.HEART_CENTRE[2] - depth

    severity = cond.uniform(size=(n, _dipole.N_SEVERITY))
    second_dir = _unit(cond.standard_normal((n, 3)))
    offset_angle = cond.uniform(0, 2 * np.pi, n)
    second_frac = cond.uniform(*ISCHEMIC_DIPOLE_FRACTION, n)
    offset = cond.uniform(*ISCHEMIC_DIPOLE_OFFSET_M, n)
    anterior = cond.uniform(*ISCHEMIC_DIPOLE_ANTERIOR_M, n)
    second_theta = cond.uniform(1.0, 1.4, n)
    second_width = cond.uniform(0.3, 0.45, n)

    t_peak = _t_wave_peak(alpha, theta, width)
    _dipole.apply_conditions(alpha, theta, width, codes, severity)
    ischemic = codes == _dipole.CONDITIONS.index("ischemia")
    second_moment = (ischemic * second_frac * t_peak)[:, None] * second_dir
    second_position = position + np.column_stack(
        [offset * np.cos(offset_angle), offset * np.sin(offset_angle), -anterior]
    )
    # keep the secondary source inside the torso, behind the sensor plane
    second_position[:, 2] = np.maximum(second_position[:, 2], sensor_z + 0.05)

    return Bunch(
        codes=codes, alpha=alpha, theta=theta, width=width, rotation=rotation, scale=scale,
        position=position, second_moment=second_moment, second_position=second_position,
        second_theta=second_theta, second_width=second_width,
        heart_rate=rngs["rhythm"].uniform(*heart_rate, n),
        jitter=rngs["jitter"].uniform(*JITTER, n),
        resp_freq=resp.uniform(*RESPIRATION_HZ, n),
        resp_phase=resp.uniform(0, 2 * np.pi, n),
        resp_axis=_unit(resp.standard_normal((n, 3))),
        resp_angle=np.deg2rad(resp.uniform(*RESPIRATION_ROTATION_DEG, n)),
        resp_shift=resp.uniform(*RESPIRATION_SHIFT_M, n),
    )


def _unit(vectors):
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _t_wave_peak(alpha, theta, width):
    """Peak |VCG| (mV) of each subject's T wave, before any condition edit."""
    phase = np.linspace(0.8, 2.2, 64)
    vcg = _dipole.gaussian_sum(alpha, theta, width, np.broadcast_to(phase, (len(alpha), 64)))
    return np.linalg.norm(vcg, axis=1).max(axis=1)


# --------------------------------------------------------------------------- sources


def _jittered_parameters(subj, idx, rng):
    """Per-beat Gaussian parameters: the subject's set with 2-5 % multiplicative jitter.

    The draws have a fixed shape ``(4, n_beats, 3, N_SLOTS)`` whatever the conditions.
    """
    draws = rng.standard_normal((4, len(idx), 3, _dipole.N_SLOTS))
    level = subj.jitter[idx][:, np.newaxis, np.newaxis]
    alpha = subj.alpha[idx] * (1.0 + level * draws[0])
    theta = subj.theta[idx] * (1.0 + level * draws[1])
    width = subj.width[idx] * np.clip(1.0 + level * draws[2], 0.5, None)
    second = subj.second_moment[idx] * (1.0 + level[:, :, 0] * draws[3, :, :, 0])
    return alpha, theta, width, second


def _moments(subj, idx, params, phase, heart_rate, resp_angle, dtype):
    """Primary and secondary dipole moments (A m) of ``n`` rows (beats or samples).

    Parameters
    ----------
    subj : Bunch
        From :func:`_draw_subjects`.
    idx : ndarray of shape (n,)
        Subject of each row.
    params : tuple
        ``(alpha, theta, width, second)`` per row, from :func:`_jittered_parameters`.
    phase : ndarray of shape (n, T)
        Cardiac phase in rad (R peak at 0).
    heart_rate : ndarray of shape (n,)
        Beats per minute, for the rate adaptation of the waves.
    resp_angle : ndarray of shape (n, T)
        Respiratory rotation angle in rad (about the subject's respiration axis).
    dtype : numpy dtype
        Of the returned moments.

    Returns
    -------
    primary, secondary : ndarray of shape (n, 3, T)
    """
    alpha, theta, width, second = params
    theta, width = _dipole.rate_scaled(theta, width, heart_rate)
    vcg = _dipole.gaussian_sum(alpha, theta, width, phase, dtype=dtype)
    vcg *= subj.scale[idx][:, :, np.newaxis]
    primary = _forward.matmul_chunked(subj.rotation[idx], vcg)
    secondary = np.zeros_like(primary)
    rows = np.flatnonzero(np.any(second != 0.0, axis=1))
    if rows.size:
        shape = (rows.size, 3, 1)
        second_theta, second_width = _dipole.rate_scaled(
            np.broadcast_to(subj.second_theta[idx[rows], None, None], shape),
            np.broadcast_to(subj.second_width[idx[rows], None, None], shape),
            heart_rate[rows],
        )
        secondary[rows] = _dipole.gaussian_sum(
            second[rows, :, None], second_theta, second_width, phase[rows]
        )
    axes = subj.resp_axis[idx]
    primary = _dipole.rotate_in_time(primary, axes, resp_angle)
    if rows.size:
        secondary[rows] = _dipole.rotate_in_time(secondary[rows], axes[rows], resp_angle[rows])
    return _forward.KAPPA * primary, _forward.KAPPA * secondary


def _project(primary, secondary, position, second_position, ecg_layout, sensors, sensor,
             baseline):
    """ECG (mV) and MCG (pT) of the two dipoles, rows as in :func:`_moments`."""
    matmul = _forward.matmul_chunked
    if ecg_layout == "12-lead":
        ecg = matmul(_forward.DOWER / _forward.KAPPA, primary + secondary)
    else:
        ecg = matmul(_forward.bspm_lead_field(position), primary)
    mcg = matmul(_forward.mcg_lead_field(position, sensors, sensor, baseline), primary)
    rows = np.flatnonzero(np.any(secondary != 0.0, axis=(1, 2)))
    if rows.size:
        lead_field = _forward.mcg_lead_field(second_position[rows], sensors, sensor, baseline)
        mcg[rows] += matmul(lead_field, secondary[rows])
        if ecg_layout == "bspm32":
            ecg[rows] += matmul(_forward.bspm_lead_field(second_position[rows]), secondary[rows])
    return ecg, mcg


def _respiration(subj, idx, abs_time, enabled=True):
    """Respiratory rotation angle (rad) and dipole shift along z (m) at ``abs_time``."""
    wave = np.sin(
        2 * np.pi * subj.resp_freq[idx, None] * abs_time + subj.resp_phase[idx, None]
    )
    if not enabled:
        wave = np.zeros_like(wave)
    return subj.resp_angle[idx, None] * wave, subj.resp_shift[idx, None] * wave


def _layout_info(ecg_layout, mcg_layout, depth):
    if ecg_layout == "12-lead":
        ecg_names = list(_forward.ECG_12_LEAD_NAMES)
        electrode_names, electrodes = _forward.standard_electrode_positions()
    else:
        electrode_names, electrodes = _forward.bspm32_electrode_positions()
        ecg_names = list(electrode_names)
    return Bunch(
        ecg_ch_names=ecg_names,
        mcg_ch_names=_forward.mcg_channel_names(mcg_layout),
        electrode_names=electrode_names,
        electrode_positions=electrodes,
        sensor_positions=_forward.mcg_sensor_positions(mcg_layout, depth),
    )


def _describe(kind, codes, ecg_layout, mcg_layout, sensor, depth, noise, source="dipole"):
    used = sorted({_dipole.CONDITIONS[c] for c in codes}, key=_dipole.CONDITIONS.index)
    template = _DESCR_TEMPLATE if source == "dipole" else _DOUBLE_LAYER_DESCR
    return template.format(
        kind=kind,
        underline="=" * len(f"Simulated paired ECG + MCG ({kind})"),
        conditions=", ".join(used),
        ecg_layout=ecg_layout,
        ecg_model=_ECG_MODELS[ecg_layout],
        mcg_layout=mcg_layout,
        sensor=sensor,
        depth=depth,
        noise=noise,
        noise_model=_NOISE_MODELS[noise],
    )


def _add_noise(rngs, noise, ecg, ecg_layout, mcg, sensors, sensor, baseline, t_ref, tau, sfreq,
               mains_freq):
    """Noisy copies of ``ecg`` and ``mcg`` (segments grouped as ``t_ref``'s rows).

    ECG noise arises at the electrodes and is combined into leads like the signal,
    so the noisy leads keep Einthoven's and Goldberger's relations (III = II - I...).
    """
    if noise == "none":
        return ecg.copy(), mcg.copy()
    to_leads = _forward.electrode_to_lead_matrix(ecg_layout)
    # electrode noise scaled so that the average lead gets the physics.md levels
    to_leads = to_leads / np.sqrt(np.mean(np.sum(to_leads**2, axis=1)))
    electrode_noise = _noise.ecg_noise(
        rngs["ecg_noise"], to_leads.shape[1], t_ref, tau, sfreq, mains_freq, dtype=ecg.dtype
    )
    noisy_ecg = _forward.matmul_chunked(to_leads, electrode_noise)
    noisy_ecg += ecg
    noisy_mcg = _noise.mcg_noise(
        rngs["mcg_noise"], noise, sensors, sensor, baseline, t_ref, tau, sfreq, mains_freq,
        dtype=mcg.dtype,
    )
    noisy_mcg += mcg
    return noisy_ecg, noisy_mcg


# --------------------------------------------------------------------------- public API


def make_paired_beats(
    n_subjects=20,
    beats_per_subject=50,
    sfreq=500,
    tmin=-0.25,
    tmax=0.45,
    ecg_layout="12-lead",
    mcg_layout="6x6",
    noise="shielded",
    conditions=None,
    random_state=None,
    *,
    source="double_layer",
    n_patches=24,
    silent_fraction=0.07,
    ecg_highpass=0.05,
    mcg_model="half-space",
    sensor="magnetometer",
    gradiometer_baseline=0.05,
    depth=0.09,
    heart_rate=(55.0, 85.0),
    respiration=True,
    mains_freq=50,
    dtype=np.float32,
):
    """Generate SIMULATED paired ECG + MCG heartbeats.

    A dynamical dipole model (Sameni et al. 2007) of each subject's heart drives
    an ECG forward model and a half-space MCG forward model, so sample ``i`` of
    ``ecg`` and of ``mcg`` are the same simulated heartbeat, with its ground-truth
    dipole. Between subjects the loop orientation and size, the heart position and
    depth, and the heart rate vary; between beats the RR interval (LF/HF heart-rate
    variability), respiration and the wave parameters vary. See
    ``docs/physics.md`` for the formulas and ranges.

    Parameters
    ----------
    n_subjects : int, default=20
        Number of simulated subjects.
    beats_per_subject : int, default=50
        Consecutive beats per subject.
    sfreq : float, default=500
        Sampling rate in Hz (at least 100).
    tmin, tmax : float, default=-0.25, 0.45
        Window around each R peak in seconds; ``tmin < 0 < tmax``.
    ecg_layout : {"12-lead", "bspm32"}, default="12-lead"
        ``"12-lead"``: standard leads through the Dower transform of the VCG.
        ``"bspm32"``: 32 body-surface electrodes in a homogeneous volume conductor
        (the physical route, which sees heart position and both dipoles).
    mcg_layout : {"6x6", "8x8"}, default="6x6"
        36 sensors at 40 mm pitch or 64 sensors at 25 mm pitch, flat, above the heart.
    noise : {"none", "shielded", "unshielded"}, default="shielded"
        Noise preset. The MCG environmental part (drift, mains) is a uniform field
        plus a linear gradient shared by all channels; SQUID noise is independent
        per channel. ECG noise (baseline wander, EMG, mains, white, 1/f) arises at
        the electrodes, so noisy leads keep III = II - I; it is the same for both
        presets other than ``"none"``.
    conditions : None, str, list of str or dict, default=None
        ``None``: all subjects ``"normal"``. A list of names: subjects take them in
        turn (round robin). A dict ``name -> fraction`` (fractions summing to 1):
        consecutive blocks of subjects. Names: ``"normal"``, ``"anterior_mi"``,
        ``"inferior_mi"``, ``"lbbb"``, ``"rbbb"``, ``"lvh"``, ``"ischemia"``.
    random_state : int, RandomState instance or None, default=None
        Seed. Each model component (anatomy, condition severity, rhythm,
        respiration, jitter, ECG noise, MCG noise) has its own stream, so changing
        the conditions leaves geometry, rhythm and noise unchanged.
    sensor : {"magnetometer", "gradiometer"}, default="magnetometer"
        A first-order axial gradiometer measures ``B(r) - B(r + baseline n)``.
    gradiometer_baseline : float, default=0.05
        Gradiometer baseline in metres.
    depth : float, default=0.09
        Nominal dipole-to-sensor distance in metres; each subject's heart lies
        within +-1 cm of it.
    heart_rate : tuple of float, default=(55.0, 85.0)
        Range (bpm) of the subjects' mean heart rates.
    respiration : bool, default=True
        Rotate the dipole (2-5 deg) and move it (3-5 mm) with respiration.
    mains_freq : {50, 60}, default=50
        Mains frequency in Hz.
    dtype : {np.float32, np.float64}, default=np.float32
        Of the signal and dipole arrays. float32 halves the memory (10,000 beats
        of 12-lead + 36-channel MCG with their clean copies take 1.4 GB) and is
        what PyTorch consumes; positions and times are always float64.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ecg : ndarray of shape (n_beats, n_ecg_channels, n_times)
            Noisy ECG in mV, ``n_beats = n_subjects * beats_per_subject``.
        mcg : ndarray of shape (n_beats, n_mcg_channels, n_times)
            Noisy MCG in pT (field component along the sensor normal, out of the chest).
        ecg_clean, mcg_clean : ndarray
            The same without noise.
        groups : ndarray of shape (n_beats,)
            Subject index of each beat.
        target : ndarray of shape (n_beats,)
            Condition code of each beat, an index into ``target_names``.
        target_names : ndarray of str
            All condition names, in code order.
        dipole : ndarray of shape (n_beats, 3, n_times)
            Primary dipole moment in A m.
        dipole_position : ndarray of shape (n_beats, 3)
            Its position in metres.
        secondary_dipole, secondary_dipole_position
            The weak ST-T dipole of ischemia (zero for the other conditions).
        heart_rate : ndarray of shape (n_beats,)
            Instantaneous heart rate of each beat in bpm.
        sensor_positions : ndarray of shape (n_mcg_channels, 3)
            MCG sensor positions in metres, in channel order.
        electrode_positions : ndarray of shape (n_electrodes, 3)
            The 9 electrodes of the 12-lead ECG or the 32 BSPM electrodes.
        electrode_names, ecg_ch_names, mcg_ch_names : list of str
            Names of the electrodes and of the ECG and MCG channels.
        ch_names : dict
            ``{"ecg": ecg_ch_names, "mcg": mcg_ch_names}``.
        times : ndarray of shape (n_times,)
            Seconds relative to the R peak.
        r_peak_index : int
            Index of ``times == 0``.
        sfreq : float
            Sampling rate in Hz.
        DESCR : str
            Description of the simulation.

    Notes
    -----
    The conditions edit the Gaussian parameters of the normal set (physics.md
    section 2, amplitudes drawn per subject in the ranges given):

    - ``anterior_mi``: the early anterior (-z) QRS force turns posterior and wider
      (Q/QS in V1-V3), ST elevation term in -z, T inverted in z for half the subjects;
    - ``inferior_mi``: early inferior force removed plus a superior Q term (Q in III,
      aVF), inferior ST elevation;
    - ``lbbb``: QRS widths x 2-2.5 and timing x 1.5-1.75 (QRS about 130-200 ms),
      no septal q, late posterior term, discordant T;
    - ``rbbb``: late rightward-anterior term at theta 0.4-0.5 (R' in V1) and QRS
      widths x 1.1-1.3 (QRS about 105-140 ms);
    - ``lvh``: x and z QRS amplitudes x 1.5-2.5 (Sokolow-Lyon >= 3.5 mV), widths
      x 1.1-1.2, strain (negative T in x) for half the subjects;
    - ``ischemia``: T waves x (-1 ... 0.3), ST depression for half the subjects, and
      a second dipole (10-30 % of the normal T dipole, random direction) in the
      anterior wall during ST-T, seen by the MCG and the BSPM at its own position
      (its field map is then rotated or non-dipolar), by the 12-lead ECG only
      through the summed moment.

    Every component has its own random stream, so for a given ``random_state`` the
    subjects' geometry, rhythm, respiration, jitter and noise do not depend on the
    conditions. The beat window uses one RR interval per beat: late samples of a
    long window show the next beat's P wave at that rate.

    Examples
    --------
    >>> from sklearn_ecgmcg.datasets import make_paired_beats
    >>> data = make_paired_beats(n_subjects=2, beats_per_subject=3, random_state=0)
    >>> data.ecg.shape, data.mcg.shape
    ((6, 12, 351), (6, 36, 351))
    """
    n_subjects = check_positive_int(n_subjects, name="n_subjects")
    beats_per_subject = check_positive_int(beats_per_subject, name="beats_per_subject")
    sfreq, baseline, depth, heart_rate = _check_common(
        sfreq, ecg_layout, mcg_layout, noise, sensor, gradiometer_baseline, depth,
        heart_rate, mains_freq,
    )
    tmin = _check_real(tmin, "tmin", -2.0, 2.0)
    tmax = _check_real(tmax, "tmax", -2.0, 2.0)
    if not tmin < 0.0 < tmax:
        raise ValueError(f"Need tmin < 0 < tmax; got tmin={tmin!r}, tmax={tmax!r}.")
    codes = _condition_codes(conditions, n_subjects)
    dtype = _check_dtype(dtype)
    respiration = _check_respiration(respiration)
    n_patches, silent_fraction, ecg_highpass = _check_source(
        source, n_patches, silent_fraction, ecg_highpass, mcg_model, depth
    )
    rngs = _streams(random_state)

    start, stop = int(round(tmin * sfreq)), int(round(tmax * sfreq))
    times = np.arange(start, stop + 1) / sfreq
    if source == "dipole":
        subj = _draw_subjects(rngs, codes, heart_rate, depth)
        subject_rate = subj.heart_rate
    else:  # the same draw as the dipole's (the rhythm stream's first)
        subject_rate = rngs["rhythm"].uniform(*heart_rate, n_subjects)
    r_times, rr = _beat_rhythm(rngs["rhythm"], subject_rate, beats_per_subject)
    idx = np.repeat(np.arange(n_subjects), beats_per_subject)
    beat_rr = rr.ravel()
    info = _layout_info(ecg_layout, mcg_layout, depth)
    if source == "dipole":
        ecg_clean, mcg_clean, truth = _dipole_beats(
            rngs, subj, idx, r_times, beat_rr, times, start, ecg_layout, info.sensor_positions,
            sensor, baseline, respiration, dtype,
        )
    else:
        ecg_clean, mcg_clean, truth = _double_layer.paired_beats(
            rngs, codes, _dipole.CONDITIONS, idx, r_times.ravel(), beat_rr, times,
            ecg_layout=ecg_layout, sensors=info.sensor_positions, sensor=sensor,
            baseline=baseline, n_patches=n_patches, silent_fraction=silent_fraction,
            ecg_highpass=ecg_highpass, mcg_model=mcg_model, respiration=respiration, dtype=dtype,
        )
    ecg, mcg = _add_noise(
        rngs, noise, ecg_clean, ecg_layout, mcg_clean, info.sensor_positions, sensor, baseline,
        r_times, times, sfreq, mains_freq,
    )
    return Bunch(
        ecg=ecg, mcg=mcg, ecg_clean=ecg_clean, mcg_clean=mcg_clean,
        groups=idx, target=codes[idx], target_names=np.array(_dipole.CONDITIONS),
        heart_rate=60.0 / beat_rr,
        ch_names={"ecg": info.ecg_ch_names, "mcg": info.mcg_ch_names},
        times=times, r_peak_index=-start, sfreq=sfreq,
        DESCR=_describe("beats", codes, ecg_layout, mcg_layout, sensor, depth, noise, source),
        **truth, **info,
    )


def _dipole_beats(rngs, subj, idx, r_times, beat_rr, times, start, ecg_layout, sensors, sensor,
                  baseline, respiration, dtype):
    """Clean beats of the single moving dipole (physics v1), with its ground truth."""
    params = _jittered_parameters(subj, idx, rngs["jitter"])
    abs_time = r_times.reshape(-1, 1) + times
    resp_angle, resp_shift = _respiration(subj, idx, abs_time, respiration)
    primary, secondary = _moments(
        subj, idx, params, 2 * np.pi * times / beat_rr[:, None], 60.0 / beat_rr, resp_angle,
        dtype,
    )
    shift = np.zeros((len(idx), 3))
    shift[:, 2] = resp_shift[:, -start]  # position at the R peak for the whole window
    position = subj.position[idx] + shift
    second_position = subj.second_position[idx] + shift
    ecg_clean, mcg_clean = _project(
        primary, secondary, position, second_position, ecg_layout, sensors, sensor, baseline,
    )
    truth = Bunch(
        dipole=primary, dipole_position=position, secondary_dipole=secondary,
        secondary_dipole_position=second_position,
    )
    return ecg_clean, mcg_clean, truth


def _beat_rhythm(rng, heart_rate, n_beats):
    """R-peak times (s) and RR intervals (s) of ``n_beats`` beats per subject."""
    duration = (n_beats + 2) * 60.0 / heart_rate.min() * 1.5 + 5.0
    grid, rr = _dipole.rr_tachogram(
        rng, len(heart_rate), duration, heart_rate, np.full(len(heart_rate), HR_STD_BPM)
    )
    phase0 = rng.uniform(-np.pi, np.pi, len(heart_rate))
    times = _dipole.beat_times(grid, rr, phase0, n_beats + 1)
    return times[:, :-1], np.diff(times, axis=1)


def simulate_paired_recordings(
    n_subjects=5,
    duration=10.0,
    sfreq=500,
    *,
    records_per_subject=1,
    ecg_layout="12-lead",
    mcg_layout="6x6",
    noise="shielded",
    conditions=None,
    source="double_layer",
    n_patches=24,
    silent_fraction=0.07,
    ecg_highpass=0.05,
    mcg_model="half-space",
    sensor="magnetometer",
    gradiometer_baseline=0.05,
    depth=0.09,
    heart_rate=(55.0, 85.0),
    respiration=True,
    mains_freq=50,
    random_state=None,
    dtype=np.float32,
):
    """Generate SIMULATED continuous paired ECG + MCG recordings with true R peaks.

    The same dipole model as :func:`make_paired_beats`, run continuously: the RR
    interval follows an LF/HF spectral process (ECGSYN model), the cardiac phase is
    ``theta(t) = theta0 + int 2 pi / RR(t) dt`` and every beat has its own jittered
    wave parameters; respiration rotates and moves the dipole sample by sample.
    ECG and MCG share one time base, for testing R-peak detection and beat
    segmentation on paired signals.

    Parameters
    ----------
    n_subjects : int, default=5
        Number of simulated subjects.
    duration : float, default=10.0
        Length of each record in seconds (at least 2).
    sfreq : float, default=500
        Sampling rate in Hz (at least 100).
    records_per_subject : int, default=1
        Records per subject (same heart, independent rhythm, respiration and noise).
    ecg_layout, mcg_layout, noise, conditions, sensor, gradiometer_baseline, depth, \
heart_rate, respiration, mains_freq, random_state, dtype
        As in :func:`make_paired_beats`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ecg : ndarray of shape (n_records, n_ecg_channels, n_times)
            Noisy ECG in mV, ``n_records = n_subjects * records_per_subject``.
        mcg : ndarray of shape (n_records, n_mcg_channels, n_times)
            Noisy MCG in pT.
        ecg_clean, mcg_clean : ndarray
            The same without noise.
        r_peaks : list of ndarray of int
            Sample index of every true R peak (phase 0) of each record.
        groups : ndarray of shape (n_records,)
            Subject of each record.
        target, target_names
            Condition code of each record and all condition names.
        dipole : ndarray of shape (n_records, 3, n_times)
            Primary dipole moment in A m.
        dipole_position : ndarray of shape (n_records, 3, n_times)
            Its position in metres (it moves with respiration).
        secondary_dipole, secondary_dipole_position
            The weak ST-T dipole of ischemia (zero for the other conditions).
        sensor_positions, electrode_positions, electrode_names, ecg_ch_names, \
mcg_ch_names, ch_names, sfreq, DESCR
            As in :func:`make_paired_beats`.
        times : ndarray of shape (n_times,)
            Seconds from the start of the record.

    Examples
    --------
    >>> from sklearn_ecgmcg.datasets import simulate_paired_recordings
    >>> rec = simulate_paired_recordings(n_subjects=2, duration=5, random_state=0)
    >>> rec.ecg.shape, rec.mcg.shape, len(rec.r_peaks)
    ((2, 12, 2500), (2, 36, 2500), 2)
    """
    n_subjects = check_positive_int(n_subjects, name="n_subjects")
    records_per_subject = check_positive_int(records_per_subject, name="records_per_subject")
    sfreq, baseline, depth, heart_rate = _check_common(
        sfreq, ecg_layout, mcg_layout, noise, sensor, gradiometer_baseline, depth,
        heart_rate, mains_freq,
    )
    duration = _check_real(duration, "duration", 0.0, None)
    if duration < MIN_DURATION:
        raise ValueError(
            f"duration must be at least {MIN_DURATION:g} s (two beats at 60 bpm); "
            f"got {duration:g}."
        )
    codes = _condition_codes(conditions, n_subjects)
    dtype = _check_dtype(dtype)
    respiration = _check_respiration(respiration)
    n_patches, silent_fraction, ecg_highpass = _check_source(
        source, n_patches, silent_fraction, ecg_highpass, mcg_model, depth
    )
    rngs = _streams(random_state)

    n_times = int(round(duration * sfreq))
    times = np.arange(n_times) / sfreq
    if source == "double_layer":
        return _double_layer_records(
            rngs, codes, n_subjects, records_per_subject, times, heart_rate,
            ecg_layout=ecg_layout, mcg_layout=mcg_layout, noise=noise, sensor=sensor,
            baseline=baseline, depth=depth, n_patches=n_patches, silent_fraction=silent_fraction,
            ecg_highpass=ecg_highpass, mcg_model=mcg_model, respiration=respiration, sfreq=sfreq,
            mains_freq=mains_freq, dtype=dtype,
        )
    subj = _draw_subjects(rngs, codes, heart_rate, depth)
    record_subject = np.repeat(np.arange(n_subjects), records_per_subject)
    n_records = len(record_subject)
    rng = rngs["rhythm"]
    grid, rr = _dipole.rr_tachogram(
        rng, n_records, duration + 2.0, subj.heart_rate[record_subject],
        np.full(n_records, HR_STD_BPM),
    )
    phase0 = rng.uniform(-np.pi, np.pi, n_records)
    # records of one subject start at different points of the breathing cycle
    record_start = rngs["respiration"].uniform(0.0, 100.0, n_records)
    phase = _dipole.integrate_phase(grid, rr, times, phase0)
    # beat k spans phases [2 pi k - pi, 2 pi k + pi)
    beat_of_sample = np.floor((phase + np.pi) / (2 * np.pi)).astype(int)
    first_beat = beat_of_sample[:, 0]
    n_beats = int((beat_of_sample[:, -1] - first_beat).max()) + 1
    params = _jittered_parameters(
        subj, np.repeat(record_subject, n_beats), rngs["jitter"]
    )
    info = _layout_info(ecg_layout, mcg_layout, depth)
    shape = (n_records, 3, n_times)
    out = {key: np.empty(shape, dtype=dtype) for key in ("dipole", "secondary_dipole")}
    out.update(dipole_position=np.empty(shape), secondary_dipole_position=np.empty(shape))
    ecg_clean = np.empty((n_records, len(info.ecg_ch_names), n_times), dtype=dtype)
    mcg_clean = np.empty((n_records, len(info.mcg_ch_names), n_times), dtype=dtype)
    r_peaks = []
    for r in range(n_records):
        rows = np.full(n_times, record_subject[r])
        beat = r * n_beats + beat_of_sample[r] - first_beat[r]
        sample_rr = np.interp(times, grid, rr[r])
        resp_angle, resp_shift = _respiration(
            subj, rows[:1], record_start[r] + times[None], respiration
        )
        primary, secondary = _moments(
            subj, rows, tuple(p[beat] for p in params), phase[r, :, None], 60.0 / sample_rr,
            resp_angle.T, dtype,
        )
        shift = np.zeros((n_times, 3))
        shift[:, 2] = resp_shift[0]
        position = subj.position[rows] + shift
        second_position = subj.second_position[rows] + shift
        ecg, mcg = _project(
            primary, secondary, position, second_position, ecg_layout, info.sensor_positions,
            sensor, baseline,
        )
        ecg_clean[r], mcg_clean[r] = ecg[:, :, 0].T, mcg[:, :, 0].T
        out["dipole"][r], out["secondary_dipole"][r] = primary[:, :, 0].T, secondary[:, :, 0].T
        out["dipole_position"][r] = position.T
        out["secondary_dipole_position"][r] = second_position.T
        r_peaks.append(_r_peak_samples(phase[r], first_beat[r], n_times))
    ecg_noisy, mcg_noisy = _add_noise(
        rngs, noise, ecg_clean, ecg_layout, mcg_clean, info.sensor_positions, sensor, baseline,
        np.zeros((n_records, 1)), times, sfreq, mains_freq,
    )
    return Bunch(
        ecg=ecg_noisy, mcg=mcg_noisy, ecg_clean=ecg_clean, mcg_clean=mcg_clean,
        r_peaks=r_peaks, groups=record_subject, target=codes[record_subject],
        target_names=np.array(_dipole.CONDITIONS),
        ch_names={"ecg": info.ecg_ch_names, "mcg": info.mcg_ch_names},
        times=times, sfreq=sfreq,
        DESCR=_describe("records", codes, ecg_layout, mcg_layout, sensor, depth, noise),
        **out, **info,
    )


def _double_layer_records(rngs, codes, n_subjects, records_per_subject, times, heart_rate, *,
                          ecg_layout, mcg_layout, noise, sensor, baseline, depth, n_patches,
                          silent_fraction, ecg_highpass, mcg_model, respiration, sfreq,
                          mains_freq, dtype):
    """``simulate_paired_recordings`` with the double-layer source."""
    record_subject = np.repeat(np.arange(n_subjects), records_per_subject)
    n_records, duration = len(record_subject), times[-1] + 1.0 / sfreq
    rates = rngs["rhythm"].uniform(*heart_rate, n_subjects)  # the dipole's first draw too
    lead_in = 1.0  # s of rhythm before the record, for the beat already under way
    grid, rr = _dipole.rr_tachogram(
        rngs["rhythm"], n_records, duration + lead_in + 2.0, rates[record_subject],
        np.full(n_records, HR_STD_BPM),
    )
    n_beats = int(np.ceil((duration + lead_in + 1.0) * rates.max() / 60.0 * 1.3)) + 2
    phase0 = rngs["rhythm"].uniform(-np.pi, np.pi, n_records)
    all_r = _dipole.beat_times(grid, rr, phase0, n_beats) - lead_in
    resp_offset = rngs["respiration"].uniform(0.0, 100.0, n_records)
    r_times, beat_rr = [], []
    for r in range(n_records):
        inside = np.flatnonzero(all_r[r] < times[-1])
        first = max(int(np.searchsorted(all_r[r], 0.0)) - 1, 0)
        r_times.append(all_r[r, first : inside[-1] + 1])
        beat_rr.append(np.interp(r_times[-1] + lead_in, grid, rr[r]))
    info = _layout_info(ecg_layout, mcg_layout, depth)
    ecg_clean, mcg_clean, truth = _double_layer.paired_records(
        rngs, codes, _dipole.CONDITIONS, record_subject, r_times, beat_rr, times, resp_offset,
        ecg_layout=ecg_layout, sensors=info.sensor_positions, sensor=sensor, baseline=baseline,
        n_patches=n_patches, silent_fraction=silent_fraction, ecg_highpass=ecg_highpass,
        mcg_model=mcg_model, respiration=respiration, sfreq=sfreq, dtype=dtype,
    )
    ecg, mcg = _add_noise(
        rngs, noise, ecg_clean, ecg_layout, mcg_clean, info.sensor_positions, sensor, baseline,
        np.zeros((n_records, 1)), times, sfreq, mains_freq,
    )
    r_peaks = [np.rint(r[r >= 0.0] * sfreq).astype(int) for r in r_times]
    return Bunch(
        ecg=ecg, mcg=mcg, ecg_clean=ecg_clean, mcg_clean=mcg_clean,
        r_peaks=[p[p < len(times)] for p in r_peaks], groups=record_subject,
        target=codes[record_subject], target_names=np.array(_dipole.CONDITIONS),
        ch_names={"ecg": info.ecg_ch_names, "mcg": info.mcg_ch_names}, times=times,
        sfreq=sfreq,
        DESCR=_describe("records", codes, ecg_layout, mcg_layout, sensor, depth, noise,
                        "double_layer"),
        **truth, **info,
    )


def _r_peak_samples(phase, first_beat, n_times):
    """Samples nearest to each phase crossing of 2 pi k (the R peaks) in one record."""
    k = np.arange(first_beat, np.floor(phase[-1] / (2 * np.pi)) + 1)
    k = k[2 * np.pi * k >= phase[0]]
    # phase increases monotonically, so interpolate time (in samples) against phase
    samples = np.rint(np.interp(2 * np.pi * k, phase, np.arange(n_times))).astype(int)
    return samples[(samples >= 0) & (samples < n_times)]


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


def mcg_from_ecg(
    ecg,
    sfreq,
    ch_names,
    mcg_layout="6x6",
    depth=0.09,
    noise="shielded",
    random_state=None,
    *,
    source="double_layer",
    n_patches=24,
    silent_fraction=0.07,
    mcg_model="half-space",
    sensor="magnetometer",
    gradiometer_baseline=0.05,
    heart_position=None,
    mains_freq=50,
    dtype=np.float32,
):
    """SIMULATE the MCG of a real 12-lead ECG (semi-synthetic ECG + MCG pairs).

    The ECG is real; the MCG is simulated from a source fitted to it.

    - ``source="double_layer"`` (default): the equivalent double layer of a
      nominal heart (:func:`make_paired_beats`' mean anatomy at
      ``heart_position``) is fitted to the 8 independent leads (V1-V6, I, II) by
      the minimum-norm (Tikhonov) estimate of its patch voltages, and the MCG is
      the field of that source. What the ECG cannot determine comes from priors:
      the anatomy (size, orientation, wall thickness, torso: the nominal values),
      the part of the patch voltages in the null space of the 12-lead lead field
      (set to zero by the minimum norm), the silent (vortex) currents, drawn with
      random axes and driven by the fitted voltages' rise, at ``silent_fraction``
      of the MCG power, and any DC level (a clinical ECG is AC-coupled, so an
      injury current's TQ shift is not in it).
    - ``source="dipole"``: the inverse Dower transform (Edenbrandt & Pahlm
      1988) turns the ECG into a vectorcardiogram, ``p = kappa * VCG``
      (kappa = 8e-6 A m per mV) is a dipole at ``heart_position`` and the MCG is
      its normal field above a conducting half-space (Cohen & Hosaka 1976).

    Noise and baseline wander in the ECG pass into the MCG: filter the ECG first
    if needed.

    Parameters
    ----------
    ecg : array-like of shape (n_records, n_channels, n_times)
        ECG in mV (a 2-D array is not accepted: leads are needed).
    sfreq : float
        Sampling rate in Hz.
    ch_names : sequence of str
        Name of each ECG channel; must include V1-V6, I and II (case-insensitive,
        e.g. PTB-XL's ``"AVR"`` spelling is fine).
    mcg_layout : {"6x6", "8x8"}, default="6x6"
        Sensor grid (40 mm or 25 mm pitch).
    depth : float, default=0.09
        Heart-to-sensor distance in metres (at least 0.08 for the double layer,
        whose chest wall lies 7 cm in front of the heart).
    noise : {"none", "shielded", "unshielded"}, default="shielded"
        MCG noise preset (see :func:`make_paired_beats`); no noise is added to the ECG.
    random_state : int, RandomState instance or None, default=None
        Seed of the noise and of the silent currents' axes.
    source : {"double_layer", "dipole"}, default="double_layer"
    n_patches, silent_fraction, mcg_model
        As in :func:`make_paired_beats` (double layer only).
    sensor : {"magnetometer", "gradiometer"}, default="magnetometer"
    gradiometer_baseline : float, default=0.05
    heart_position : array-like of shape (3,), default=None
        Heart (dipole or LV centre) position in metres (axes of
        :func:`make_paired_beats`); ``None`` is the nominal ``(0.03, 0.03, -0.04)``.
    mains_freq : {50, 60}, default=50
    dtype : {np.float32, np.float64}, default=np.float32
        Of the returned signals.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        mcg : ndarray of shape (n_records, n_mcg_channels, n_times)
            Simulated MCG in pT (noise included).
        mcg_clean : ndarray of shape (n_records, n_mcg_channels, n_times)
            Simulated MCG without noise.
        vcg : ndarray of shape (n_records, 3, n_times)
            ``source="dipole"``: the Frank VCG in mV of the inverse Dower transform.
        patch_voltages : ndarray of shape (n_records, n_elements, n_times)
            ``source="double_layer"``: the fitted (minimum-norm) patch voltages.
        mcg_silent : ndarray
            ``source="double_layer"``: the silent part of ``mcg_clean``.
        dipole : ndarray of shape (n_records, 3, n_times)
            Current dipole moment in A m (the double layer's total moment).
        dipole_position, sensor_positions, mcg_ch_names, ch_names, times, sfreq, DESCR
            As in :func:`make_paired_beats`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.datasets import mcg_from_ecg
    >>> names = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    >>> ecg = np.random.default_rng(0).normal(size=(2, 12, 1000)) * 0.1
    >>> mcg_from_ecg(ecg, 500, names, random_state=0).mcg.shape
    (2, 36, 1000)
    """
    ecg = check_signals(ecg, name="ecg")
    if ecg.ndim != 3:
        raise ValueError(
            f"ecg must be 3-D (n_records, n_channels, n_times) with named leads; got shape "
            f"{ecg.shape}."
        )
    check_amplitude(ecg, modality="ecg", name="ecg")
    sfreq, baseline, depth, _ = _check_common(
        sfreq, "12-lead", mcg_layout, noise, sensor, gradiometer_baseline, depth,
        (60.0, 60.0), mains_freq,
    )
    picks = _pick_inverse_dower_leads(ch_names, ecg.shape[1])
    dtype = _check_dtype(dtype)
    n_patches, silent_fraction, _ = _check_source(
        source, n_patches, silent_fraction, None, mcg_model, depth
    )
    position = _check_heart_position(heart_position)
    sensors = _forward.mcg_sensor_positions(mcg_layout, depth)
    if position[2] - sensors[0, 2] < 0.02:
        raise ValueError(
            f"heart_position z={position[2]:g} puts the heart within 2 cm of the sensor "
            f"plane (z={sensors[0, 2]:g})."
        )
    rngs = _streams(random_state)
    leads = ecg[:, picks].astype(dtype)
    if source == "dipole":
        out = _dipole_from_ecg(leads, position, sensors, sensor, baseline)
        descr = _SEMI_SYNTHETIC_DIPOLE.format(position=np.round(position, 4).tolist())
    else:
        out = _double_layer_from_ecg(
            rngs["anatomy"], leads, sfreq, position, sensors, sensor, baseline, mcg_model, n_patches,
            silent_fraction, dtype,
        )
        descr = _SEMI_SYNTHETIC_DOUBLE_LAYER
    n_times = ecg.shape[-1]
    times = np.arange(n_times) / sfreq
    if noise == "none":
        mcg = out.mcg_clean.copy()
    else:
        mcg = _noise.mcg_noise(
            rngs["mcg_noise"], noise, sensors, sensor, baseline,
            np.zeros((len(ecg), 1)), times, sfreq, mains_freq, dtype=dtype,
        )
        mcg += out.mcg_clean
    names = _forward.mcg_channel_names(mcg_layout)
    descr = descr.format(layout=mcg_layout, sensor=sensor, depth=depth, noise=noise,
                         noise_model=_NOISE_MODELS[noise])
    return Bunch(
        mcg=mcg, dipole_position=position, sensor_positions=sensors, mcg_ch_names=names,
        ch_names=names, times=times, sfreq=sfreq, DESCR=descr, **out,
    )


_SEMI_SYNTHETIC_DIPOLE = (
    "Semi-synthetic MCG: SIMULATED from a real ECG\n"
    "=============================================\n\n"
    "Real 12-lead ECG -> inverse Dower transform (Edenbrandt & Pahlm, J Electrocardiol "
    "1988) -> Frank VCG (mV) -> current dipole p = 8e-6 A m/mV * VCG at {position} m -> "
    "normal magnetic field above a conducting half-space (Cohen & Hosaka 1976) on a "
    "{{layout}} {{sensor}} grid at {{depth:.3f}} m. Noise ({{noise}}): {{noise_model}}\n"
)
_SEMI_SYNTHETIC_DOUBLE_LAYER = (
    "Semi-synthetic MCG: SIMULATED from a real ECG\n"
    "=============================================\n\n"
    "Real 12-lead ECG (V1-V6, I, II) -> minimum-norm patch voltages of the equivalent "
    "double layer of a nominal heart (sphere ECG conductor) -> normal magnetic field on a "
    "{layout} {sensor} grid at {depth:.3f} m, plus silent vortex currents drawn from the "
    "prior. Anatomy, the ECG's null space and DC levels come from priors, not from the "
    "ECG. Noise ({noise}): {noise_model}\n"
)


def _check_heart_position(heart_position):
    if heart_position is None:
        return _forward.HEART_CENTRE.copy()
    position = np.asarray(heart_position, dtype=float)
    if position.shape != (3,) or not np.isfinite(position).all():
        raise ValueError(f"heart_position must be 3 finite numbers; got {heart_position!r}.")
    return position


def _dipole_from_ecg(leads, position, sensors, sensor, baseline):
    vcg = _forward.matmul_chunked(_forward.INVERSE_DOWER, leads)
    dipole = _forward.KAPPA * vcg
    lead_field = _forward.mcg_lead_field(position, sensors, sensor, baseline)
    return Bunch(mcg_clean=_forward.matmul_chunked(lead_field, dipole), vcg=vcg, dipole=dipole)


def _double_layer_from_ecg(rng, leads, sfreq, position, sensors, sensor, baseline, mcg_model,
                           n_patches, silent_fraction, dtype):
    rows = [_forward.ECG_12_LEAD_NAMES.index(lead) for lead in _forward.INVERSE_DOWER_LEADS]
    to_mcg, to_source, silent_matrix = _double_layer.inverse_matrices(
        rng, position, rows, sensors, sensor, baseline, mcg_model, n_patches
    )
    voltages = _forward.matmul_chunked(to_source.astype(dtype), leads)
    electric = _forward.matmul_chunked(to_mcg.astype(dtype), leads)
    # the rise of the fitted voltages, smoothed over ~20 ms (a real ECG is noisy)
    window = max(5, int(0.02 * sfreq) | 1)
    rise = np.clip(savgol_filter(voltages, window, 2, deriv=1, axis=-1), 0.0, None)
    silent = _forward.matmul_chunked(silent_matrix.astype(dtype), rise)
    record = np.arange(len(leads))
    silent *= _double_layer.silent_scale(
        electric, silent, record, len(leads), silent_fraction
    )[:, None, None].astype(dtype)
    anatomy = _double_layer.nominal_heart(position)
    template = _double_layer._heart.patch_template(n_patches)
    _, wn = _double_layer._heart.place_elements(template, anatomy)
    moment = (-_double_layer.SOURCE_STRENGTH * wn[0].T).astype(dtype)
    return Bunch(
        mcg_clean=electric + silent, mcg_silent=silent, patch_voltages=voltages,
        dipole=_forward.matmul_chunked(moment, voltages),
    )
