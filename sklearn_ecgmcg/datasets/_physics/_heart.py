"""Heart geometry for the equivalent double layer (physics.md section 8).

The ventricles are two thick-walled ellipsoidal shells, LV and RV. Each shell is
cut into patches (a Fibonacci lattice of directions); every patch has an
epicardial and an endocardial *element*, so ``n_patches`` patches give
``2 * n_patches`` elements, each with a centre, an area-weighted outward normal of
the myocardium (``w n``: out of the heart on the epicardium, into the cavity on the
endocardium) and its place on the template (chamber, layer, apico-basal height,
region). Per subject the shells are scaled, thickened (LVH), rotated and moved.

Axes (Frank / Dower): x subject's left, y toward the feet, z toward the back;
metres. Sizes and directions are engineering estimates of an adult heart
(LV long semi-axis 4.5 cm, short 2.8 cm, wall 1 cm; RV wall 4 mm).
"""

import numpy as np
from sklearn.utils import Bunch

from ._dipole import random_rotations

LV, RV = 0, 1
ENDO, EPI, RING = 0, 1, 2
BASE_CUT = -0.5  # valve plane: long-axis component of the cut, from the centre
LV_SHARE = 2.0 / 3.0  # of the patches, by surface area
LV_EPI_SEMI_AXES = np.array([0.045, 0.028, 0.028])  # long (toward apex), then two short
RV_EPI_SEMI_AXES = np.array([0.040, 0.020, 0.030])
RV_CENTRE_LOCAL = np.array([-0.004, 0.022, -0.004])  # from the LV centre, toward the RV
LV_WALL = 0.010
RV_WALL = 0.004


def _unit(vectors):
    vectors = np.asarray(vectors, dtype=float)
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _heart_axes():
    """Columns: the long axis (base to apex), toward the RV, and their cross product.

    The apex points left, down and forward; the RV lies right-anterior of the LV.
    """
    apex = _unit([0.45, 0.75, -0.5])
    toward_rv = np.array([-0.6, 0.0, -0.8])
    toward_rv = _unit(toward_rv - (toward_rv @ apex) * apex)
    return np.column_stack([apex, toward_rv, np.cross(apex, toward_rv)])


HEART_AXES = _heart_axes()

# Breakthrough sites (Durrer 1970): the bundle branch that feeds each, then the
# surface it sits on (chamber and layer) and its direction there (local axes: long,
# toward the RV, third). LV mid septum, LV antero- and postero-paraseptal; the RV
# side of the septum (the LV's epicardium facing the RV cavity) and the RV
# anterior free wall (moderator band).
SITES = (
    (LV, LV, ENDO, [0.1, 1.0, 0.0]),
    (LV, LV, ENDO, [0.2, 0.5, -0.85]),
    (LV, LV, ENDO, [0.2, 0.5, 0.85]),
    (RV, LV, EPI, [0.15, 1.0, 0.1]),
    (RV, RV, ENDO, [0.3, 0.6, -0.75]),
)
SITE_BRANCH = np.array([site[0] for site in SITES])
REGIONS = ("anterior", "inferior", "lateral")


def fibonacci_directions(n, lowest=-1.0):
    """``n`` equal-area unit vectors with long-axis component above ``lowest``."""
    k = np.arange(n) + 0.5
    along = 1.0 - (1.0 - lowest) * k / n
    azimuth = np.pi * (1.0 + 5.0**0.5) * k
    across = np.sqrt(1.0 - along**2)
    return np.column_stack([along, across * np.cos(azimuth), across * np.sin(azimuth)])


def _ring_directions(n):
    across = np.sqrt(1.0 - BASE_CUT**2)
    azimuth = 2.0 * np.pi * (np.arange(n) + 0.5) / n
    return np.column_stack(
        [np.full(n, BASE_CUT), across * np.cos(azimuth), across * np.sin(azimuth)]
    )


def _inside(chamber, local):
    """Whether local points lie inside ``chamber``'s nominal epicardium."""
    centre, axes = (0.0, LV_EPI_SEMI_AXES) if chamber == LV else (RV_CENTRE_LOCAL, RV_EPI_SEMI_AXES)
    return np.sum(((local - centre) / axes) ** 2, axis=-1) < 1.0


