"""The equivalent double layer (physics v2) from heart to ECG and MCG, vectorised.

Every element ``k`` of the heart surface is a current dipole
``m_k(t) = -c w_k n_k V_k(t)`` (Geselowitz 1989; van Oosterom 2001): the double
layer points from depolarised toward resting tissue, so a wave moving toward an
electrode is positive there. Both forward models are linear in the ``V_k``, so
each subject's heart reduces to three matrices: ECG ``(n_channels, E)``, MCG
``(n_sensors, E)`` and the silent MCG ``(n_sensors, E)`` (applied to the upstroke rate);
a beat is one matrix product. Respiration moves and turns the heart by a scalar
``w`` in [-1, 1] per beat; the matrices are computed exactly at ``w = -1, 0, 1``
and interpolated quadratically between them (third-order error: 5 mm and 5 deg).

The ECG conductor is a homogeneous sphere (Frank 1952): the simplest bounded
conductor with a closed form; unlike the infinite medium it gives the far
electrodes (limb leads) their boundary gain (3x for a central source), and unlike
the Dower matrix it depends on where each patch sits. Electrodes are the
standard sites projected onto it. The MCG is the normal field above a conducting
half-space (flat dewar, the default of physics.md) or Sarvas' sphere.
"""

import numpy as np
from sklearn.utils import Bunch

from . import _activation, _forward, _heart
from ._conductor import (
    magnetic_dipole_lead_field,
    sarvas_lead_field,
    sphere_potential_lead_field,
)
from ._dipole import axis_angle_matrices
from ._forward import HEART_CENTRE, SENSOR_NORMAL, bz_lead_field

TORSO_CENTRE = np.array([0.03, 0.03, 0.0])
TORSO_RADIUS = 0.11  # m at torso scale 1: the chest wall 7 cm in front of the heart centre
# Double-layer strength c (A/m per unit V): precordial R about 1-1.5 mV and R-peak
# Bz about 30-70 pT together (calibrated on the nominal heart, bench_simulate.py).
SOURCE_STRENGTH = 0.005
RESPIRATION_NODES = np.array([-1.0, 0.0, 1.0])
ONSET_BEFORE_R = -0.1  # s: a record's sample belongs to the beat whose R peak is < 0.1 s ahead


def subject_sensors(sensors, anatomy):
    """Sensor positions ``(n, n_sensors, 3)``: the grid follows each subject's chest wall.

    ``sensors`` is the nominal grid (torso scale 1); a larger torso moves the
    chest, and the sensors with it, away from the heart; ``lift_off`` adds +-5 mm.
    """
    shift = (anatomy.torso_scale - 1.0) * TORSO_RADIUS + anatomy.lift_off
    out = np.repeat(sensors[None], len(shift), axis=0)
    out[:, :, 2] -= shift[:, None]
    return out


def subject_electrodes(electrodes, anatomy):
    """Electrode positions ``(n, n_electrodes, 3)`` scaled with the torso."""
    scale = anatomy.torso_scale[:, None, None]
    return TORSO_CENTRE + scale * (electrodes - TORSO_CENTRE)


def _pose(positions, wn, anatomy, respiration, w):
    """Element positions and normals at respiration value ``w`` (heart turned and moved)."""
    angle = respiration.angle * w
    rotation = axis_angle_matrices(respiration.axis, angle)
    centre = anatomy.position[:, None, :]
    moved = np.einsum("nij,nej->nei", rotation, positions - centre) + centre
    moved[:, :, 2] += (respiration.shift * w)[:, None]
    return moved, np.einsum("nij,nej->nei", rotation, wn)


def _lead_matrices_at(positions, wn, outward, electrodes, sensors, anatomy, sensor, baseline,
                      mcg_model):
    """ECG electrode, MCG and silent-MCG matrices ``(n, channels, E)`` at one pose."""
    radius = (TORSO_RADIUS * anatomy.torso_scale)[:, None, None, None]
    moment = dipole_moments(wn, transpose=False)
    ecg = sphere_potential_lead_field(positions, electrodes[:, None], radius, TORSO_CENTRE)
    points = sensors[:, None]
    offsets = [(points, 1.0)]
    if sensor == "gradiometer":
        offsets.append((points + baseline * SENSOR_NORMAL, -1.0))
    mcg = silent = 0.0
    for at, sign in offsets:
        if mcg_model == "sphere":
            field = sarvas_lead_field(positions, at, TORSO_CENTRE)
        else:
            field = bz_lead_field(positions, at)
        mcg = mcg + sign * field
        silent = silent + sign * magnetic_dipole_lead_field(positions, at)
    contract = lambda lead, m: np.einsum("nepk,nek->npe", lead, m)  # noqa: E731
    return contract(ecg, moment), contract(mcg, moment), contract(silent, outward)


