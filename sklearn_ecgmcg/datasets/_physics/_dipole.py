"""The dynamical dipole model of the heart (Sameni et al. 2007), vectorised.

Each Frank component ``k`` of the vectorcardiogram (mV) is a sum of Gaussians in
cardiac phase ``theta`` (rad, R peak at 0)::

    d_k(theta) = sum_i alpha_i exp(-wrap(theta - theta_i)^2 / (2 b_i^2))

Parameters are stored in fixed "slots" of shape ``(3, N_SLOTS)``: the normal set of
physics.md section 2, padded with silent slots, plus three slots that only the
pathologies switch on (ST segment, pathological Q, late QRS term). Fixed slots keep
the shapes of all random draws independent of the condition, so that changing a
subject's condition changes nothing else for a given seed.
"""

import numpy as np

from ._forward import matmul_chunked

N_SLOTS = 14
SLOT_ST, SLOT_Q, SLOT_LATE = 11, 12, 13

_NORMAL_SET = {
    # component: (theta_i, alpha_i, b_i) -- Sameni 2007, physics.md section 2
    0: (
        [-1.09, -0.83, -0.19, -0.07, 0.0, 0.06, 0.22, 1.2, 1.42, 1.68, 2.9],
        [0.03, 0.08, -0.13, 0.85, 1.11, 0.75, 0.06, 0.1, 0.17, 0.39, 0.03],
        [0.0906, 0.1057, 0.0453, 0.0378, 0.0332, 0.0302, 0.0378, 0.604, 0.302, 0.1812, 0.5],
    ),
    1: (
        [-1.1, -0.9, -0.76, -0.11, -0.01, 0.065, 0.8, 1.58, 2.9],
        [0.035, 0.015, -0.019, 0.32, 0.51, -0.32, 0.04, 0.08, 0.014],
        [0.07, 0.07, 0.04, 0.055, 0.037, 0.0604, 0.45, 0.3, 0.5],
    ),
    2: (
        [-1.1, -0.93, -0.7, -0.4, -0.15, 0.095, 1.05, 1.25, 1.55, 2.8],
        [-0.03, -0.14, -0.035, 0.045, -0.4, 0.46, -0.12, -0.2, -0.35, -0.035],
        [0.03, 0.12, 0.04, 0.4, 0.045, 0.05, 0.8, 0.4, 0.2, 0.4],
    ),
}

CONDITIONS = ("normal", "anterior_mi", "inferior_mi", "lbbb", "rbbb", "lvh", "ischemia")
# Columns of uniform [0, 1) draws per subject read by the condition edits.
N_SEVERITY = 8


def normal_parameters():
    """Normal Gaussian parameters in slots.

    Returns
    -------
    alpha, theta, width : ndarray of shape (3, N_SLOTS)
        Amplitudes (mV), centres (rad) and widths (rad); silent slots have
        ``alpha = 0``, ``theta = 0`` and ``width = 1``.
    """
    alpha = np.zeros((3, N_SLOTS))
    theta = np.zeros((3, N_SLOTS))
    width = np.ones((3, N_SLOTS))
    for comp, (t, a, b) in _NORMAL_SET.items():
        n = len(t)
        theta[comp, :n], alpha[comp, :n], width[comp, :n] = t, a, b
    theta[:, SLOT_ST], width[:, SLOT_ST] = 0.5, 0.3
    theta[:, SLOT_Q], width[:, SLOT_Q] = -0.12, 0.04
    theta[:, SLOT_LATE], width[:, SLOT_LATE] = 0.25, 0.06
    return alpha, theta, width


def wave_masks():
    """Boolean masks of shape (3, N_SLOTS) for the QRS and T Gaussians of the normal set."""
    alpha, theta, _ = normal_parameters()
    base = np.zeros((3, N_SLOTS), dtype=bool)
    for comp, (t, _, _) in _NORMAL_SET.items():
        base[comp, : len(t)] = True
    qrs = base & (np.abs(theta) < 0.3)
    t_wave = base & (theta > 1.0) & (theta < 1.8)
    return qrs, t_wave


