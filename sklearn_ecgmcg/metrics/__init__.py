"""Evaluation metrics and scorers for cross-modal retrieval and virtual MCG.

Retrieval metrics (:mod:`._retrieval`) take paired embeddings ``z_query`` and
``z_gallery`` of shape ``(n_samples, n_components)`` where row ``i`` of both is the
same heartbeat. Virtual-MCG metrics (:mod:`._regression`, :mod:`._field_maps`) take
measured and predicted MCG ``y_true`` and ``y_pred`` of shape ``(n_samples,
n_channels, n_times)`` in pT. Scorers for ``scoring=`` in model selection are built by
:func:`make_retrieval_scorer` and :func:`make_virtual_mcg_scorer`.

:func:`find_rt_peaks` lives in :mod:`sklearn_ecgmcg.preprocessing`; it is also
importable from here, where it was first.
"""

from ..preprocessing._peaks import find_rt_peaks  # noqa: F401  (kept importable here)
from ._field_maps import field_map_angle_error, field_map_poles
from ._regression import channel_correlation, virtual_mcg_r2
from ._retrieval import (
    mean_reciprocal_rank,
    retrieval_accuracy,
    retrieval_ranks,
    retrieval_report,
    subject_retrieval_accuracy,
)
from ._scorers import make_retrieval_scorer, make_virtual_mcg_scorer

__all__ = [
    "retrieval_ranks",
    "retrieval_accuracy",
    "subject_retrieval_accuracy",
    "mean_reciprocal_rank",
    "retrieval_report",
    "virtual_mcg_r2",
    "channel_correlation",
    "field_map_poles",
    "field_map_angle_error",
    "make_retrieval_scorer",
    "make_virtual_mcg_scorer",
]