def lead_matrices(template, positions, wn, vortex, anatomy, respiration, electrodes, sensors,
                  sensor, baseline, mcg_model):
    """Per-subject matrices at the three respiration nodes, ``(n, 3, channels, E)``.

    The ECG and MCG matrices have a zero mean over each closed surface's elements:
    a uniform double layer on a closed surface is silent (solid-angle theorem);
    the discrete patches approximate it, and removing the mean makes it exact,
    so the ST segment of a normal heart is isoelectric.
    """
    nodes = {"ecg": [], "mcg": [], "silent": []}
    for w in RESPIRATION_NODES:
        pos, normals = _pose(positions, wn, anatomy, respiration, w)
        _, axes = _pose(positions, vortex, anatomy, respiration, w)
        for key, matrix in zip(
            nodes,
            _lead_matrices_at(pos, normals, axes, electrodes, sensors, anatomy,
                              sensor, baseline, mcg_model),
        ):
            nodes[key].append(matrix)
    out = {key: np.stack(value, axis=1) for key, value in nodes.items()}
    for key in ("ecg", "mcg"):
        for s in range(template.n_surfaces):
            on = template.surface == s
            out[key][..., on] -= out[key][..., on].mean(axis=-1, keepdims=True)
    return Bunch(**out)


def dipole_moments(wn, transpose=True):
    """The current dipole of each element per unit voltage, ``-c w n`` (A m).

    ``wn`` is ``(..., E, 3)``; with ``transpose`` the result is ``(..., 3, E)``, the
    matrix from element voltages to the heart's total dipole.
    """
    moments = -SOURCE_STRENGTH * wn
    return np.swapaxes(moments, -1, -2) if transpose else moments


def respiration_terms(matrices, dtype):
    """Constant, linear and quadratic terms in ``w`` of each subject's matrices ``(n, 3, ...)``."""
    low, mid, high = (matrices[:, i] for i in range(3))
    return np.stack([mid, (high - low) / 2.0, (high + low) / 2.0 - mid], axis=1).astype(dtype)


def at_respiration(terms, subject, w):
    """Each beat's matrix ``(n_beats, channels, E)`` from :func:`respiration_terms`."""
    w = w.astype(terms.dtype)[:, None, None]
    out = terms[subject, 1] * w
    out += terms[subject, 2]
    out *= w
    out += terms[subject, 0]
    return out


