"""Inference from the two fitted towers: ECG, MCG or fused latents, and retrieval."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..metrics import retrieval_accuracy
from ..nn._towers import TowerFeatureMap
from ..utils import check_paired_signals, check_signals
from ._inputs import as_mcg_signal, unit_rows

__all__ = ["SharedLatentMixin"]


class SharedLatentMixin:
    """The shared-latent half of :class:`~sklearn_ecgmcg.CrossModalAligner`.

    Needs the fitted ``net_.module_`` with ``ecg_tower`` and ``mcg_tower``, the
    fitted input shapes and the ``latent`` parameter; provides ``transform``,
    ``encode``, ``score`` and ``retrieval_latents``.
    """

    def transform(self, X, y=None):
        """Embed ECG (and MCG) beats into the shared latent.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, n_times) or (n_samples, n_times)
            ECG beats shaped as at ``fit``.
        y : array-like of shape (n_samples, n_mcg_channels, n_mcg_times), default=None
            MCG beats shaped as at ``fit``, paired with ``X``.

        Returns
        -------
        z_ecg : ndarray of float32, shape (n_samples, embedding_dim)
            L2-normalised ECG latent; returned alone when ``y`` is None. With
            ``latent="temporal"``, the feature map ``(n_samples, n_features,
            n_mcg_times)``.
        z_mcg : ndarray of float32, shape (n_samples, embedding_dim)
            L2-normalised MCG latent (or feature map), returned as ``(z_ecg, z_mcg)``
            when ``y`` is given.

        Notes
        -----
        ``get_feature_names_out()`` names axis 1 of ``z_ecg``: the embedding's
        dimensions, or the feature map's channels (each a time series).
        """
        if y is None:
            return self.encode(ecg=X)
        check_is_fitted(self, "net_")
        X, y = check_paired_signals(X, as_mcg_signal(y), names=("X", "y"))
        return self.encode(ecg=X), self.encode(mcg=y)

    def encode(self, ecg=None, mcg=None):
        """ECG-only, MCG-only or fused latent.

        Parameters
        ----------
        ecg : array-like of shape (n_samples, n_channels, n_times), default=None
            ECG beats.
        mcg : array-like of shape (n_samples, n_mcg_channels, n_mcg_times), default=None
            MCG beats.

        Returns
        -------
        latent : ndarray of float32, shape (n_samples, embedding_dim)
            The L2-normalised latent of the modality given; with both, the fused
            latent: the normalised mean of the two unit latents. With
            ``latent="temporal"``, the modality's feature map ``(n_samples,
            n_features, n_mcg_times)``; with both, the two feature maps stacked
            along the feature axis, ECG first, ``(n_samples, n_ecg_features +
            n_mcg_features, n_mcg_times)`` (the towers' features are different
            filters, so they are concatenated, not averaged).
        """
        check_is_fitted(self, "net_")
        if ecg is None and mcg is None:
            raise ValueError("encode needs ecg, mcg or both; got neither.")
        temporal = self.latent == "temporal"
        latents = []
        if ecg is not None:
            latents.append(self._embed(ecg, self._latent_module("ecg_tower", temporal)))
        if mcg is not None:
            latents.append(self._embed_mcg(mcg, self._latent_module("mcg_tower", temporal)))
        if len(latents) == 1:
            return latents[0] if temporal else unit_rows(latents[0])
        if len(latents[0]) != len(latents[1]):
            raise ValueError(
                "ecg and mcg must hold the same number of paired beats; got "
                f"{len(latents[0])} and {len(latents[1])}."
            )
        if temporal:
            return np.concatenate(latents, axis=1)
        # The normalised sum is the normalised mean, without stacking the two latents.
        return unit_rows(unit_rows(latents[0]) + unit_rows(latents[1]))

    def _latent_width(self, modalities):
        """Size of axis 1 of ``encode``'s latent of ``modalities`` (tower names): the
        feature-map channels of each tower with ``latent="temporal"`` (stacked), else
        ``embedding_dim``."""
        check_is_fitted(self, "net_")
        if self.latent != "temporal":
            return self.embedding_dim
        module = self.net_.module_
        return sum(getattr(module, tower).encoder.n_features for tower in modalities)

    def _latent_module(self, tower, temporal):
        """The tower itself (pooled latent), or its feature map on the MCG's time samples
        (a strided encoder's interpolated), which a time-shared projector decodes."""
        tower = getattr(self.net_.module_, tower)
        return TowerFeatureMap(tower, self.n_mcg_times_) if temporal else tower

    def score(self, X, y):
        """Top-1 ECG -> MCG retrieval accuracy on the given pairs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, n_times)
            ECG beats (the queries).
        y : array-like of shape (n_samples, n_mcg_channels, n_mcg_times)
            Paired MCG beats (the gallery).

        Returns
        -------
        accuracy : float
            Fraction of ECG beats whose most similar MCG latent (cosine, pooled
            latents whatever ``latent`` says) is their own pair; chance is
            ``1 / n_samples``.
        """
        return retrieval_accuracy(*self.retrieval_latents(X, y), k=1)

    def retrieval_latents(self, X, y):
        """The pooled latents the loss compares, whatever ``latent`` says.

        :meth:`score` and the retrieval scorers of :mod:`sklearn_ecgmcg.metrics`
        (:func:`~sklearn_ecgmcg.metrics.make_retrieval_scorer`) use them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, n_times)
            ECG beats.
        y : array-like of shape (n_samples, n_mcg_channels, n_mcg_times)
            Paired MCG beats.

        Returns
        -------
        z_ecg, z_mcg : ndarray of float32, shape (n_samples, embedding_dim)
            L2-normalised ECG and MCG latents.
        """
        check_is_fitted(self, "net_")
        X, y = check_paired_signals(X, as_mcg_signal(y), names=("X", "y"))
        module = self.net_.module_
        return (unit_rows(self._embed(X, module.ecg_tower)),
                unit_rows(self._embed_mcg(y, module.mcg_tower)))

    def _embed_mcg(self, mcg, module):
        mcg = check_signals(as_mcg_signal(mcg), name="mcg", ensure_3d=True, dtype=np.float32,
                            lazy=True)
        shape = mcg.shape[1:]
        if shape != (self.n_mcg_channels_, self.n_mcg_times_):
            raise ValueError(
                f"The MCG has {shape[0]} channel(s) x {shape[1]} time samples, but "
                f"CrossModalAligner was fitted on {self.n_mcg_channels_} x "
                f"{self.n_mcg_times_}."
            )
        return self._run_batched(mcg, module)
