"""Forward models from a current dipole to ECG and MCG, with the body geometry.

Axes follow the Frank / Dower convention: x to the subject's left, y down
(toward the feet), z toward the back; metres everywhere. The MCG sensor normal
``n`` points out of the chest, ``n = -z``. The formulas and the geometry are
those of ``docs/physics.md`` (sections 3 and 4); the torso and electrode sites
are an engineering estimate, not a measured anatomy.
"""

from numbers import Real

import numpy as np

MU0_OVER_4PI = 1e-7  # T m / A
CONDUCTIVITY = 0.2  # S/m, homogeneous torso (physics.md section 3)
KAPPA = 8e-6  # A m per mV of Frank VCG (physics.md section 1)
TESLA_TO_PT = 1e12
VOLT_TO_MV = 1e3

SENSOR_NORMAL = np.array([0.0, 0.0, -1.0])

# Torso: elliptic cylinder, half-axes 0.16 m (left-right) and 0.11 m (front-back).
TORSO_HALF_WIDTH = 0.16
TORSO_HALF_DEPTH = 0.11
HEART_CENTRE = np.array([0.03, 0.03, -0.04])
# Nominal dipole-to-sensor distance; it sets the sensor plane z.
NOMINAL_DEPTH = 0.09

ECG_12_LEAD_NAMES = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")

# Dower 1980: Frank [x, y, z] (mV) -> leads I, II, V1..V6 (mV), as published.
_DOWER_INDEPENDENT = {
    "I": [0.632, -0.235, 0.059],
    "II": [0.235, 1.066, -0.132],
    "V1": [-0.515, 0.157, -0.917],
    "V2": [0.044, 0.164, -1.387],
    "V3": [0.882, 0.098, -1.277],
    "V4": [1.213, 0.127, -0.601],
    "V5": [1.125, 0.127, -0.086],
    "V6": [0.831, 0.076, 0.230],
}


def _dower_matrix():
    """Dower rows in ``ECG_12_LEAD_NAMES`` order, III, aVR, aVL, aVF derived from I and II.

    The published rows of the derived leads are rounded to 3 decimals and miss
    Einthoven's and Goldberger's identities by up to 5e-4; with electrode noise
    (which obeys them) such rows would carry a noise-free trace of the dipole that
    a least-squares fit finds with huge weights. ECG machines derive these leads
    from I and II, and so do we.
    """
    lead_i, lead_ii = (np.array(_DOWER_INDEPENDENT[name]) for name in ("I", "II"))
    derived = {
        "III": lead_ii - lead_i,
        "aVR": -(lead_i + lead_ii) / 2,
        "aVL": lead_i - lead_ii / 2,
        "aVF": lead_ii - lead_i / 2,
    }
    rows = {**_DOWER_INDEPENDENT, **derived}
    return np.array([rows[name] for name in ECG_12_LEAD_NAMES])


DOWER = _dower_matrix()

# Edenbrandt & Pahlm 1988: [V1..V6, I, II] (mV) -> Frank [x, y, z] (mV).
INVERSE_DOWER_LEADS = ("V1", "V2", "V3", "V4", "V5", "V6", "I", "II")
INVERSE_DOWER = np.array(
    [
        [-0.172, -0.074, 0.122, 0.231, 0.239, 0.194, 0.156, -0.010],
        [0.057, -0.019, -0.106, -0.022, 0.041, 0.048, -0.227, 0.887],
        [-0.229, -0.310, -0.246, -0.063, 0.055, 0.108, 0.022, 0.102],
    ]
)

MCG_LAYOUTS = {"6x6": (6, 0.040), "8x8": (8, 0.025)}
ECG_LAYOUTS = ("12-lead", "bspm32")
SENSOR_TYPES = ("magnetometer", "gradiometer")


def matmul_chunked(left, right, chunk=256, dtype=None):
    """``left @ right`` for a stack of ``right (n, K, T)``, in cache-sized chunks.

    ``left`` is ``(C, K)`` (shared) or ``(n, C, K)`` (one matrix per row). Much
    faster than one broadcast ``matmul`` over thousands of small matrices. The
    result has ``dtype`` (default: that of ``right``).
    """
    n = right.shape[0]
    out = np.empty((n, left.shape[-2], right.shape[-1]), dtype=dtype or right.dtype)
    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        if left.ndim == 2:
            out[sl] = np.matmul(left, right[sl])
        else:
            out[sl] = np.einsum("nck,nkt->nct", left[sl], right[sl])
    return out


