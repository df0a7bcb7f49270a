"""Inference in blocks (bounded memory) gives the same output as in one piece.

Peak memory itself is measured by benchmarks/bench_memory.py.
"""

import numpy as np
import pytest

from sklearn_ecgmcg import CrossModalAligner, LatentProjector, projection
from _settings import RESNET_TOWERS
from sklearn_ecgmcg.alignment._inputs import unit_rows as _unit


@pytest.mark.parametrize("decoder", ["linear", "mlp"])
def test_projector_predicts_the_same_in_small_blocks(monkeypatch, decoder):
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((50, 4)).astype(np.float32)
    mcg = rng.standard_normal((50, 3, 8))
    projector = LatentProjector(decoder, hidden_dim=8, max_epochs=2, device="cpu",
                                random_state=0).fit(Z, mcg)
    whole = projector.predict(Z)
    monkeypatch.setattr(projection, "_PREDICT_BLOCK_VALUES", 7 * 3 * 8)  # 7 rows a block
    blocked = projector.predict(Z)
    assert blocked.dtype == np.float32 and blocked.shape == (50, 3, 8)
    np.testing.assert_allclose(blocked, whole, rtol=1e-6, atol=1e-6)


def test_unit_rows_in_blocks_equal_one_block():
    z = np.random.default_rng(0).standard_normal((50, 6)).astype(np.float32)
    expected = z / np.linalg.norm(z, axis=1, keepdims=True)
    np.testing.assert_array_equal(_unit(z.copy(), block_rows=7), expected)
    np.testing.assert_array_equal(_unit(np.zeros((3, 2), np.float32), block_rows=2), 0.0)


def test_aligner_latents_do_not_depend_on_the_batch_size():
    rng = np.random.default_rng(0)
    ecg = rng.standard_normal((40, 2, 32)).astype(np.float32)
    mcg = rng.standard_normal((40, 3, 32)).astype(np.float32)
    aligner = CrossModalAligner(
        ecg_encoder_params={"width": 4, "blocks": (1, 1)},
        mcg_encoder_params={"width": 4, "blocks": (1, 1)},
        embedding_dim=4, max_epochs=1, batch_size=16, sfreq=100.0, device="cpu",
        random_state=0, **RESNET_TOWERS,
    ).fit(ecg, mcg)
    fused = aligner.encode(ecg=ecg, mcg=mcg)
    mean = (aligner.encode(ecg=ecg) + aligner.encode(mcg=mcg)) / 2  # documented: normalised mean
    np.testing.assert_allclose(fused, mean / np.linalg.norm(mean, axis=1, keepdims=True),
                               atol=1e-6)
    ecg_only = aligner.transform(ecg)
    aligner.set_params(batch_size=7)
    np.testing.assert_allclose(aligner.encode(ecg=ecg, mcg=mcg), fused, atol=1e-6)
    np.testing.assert_allclose(aligner.transform(ecg), ecg_only, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(fused, axis=1), 1.0, rtol=1e-6)
