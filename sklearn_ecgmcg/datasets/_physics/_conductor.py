"""Bounded conductors and magnetic dipoles: the lead fields of physics v2.

All functions take positions in metres and return lead fields per unit source,
broadcast over leading axes: ``sources (..., 3)`` and ``points (n_points, 3)``
give ``(..., n_points, 3)``. ECG in mV per A m, MCG in pT per A m (current
dipoles) or pT per A m^2 (magnetic dipoles).
"""

import numpy as np

from ._forward import CONDUCTIVITY, MU0_OVER_4PI, SENSOR_NORMAL, TESLA_TO_PT, VOLT_TO_MV


def sphere_potential_lead_field(sources, electrodes, radius, centre, conductivity=CONDUCTIVITY):
    """Potential on the surface of a homogeneous insulated sphere (Frank 1952).

    For a current dipole ``p`` at ``r0`` and an electrode at ``r`` on the surface
    (``|r| = R``, both relative to the centre), ``phi = p . L`` with

    ``L = 1/(4 pi sigma) [2 d/|d|^3 + (r/R + d/|d|) / (R (R + |d| - r.r0/R))]``,

    ``d = r - r0``: the infinite-medium term doubled by the boundary plus a smooth
    correction (the gradient in ``r0`` of the Neumann function of the sphere,
    whose Legendre series is ``sum (2n+1)/n (r0/R)^n P_n / R``). A dipole at the
    centre gives three times the infinite-medium potential. Electrodes are
    projected radially onto the sphere.
    """
    r = electrodes - centre
    r = radius * r / np.linalg.norm(r, axis=-1, keepdims=True)
    r0 = (sources - centre)[..., np.newaxis, :]
    d = r - r0
    dist = np.sqrt(np.einsum("...k,...k->...", d, d))[..., np.newaxis]
    along = np.einsum("...k,...k->...", r, r0)[..., np.newaxis] / radius
    lead_field = 2.0 * d / dist**3 + (r / radius + d / dist) / (radius * (radius + dist - along))
    return lead_field * (VOLT_TO_MV / (4.0 * np.pi * conductivity))


def sarvas_lead_field(sources, sensors, centre, normal=SENSOR_NORMAL):
    """Field component along ``normal`` of current dipoles in a conducting sphere (Sarvas 1987).

    ``B = mu0 / (4 pi F^2) (F Q x r0 - (Q x r0 . r) grad F)`` with ``a = r - r0``,
    ``F = a (r a + r^2 - r0 . r)``; volume currents included. Radial dipoles give
    no field. Sensors must lie outside the sphere.
    """
    r = sensors - centre
    r0 = (sources - centre)[..., np.newaxis, :]
    a_vec = r - r0
    a = np.linalg.norm(a_vec, axis=-1)
    r_norm = np.linalg.norm(r, axis=-1)
    a_dot_r = np.einsum("...k,...k->...", a_vec, r)
    big_f = a * (r_norm * a + r_norm**2 - np.einsum("...k,...k->...", r0, r))
    grad_r = a**2 / r_norm + a_dot_r / a + 2.0 * a + 2.0 * r_norm
    grad_r0 = a + 2.0 * r_norm + a_dot_r / a
    grad_f_n = grad_r * (r @ normal) - grad_r0 * (r0 @ normal)
    # (Q x r0) . v = Q . (r0 x v)
    lead_field = (
        big_f[..., np.newaxis] * np.cross(r0, normal)
        - grad_f_n[..., np.newaxis] * np.cross(r0, r)
    )
    return lead_field * (MU0_OVER_4PI * TESLA_TO_PT / big_f**2)[..., np.newaxis]


def magnetic_dipole_lead_field(sources, sensors, normal=SENSOR_NORMAL):
    """Field component along ``normal`` of magnetic dipoles (pT per A m^2).

    ``B = mu0/(4 pi) (3 (mu . a^) a^ - mu) / |a|^3``: the far field of a
    solenoidal (electrically silent) current loop, which drives no volume current.
    """
    a = sensors - sources[..., np.newaxis, :]
    dist = np.linalg.norm(a, axis=-1, keepdims=True)
    a_hat = a / dist
    lead_field = 3.0 * a_hat * (a_hat @ normal)[..., np.newaxis] - normal
    return lead_field * (MU0_OVER_4PI * TESLA_TO_PT / dist**3)