def simulate_beats(hearts, beat, times, dtype, chunk=64):
    """ECG, electric MCG, silent MCG and current dipole of every beat.

    Parameters
    ----------
    hearts : Bunch
        From :func:`simulate_hearts`.
    beat : Bunch
        From :func:`beat_parameters`.
    times : ndarray of shape (T,)
        Seconds relative to the R peak.

    Returns
    -------
    ecg, mcg, silent : ndarray of shape (n_beats, channels, T)
        ECG channels (mV, DC-coupled), normal field of the double layer (pT) and
        of the silent sources before their calibration (pT per unit).
    ecg_mean : ndarray of shape (n_beats, n_ecg_channels)
        Each beat's cycle mean (what AC coupling removes).
    dipole : ndarray of shape (n_beats, 3, T)
        Total current dipole moment of the double layer (A m).
    power : Bunch
        Summed squares of ``mcg`` and ``silent`` per beat, for :func:`silent_scale`.
    """
    props, subject = hearts.props, beat.subject
    electric = respiration_terms(
        np.concatenate([hearts.matrices.ecg, hearts.matrices.mcg], axis=2), dtype
    )
    silent_terms = respiration_terms(hearts.matrices.silent, dtype)
    n_ecg, n_beats, n_times = hearts.matrices.ecg.shape[2], len(subject), len(times)
    ecg = np.empty((n_beats, n_ecg, n_times), dtype=dtype)
    mcg = np.empty((n_beats, electric.shape[2] - n_ecg, n_times), dtype=dtype)
    silent = np.empty((n_beats, silent_terms.shape[2], n_times), dtype=dtype)
    dipole = np.empty((n_beats, 3, n_times), dtype=dtype)
    power = Bunch(mcg=np.empty(n_beats), silent=np.empty(n_beats))
    amplitude, rest = props.amplitude[subject], props.rest[subject]
    moment = dipole_moments(hearts.wn).astype(dtype)
    for start in range(0, n_beats, chunk):
        sl = slice(start, start + chunk)
        voltage, slope = _activation.transmembrane(
            times, beat.tau[sl], beat.rho[sl], amplitude[sl], rest[sl], beat.epsilon[sl], dtype
        )
        both = np.matmul(at_respiration(electric, subject[sl], beat.w[sl]), voltage)
        ecg[sl], mcg[sl] = both[:, :n_ecg], both[:, n_ecg:]
        np.matmul(at_respiration(silent_terms, subject[sl], beat.w[sl]), slope, out=silent[sl])
        np.matmul(moment[subject[sl]], voltage, out=dipole[sl])
        power.mcg[sl], power.silent[sl] = summed_squares(mcg[sl]), summed_squares(silent[sl])
    mean_v = _activation.cycle_mean(beat.tau, beat.rho, amplitude, rest, beat.rr)
    g_ecg = at_respiration(respiration_terms(hearts.matrices.ecg, np.float64), subject, beat.w)
    ecg_mean = np.einsum("nce,ne->nc", g_ecg, mean_v)
    return ecg, mcg, silent, ecg_mean, dipole, power


def silent_scale(power_mcg, power_silent, subject, n_subjects, fraction):
    """Per-beat factor that gives the silent part ``fraction`` of each subject's MCG power.

    The share is of summed squares: ``|silent|^2 / (|electric|^2 + |silent|^2)``;
    ``power_*`` are each beat's (or record's) summed squares.
    """
    if fraction == 0.0:
        return np.zeros(len(subject))
    electric = np.bincount(subject, weights=power_mcg, minlength=n_subjects)
    magnetic = np.bincount(subject, weights=power_silent, minlength=n_subjects)
    scale = np.sqrt(fraction * electric / ((1.0 - fraction) * np.maximum(magnetic, 1e-30)))
    return scale[subject]


def summed_squares(x):
    """``(x**2).sum()`` per row of ``(n, channels, times)``, float64."""
    return np.einsum("nct,nct->n", x, x).astype(np.float64)


def _vortex_axes(rng, wn):
    """Magnetic moment per unit upstroke rate of each patch's silent vortex ``(n, E, 3)``.

    Proportional to the patch area, along the axis of the local fibre rotation;
    the model has no fibre architecture, so the axis is drawn at random per patch
    and subject.
    """
    axes = _heart._unit(rng.standard_normal(wn.shape))
    return axes * np.linalg.norm(wn, axis=-1, keepdims=True)


def draw_respiration(rng, n):
    """Per-subject respiration: rate, phase, turning axis, angle (rad) and shift (m)."""
    return Bunch(
        freq=rng.uniform(0.2, 0.3, n),
        phase=rng.uniform(0.0, 2.0 * np.pi, n),
        axis=_heart._unit(rng.standard_normal((n, 3))),
        angle=np.deg2rad(rng.uniform(2.0, 5.0, n)),
        shift=rng.uniform(0.003, 0.005, n),
    )


