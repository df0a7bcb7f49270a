"""Embed one modality, or both, with a fitted aligner as a pipeline step (:class:`LatentEncoder`)."""

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils import check_signals

__all__ = ["LatentEncoder"]


class LatentEncoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Embed ECG alone, MCG alone, or both with a fitted aligner, as a pipeline step.

    :class:`~sklearn_ecgmcg.CrossModalAligner`'s own ``transform(X)`` embeds ECG.
    This transformer picks the modality its input holds, so the same fitted aligner
    can feed any scikit-learn model from MCG beats, or from both recordings of a
    beat (the fused latent of :meth:`CrossModalAligner.encode`).

    The aligner is used as fitted: :meth:`fit` never refits it and
    :func:`~sklearn.base.clone` (so cross-validation and grid search) shares it
    instead of copying it unfitted, as :class:`~sklearn.frozen.FrozenEstimator`
    does. Wrapping it in a ``FrozenEstimator`` is accepted too.

    Parameters
    ----------
    aligner : CrossModalAligner or FrozenEstimator
        A fitted aligner (anything with ``encode(ecg=None, mcg=None)``).
    modality : {"ecg", "mcg", "both"}, default="mcg"
        What ``X`` holds:

        - ``"ecg"``: ECG beats shaped as the aligner's ``X`` at fit;
        - ``"mcg"``: MCG beats shaped as the aligner's ``y`` at fit;
        - ``"both"``: ECG and MCG of the same beats stacked along the channel
          axis, ECG first: ``np.concatenate([ecg, mcg], axis=1)``, shape
          ``(n_samples, n_ecg_channels + n_mcg_channels, n_times)``; both must
          have the same number of time samples.

    Attributes
    ----------
    n_features_in_ : int
        ``n_channels * n_times`` of the input.
    n_ecg_channels_ : int
        ECG channels the aligner expects (where ``"both"`` splits ``X``).

    See Also
    --------
    sklearn_ecgmcg.CrossModalAligner.encode : The latents returned.

    Examples
    --------
    Diagnose from MCG alone with an aligner fitted on paired beats (the default,
    time-resolved latent is 3-D, so a :class:`~sklearn_ecgmcg.preprocessing.Flattener`
    hands it to the classifier)::

        from sklearn.base import clone
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn_ecgmcg.preprocessing import Flattener

        aligner = CrossModalAligner().fit(ecg_beats, mcg_beats)
        probe = make_pipeline(Flattener(), StandardScaler(), LogisticRegression(C=0.1))
        from_mcg = make_pipeline(LatentEncoder(aligner, modality="mcg"), probe)
        cross_val_score(from_mcg, mcg_beats, labels, groups=subjects,
                        cv=GroupKFold(5))

        # From ECG alone: the aligner's transform is the ECG latent.
        from_ecg = make_pipeline(FrozenEstimator(aligner), clone(probe))

        # From both recordings of each beat (fused latent).
        both = np.concatenate([ecg_beats, mcg_beats], axis=1)
        from_both = make_pipeline(LatentEncoder(aligner, modality="both"), clone(probe))

    Fit the aligner on subjects kept out of the evaluation, or its latents carry
    what it learned from the test subjects.
    """

    _parameter_constraints = {
        "aligner": [HasMethods(["encode"])],
        "modality": [StrOptions({"ecg", "mcg", "both"})],
    }

    def __init__(self, aligner, modality="mcg"):
        self.aligner = aligner
        self.modality = modality

    def __sklearn_clone__(self):
        # Clones share the fitted aligner: it is this step's fixed model, not a parameter
        # to refit, and an unfitted copy could not encode anything.
        return type(self)(aligner=self.aligner, modality=self.modality)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check that the aligner is fitted and that ``X`` has the shape it expects.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, n_times)
            Beats of the modality given by ``modality``.
        y : None
            Ignored.

        Returns
        -------
        self : LatentEncoder
        """
        aligner = self._fitted_aligner()
        self.n_ecg_channels_ = aligner.n_channels_in_
        X = self._check_input(X, aligner)
        self.n_features_in_ = X.shape[1] * X.shape[2]
        return self

    def transform(self, X):
        """Embed ``X`` into the shared latent.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, n_times)
            Beats of the modality given by ``modality``, shaped as at ``fit``.

        Returns
        -------
        latent : ndarray of float32, shape (n_samples, embedding_dim)
            L2-normalised latent (fused for ``"both"``); with the aligner's
            ``latent="temporal"`` (its default), the feature map ``(n_samples,
            n_features, n_mcg_times)``, both towers' stacked for ``"both"``
            (:meth:`CrossModalAligner.encode`). ``get_feature_names_out()`` names
            its axis 1.
        """
        check_is_fitted(self, "n_features_in_")
        aligner = self._fitted_aligner()
        X = self._check_input(X, aligner)
        if self.modality == "ecg":
            return aligner.encode(ecg=X)
        if self.modality == "mcg":
            return aligner.encode(mcg=X)
        n_ecg = self.n_ecg_channels_
        return aligner.encode(ecg=X[:, :n_ecg], mcg=X[:, n_ecg:])

    def _fitted_aligner(self):
        aligner = self.aligner
        if isinstance(aligner, FrozenEstimator):
            aligner = aligner.estimator
        check_is_fitted(
            aligner,
            msg=(
                "LatentEncoder needs a fitted aligner: fit the CrossModalAligner on paired "
                "beats first; LatentEncoder never fits it."
            ),
        )
        return aligner

    def _check_input(self, X, aligner):
        X = check_signals(X, ensure_3d=True, dtype=np.float32, lazy=True)  # memory maps: not read
        ecg_shape = (aligner.n_channels_in_, aligner.n_times_in_)
        mcg_shape = (aligner.n_mcg_channels_, aligner.n_mcg_times_)
        expected = {"ecg": ecg_shape, "mcg": mcg_shape}.get(self.modality)
        if expected is None:  # "both": ECG and MCG stacked along the channel axis
            if ecg_shape[1] != mcg_shape[1]:
                raise ValueError(
                    f'modality="both" stacks ECG and MCG along the channel axis, so they '
                    f"need the same length; the aligner was fitted on {ecg_shape[1]} ECG "
                    f"and {mcg_shape[1]} MCG time samples."
                )
            expected = (ecg_shape[0] + mcg_shape[0], ecg_shape[1])
        if X.shape[1:] != expected:
            what = {
                "ecg": "ECG",
                "mcg": "MCG",
                "both": f"ECG + MCG stacked along the channel axis "
                f"({ecg_shape[0]} + {mcg_shape[0]} channels)",
            }[self.modality]
            raise ValueError(
                f'modality="{self.modality}" expects {what} beats of {expected[0]} channels '
                f"x {expected[1]} time samples, as the aligner was fitted on; got "
                f"{X.shape[1]} x {X.shape[2]}."
            )
        return X

    @property
    def _n_features_out(self):
        towers = {"ecg": ["ecg_tower"], "mcg": ["mcg_tower"], "both": ["ecg_tower", "mcg_tower"]}
        return self._fitted_aligner()._latent_width(towers[self.modality])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
