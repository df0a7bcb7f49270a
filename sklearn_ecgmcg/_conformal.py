"""Split-conformal prediction intervals for :class:`~sklearn_ecgmcg.LatentProjector`.

Locally adaptive split conformal regression (Lei et al., 2018, "Distribution-free
predictive inference for regression", section 5.2; Papadopoulos et al., 2008):
the conformity score of a calibration sample is its absolute residual divided by
a difficulty ``s(x)`` that depends on the input only,

    score_i = |y_i - y_hat(x_i)| / s(x_i),

one score per output (channel and time sample). The interval of a new input is
``y_hat(x) +/- q * s(x)``, with ``q`` the ``ceil((1 - alpha) (n + 1))``-th smallest
of the ``n`` calibration scores of that output. Because ``s`` is a fixed function
of the latent (it depends on the training latents, never on the calibration
targets), the calibration and test scores are exchangeable whenever the samples
are, and each output's interval covers with probability at least ``1 - alpha``
(marginally, over calibration set and test sample).

The difficulty is the latent's novelty: ``s(x) = 1 + d(x) / d_ref``, where
``d(x)`` is the mean Euclidean distance from the standardised latent to its
``N_NEIGHBORS`` nearest training latents and ``d_ref`` the median of the same
distance from each training latent to the others. An in-distribution latent has
``s`` near 2; a latent far from every training latent (a condition absent in
training) has a larger ``s`` and so a wider interval. The constant 1 keeps
intervals from collapsing on latents that sit on top of training ones, where the
residual is still the noise.
"""

import math
from numbers import Real

import numpy as np
from sklearn.neighbors import NearestNeighbors

# Neighbours averaged in the novelty distance.
N_NEIGHBORS = 10
# Training latents kept as the novelty reference (evenly spaced rows, so every
# subject of a subject-ordered training set is represented, without randomness).
MAX_REFERENCE = 1000


def novelty_reference(latents):
    """Training latents kept for the novelty and their typical neighbour distance.

    Parameters
    ----------
    latents : ndarray of shape (n_samples, n_features) or (n_samples, n_features, n_times)
        Standardised training latents.

    Returns
    -------
    reference : ndarray of shape (n_reference, n_features * n_times), float32
        At most ``MAX_REFERENCE`` training latents, flattened.
    scale : float
        Median over the reference of the mean distance to the nearest other
        reference latents (``d_ref``).
    """
    flat = latents.reshape(len(latents), -1)
    rows = np.unique(np.linspace(0, len(flat) - 1, min(len(flat), MAX_REFERENCE)).astype(int))
    reference = np.ascontiguousarray(flat[rows], dtype=np.float32)
    n_neighbors = min(N_NEIGHBORS, len(reference) - 1)
    neighbors = NearestNeighbors(n_neighbors=n_neighbors + 1).fit(reference)
    distances, _ = neighbors.kneighbors(reference)
    # Column 0 is the latent itself (or a duplicate at distance 0): left out.
    scale = float(np.median(distances[:, 1:].mean(axis=1)))
    return reference, scale if scale > 0 else 1.0


def interval_scale(latents, reference, scale):
    """The difficulty ``s(x) = 1 + d(x) / d_ref`` of each standardised latent.

    Parameters
    ----------
    latents : ndarray of shape (n_samples, ...)
        Standardised latents, shaped as at ``fit``.
    reference, scale : ndarray, float
        What :func:`novelty_reference` returned.

    Returns
    -------
    s : ndarray of shape (n_samples,)
        At least 1.
    """
    flat = latents.reshape(len(latents), -1).astype(np.float32, copy=False)
    n_neighbors = min(N_NEIGHBORS, len(reference))
    distances, _ = NearestNeighbors(n_neighbors=n_neighbors).fit(reference).kneighbors(flat)
    return 1.0 + distances.mean(axis=1).astype(np.float64) / scale


def conformity_scores(y, y_pred, s):
    """Normalised absolute residuals, sorted along the samples (axis 0).

    Parameters
    ----------
    y, y_pred : ndarray of shape (n_samples, *output_shape)
        Calibration targets and predictions.
    s : ndarray of shape (n_samples,)
        Difficulty of each calibration latent (all ones for constant intervals).

    Returns
    -------
    scores : ndarray of shape (n_samples, *output_shape)
        Sorted per output, float64.
    """
    s = s.reshape((len(s),) + (1,) * (y.ndim - 1))
    return np.sort(np.abs(y - y_pred) / s, axis=0)


def check_alpha(alpha):
    """Validate a miscoverage level: a real number strictly between 0 and 1."""
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(
            f"alpha must be a number strictly between 0 and 1 (the miscoverage: 0.1 "
            f"asks for 90 % intervals); got {alpha!r}."
        )
    return float(alpha)


def conformal_quantile(sorted_scores, alpha):
    """Per-output score quantile ``q`` for intervals of coverage ``1 - alpha``.

    Parameters
    ----------
    sorted_scores : ndarray of shape (n_calibration, *output_shape)
        What :func:`conformity_scores` returned.
    alpha : float
        Miscoverage level in (0, 1).

    Returns
    -------
    q : ndarray of shape ``output_shape``
        The ``ceil((1 - alpha) (n + 1))``-th smallest score of each output.

    Raises
    ------
    ValueError
        When ``n_calibration`` is too small for ``alpha`` (the rank exceeds n:
        the interval would have to be infinite).
    """
    n = len(sorted_scores)
    rank = math.ceil((1 - alpha) * (n + 1) - 1e-9)
    if rank > n:
        needed = math.ceil((1 - alpha) / alpha - 1e-9)
        raise ValueError(
            f"alpha={alpha} needs at least {needed} calibration samples "
            f"(ceil((1 - alpha) * (n + 1)) <= n), but the projector was calibrated "
            f"on {n}. Calibrate on more held-out beats or ask for a larger alpha."
        )
    return sorted_scores[rank - 1]
