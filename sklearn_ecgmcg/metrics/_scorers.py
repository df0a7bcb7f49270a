"""Scorers for ``scoring=`` in model selection: retrieval and virtual MCG.

Built by :func:`make_retrieval_scorer` and :func:`make_virtual_mcg_scorer` for
:class:`~sklearn.model_selection.GridSearchCV` and
:func:`~sklearn.model_selection.cross_validate`.
"""

import numpy as np
from sklearn.metrics import make_scorer
from sklearn.pipeline import Pipeline
from sklearn.utils import check_array
from sklearn.utils.metadata_routing import MetadataRequest

from ..preprocessing._peaks import check_t_window
from ..utils import check_positive_int, check_sfreq
from ._field_maps import check_pole_fraction, check_sensor_positions, field_map_angle_error
from ._regression import channel_correlation, virtual_mcg_r2
from ._retrieval import check_metric, retrieval_accuracy, subject_retrieval_accuracy

__all__ = ["make_retrieval_scorer", "make_virtual_mcg_scorer"]

_DIRECTIONS = ("ecg_to_mcg", "mcg_to_ecg")
_LEVELS = ("beat", "subject")


def _paired_latents(estimator, X, y):
    """``(ecg_latent, mcg_latent)`` from an aligner or a Pipeline through one.

    In a Pipeline the aligner is the last step with ``transform``: steps after it
    without one (a ``LatentProjector`` predicting virtual MCG) are not used.
    """
    if isinstance(estimator, Pipeline):
        n_steps = len(estimator)
        while n_steps > 1 and not hasattr(estimator[n_steps - 1], "transform"):
            n_steps -= 1
        if n_steps > 1:
            X = estimator[: n_steps - 1].transform(X)
        estimator = estimator[n_steps - 1]
    # The protocol: retrieval_latents(X, y) where an estimator has it (the aligner's
    # pooled latents, whatever its transform returns), else transform(X, y).
    paired = getattr(estimator, "retrieval_latents", None) or estimator.transform
    latents = paired(X, y)
    if not (isinstance(latents, tuple) and len(latents) == 2):
        raise TypeError(
            f"{type(estimator).__name__}.{paired.__name__}(X, y) must return a pair "
            "(ecg_latent, mcg_latent) for retrieval scoring; got "
            f"{type(latents).__name__}."
        )
    return latents


class _RetrievalScorer:
    """Scorer ``scorer(estimator, X, y, groups=None)`` for cross-modal aligners."""

    def __init__(self, k, direction, level, metric):
        self.k = k
        self.direction = direction
        self.level = level
        self.metric = metric

    def __call__(self, estimator, X, y, groups=None):
        z_ecg, z_mcg = _paired_latents(estimator, X, y)
        query, gallery = (z_ecg, z_mcg) if self.direction == "ecg_to_mcg" else (z_mcg, z_ecg)
        if self.level == "beat":
            return retrieval_accuracy(query, gallery, k=self.k, metric=self.metric)
        if groups is None:
            raise ValueError(
                "A subject-level retrieval scorer needs groups. Enable metadata "
                "routing (sklearn.set_config(enable_metadata_routing=True)) and pass "
                "groups through params={'groups': groups} in cross_validate or "
                "GridSearchCV.fit; the scorer requests them."
            )
        return subject_retrieval_accuracy(
            query, gallery, groups, k=self.k, metric=self.metric
        )

    def get_metadata_routing(self):
        """Metadata request: a subject-level scorer asks for ``groups`` at score."""
        request = MetadataRequest(owner=self)
        if self.level == "subject":
            request.score.add_request(param="groups", alias=True)
        return request

    def __repr__(self):
        return (
            f"make_retrieval_scorer(k={self.k}, direction={self.direction!r}, "
            f"level={self.level!r}, metric={self.metric!r})"
        )