def simulate_hearts(rngs, codes, conditions, n_patches, electrodes, to_leads, sensors, sensor,
                    baseline, mcg_model):
    """Draw each subject's heart and tissue, and compute its lead matrices.

    Returns
    -------
    hearts : Bunch
        ``template``, ``anatomy``, ``tissue``, ``respiration``, ``props``,
        ``positions``, ``wn``, ``matrices`` (``ecg`` in channels, after
        ``to_leads``), ``sensors`` (n, n_sensors, 3) and ``electrodes``
        (n, n_electrodes, 3).
    """
    n = len(codes)
    lvh = np.array(conditions)[codes] == "lvh"
    anatomy = _heart.draw_anatomy(rngs["anatomy"], n, HEART_CENTRE, lvh)
    tissue = _activation.draw_tissue(rngs["condition"], n, codes, conditions)
    respiration = draw_respiration(rngs["respiration"], n)
    template = _heart.patch_template(n_patches)
    positions, wn = _heart.place_elements(template, anatomy)
    sites = _heart.site_positions(anatomy, anatomy.site_directions)
    props = _activation.patch_properties(template, tissue, positions, sites, anatomy.site_delay)
    props.tau -= _r_peak_time(props, tissue, wn)[:, None]
    subject_el = subject_electrodes(electrodes, anatomy)
    subject_sens = subject_sensors(sensors, anatomy)
    vortex = _vortex_axes(rngs["anatomy"], wn)
    matrices = lead_matrices(template, positions, wn, vortex, anatomy, respiration, subject_el,
                             subject_sens, sensor, baseline, mcg_model)
    matrices.ecg = to_leads @ matrices.ecg  # electrodes -> ECG channels
    return Bunch(template=template, anatomy=anatomy, tissue=tissue, respiration=respiration,
                 props=props, positions=positions, wn=wn, sites=sites, matrices=matrices,
                 sensors=subject_sens, electrodes=subject_el)


def _r_peak_time(props, tissue, wn):
    """Time of each subject's largest heart vector in the QRS (its R peak), ``(n,)`` s.

    Beats and records put their R peak there: the peak of the vectorcardiogram,
    which the spatial maximum of the ECG follows within a few ms.
    """
    grid = np.arange(-0.2, 0.2, 0.001)
    voltage, _ = _activation.transmembrane(
        grid, props.tau, props.tau + props.apd, props.amplitude, np.zeros_like(props.rest),
        tissue.epsilon, np.float64,
    )
    magnitude = np.linalg.norm(np.einsum("nek,net->nkt", wn, voltage), axis=1)
    return grid[np.argmax(magnitude, axis=1)]


def beat_parameters(rng, hearts, subject, r_times, rr, respiration_on):
    """Per-beat times, respiration value and repolarisation slope."""
    tau, rho = _activation.beat_times(rng, hearts.props, rr, subject)
    resp = hearts.respiration
    w = np.sin(2.0 * np.pi * resp.freq[subject] * r_times + resp.phase[subject])
    if not respiration_on:
        w = np.zeros_like(w)
    return Bunch(subject=subject, tau=tau, rho=rho, rr=rr, w=w,
                 epsilon=hearts.tissue.epsilon[subject])


def electrode_layout(ecg_layout):
    """Electrode positions of the layout and the matrix from them to its channels."""
    if ecg_layout == "12-lead":
        _, electrodes = _forward.standard_electrode_positions()
    else:
        _, bspm = _forward.bspm32_electrode_positions()
        electrodes = np.vstack([bspm, _forward.limb_electrode_positions()])
    return electrodes, _forward.electrode_to_lead_matrix(ecg_layout)


def paired_beats(rngs, codes, conditions, subject, r_times, rr, times, *, ecg_layout, sensors,
                 sensor, baseline, n_patches, silent_fraction, ecg_highpass, mcg_model,
                 respiration, dtype):
    """Clean ECG (mV) and MCG (pT) beats of the double-layer heart, with the ground truth.

    ``ecg_highpass`` (Hz or None) only says whether the ECG is AC-coupled: a beat
    then loses its cycle mean (the steady state of a first-order high-pass whose
    time constant exceeds the RR interval, 3.2 s at 0.05 Hz).
    """
    electrodes, to_leads = electrode_layout(ecg_layout)
    hearts = simulate_hearts(rngs, codes, conditions, n_patches, electrodes, to_leads, sensors,
                             sensor, baseline, mcg_model)
    beat = beat_parameters(rngs["jitter"], hearts, subject, r_times, rr, respiration)
    ecg, mcg, silent, ecg_mean, dipole, power = simulate_beats(hearts, beat, times, dtype)
    if ecg_highpass is not None:
        ecg -= ecg_mean[:, :, None].astype(dtype)
    scale = silent_scale(power.mcg, power.silent, subject, len(codes), silent_fraction)
    silent *= scale[:, None, None].astype(dtype)
    mcg += silent
    truth = _truth(hearts, silent, dipole, subject)
    truth.update(activation_times=beat.tau, repolarisation_times=beat.rho)
    return ecg, mcg, truth


