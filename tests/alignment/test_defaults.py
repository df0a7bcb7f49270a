"""CrossModalAligner's defaults (issue 19): the conditioned, time-resolved ECG tower, the
time-shared reconstruction decoder, and the default pipeline they serve."""

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ecgmcg import CrossModalAligner, LatentEncoder, LatentProjector
from sklearn_ecgmcg.metrics import virtual_mcg_r2
from sklearn_ecgmcg.nn import ConditionedMapEncoder, TimeSharedDecoder
from sklearn_ecgmcg.preprocessing import Flattener

from _settings import TINY

pytestmark = pytest.mark.usefixtures("one_torch_thread")
N_TIMES = 50


def linear_pairs(n_samples, seed):
    """4 "ECG" channels and 9 "MCG" channels (pT-like), both linear in 3 sources at
    every instant by fixed matrices (the physics' form), with per-beat baseline offsets
    on the ECG and a little noise."""
    mixing = np.random.default_rng(7)
    to_ecg, to_mcg = mixing.standard_normal((4, 3)), mixing.standard_normal((9, 3))
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, N_TIMES)
    centers = np.array([0.25, 0.45, 0.7]) + rng.uniform(-0.06, 0.06, (n_samples, 3))
    waves = np.exp(-0.5 * ((t - centers[..., None]) / 0.05) ** 2)
    sources = rng.uniform(0.5, 1.5, (n_samples, 3, 1)) * waves
    ecg = np.einsum("cs,nst->nct", to_ecg, sources) + rng.normal(0, 0.3, (n_samples, 4, 1))
    mcg = 30 * np.einsum("cs,nst->nct", to_mcg, sources)
    ecg += 0.01 * rng.standard_normal(ecg.shape)
    return ecg.astype(np.float32), mcg.astype(np.float32)


def default_aligner(**params):
    return CrossModalAligner(sfreq=100.0, device="cpu", random_state=0, **params)


def test_default_latent_is_the_conditioned_feature_map():
    ecg, mcg = linear_pairs(32, seed=0)
    aligner = default_aligner(max_epochs=1).fit(ecg, mcg)
    module = aligner.net_.module_
    assert isinstance(module.ecg_tower.encoder, ConditionedMapEncoder)
    assert isinstance(module.decoder, TimeSharedDecoder) and module.temporal_decoder
    z = aligner.transform(ecg)
    assert z.shape == (32, 4 * (1 + 4) + 8, N_TIMES) and z.dtype == np.float32
    pooled = aligner.set_params(latent="pooled").transform(ecg)
    assert pooled.shape == (32, aligner.embedding_dim)
    np.testing.assert_allclose(np.linalg.norm(pooled, axis=1), 1.0, rtol=1e-5)


def test_fused_temporal_latent_stacks_both_feature_maps():
    ecg, mcg = linear_pairs(32, seed=0)
    aligner = default_aligner(max_epochs=1).fit(ecg, mcg)
    z_ecg, z_mcg = aligner.encode(ecg=ecg), aligner.encode(mcg=mcg)
    assert z_mcg.shape[::2] == (32, N_TIMES)
    fused = aligner.encode(ecg=ecg, mcg=mcg)
    np.testing.assert_array_equal(fused, np.concatenate([z_ecg, z_mcg], axis=1))
    both = LatentEncoder(aligner, modality="both").fit_transform(np.concatenate([ecg, mcg], 1))
    np.testing.assert_array_equal(both, fused)
    with pytest.raises(ValueError, match="same number of paired beats"):
        aligner.encode(ecg=ecg, mcg=mcg[:5])


def test_a_probe_pipeline_reads_the_temporal_latent_through_a_flattener():
    """Composition (frozen aligner -> Flattener -> classifier) fits and predicts; the
    label is an easy one, so this checks the plumbing, not what alignment adds."""
    ecg, mcg = linear_pairs(64, seed=0)
    labels = np.arange(64) % 2
    ecg[labels == 1, :, 20:30] += 0.5  # a "ST shift" on every lead of the positives
    aligner = default_aligner(max_epochs=1).fit(ecg, mcg)
    probe = make_pipeline(FrozenEstimator(aligner), Flattener(), StandardScaler(),
                          LogisticRegression(C=0.1))
    probe.fit(ecg[:48], labels[:48])
    assert probe.score(ecg[48:], labels[48:]) == 1.0


@pytest.mark.slow
def test_default_pipeline_learns_a_time_shared_map_on_held_out_beats():
    """MCG = A ECG at every instant (after each beat's baseline): the default pipeline
    must decode held-out beats almost perfectly; a wrong time axis, baseline or decoder
    would not."""
    pipe = Pipeline([("align", default_aligner()), ("project", LatentProjector())])
    pipe.fit(*linear_pairs(128, seed=0))
    ecg_test, mcg_test = linear_pairs(64, seed=1)
    assert virtual_mcg_r2(mcg_test, pipe.predict(ecg_test)) > 0.95


def test_strided_encoder_feature_map_is_resampled_to_the_mcg_samples():
    ecg, mcg = linear_pairs(32, seed=0)
    aligner = default_aligner(ecg_encoder="resnet1d", ecg_encoder_params=TINY, max_epochs=1,
                              local_weight=0.5, tmin=-0.2)
    z = aligner.fit(ecg, mcg).transform(ecg)
    assert z.shape[0] == 32 and z.shape[2] == N_TIMES
    assert np.isfinite(aligner.loss_curve_).all()
    projector = LatentProjector().fit(z, mcg)
    assert projector.predict(z).shape == mcg.shape


def test_default_pipeline_on_one_channel_pairs():
    """One ECG lead and one MCG channel (a two-device lab pair) go through unchanged."""
    ecg, mcg = linear_pairs(32, seed=0)
    pipe = Pipeline([("align", default_aligner(max_epochs=1)), ("project", LatentProjector())])
    pipe.fit(ecg[:, :1], mcg[:, :1])
    assert pipe.predict(ecg[:5, :1]).shape == (5, 1, N_TIMES)
