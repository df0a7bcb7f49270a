"""Activation, repolarisation and transmembrane curves of the double layer (physics.md 8).

Activation spreads from breakthrough sites (``tau_k = min_j t_j + |r_k - s_j| / v``,
the accepted Euclidean shortcut of the geodesic distance) in two speeds: over the
endocardium of a site's own chamber through the Purkinje network (``v_p``
0.7-1.2 m/s; the basal 15 % has no Purkinje fibres and adds a myocardial delay),
and through working myocardium at ``v`` (0.35-0.6 m/s) across the septum and from
endocardium to epicardium, so the ventricles activate inside-out in about
90 ms (Durrer 1970); repolarisation follows at ``rho_k = tau_k + APD_k`` with an
apico-basal and a transmural APD gradient (shorter at the apex and on the
epicardium, which makes the T wave concordant) and restitution
``APD(RR) = APD_60 (RR / 1 s)^0.3``. Every patch's transmembrane curve is

    V_k(t) = A_k [s((t - tau_k) / delta) - s((t - rho_k) / epsilon)] + V_rest,k,

``s`` the logistic function, computed as ``(1 + tanh(x / 2)) / 2`` (one fast pass).
``delta`` is the upstroke *of a patch*: the time the wavefront needs to cross
it (a few ms), not the 1 ms of one cell, so the QRS is not a staircase of patches.

Pathology is tissue (physics.md 8): a healed MI scar (its elements take its
border's potential: one activation and APD through the wall), bundle branch block (the LV or RV sites lost, slower conduction), LVH (in the geometry),
ischaemia (lower ``A``, shorter APD and a raised ``V_rest`` in a region: the injury
current during TQ).
"""

import numpy as np
from sklearn.utils import Bunch

from ._heart import ENDO, EPI, LV, REGIONS, RV, SITE_BRANCH

CONDUCTION_VELOCITY = (0.35, 0.6)  # m/s, working myocardium
PURKINJE_VELOCITY = (0.7, 1.2)  # m/s, effective over the endocardium
PURKINJE_HEIGHT = 0.85  # apico-basal height (0 apex, 1 base) reached by Purkinje fibres
APD_60 = (0.23, 0.27)  # s at RR = 1 s
APICOBASAL_APD = (0.015, 0.03)  # s longer at the base than at the apex
TRANSMURAL_APD = (0.02, 0.035)  # s longer on the endocardium than on the epicardium
RESTITUTION_EXPONENT = 0.3
UPSTROKE = 0.004  # s, delta: a patch's upstroke
REPOLARISATION = (0.03, 0.04)  # s, epsilon
TIMING_JITTER = 0.001  # s, per beat and patch
APD_JITTER = 0.002  # s, per beat and patch
BLOCK_SLOWING = 0.85  # conduction through working myocardium after a bundle branch block
ISCHEMIA_APD_SHORTENING = 0.4  # at severity 1 (20-40 % in the literature)
ISCHEMIA_AMPLITUDE_LOSS = 0.3
BASE_LENGTH = 0.09  # m, apex-to-base length over which the basal delay accrues
ISCHEMIA_REST_RISE = 0.2  # resting potential raised by up to 20 % of the action potential