def make_retrieval_scorer(*, k=1, direction="ecg_to_mcg", level="beat", metric="cosine"):
    """Make a top-``k`` retrieval scorer for ``scoring=`` in model selection.

    The scorer calls ``estimator.retrieval_latents(X, y)`` when the estimator has
    that method (:meth:`CrossModalAligner.retrieval_latents
    <sklearn_ecgmcg.CrossModalAligner.retrieval_latents>`: the pooled latents its
    loss compares, whatever ``latent`` says), else ``estimator.transform(X, y)``;
    either must return ``(ecg_latent, mcg_latent)`` with ``X`` ECG and ``y`` MCG.
    It scores the top-``k`` retrieval accuracy on those pairs.
    For a :class:`~sklearn.pipeline.Pipeline`, ``X`` goes through the steps
    before the aligner, which is the last step with ``transform`` (``y`` is passed
    to it untouched, as in ``Pipeline.fit``); later steps without ``transform``,
    such as a :class:`~sklearn_ecgmcg.LatentProjector`, are not used, so one
    pipeline is scored for both retrieval and virtual MCG.

    Parameters
    ----------
    k : int, default=1
        Number of best-scoring gallery items that count as a hit.
    direction : {"ecg_to_mcg", "mcg_to_ecg"}, default="ecg_to_mcg"
        Which latent queries and which is searched.
    level : {"beat", "subject"}, default="beat"
        ``"beat"``: is the true pair among the top ``k``;
        ``"subject"``: is an item of the query's subject among the top ``k``.
        The subject-level scorer needs ``groups``, which scikit-learn passes to a
        scorer only with metadata routing enabled: call
        ``sklearn.set_config(enable_metadata_routing=True)`` and pass
        ``params={"groups": groups}`` to ``cross_validate`` or
        ``GridSearchCV.fit`` (the scorer requests ``groups`` itself; an
        estimator whose ``fit`` accepts ``groups`` also needs
        ``set_fit_request(groups=...)``). Without groups it raises a ValueError;
        :func:`subject_retrieval_accuracy` works everywhere.
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity used to rank the gallery.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, groups=None) -> float``, greater is better.

    Examples
    --------
    >>> from sklearn_ecgmcg.metrics import make_retrieval_scorer
    >>> make_retrieval_scorer(k=5, direction="mcg_to_ecg")
    make_retrieval_scorer(k=5, direction='mcg_to_ecg', level='beat', metric='cosine')
    """
    k = check_positive_int(k, name="k")
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be one of {_DIRECTIONS}; got {direction!r}.")
    if level not in _LEVELS:
        raise ValueError(f"level must be one of {_LEVELS}; got {level!r}.")
    check_metric(metric)
    return _RetrievalScorer(k, direction, level, metric)


_VIRTUAL_MCG_SCORERS = ("r2", "channel_correlation", "neg_angle_r_peak", "neg_angle_t_peak")


def make_virtual_mcg_scorer(
    name, *, sensor_positions=None, sfreq=None, t_window=(0.1, 0.45), pole_fraction=0.5
):
    """Make a scorer of ``estimator.predict(X)`` against measured MCG ``y``.

    Parameters
    ----------
    name : {"r2", "channel_correlation", "neg_angle_r_peak", "neg_angle_t_peak"}
        ``"r2"``: :func:`virtual_mcg_r2` with its default variance-weighted
        average over channels and time samples (what
        :meth:`LatentProjector.score <sklearn_ecgmcg.LatentProjector.score>`
        returns); ``"channel_correlation"``: mean of
        :func:`channel_correlation` over channels; ``"neg_angle_r_peak"`` and
        ``"neg_angle_t_peak"``: minus the mean :func:`field_map_angle_error` at
        that latency (negated like scikit-learn's ``neg_*`` scorers, so greater
        is better everywhere).
    sensor_positions : array-like of shape (n_channels, 2) or (n_channels, 3), \
            default=None
        Needed by the angle scorers.
    sfreq : float, default=None
        Sampling rate in Hz; needed by ``"neg_angle_t_peak"``.
    t_window : tuple of float, default=(0.1, 0.45)
        T-peak search window in seconds after the R peak.
    pole_fraction : float in [0, 1), default=0.5
        Pole definition, see :func:`field_map_poles`.

    Returns
    -------
    scorer : callable
        A scikit-learn scorer from :func:`sklearn.metrics.make_scorer`,
        ``scorer(estimator, X, y) -> float``.
    """
    if name not in _VIRTUAL_MCG_SCORERS:
        raise ValueError(f"name must be one of {_VIRTUAL_MCG_SCORERS}; got {name!r}.")
    if name == "r2":
        return make_scorer(virtual_mcg_r2, multioutput="variance_weighted")
    if name == "channel_correlation":
        return make_scorer(channel_correlation, multioutput="uniform_average")
    if sensor_positions is None:
        raise ValueError(f"The {name!r} scorer needs sensor_positions.")
    positions = check_array(sensor_positions, dtype=np.float64, input_name="sensor_positions")
    positions = check_sensor_positions(positions, n_channels=positions.shape[0])
    latency = "r_peak" if name == "neg_angle_r_peak" else "t_peak"
    if latency == "t_peak":
        if sfreq is None:
            raise ValueError("The 'neg_angle_t_peak' scorer needs sfreq (Hz).")
        sfreq = check_sfreq(sfreq)
        t_window = check_t_window(t_window)
    return make_scorer(
        field_map_angle_error,
        greater_is_better=False,
        sensor_positions=positions,
        latency=latency,
        sfreq=sfreq,
        t_window=t_window,
        pole_fraction=check_pole_fraction(pole_fraction),
    )