def _outside_other_chamber(chamber, directions):
    if chamber == LV:
        return directions
    return directions[~_inside(LV, RV_CENTRE_LOCAL + directions * RV_EPI_SEMI_AXES)]


def patch_template(n_patches):
    """Elements of the template heart, independent of the subject.

    Each chamber is an ellipsoidal shell cut at the valve plane (long-axis
    component ``BASE_CUT``): its myocardium is bounded by the epicardium, the
    endocardium and the basal ring between them, one closed surface.

    Returns
    -------
    template : Bunch
        ``direction (E, 3)`` unit vector of each element on its ellipsoid (local
        axes); ``chamber``, ``layer`` (``ENDO``, ``EPI`` or ``RING``), ``partner``
        (the endocardial element of the same patch), ``purkinje`` (the chamber
        whose Purkinje network reaches the element, -1 for none), ``surface`` (the closed
        surface, one per chamber), each ``(E,)`` ints; ``height`` ``(E,)``, 0 at
        the apex, 1 at the valve plane; ``weight`` ``(E,)``, the element's share of
        its ellipsoid's solid angle; ``region`` ``(n_regions, E)`` bools, names in
        ``REGIONS`` (LV walls only).
    """
    n_lv = int(round(LV_SHARE * n_patches))
    blocks = []
    for chamber, count in ((LV, n_lv), (RV, n_patches - n_lv)):
        # the RV wraps the LV: its part inside the LV is the septum, which the LV holds
        directions = _outside_other_chamber(chamber, fibonacci_directions(count, BASE_CUT))
        n_ring = max(3, count // 4)
        solid_angle = 2.0 * np.pi * (1.0 - BASE_CUT) / count
        blocks += [
            (directions, chamber, EPI, solid_angle),
            (directions, chamber, ENDO, solid_angle),
            (_ring_directions(n_ring), chamber, RING, 0.0),
        ]
    sizes = [len(b[0]) for b in blocks]
    direction = np.vstack([b[0] for b in blocks])
    chamber, layer, weight = (np.repeat([b[i] for b in blocks], sizes) for i in (1, 2, 3))
    starts = np.cumsum([0] + sizes[:-1])
    partner = np.concatenate(
        [np.arange(size) + starts[i + (b[2] == EPI)] for i, (b, size) in enumerate(zip(blocks, sizes))]
    )
    body = direction @ HEART_AXES.T  # nominal body-frame direction from the chamber centre
    wall = (chamber == LV) & (layer != RING)
    region = np.array(
        [
            wall & (body[:, 2] < -0.35),  # anterior: facing the chest wall
            wall & (body[:, 1] > 0.35) & (body[:, 2] > -0.35),  # inferior: facing the diaphragm
            wall & (body[:, 0] > 0.55),  # lateral: facing the left side
        ]
    )
    # Purkinje network reaching each element: its chamber's endocardium (and the
    # basal ring, through the basal myocardium), and the LV septal wall facing the
    # RV cavity (the RV's septal endocardium)
    purkinje = np.where(layer == EPI, -1, chamber)
    septal = (chamber == LV) & (layer == EPI) & _inside(RV, direction * LV_EPI_SEMI_AXES)
    purkinje[septal] = RV
    return Bunch(
        direction=direction, chamber=chamber, layer=layer, surface=chamber, partner=partner,
        purkinje=purkinje,
        height=(1.0 - direction[:, 0]) / (1.0 - BASE_CUT), weight=weight, region=region,
        n_surfaces=2,
    )


def semi_axes(template, size, lv_wall, lv_dilation):
    """Semi-axes ``(n, E, 3)`` of each element's ellipsoid and its chamber centre ``(n, E, 3)``.

    ``size`` scales the whole heart; ``lv_wall`` (m) thickens the LV wall and
    ``lv_dilation`` scales the LV outer shell (LVH), both per subject. Ring
    elements sit at mid-wall.
    """
    n = len(size)
    epi = np.where(
        (template.chamber == LV)[:, None],
        LV_EPI_SEMI_AXES * lv_dilation[:, None, None],
        np.broadcast_to(RV_EPI_SEMI_AXES, (n, len(template.chamber), 3)),
    )
    wall = np.where(template.chamber == LV, lv_wall[:, None], RV_WALL)
    depth = np.select([template.layer == ENDO, template.layer == RING], [1.0, 0.5], 0.0)
    axes = epi - (wall * depth)[..., None]
    centre = np.where((template.chamber == RV)[:, None], RV_CENTRE_LOCAL, 0.0)
    return axes * size[:, None, None], np.broadcast_to(centre, axes.shape) * size[:, None, None]


def place_elements(template, anatomy):
    """Element centres ``(n, E, 3)`` and area-weighted outward normals ``w n (n, E, 3)``.

    On an ellipsoid ``x = D u`` (``D`` the semi-axes), an element covering solid
    angle ``Omega`` of the unit sphere has area ``Omega det D |D^-1 u|`` and normal
    ``D^-1 u / |D^-1 u|``, so ``w n = Omega det D D^-1 u``; on the endocardium the
    normal of the myocardium points into the cavity. The basal ring closes each
    chamber's surface: its elements share ``-sum w n`` of the walls, so
    ``sum w n = 0`` exactly over every closed surface.
    """
    axes, centre = semi_axes(template, anatomy.size, anatomy.lv_wall, anatomy.lv_dilation)
    u = template.direction
    local = centre + axes * u
    sign = np.where(template.layer == ENDO, -1.0, 1.0)
    wn = (template.weight * sign)[:, None] * np.prod(axes, axis=-1, keepdims=True) * u / axes
    for s in range(template.n_surfaces):
        ring = (template.surface == s) & (template.layer == RING)
        closing = -wn[:, template.surface == s].sum(axis=1, keepdims=True)
        wn[:, ring] = closing / ring.sum()
    frame = anatomy.rotation @ HEART_AXES  # (n, 3, 3): local -> body
    position = anatomy.position[:, None, :] + np.einsum("nij,nej->nei", frame, local)
    return position, np.einsum("nij,nej->nei", frame, wn)


def site_positions(anatomy, site_directions):
    """Breakthrough-site positions ``(n, n_sites, 3)``."""
    n = len(anatomy.size)
    surfaces = Bunch(chamber=np.array([s[1] for s in SITES]), layer=np.array([s[2] for s in SITES]))
    axes, centre = semi_axes(surfaces, anatomy.size, anatomy.lv_wall, anatomy.lv_dilation)
    local = centre + axes * _unit(site_directions)
    frame = anatomy.rotation @ HEART_AXES
    return anatomy.position[:, None, :] + np.einsum("nij,nej->nei", frame, local.reshape(n, -1, 3))


def draw_anatomy(rng, n, heart_centre, lvh):
    """Per-subject anatomy: heart size, position, orientation, LV wall, torso scale, lift-off.

    Parameters
    ----------
    rng : Generator
    n : int
    heart_centre : ndarray of shape (3,)
        Nominal LV centre in metres.
    lvh : ndarray of shape (n,) of bool
        Subjects with left-ventricular hypertrophy (thicker, larger LV).
    """
    size = rng.uniform(0.9, 1.1, n)
    lv_wall = np.where(lvh, rng.uniform(0.014, 0.018, n), rng.uniform(0.009, 0.011, n))
    return Bunch(
        size=size,
        lv_wall=lv_wall,
        lv_dilation=np.where(lvh, rng.uniform(1.1, 1.2, n), 1.0),
        position=heart_centre + rng.uniform(-0.015, 0.015, (n, 3)),
        rotation=random_rotations(rng, n, 0.0, 20.0),
        torso_scale=rng.uniform(0.9, 1.15, n),
        lift_off=rng.uniform(-0.005, 0.005, n),
        site_directions=np.array([site[3] for site in SITES]) + rng.normal(0.0, 0.15, (n, len(SITES), 3)),
        site_delay=rng.uniform(0.0, 0.008, (n, len(SITES))),
    )
