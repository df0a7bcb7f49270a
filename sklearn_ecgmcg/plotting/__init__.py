"""Figures for ECG, MCG, field maps, retrieval and training.

Every function takes plain arrays (or a fitted estimator for
:func:`plot_training_curves`) and returns the :class:`matplotlib.figure.Figure`
it drew on. Single-panel functions draw into ``ax`` when one is given;
multi-panel functions draw into ``fig`` (a figure or sub-figure).

Spatial plots use the anterior view of the Frank / Dower axes (see
``docs/user_guide``): the viewer faces the chest, so ``x`` (the subject's left)
grows to the right and ``y`` (toward the feet) grows downward.

matplotlib is an optional dependency: ``pip install "sklearn_ecgmcg[plot]"``.
"""

from ._field_maps import plot_field_map
from ._latent import plot_latent, plot_similarity_matrix
from ._signals import plot_butterfly, plot_ecg_12lead, plot_virtual_mcg
from ._training import plot_training_curves

__all__ = [
    "plot_field_map",
    "plot_butterfly",
    "plot_ecg_12lead",
    "plot_virtual_mcg",
    "plot_similarity_matrix",
    "plot_latent",
    "plot_training_curves",
]
