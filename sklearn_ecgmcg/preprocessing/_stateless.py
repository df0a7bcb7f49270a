"""What the stateless signal transformers of ``preprocessing`` share."""

from sklearn.base import BaseEstimator, TransformerMixin

__all__ = []


def required_sfreq(estimator):
    """The estimator's ``sfreq``; a clear error when the user left it unset."""
    if estimator.sfreq is None:
        raise ValueError(
            f"{type(estimator).__name__} needs the sampling rate: pass sfreq in Hz "
            "(e.g. sfreq=500.0)."
        )
    return estimator.sfreq


class StatelessSignalTransformer(TransformerMixin, BaseEstimator):
    """Base of the transformers that learn nothing from signal batches.

    ``transform`` works without ``fit``, takes 2-D ``(n_samples, n_times)`` or 3-D
    ``(n_samples, n_channels, n_times)`` signals and keeps float32 and float64.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