def record_voltages(times, r_times, tau, rho, amplitude, rest, epsilon, dtype):
    """``V`` and the upstroke rate ``(E, n_times)`` of one continuous record.

    Each sample takes the beat whose activation it follows and the beat before
    (whose repolarisation may still be under way), so beats may overlap pairwise.

    Parameters
    ----------
    times : ndarray of shape (n_times,)
    r_times : ndarray of shape (n_beats,)
        R-peak times of the record's beats, sorted, the first before ``times[0]``.
    tau, rho : ndarray of shape (n_beats, E)
    amplitude, rest : ndarray of shape (E,)
    epsilon : float
    """
    current = np.searchsorted(r_times + ONSET_BEFORE_R, times, side="right") - 1
    current = np.clip(current, 0, len(r_times) - 1)
    voltage = np.repeat(rest[:, None], len(times), axis=1).astype(dtype)
    slope = np.zeros_like(voltage)
    for beat in (current, np.maximum(current - 1, 0)):
        since_r = times - r_times[beat]
        v, s = _activation.transmembrane(
            since_r[:, None], tau[beat], rho[beat], np.broadcast_to(amplitude, tau[beat].shape),
            np.zeros(tau[beat].shape), np.full(len(times), epsilon), dtype,
        )
        keep = (beat < current) if beat is not current else np.ones(len(times), dtype=bool)
        voltage += v[:, :, 0].T * keep
        slope += s[:, :, 0].T * keep
    return voltage, slope


def paired_records(rngs, codes, conditions, record_subject, r_times, rr, times, resp_offset, *,
                   ecg_layout, sensors, sensor, baseline, n_patches, silent_fraction,
                   ecg_highpass, mcg_model, respiration, sfreq, dtype):
    """Clean continuous ECG (mV) and MCG (pT) records of the double-layer heart.

    Respiration varies sample by sample (the lead matrices are quadratic in the
    breathing value ``w(t)``); the AC-coupled ECG goes through a first-order
    Butterworth high-pass at ``ecg_highpass`` Hz (``scipy.signal``), in steady state.

    Parameters
    ----------
    r_times : list of ndarray
        R-peak times (s) of each record, the first before the record starts.
    rr : list of ndarray
        RR interval (s) of each of those beats.
    resp_offset : ndarray of shape (n_records,)
        Where in the breathing cycle each record starts (s).
    """
    electrodes, to_leads = electrode_layout(ecg_layout)
    hearts = simulate_hearts(rngs, codes, conditions, n_patches, electrodes, to_leads, sensors,
                             sensor, baseline, mcg_model)
    electric = respiration_terms(
        np.concatenate([hearts.matrices.ecg, hearts.matrices.mcg], axis=2), np.float64
    )
    silent_terms = respiration_terms(hearts.matrices.silent, np.float64)
    n_el, n_records = hearts.matrices.ecg.shape[2], len(record_subject)
    both = np.empty((n_records, electric.shape[2], len(times)), dtype=dtype)
    silent = np.empty((n_records, silent_terms.shape[2], len(times)), dtype=dtype)
    dipole = np.empty((n_records, 3, len(times)), dtype=dtype)
    props, resp = hearts.props, hearts.respiration
    for r, s in enumerate(record_subject):
        subject = np.full(len(r_times[r]), s)
        beat = beat_parameters(rngs["jitter"], hearts, subject, r_times[r], rr[r], False)
        voltage, slope = record_voltages(
            times, r_times[r], beat.tau, beat.rho, props.amplitude[s], props.rest[s],
            hearts.tissue.epsilon[s], np.float64,
        )
        w = np.sin(2.0 * np.pi * resp.freq[s] * (times + resp_offset[r]) + resp.phase[s])
        w = w if respiration else np.zeros_like(w)
        both[r] = _breathing_product(electric[s], voltage, w)
        silent[r] = _breathing_product(silent_terms[s], slope, w)
        dipole[r] = dipole_moments(hearts.wn[s]) @ voltage
    ecg, mcg = both[:, :n_el], both[:, n_el:]
    if ecg_highpass is not None:
        ecg = _ac_coupled(ecg, ecg_highpass, sfreq).astype(dtype)
    scale = silent_scale(summed_squares(mcg), summed_squares(silent), record_subject, len(codes),
                         silent_fraction)
    silent *= scale[:, None, None].astype(dtype)
    mcg = mcg + silent
    return np.ascontiguousarray(ecg), mcg, _truth(hearts, silent, dipole, record_subject)