def draw_tissue(rng, n, codes, conditions):
    """Per-subject tissue parameters and pathology ground truth.

    Parameters
    ----------
    rng : Generator
    n : int
    codes : ndarray of shape (n,)
        Condition index per subject, into ``conditions``.
    conditions : tuple of str

    Returns
    -------
    tissue : Bunch
        ``velocity``, ``apd60``, ``apicobasal``, ``transmural``, ``epsilon`` (n,),
        ``site_active`` (n, n_sites) bools, ``region`` (n,) index into ``REGIONS``
        (-1 without one), ``severity`` (n,) in [0, 1] (0 for normal subjects).
    """
    name = np.array(conditions)[codes]
    site_active = np.ones((n, len(SITE_BRANCH)), dtype=bool)
    site_active[name == "lbbb"] = SITE_BRANCH != LV
    site_active[name == "rbbb"] = SITE_BRANCH != RV
    blocked = np.isin(name, ["lbbb", "rbbb"])
    region = np.full(n, -1)
    region[name == "anterior_mi"] = REGIONS.index("anterior")
    region[name == "inferior_mi"] = REGIONS.index("inferior")
    ischemic = name == "ischemia"
    region_draw = rng.integers(0, len(REGIONS), n)
    region[ischemic] = region_draw[ischemic]
    severity_draw = rng.uniform(0.5, 1.0, n)
    return Bunch(
        velocity=rng.uniform(*CONDUCTION_VELOCITY, n) * np.where(blocked, BLOCK_SLOWING, 1.0),
        purkinje=rng.uniform(*PURKINJE_VELOCITY, n),
        apd60=rng.uniform(*APD_60, n),
        apicobasal=rng.uniform(*APICOBASAL_APD, n),
        transmural=rng.uniform(*TRANSMURAL_APD, n),
        epsilon=rng.uniform(*REPOLARISATION, n),
        site_active=site_active,
        region=region,
        severity=np.where(name == "normal", 0.0, severity_draw),
        name=name,
    )


def patch_properties(template, tissue, positions, sites, site_delay):
    """Activation time, APD at RR = 1 s, amplitude and resting level of every element.

    Parameters
    ----------
    template : Bunch
        From :func:`._heart.patch_template`.
    tissue : Bunch
        From :func:`draw_tissue`.
    positions : ndarray of shape (n, E, 3)
        Element centres.
    sites : ndarray of shape (n, n_sites, 3)
        Breakthrough sites.
    site_delay : ndarray of shape (n, n_sites)
        Onset of each site in seconds.

    Returns
    -------
    Bunch with ``tau``, ``apd``, ``amplitude``, ``rest``, each ``(n, E)``; ``tau`` is
    relative to the subject's mean activation time (the R peak lies near 0).
    """
    tau = activation_times(template, tissue, positions, sites, site_delay)
    tau -= tau.mean(axis=1, keepdims=True)
    # endocardium longest, epicardium shortest, the basal ring between them
    transmural = np.select([template.layer == ENDO, template.layer == EPI], [0.5, -0.5], 0.0)
    apd = (
        tissue.apd60[:, None]
        + tissue.apicobasal[:, None] * (template.height - 0.5)
        + tissue.transmural[:, None] * transmural
    )
    n, n_elements = tau.shape
    amplitude = np.ones((n, n_elements))
    rest = np.zeros((n, n_elements))
    has_region = tissue.region >= 0
    in_region = np.zeros((n, n_elements), dtype=bool)
    in_region[has_region] = template.region[tissue.region[has_region]]
    severity = tissue.severity[:, None] * in_region
    scar = np.isin(tissue.name, ["anterior_mi", "inferior_mi"])[:, None]
    ischemic = (tissue.name == "ischemia")[:, None]
    tau, apd = _scar_border(template, tau, apd, np.where(scar, severity, 0.0))
    amplitude = np.where(ischemic, 1.0 - ISCHEMIA_AMPLITUDE_LOSS * severity, amplitude)
    apd = np.where(ischemic, apd * (1.0 - ISCHEMIA_APD_SHORTENING * severity), apd)
    rest = np.where(ischemic, ISCHEMIA_REST_RISE * severity, rest)
    return Bunch(tau=tau, apd=apd, amplitude=amplitude, rest=rest, in_region=in_region)


def _scar_border(template, tau, apd, severity):
    """Activation and APD of a scar's elements: those of its border with living muscle.

    A passive scar carries no double layer; the living myocardium around it is
    closed by its border with the scar, which has the potential of the muscle
    next to it. By the solid-angle theorem, that border is equivalent to the
    scar's own epicardial and endocardial elements carrying the border's
    potential: one activation time and one APD through the wall (their mean), so
    the region loses its transmural dipole (Q waves) and stays uniform during the
    plateau (an isoelectric ST, as in a healed infarct). ``severity`` (0 to 1)
    is the transmural extent: it blends each element toward the border.
    """
    mate = np.arange(len(template.layer))  # the other layer's element of each patch
    epi = np.flatnonzero(template.layer == EPI)
    mate[epi] = template.partner[epi]
    mate[template.partner[epi]] = epi
    tau = tau + severity * ((tau + tau[:, mate]) / 2.0 - tau)
    apd = apd + severity * ((apd + apd[:, mate]) / 2.0 - apd)
    return tau, apd


