"""The v1 source: one moving current dipole (Sameni's dynamical model), beats and records.

``source="dipole"`` of the generators. Between-subject variation follows
physics.md section 2 (the ranges marked as published simulators' are used as
given, the rest are engineering estimates).
"""

import numpy as np
from sklearn.utils import Bunch

from . import _dipole, _forward

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


def draw_subjects(rngs, codes, heart_rate, depth):
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


def paired_beats(rngs, subj, idx, r_times, beat_rr, times, start, ecg_layout, sensors, sensor,
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


def _r_peak_samples(phase, first_beat, n_times):
    """Samples nearest to each phase crossing of 2 pi k (the R peaks) in one record."""
    k = np.arange(first_beat, np.floor(phase[-1] / (2 * np.pi)) + 1)
    k = k[2 * np.pi * k >= phase[0]]
    # phase increases monotonically, so interpolate time (in samples) against phase
    samples = np.rint(np.interp(2 * np.pi * k, phase, np.arange(n_times))).astype(int)
    return samples[(samples >= 0) & (samples < n_times)]


def paired_records(rngs, subj, record_subject, times, duration, *, ecg_layout, sensors, sensor,
                   baseline, respiration, dtype, hr_std):
    """Clean continuous records of the dipole, sample by sample, with their true R peaks."""
    n_records, n_times = len(record_subject), len(times)
    rng = rngs["rhythm"]
    grid, rr = _dipole.rr_tachogram(
        rng, n_records, duration + 2.0, subj.heart_rate[record_subject],
        np.full(n_records, hr_std),
    )
    phase0 = rng.uniform(-np.pi, np.pi, n_records)
    # records of one subject start at different points of the breathing cycle
    record_start = rngs["respiration"].uniform(0.0, 100.0, n_records)
    phase = _dipole.integrate_phase(grid, rr, times, phase0)
    # beat k spans phases [2 pi k - pi, 2 pi k + pi)
    beat_of_sample = np.floor((phase + np.pi) / (2 * np.pi)).astype(int)
    first_beat = beat_of_sample[:, 0]
    n_beats = int((beat_of_sample[:, -1] - first_beat).max()) + 1
    params = _jittered_parameters(subj, np.repeat(record_subject, n_beats), rngs["jitter"])
    shape = (n_records, 3, n_times)
    out = {key: np.empty(shape, dtype=dtype) for key in ("dipole", "secondary_dipole")}
    out.update(dipole_position=np.empty(shape), secondary_dipole_position=np.empty(shape))
    signals = {"ecg": [], "mcg": []}
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
            primary, secondary, position, second_position, ecg_layout, sensors, sensor, baseline,
        )
        signals["ecg"].append(ecg[:, :, 0].T)
        signals["mcg"].append(mcg[:, :, 0].T)
        out["dipole"][r], out["secondary_dipole"][r] = primary[:, :, 0].T, secondary[:, :, 0].T
        out["dipole_position"][r] = position.T
        out["secondary_dipole_position"][r] = second_position.T
        r_peaks.append(_r_peak_samples(phase[r], first_beat[r], n_times))
    ecg_clean = np.stack(signals["ecg"]).astype(dtype, copy=False)
    mcg_clean = np.stack(signals["mcg"]).astype(dtype, copy=False)
    return ecg_clean, mcg_clean, Bunch(r_peaks=r_peaks, **out)