def _breathing_product(terms, source, w):
    """``(T0 + w T1 + w^2 T2) @ source`` with ``w`` varying along time."""
    products = terms @ source  # (3, channels, n_times)
    return products[0] + w * (products[1] + w * products[2])


def _ac_coupled(x, cutoff, sfreq):
    """First-order Butterworth high-pass along time, started in steady state (mean removed)."""
    from scipy.signal import butter, sosfilt

    sos = butter(1, cutoff, btype="highpass", fs=sfreq, output="sos")
    return sosfilt(sos, x - x.mean(axis=-1, keepdims=True), axis=-1)


def _truth(hearts, silent, dipole, subject):
    """Ground truth shared by beats and records."""
    return Bunch(
        mcg_silent=silent, dipole=dipole, dipole_position=hearts.anatomy.position[subject],
        patch_positions=hearts.positions, patch_normals=hearts.wn,
        patch_layer=hearts.template.layer, patch_chamber=hearts.template.chamber,
        patch_amplitude=hearts.props.amplitude, patch_rest=hearts.props.rest,
        repolarisation_slope=hearts.tissue.epsilon,
        anatomy=Bunch(**{k: v for k, v in hearts.anatomy.items()
                         if k not in ("site_directions", "site_delay")},
                      breakthrough_sites=hearts.sites, sensor_positions=hearts.sensors,
                      electrode_positions=hearts.electrodes),
        pathology_region=np.array([_heart.REGIONS[r] if r >= 0 else "none"
                                   for r in hearts.tissue.region]),
        pathology_severity=hearts.tissue.severity,
        patch_in_region=hearts.props.in_region,
        lead_matrices=Bunch(ecg=hearts.matrices.ecg[:, 1], mcg=hearts.matrices.mcg[:, 1]),
    )


def nominal_heart(position):
    """The mean anatomy of :func:`._heart.draw_anatomy`, one subject, at ``position``."""
    return Bunch(
        size=np.ones(1), lv_wall=np.full(1, 0.010), lv_dilation=np.ones(1),
        position=np.asarray(position, dtype=float)[None], rotation=np.eye(3)[None],
        torso_scale=np.ones(1), lift_off=np.zeros(1),
    )


def inverse_matrices(rng, position, lead_rows, sensors, sensor, baseline, mcg_model, n_patches,
                     regularisation=1e-3):
    """Map a real ECG to the double layer of a nominal heart and on to the MCG.

    The 8 independent leads (``lead_rows`` of the 12-lead matrix) cannot determine
    ``E`` patch voltages: the minimum-norm (Tikhonov) estimate
    ``V = G^T (G G^T + lambda I)^-1 ecg`` keeps the part of the source the ECG
    sees. Returns a Bunch: ``to_mcg`` the ECG -> MCG matrix ``(n_sensors,
    n_leads)``, ``to_source`` the ECG -> voltages matrix ``(E, n_leads)``,
    ``silent`` the silent matrix ``(n_sensors, E)`` (random vortex axes, from the
    prior) and ``to_dipole`` the voltages -> heart dipole matrix ``(3, E)``.
    """
    anatomy = nominal_heart(position)
    electrodes, to_leads = electrode_layout("12-lead")
    template = _heart.patch_template(n_patches)
    positions, wn = _heart.place_elements(template, anatomy)
    still = Bunch(axis=np.array([[1.0, 0.0, 0.0]]), angle=np.zeros(1), shift=np.zeros(1))
    matrices = lead_matrices(
        template, positions, wn, _vortex_axes(rng, wn), anatomy, still,
        subject_electrodes(electrodes, anatomy), subject_sensors(sensors, anatomy), sensor,
        baseline, mcg_model,
    )
    gain = (to_leads @ matrices.ecg[0, 1])[lead_rows]
    gram = gain @ gain.T
    gram += regularisation * np.trace(gram) / len(gram) * np.eye(len(gram))
    to_source = gain.T @ np.linalg.inv(gram)
    return Bunch(to_mcg=matrices.mcg[0, 1] @ to_source, to_source=to_source,
                 silent=matrices.silent[0, 1], to_dipole=dipole_moments(wn[0]))