def activation_times(template, tissue, positions, sites, site_delay):
    """Activation time ``(n, E)`` of every element, before centring.

    An element is reached from each site through the Purkinje network of the
    site's chamber where that network covers it (below ``PURKINJE_HEIGHT``, then
    through myocardium to the base), otherwise through myocardium; and through
    the wall from its endocardial partner.
    """
    distance = np.linalg.norm(positions[:, :, None, :] - sites[:, None, :, :], axis=-1)
    covered = template.purkinje[:, None] == SITE_BRANCH[None, :]
    slow = tissue.velocity[:, None, None]
    basal = np.clip(template.height - PURKINJE_HEIGHT, 0.0, None)[None, :, None] * BASE_LENGTH
    arrival = site_delay[:, None, :] + np.where(
        covered, distance / tissue.purkinje[:, None, None] + basal / slow, distance / slow
    )
    arrival = np.where(tissue.site_active[:, None, :], arrival, np.inf).min(axis=-1)
    thickness = np.linalg.norm(positions - positions[:, template.partner], axis=-1)
    return np.minimum(arrival, arrival[:, template.partner] + thickness / tissue.velocity[:, None])


def beat_times(rng, props, rr, subject):
    """Per-beat activation and repolarisation times ``(n_beats, E)`` with restitution and jitter."""
    shape = (len(subject), props.tau.shape[1])
    tau = props.tau[subject] + rng.normal(0.0, TIMING_JITTER, shape)
    apd = props.apd[subject] * (rr[:, None] ** RESTITUTION_EXPONENT)
    rho = tau + apd + rng.normal(0.0, APD_JITTER, shape)
    return tau, rho


def transmembrane(times, tau, rho, amplitude, rest, epsilon, dtype=np.float32):
    """``V`` and the upstroke's ``dV/dt`` of every element, ``(rows, E, T)``, in ``dtype``.

    The upstroke rate drives the silent (vortex) currents, which flow while the
    activation wave crosses a patch.

    Parameters
    ----------
    times : ndarray of shape (T,) or (rows, T)
        Seconds relative to the R peak, shared by the rows or per row.
    tau, rho, amplitude, rest : ndarray of shape (rows, E)
    epsilon : ndarray of shape (rows,)
    """
    dtype = np.dtype(dtype).type
    t = np.asarray(times, dtype=dtype)
    t = t[:, None, :] if t.ndim == 2 else t
    # logistic s(x) = (1 + tanh(x / 2)) / 2: one fast SIMD pass per curve
    up = np.subtract(t / dtype(2 * UPSTROKE), (tau / (2 * UPSTROKE)).astype(dtype)[..., None])
    np.tanh(up, out=up)
    scale = (1.0 / (2.0 * epsilon)).astype(dtype)[:, None, None]
    down = np.subtract(t * scale, (rho[..., None] * scale).astype(dtype))
    np.tanh(down, out=down)
    half = (amplitude / 2).astype(dtype)[..., None]
    np.subtract(up, down, out=down)
    down *= half
    down += rest.astype(dtype)[..., None]
    # d/dt of A (1 + tanh(x/2)) / 2 is A (1 - tanh^2) / (4 delta)
    np.square(up, out=up)
    np.subtract(dtype(1.0), up, out=up)
    up *= half / dtype(2 * UPSTROKE)
    return down, up


def cycle_mean(tau, rho, amplitude, rest, rr):
    """Mean of each element's ``V`` over one cardiac cycle: ``A (rho - tau) / RR + V_rest``.

    Exact for the logistic curves (the difference of two shifted logistic steps
    integrates to the shift); this is what an AC-coupled amplifier removes.
    """
    return amplitude * (rho - tau) / rr[:, None] + rest
