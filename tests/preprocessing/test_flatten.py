"""Flattener: 3-D signals or latents to 2-D features for scikit-learn models."""

import numpy as np
import pytest

from sklearn_ecgmcg.preprocessing import Flattener


def test_flattener_is_a_channel_major_reshape_that_copies():
    X = np.arange(24.0).reshape(2, 3, 4)
    flat = Flattener().fit_transform(X)
    np.testing.assert_array_equal(flat, X.reshape(2, 12))
    assert not np.shares_memory(flat, X)
    assert Flattener().transform(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(Flattener().transform(X[:, 0]), X[:, 0])
    with pytest.raises(ValueError):
        Flattener().fit(np.full((2, 3, 4), np.nan))


def test_flattener_takes_wide_latents():
    """A fused latent of a few hundred features is not mistaken for channels-last data."""
    latent = np.zeros((4, 448, 100), dtype=np.float32)
    assert Flattener().fit_transform(latent).shape == (4, 448 * 100)