def torso_front(x, y):
    """Point on the front (chest) surface of the elliptic-cylinder torso."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    z = -TORSO_HALF_DEPTH * np.sqrt(np.clip(1.0 - (x / TORSO_HALF_WIDTH) ** 2, 0.0, None))
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def limb_electrode_positions():
    """Positions of RA, LA, LL, shape (3, 3)."""
    return np.array([[-0.15, -0.15, 0.0], [0.15, -0.15, 0.0], [0.08, 0.40, 0.0]])


def standard_electrode_positions():
    """The 9 electrodes of the standard 12-lead ECG.

    Returns
    -------
    names : list of str
        ``["RA", "LA", "LL", "V1", ..., "V6"]``.
    positions : ndarray of shape (9, 3)
        Positions in metres on the torso model.
    """
    precordial = np.vstack(
        [
            torso_front([-0.025, 0.025, 0.0575, 0.09, 0.13], [0.0, 0.0, 0.015, 0.03, 0.03]),
            [[TORSO_HALF_WIDTH, 0.03, 0.0]],
        ]
    )
    names = ["RA", "LA", "LL", "V1", "V2", "V3", "V4", "V5", "V6"]
    return names, np.vstack([limb_electrode_positions(), precordial])


def bspm32_electrode_positions():
    """32 body-surface-map electrodes, densest over the precordium (after Lux 1978).

    Returns
    -------
    names : list of str
        ``["BSPM01", ..., "BSPM32"]``.
    positions : ndarray of shape (32, 3)
        4 rows (y = -0.05 ... 0.10 m) x 6 front columns (x = -0.10 ... 0.15 m),
        2 electrodes on each side and 4 on the back.
    """
    xx, yy = np.meshgrid(np.linspace(-0.10, 0.15, 6), [-0.05, 0.0, 0.05, 0.10])
    front = torso_front(xx.ravel(), yy.ravel())
    sides = np.array(
        [[s * TORSO_HALF_WIDTH, y, 0.0] for s in (-1.0, 1.0) for y in (0.0, 0.08)]
    )
    back = torso_front([-0.05, -0.05, 0.08, 0.08], [0.0, 0.08, 0.0, 0.08])
    back[:, 2] *= -1.0  # the back surface mirrors the front: z > 0
    positions = np.vstack([front, sides, back])
    names = [f"BSPM{i + 1:02d}" for i in range(len(positions))]
    return names, positions


def mcg_sensor_positions(layout="6x6", depth=NOMINAL_DEPTH):
    """Positions of the MCG sensors of a square grid above the heart.

    The grid is flat, centred over the nominal heart centre ``(0.03, 0.03)`` m,
    at a distance ``depth`` in front of it (``z = -0.04 - depth``). Axes: x to the
    subject's left, y toward the feet, z toward the back (physics.md).

    Parameters
    ----------
    layout : {"6x6", "8x8"}, default="6x6"
        ``"6x6"``: 36 sensors at 40 mm pitch; ``"8x8"``: 64 sensors at 25 mm.
    depth : float, default=0.09
        Distance in metres from the nominal heart centre to the sensor plane.

    Returns
    -------
    positions : ndarray of shape (n_sensors, 3)
        Row-major order: the first row of the grid is the most cranial (smallest y),
        columns go from the subject's right to left.
    """
    if not isinstance(layout, str) or layout not in MCG_LAYOUTS:
        raise ValueError(
            f"Unknown MCG layout {layout!r}; choose one of {sorted(MCG_LAYOUTS)}."
        )
    if isinstance(depth, bool) or not isinstance(depth, Real) or not 0.02 <= depth <= 0.3:
        raise ValueError(f"depth must be a distance in metres in [0.02, 0.3]; got {depth!r}.")
    n_side, pitch = MCG_LAYOUTS[layout]
    offsets = (np.arange(n_side) - (n_side - 1) / 2.0) * pitch
    yy, xx = np.meshgrid(offsets + HEART_CENTRE[1], offsets + HEART_CENTRE[0], indexing="ij")
    zz = np.full(xx.shape, HEART_CENTRE[2] - depth)
    return np.stack([xx.ravel(), yy.ravel(), zz.ravel()], axis=-1)


def mcg_channel_names(layout="6x6"):
    """Names ``MCG-r<row>c<col>`` (1-based) in the order of :func:`mcg_sensor_positions`."""
    n_side = MCG_LAYOUTS[layout][0]
    return [f"MCG-r{r + 1}c{c + 1}" for r in range(n_side) for c in range(n_side)]


def bz_lead_field(dipole_positions, sensor_positions, normal=SENSOR_NORMAL):
    """Half-space normal field per unit dipole (Cohen & Hosaka 1976).

    ``B_n = mu0/4pi * ((p x a) . n) / |a|^3 = p . L`` with ``L = mu0/4pi (a x n)/|a|^3``
    and ``a = r - r0``. Volume currents add nothing to the normal component.

    Parameters
    ----------
    dipole_positions : ndarray of shape (..., 3)
    sensor_positions : ndarray of shape (n_sensors, 3)

    Returns
    -------
    lead_field : ndarray of shape (..., n_sensors, 3)
        pT per A m.
    """
    a = sensor_positions - dipole_positions[..., np.newaxis, :]
    dist3 = np.einsum("...k,...k->...", a, a) ** 1.5
    return np.cross(a, normal) * (MU0_OVER_4PI * TESLA_TO_PT / dist3)[..., np.newaxis]


def mcg_lead_field(dipole_positions, sensor_positions, sensor="magnetometer", baseline=0.05):
    """MCG lead field of magnetometers or first-order axial gradiometers (pT per A m).

    A gradiometer measures ``B_n(r) - B_n(r + baseline * n)``.
    """
    lead_field = bz_lead_field(dipole_positions, sensor_positions)
    if sensor == "gradiometer":
        lead_field = lead_field - bz_lead_field(
            dipole_positions, sensor_positions + baseline * SENSOR_NORMAL
        )
    return lead_field


def potential_lead_field(dipole_positions, electrode_positions):
    """Surface potential per unit dipole, homogeneous half-space (mV per A m).

    ``phi = 2 p . a / (4 pi sigma |a|^3)``; the factor 2 is the half-space surface.
    """
    a = electrode_positions - dipole_positions[..., np.newaxis, :]
    dist3 = np.einsum("...k,...k->...", a, a) ** 1.5
    scale = 2.0 * VOLT_TO_MV / (4.0 * np.pi * CONDUCTIVITY * dist3)
    return a * scale[..., np.newaxis]


def electrode_to_lead_matrix(ecg_layout):
    """Linear map from electrode potentials to the recorded ECG channels.

    ``"12-lead"``: electrodes RA, LA, LL, V1..V6 (:func:`standard_electrode_positions`)
    to I, II, III, aVR, aVL, aVF, V1..V6 (Wilson's central terminal for V1..V6).
    ``"bspm32"``: the 32 BSPM electrodes then RA, LA, LL, to the 32 channels
    referenced to Wilson's central terminal.

    Returns
    -------
    matrix : ndarray of shape (n_channels, n_electrodes)
    """
    wct = np.full(3, 1.0 / 3.0)
    if ecg_layout == "12-lead":
        limb = np.array(
            [
                [-1.0, 1.0, 0.0],  # I = LA - RA
                [-1.0, 0.0, 1.0],  # II = LL - RA
                [0.0, -1.0, 1.0],  # III = LL - LA
                [1.0, -0.5, -0.5],  # aVR
                [-0.5, 1.0, -0.5],  # aVL
                [-0.5, -0.5, 1.0],  # aVF
            ]
        )
        precordial = np.hstack([-np.tile(wct, (6, 1)), np.eye(6)])
        return np.vstack([np.hstack([limb, np.zeros((6, 6))]), precordial])
    return np.hstack([np.eye(32), -np.tile(wct, (32, 1))])


def bspm_lead_field(dipole_positions):
    """Lead field of the 32 BSPM electrodes referenced to Wilson's central terminal.

    Returns
    -------
    lead_field : ndarray of shape (..., 32, 3)
        mV per A m.
    """
    _, electrodes = bspm32_electrode_positions()
    lead_field = potential_lead_field(dipole_positions, electrodes)
    wct = potential_lead_field(dipole_positions, limb_electrode_positions()).mean(axis=-2)
    return lead_field - wct[..., np.newaxis, :]
