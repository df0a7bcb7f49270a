"""Signals or time-resolved latents as flat feature vectors (:class:`Flattener`)."""

import numpy as np
from sklearn.base import _fit_context

from ..utils import check_signals
from ._stateless import StatelessSignalTransformer

__all__ = ["Flattener"]


class Flattener(StatelessSignalTransformer):
    """Reshape ``(n_samples, n_channels, n_times)`` to ``(n_samples, n_channels * n_times)``.

    scikit-learn's classifiers and regressors take 2-D input; beats and the
    time-resolved latent of :class:`~sklearn_ecgmcg.CrossModalAligner` (its default,
    ``latent="temporal"``) are 3-D. Put this step between them, e.g. a linear probe
    on the aligned ECG latent::

        make_pipeline(FrozenEstimator(aligner), Flattener(), StandardScaler(),
                      LogisticRegression())

    The values are kept in channel-major order (``X.reshape(len(X), -1)``); 2-D
    input passes through. Nothing is learned.

    Attributes
    ----------
    n_features_in_ : int
        Values per sample seen at ``fit`` (``n_channels * n_times``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.preprocessing import Flattener
    >>> Flattener().fit_transform(np.zeros((5, 12, 100))).shape
    (5, 1200)
    """

    _parameter_constraints = {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check ``X``; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, n_times) or (n_samples, n_features)
            Signals or latents.
        y : None
            Ignored.

        Returns
        -------
        self : Flattener
        """
        X = check_signals(X, signals=False)  # latents may have hundreds of features
        self.n_features_in_ = int(np.prod(X.shape[1:]))
        return self

    def transform(self, X):
        """Flatten each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, n_times) or (n_samples, n_features)
            Signals or latents, float32 or float64. Not modified.

        Returns
        -------
        X_flat : ndarray of shape (n_samples, n_channels * n_times)
            Same dtype as ``X``.
        """
        X = check_signals(X, signals=False)
        return X.reshape(len(X), -1).copy()  # a view would let later steps write into X