def rate_scaled(theta, width, heart_rate):
    """Adapt phases and widths to the heart rate (ECGSYN's rule).

    ``b * sqrt(HR/60)``; ``theta * (HR/60)^(1/2)`` for Q and S (|theta| < 0.3),
    ``theta * (HR/60)^(1/4)`` for P and T.

    Parameters
    ----------
    theta, width : ndarray of shape (n, 3, N_SLOTS)
    heart_rate : ndarray of shape (n,)
        Beats per minute.
    """
    ratio = (heart_rate / 60.0)[:, np.newaxis, np.newaxis]
    exponent = np.where(np.abs(theta) < 0.3, 0.5, 0.25)
    return theta * ratio**exponent, width * np.sqrt(ratio)


def wrap_phase(phase):
    """Wrap phases into [-pi, pi)."""
    return (phase + np.pi) % (2.0 * np.pi) - np.pi


def gaussian_sum(alpha, theta, width, phase, chunk=None, dtype=np.float64):
    """Evaluate the Gaussian sums of many beats at once.

    Parameters
    ----------
    alpha, theta, width : ndarray of shape (n, 3, n_slots)
    phase : ndarray of shape (n, n_times)
        Cardiac phase in rad, wrapped or not.
    chunk : int, default=None
        Rows evaluated together (bounds the ``(chunk, n_slots, n_times)`` temporary);
        by default about 90,000 phase samples.
    dtype : numpy dtype, default=np.float64
        Of the output; the Gaussians are evaluated in float32 either way.

    Returns
    -------
    vcg : ndarray of shape (n, 3, n_times)
        In mV.
    """
    n = alpha.shape[0]
    chunk = chunk or max(1, 90_000 // phase.shape[-1])
    out = np.zeros((n, 3, phase.shape[-1]), dtype=dtype)
    wrapped = wrap_phase(phase).astype(np.float32)
    two_pi = np.float32(2.0 * np.pi)
    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        for comp in range(3):
            active = np.flatnonzero(np.any(alpha[sl, comp] != 0.0, axis=0))
            if active.size == 0:
                continue
            # distance on the circle between phase and centre, in [0, pi]
            dist = np.abs(
                wrapped[sl, np.newaxis, :]
                - wrap_phase(theta[sl, comp][:, active]).astype(np.float32)[..., np.newaxis]
            )
            np.minimum(dist, two_pi - dist, out=dist)
            dist *= dist
            dist *= (-0.5 / width[sl, comp][:, active] ** 2).astype(np.float32)[..., np.newaxis]
            np.exp(dist, out=dist)
            out[sl, comp] = np.matmul(
                alpha[sl, comp][:, np.newaxis, active].astype(np.float32), dist
            )[:, 0]
    return out


def random_rotations(rng, n, min_deg, max_deg):
    """Rotation matrices about random axes by random angles, shape (n, 3, 3)."""
    axes = rng.standard_normal((n, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    angles = np.deg2rad(rng.uniform(min_deg, max_deg, n)) * rng.choice([-1.0, 1.0], n)
    return axis_angle_matrices(axes, angles)


def cross_matrices(axes):
    """Matrices ``K`` with ``K v = axis x v``, shape (..., 3, 3)."""
    x, y, z = np.moveaxis(axes, -1, 0)
    zero = np.zeros_like(x)
    return np.stack(
        [
            np.stack([zero, -z, y], -1),
            np.stack([z, zero, -x], -1),
            np.stack([-y, x, zero], -1),
        ],
        -2,
    )


def axis_angle_matrices(axes, angles):
    """Rodrigues' formula: rotation matrices ``(..., 3, 3)`` from unit axes and angles."""
    cross = cross_matrices(axes)
    s = np.sin(angles)[..., np.newaxis, np.newaxis]
    c = np.cos(angles)[..., np.newaxis, np.newaxis]
    return np.eye(3) + s * cross + (1.0 - c) * (cross @ cross)


def rotate_in_time(vectors, axes, angles):
    """Rotate ``vectors (n, 3, T)`` about unit ``axes (n, 3)`` by ``angles (n, T)`` (rad)."""
    cross = cross_matrices(axes)
    once = matmul_chunked(cross, vectors)
    twice = matmul_chunked(cross, once)
    once *= np.sin(angles)[:, np.newaxis]
    twice *= (1.0 - np.cos(angles))[:, np.newaxis]
    once += twice
    once += vectors
    return once


def apply_conditions(alpha, theta, width, codes, severity):
    """Edit the Gaussian parameters of each subject for its condition (physics.md 2).

    Parameters
    ----------
    alpha, theta, width : ndarray of shape (n_subjects, 3, N_SLOTS)
        Edited in place.
    codes : ndarray of shape (n_subjects,)
        Index into :data:`CONDITIONS`.
    severity : ndarray of shape (n_subjects, N_SEVERITY)
        Uniform [0, 1) draws; each condition reads the columns it needs.
    """
    qrs, t_wave = wave_masks()
    u = severity
    x, y, z = 0, 1, 2
    ant = codes == CONDITIONS.index("anterior_mi")
    if ant.any():
        # loss of anterior forces: the early negative (anterior) z term turns positive
        # and wider, giving Q/QS waves in V1-V3
        alpha[ant, z, 4] = 0.2 + 0.3 * u[ant, 0]
        width[ant, z, 4] *= 2.0
        alpha[ant, z, SLOT_ST] = -(0.1 + 0.2 * u[ant, 1])
        evolving = u[ant, 2] < 0.5
        z_t = np.where(t_wave[z])[0]
        alpha[np.ix_(np.where(ant)[0][evolving], [z], z_t)] *= -1.0
    inf = codes == CONDITIONS.index("inferior_mi")
    if inf.any():
        # loss of the early inferior forces (y at -0.11) plus a superior Q term
        alpha[inf, y, 3] = 0.0
        alpha[inf, y, SLOT_Q] = -(0.1 + 0.1 * u[inf, 0])
        width[inf, y, SLOT_Q] = 0.06
        alpha[inf, y, SLOT_ST] = 0.1 + 0.2 * u[inf, 1]
    lbbb = codes == CONDITIONS.index("lbbb")
    if lbbb.any():
        # widths x 2-2.5 (published); the centres spread by half as much, so that
        # the QRS lasts 120-180 ms (slow cell-to-cell conduction of the left ventricle)
        stretch = (2.0 + 0.5 * u[lbbb, 0])[:, np.newaxis, np.newaxis]
        width[lbbb] = np.where(qrs, width[lbbb] * stretch, width[lbbb])
        theta[lbbb] = np.where(qrs, theta[lbbb] * (0.5 + 0.5 * stretch), theta[lbbb])
        alpha[lbbb, x, 2] = 0.0  # no septal q
        alpha[lbbb, z, SLOT_LATE] = 0.5 + 0.5 * u[lbbb, 1]
        theta[lbbb, z, SLOT_LATE] = 0.35
        width[lbbb, z, SLOT_LATE] = 0.1
        alpha[lbbb] = np.where(t_wave, -alpha[lbbb], alpha[lbbb])  # discordant T
    rbbb = codes == CONDITIONS.index("rbbb")
    if rbbb.any():
        # terminal right-ventricular forces (R' in V1); later and wider than
        # physics.md's theta 0.2-0.3, b 0.06 so that the QRS reaches the 120 ms of
        # complete RBBB with the narrow QRS of the normal set
        theta[rbbb, :, SLOT_LATE] = (0.4 + 0.1 * u[rbbb, 0])[:, np.newaxis]
        width[rbbb, :, SLOT_LATE] = 0.08
        alpha[rbbb, x, SLOT_LATE] = -0.3 * (0.8 + 0.4 * u[rbbb, 1])
        alpha[rbbb, z, SLOT_LATE] = -(0.3 + 0.2 * u[rbbb, 2])
        # slowed right-ventricular conduction also widens the QRS Gaussians (x 1.1-1.3)
        widen = (1.1 + 0.2 * u[rbbb, 3])[:, np.newaxis, np.newaxis]
        width[rbbb] = np.where(qrs, width[rbbb] * widen, width[rbbb])
    lvh = codes == CONDITIONS.index("lvh")
    if lvh.any():
        gain = (1.5 + u[lvh, 0])[:, np.newaxis]
        widen = (1.1 + 0.1 * u[lvh, 1])[:, np.newaxis, np.newaxis]
        alpha[lvh, x] = np.where(qrs[x], alpha[lvh, x] * gain, alpha[lvh, x])
        alpha[lvh, z] = np.where(qrs[z], alpha[lvh, z] * gain, alpha[lvh, z])
        width[lvh] = np.where(qrs, width[lvh] * widen, width[lvh])
        strain = np.where(lvh)[0][u[lvh, 2] < 0.5]
        alpha[np.ix_(strain, [x], np.where(t_wave[x])[0])] *= -1.0
    isch = codes == CONDITIONS.index("ischemia")
    if isch.any():
        t_scale = (-1.0 + 1.3 * u[isch, 0])[:, np.newaxis, np.newaxis]
        alpha[isch] = np.where(t_wave, alpha[isch] * t_scale, alpha[isch])
        depressed = u[isch, 1] < 0.5
        st = -(0.05 + 0.05 * u[isch, 2]) * depressed
        alpha[isch, x, SLOT_ST] = st
        alpha[isch, y, SLOT_ST] = 0.3 * st


def rr_tachogram(rng, n_series, duration, heart_rate, hr_std, lf_hf=0.5, fs=4.0):
    """RR intervals with an LF (0.1 Hz) and an HF (0.25 Hz) spectral peak (ECGSYN model).

    Parameters
    ----------
    rng : numpy.random.Generator
    n_series : int
    duration : float
        Seconds covered.
    heart_rate, hr_std : ndarray of shape (n_series,)
        Mean heart rate and its standard deviation, in bpm.
    lf_hf : float, default=0.5
        Power ratio of the LF to the HF peak.
    fs : float, default=4.0
        Sampling rate of the tachogram in Hz.

    Returns
    -------
    times : ndarray of shape (n_grid,)
    rr : ndarray of shape (n_series, n_grid)
        RR interval in seconds at each grid time.
    """
    n_grid = int(np.ceil(duration * fs)) + 2
    n_fft = max(256, 2 ** int(np.ceil(np.log2(n_grid))))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    sigma = 0.01
    spectrum = lf_hf * np.exp(-((freqs - 0.1) ** 2) / (2 * sigma**2)) + np.exp(
        -((freqs - 0.25) ** 2) / (2 * sigma**2)
    )
    phases = rng.uniform(0.0, 2.0 * np.pi, (n_series, len(freqs)))
    series = np.fft.irfft(np.sqrt(spectrum) * np.exp(1j * phases), n=n_fft, axis=-1)[:, :n_grid]
    series = (series - series.mean(axis=1, keepdims=True)) / series.std(axis=1, keepdims=True)
    rr_mean = 60.0 / heart_rate
    rr_std = 60.0 * hr_std / heart_rate**2
    return np.arange(n_grid) / fs, rr_mean[:, np.newaxis] + rr_std[:, np.newaxis] * series


def integrate_phase(grid_times, rr, times, phase0):
    """Unwrapped cardiac phase ``theta(t) = theta0 + int 2 pi / RR(t) dt`` at ``times``.

    Parameters
    ----------
    grid_times : ndarray of shape (n_grid,)
    rr : ndarray of shape (n_series, n_grid)
    times : ndarray of shape (n_times,)
    phase0 : ndarray of shape (n_series,)

    Returns
    -------
    phase : ndarray of shape (n_series, n_times)
    """
    cumulative = _cumulative_phase(grid_times, rr)
    phase = np.empty((len(rr), len(times)))
    for i in range(len(rr)):
        phase[i] = np.interp(times, grid_times, cumulative[i])
    return phase + phase0[:, np.newaxis]


def beat_times(grid_times, rr, phase0, n_beats):
    """Times of the first ``n_beats`` R peaks (phase 2 pi k), shape (n_series, n_beats)."""
    cumulative = _cumulative_phase(grid_times, rr) + phase0[:, np.newaxis]
    first = np.ceil(phase0 / (2 * np.pi))
    out = np.empty((len(rr), n_beats))
    for i in range(len(rr)):
        targets = 2.0 * np.pi * (first[i] + np.arange(n_beats))
        out[i] = np.interp(targets, cumulative[i], grid_times)
    return out


def _cumulative_phase(grid_times, rr):
    """Trapezoidal integral of ``2 pi / RR`` from the first grid time, shape (n_series, n_grid)."""
    rate = 2.0 * np.pi / rr
    steps = 0.5 * (rate[:, 1:] + rate[:, :-1]) * np.diff(grid_times)
    return np.concatenate([np.zeros((len(rr), 1)), np.cumsum(steps, axis=1)], axis=1)


def beat_rhythm(rng, heart_rate, n_beats, hr_std):
    """R-peak times (s) and RR intervals (s) of ``n_beats`` beats per subject."""
    duration = (n_beats + 2) * 60.0 / heart_rate.min() * 1.5 + 5.0
    grid, rr = rr_tachogram(
        rng, len(heart_rate), duration, heart_rate, np.full(len(heart_rate), hr_std)
    )
    phase0 = rng.uniform(-np.pi, np.pi, len(heart_rate))
    times = beat_times(grid, rr, phase0, n_beats + 1)
    return times[:, :-1], np.diff(times, axis=1)
