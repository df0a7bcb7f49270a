"""CrossModalAligner (stage 2) and the alignment losses it adds to nn."""

import pickle

import numpy as np
import pytest
import sklearn
import torch
from torch.nn import functional as F
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline

from sklearn_ecgmcg import ContrastivePretrainer, CrossModalAligner, LatentEncoder, LatentProjector
from sklearn_ecgmcg.metrics import make_retrieval_scorer, retrieval_accuracy
from sklearn_ecgmcg.nn import clip_loss, info_nce_loss, local_clip_loss
from _settings import RESNET_TOWERS
from _settings import TINY as _TINY

TINY = {**_TINY, "blocks": (1, 1)}  # two blocks: the learning tests need them
SMALL = {"width": 8, "blocks": (1, 1)}
N_TIMES = 64


def make_pairs(n_samples, seed):
    """Paired beats from 3 latent waves (P, QRS, T-like) with random amplitude and
    latency per beat, mixed into 4 "ECG" channels (mV-like) and 9 "MCG" channels
    (1000x larger, pT-like) by fixed matrices, plus a little noise.
    """
    mixing = np.random.default_rng(42)
    to_ecg, to_mcg = mixing.standard_normal((4, 3)), mixing.standard_normal((9, 3))
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, N_TIMES)
    centers = np.array([0.2, 0.45, 0.75]) + rng.uniform(-0.08, 0.08, (n_samples, 3))
    widths = np.array([0.04, 0.03, 0.06])
    waves = np.exp(-0.5 * ((t - centers[..., None]) / widths[:, None]) ** 2)
    sources = rng.uniform(-1.5, 1.5, (n_samples, 3, 1)) * waves
    ecg = np.einsum("cs,nst->nct", to_ecg, sources)
    mcg = 1e3 * np.einsum("cs,nst->nct", to_mcg, sources)
    ecg += 0.02 * rng.standard_normal(ecg.shape)
    mcg += 20 * rng.standard_normal(mcg.shape)
    return ecg.astype(np.float32), mcg.astype(np.float32)


def make_aligner(**params):
    settings = {
        "ecg_encoder_params": TINY,
        "mcg_encoder_params": TINY,
        "embedding_dim": 8,
        "max_epochs": 2,
        "batch_size": 16,
        "sfreq": 100.0,
        "tmin": -0.25,
        "device": "cpu",
        "random_state": 0,
        "lr": 1e-3,
        "batch_size": 16,
        **RESNET_TOWERS,
    }
    return CrossModalAligner(**{**settings, **params})


def tower_state(tower):
    return {key: value.clone() for key, value in tower.state_dict().items()}


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def pairs():
    return make_pairs(48, seed=0)


@pytest.fixture(scope="module")
def groups():
    return np.repeat(np.arange(12), 4)


@pytest.fixture(scope="module")
def fitted(pairs):
    return make_aligner().fit(*pairs)


@pytest.fixture(scope="module")
def pretrainer(pairs):
    ecg, _ = pairs
    return ContrastivePretrainer(
        encoder_params=TINY, embedding_dim=6, max_epochs=1, batch_size=16, device="cpu",
        random_state=0,
    ).fit(ecg)


# ----------------------------------------------------------------- shapes
def test_transform_encode_score_shapes(fitted, pairs):
    ecg, mcg = pairs
    z_ecg = fitted.transform(ecg)
    assert z_ecg.shape == (48, 8) and z_ecg.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(z_ecg, axis=1), 1.0, rtol=1e-5)
    z_pair = fitted.transform(ecg, mcg)
    assert isinstance(z_pair, tuple) and len(z_pair) == 2
    np.testing.assert_array_equal(z_pair[0], z_ecg)
    np.testing.assert_array_equal(fitted.encode(ecg=ecg), z_ecg)
    np.testing.assert_array_equal(fitted.encode(mcg=mcg), z_pair[1])
    fused = fitted.encode(ecg=ecg, mcg=mcg)
    expected = z_pair[0] + z_pair[1]
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(fused, expected, atol=1e-6)
    assert fitted.score(ecg, mcg) == retrieval_accuracy(*z_pair, k=1)
    assert fitted.get_feature_names_out().shape == (8,)
    assert fitted.n_features_in_ == 4 * N_TIMES
    assert (fitted.n_mcg_channels_, fitted.n_mcg_times_) == (9, N_TIMES)


def test_fit_transform_is_fit_then_transform(pairs, fitted):
    ecg, mcg = pairs
    np.testing.assert_array_equal(make_aligner().fit_transform(ecg, mcg), fitted.transform(ecg))


def test_retrieval_well_above_chance_on_held_out_pairs():
    """A wrong loss (or pairing, or scaling) leaves top-1 near chance (1/64)."""
    aligner = make_aligner(
        ecg_encoder_params=SMALL, mcg_encoder_params=SMALL, embedding_dim=16,
        max_epochs=30, batch_size=32, lr=3e-3,
    ).fit(*make_pairs(96, seed=0))
    assert aligner.score(*make_pairs(64, seed=1)) > 0.5
    assert aligner.loss_curve_[-1] < aligner.loss_curve_[0]


def test_spatial_towers_with_linear_heads_learn_a_linear_mixture():
    """make_pairs mixes the same three sources linearly into both modalities: the
    linear "spatial" towers are the right model and must retrieve held-out pairs."""
    aligner = make_aligner(
        ecg_encoder="spatial", mcg_encoder="spatial", ecg_encoder_params={"n_components": 3},
        mcg_encoder_params={"n_components": 3}, projection_head="linear", embedding_dim=16,
        max_epochs=30, batch_size=32, lr=3e-3,
    ).fit(*make_pairs(96, seed=0))
    towers = aligner.net_.module_.ecg_tower, aligner.net_.module_.mcg_tower
    for tower in towers:
        assert [type(layer) for layer in tower.head.net] == [torch.nn.Linear]
    assert aligner.score(*make_pairs(64, seed=1)) > 0.5


def test_temporal_latent_is_the_virtual_leads_and_decodes_the_mcg():
    from sklearn_ecgmcg import LatentProjector

    params = dict(
        ecg_encoder="spatial", mcg_encoder="spatial", ecg_encoder_params={"n_components": 3},
        mcg_encoder_params={"n_components": 3}, projection_head="linear", embedding_dim=16,
        max_epochs=30, batch_size=32, lr=3e-3,
    )
    (ecg, mcg), (ecg_test, mcg_test) = make_pairs(96, seed=0), make_pairs(64, seed=1)
    aligner = make_aligner(latent="temporal", **params).fit(ecg, mcg)
    z_ecg, z_mcg = aligner.transform(ecg_test, mcg_test)
    assert z_ecg.shape == (64, 3, N_TIMES) and z_mcg.shape == (64, 3, N_TIMES)
    tower = aligner.net_.module_.ecg_tower
    with torch.no_grad():
        expected = tower.encoder.spatial(tower.scale(torch.from_numpy(ecg_test))).numpy()
    np.testing.assert_allclose(z_ecg, expected, rtol=1e-5, atol=1e-5)
    # Training and retrieval are those of the pooled latent.
    pooled = make_aligner(**params).fit(ecg, mcg)
    assert aligner.score(ecg_test, mcg_test) == pooled.score(ecg_test, mcg_test)
    # A LatentProjector after it decodes them time step by time step.
    projector = LatentProjector().fit(aligner.transform(ecg), mcg)
    assert projector.predict(z_ecg).shape == mcg_test.shape
    assert projector.ridge_.coef_.shape == (9, 3)
    # Both: the two feature maps stacked along the feature axis.
    np.testing.assert_array_equal(aligner.encode(ecg=ecg_test, mcg=mcg_test),
                                  np.concatenate([z_ecg, z_mcg], axis=1))
    # Feature names label axis 1, the feature-map channels, not the pooled embedding.
    assert list(aligner.get_feature_names_out()) == [f"crossmodalaligner{i}" for i in range(3)]
    both = np.concatenate([ecg_test, mcg_test], axis=1)
    for modality, X, width in [("mcg", mcg_test, 3), ("both", both, 6)]:
        encoder = LatentEncoder(aligner, modality=modality).fit(X)
        assert len(encoder.get_feature_names_out()) == encoder.transform(X).shape[1] == width


def test_untrained_towers_are_at_chance(pairs):
    aligner = make_aligner(max_epochs=0).fit(*pairs)
    assert aligner.n_epochs_ == 0 and aligner.loss_curve_ == []
    assert aligner.transform(pairs[0]).shape == (48, 8)


# ------------------------------------------------------------ temperature
def test_learnable_temperature_moves_within_bounds(pairs):
    aligner = make_aligner(
        learn_temperature=True, temperature=0.5, temperature_bounds=(0.2, 0.6), lr=0.05,
        max_epochs=5,
    ).fit(*pairs)
    assert 0.2 < aligner.temperature_ < 0.6
    assert aligner.temperature_ != pytest.approx(0.5, abs=1e-3)
    assert make_aligner().fit(*pairs).temperature_ == 0.1


@pytest.mark.parametrize("bounds", [(0.2, 0.05), (0.2, 0.3), (0.0, 1.0), (0.01,)])
def test_temperature_bounds_errors(pairs, bounds):
    with pytest.raises(ValueError, match="temperature_bounds"):
        make_aligner(learn_temperature=True, temperature_bounds=bounds).fit(*pairs)


# --------------------------------------------------- stage-1 initialisation
def test_frozen_pretrainer_survives_clone_and_initialises_the_ecg_tower(pairs, pretrainer):
    before = tower_state(pretrainer.encoder_)
    aligner = clone(make_aligner(ecg_encoder=FrozenEstimator(pretrainer), max_epochs=0))
    aligner.fit(*pairs)
    assert aligner.ecg_pretrainer_ is pretrainer
    assert_same_state(tower_state(aligner.net_.module_.ecg_tower.encoder), before)
    assert aligner.ecg_mean_ is None  # the pretrained tower sees X as the pretrainer did
    np.testing.assert_array_equal(
        aligner.net_.module_.ecg_tower.encoder.eval()(torch.tensor(pairs[0])).detach(),
        pretrainer.transform(pairs[0]),
    )


def test_fine_tuning_leaves_the_pretrainer_untouched(pairs, pretrainer):
    before = tower_state(pretrainer.encoder_)
    aligner = make_aligner(ecg_encoder=FrozenEstimator(pretrainer)).fit(*pairs)
    assert_same_state(tower_state(pretrainer.encoder_), before)
    tuned = tower_state(aligner.net_.module_.ecg_tower.encoder)
    assert any(not torch.equal(tuned[key], before[key]) for key in before)


def test_freeze_ecg_keeps_weights_and_statistics_while_mcg_learns(pairs, pretrainer):
    initial = make_aligner(ecg_encoder=FrozenEstimator(pretrainer), max_epochs=0).fit(*pairs)
    mcg_before = tower_state(initial.net_.module_.mcg_tower)
    aligner = make_aligner(ecg_encoder=FrozenEstimator(pretrainer), freeze_ecg=True).fit(*pairs)
    assert_same_state(tower_state(aligner.net_.module_.ecg_tower.encoder),
                      tower_state(pretrainer.encoder_))
    mcg_after = tower_state(aligner.net_.module_.mcg_tower)
    assert any(not torch.equal(mcg_after[k], mcg_before[k]) for k in mcg_before)


def test_unfitted_pretrainer_is_fitted_on_X_and_left_unfitted(pairs):
    user_pretrainer = ContrastivePretrainer(
        encoder_params=TINY, embedding_dim=6, max_epochs=1, batch_size=16, device="cpu",
        random_state=0,
    )
    aligner = make_aligner(ecg_encoder=user_pretrainer).fit(*pairs)
    assert not hasattr(user_pretrainer, "net_")
    assert aligner.ecg_pretrainer_ is not user_pretrainer
    assert aligner.ecg_pretrainer_.n_channels_in_ == 4
    assert aligner.transform(pairs[0]).shape == (48, 8)


def test_pretrainer_shape_mismatch(pairs, pretrainer):
    ecg, mcg = pairs
    with pytest.raises(ValueError, match="pretrained ECG encoder was fitted on 4"):
        make_aligner(ecg_encoder=FrozenEstimator(pretrainer)).fit(ecg[:, :2], mcg)


def test_mlp_tower_on_stage1_features(pairs, pretrainer):
    """Locked-tower alignment: frozen stage-1 embeddings (n, d) feed an "mlp" tower."""
    ecg, mcg = pairs
    features = pretrainer.transform(ecg)
    aligner = make_aligner(ecg_encoder="mlp", ecg_encoder_params={"hidden_dims": (16,)})
    z = aligner.fit(features, mcg).transform(features)
    assert z.shape == (48, 8) and aligner.n_features_in_ == 6
    pipe = make_pipeline(FrozenEstimator(pretrainer), clone(aligner)).fit(ecg, mcg)
    np.testing.assert_allclose(pipe.transform(ecg), z, atol=1e-6)


# -------------------------------------------------------------- local loss
def test_local_loss_changes_the_result(pairs, fitted):
    ecg, mcg = pairs
    local = make_aligner(local_weight=1.0).fit(ecg, mcg)
    assert local.transform(ecg).shape == (48, 8)
    assert not np.allclose(local.transform(ecg), fitted.transform(ecg))
    assert local.loss_curve_[0] > fitted.loss_curve_[0]  # the local term adds to the loss


def test_local_loss_errors(pairs):
    ecg, mcg = pairs
    with pytest.raises(ValueError, match="outside the beat window"):
        make_aligner(local_weight=1.0, local_windows={"late": (0.5, 0.6)}).fit(ecg, mcg)
    with pytest.raises(ValueError, match="temporal feature map"):
        make_aligner(local_weight=1.0, ecg_encoder="mlp", ecg_encoder_params=None).fit(ecg, mcg)


# ------------------------------------------------ sigmoid loss, dual targets
def test_sigmoid_pair_loss_learns_its_bias_without_weight_decay(pairs):
    ecg, mcg = pairs
    aligner = make_aligner(pair_loss="sigmoid", weight_decay=10.0).fit(ecg, mcg)
    bias = aligner.net_.criterion_.logit_bias
    assert aligner.loss_curve_[-1] < aligner.loss_curve_[0]
    assert bias.item() != -10.0  # trained, ...
    decay = {id(p): group["weight_decay"] for group in aligner.net_.optimizer_.param_groups
             for p in group["params"]}
    assert decay[id(bias)] == 0.0  # ... but not shrunk


def test_dual_targets_embed_the_mcg_phases_alone(pairs, fitted):
    ecg, mcg = pairs
    aligner = make_aligner(dual_weight=1.0).fit(ecg, mcg)
    assert aligner.loss_curve_[0] > fitted.loss_curve_[0]  # the dual term adds to the loss
    module = aligner.net_.module_.eval()
    qrs, st_t = module.phase_bounds  # fractions of the beat, QRS before ST-T
    assert 0 < qrs[0] < qrs[1] <= st_t[0] < st_t[1] <= 1
    late = torch.tensor(mcg)
    late[..., : int(np.floor(st_t[0] * N_TIMES))] = 0.0  # nothing before the ST-T changes ...
    with torch.no_grad():
        phase = module(torch.tensor(ecg), torch.tensor(mcg)).phase_mcg
        changed = module(torch.tensor(ecg), late).phase_mcg
    assert phase.shape == (48, 2, 8)
    torch.testing.assert_close(changed[:, 1], phase[:, 1])  # ... the ST-T point
    assert not torch.allclose(changed[:, 0], phase[:, 0])
    with pytest.raises(ValueError, match="needs the entries"):
        make_aligner(dual_weight=1.0, local_windows={"QRS": (-0.05, 0.06)}).fit(ecg, mcg)


# ------------------------------------------------------ reconstruction loss
def test_reconstruction_decoder_reads_the_transform_latent(pairs, fitted):
    ecg, mcg = pairs
    assert fitted.net_.module_.decoder is None  # the default builds none
    aligner = make_aligner(reconstruction_weight=1.0).fit(ecg, mcg)
    module = aligner.net_.module_.eval()
    assert (module.decoder.in_features, module.decoder.out_features) == (8, 9 * N_TIMES)
    with torch.no_grad():
        output = module(torch.tensor(ecg), torch.tensor(mcg))
        decoded, target = output.reconstruction, output.reconstruction_target
        z = torch.tensor(aligner.transform(ecg)) * np.sqrt(8)
        torch.testing.assert_close(decoded, module.decoder(z), atol=1e-5, rtol=1e-5)
    standardised = (mcg - aligner.mcg_mean_[:, None]) / aligner.mcg_scale_[:, None]
    np.testing.assert_allclose(target.numpy(), standardised.reshape(48, -1), atol=1e-4)
    assert aligner.loss_curve_[0] > fitted.loss_curve_[0]


@pytest.mark.slow
def test_reconstruction_loss_makes_the_latent_carry_the_mcg():
    """A ridge readout of the ECG latent predicts held-out MCG better with the loss."""
    (ecg, mcg), (ecg_test, mcg_test) = make_pairs(128, seed=0), make_pairs(64, seed=1)
    scores = []
    for weight in (0.0, 10.0):
        aligner = make_aligner(
            reconstruction_weight=weight, embedding_dim=16, max_epochs=15, lr=3e-3
        ).fit(ecg, mcg)
        projector = LatentProjector(decoder="linear").fit(aligner.transform(ecg), mcg)
        scores.append(projector.score(aligner.transform(ecg_test), mcg_test))
    assert scores[1] > scores[0] + 0.1  # measured 0.16 -> 0.33


def test_local_clip_loss_is_clip_over_all_windows():
    torch.manual_seed(0)
    a, b = torch.randn(5, 3, 4), torch.randn(5, 3, 4)
    expected = clip_loss(a.reshape(15, 4), b.reshape(15, 4), 0.2)
    torch.testing.assert_close(local_clip_loss(a, b, 0.2), expected)


def test_info_nce_groups_drop_same_group_negatives():
    torch.manual_seed(0)
    query, key = torch.randn(4, 3), torch.randn(4, 3)
    groups = torch.tensor([0, 0, 1, 1])
    logits = F.normalize(query, dim=1) @ F.normalize(key, dim=1).T / 0.1
    # Each query keeps its positive and the keys of the other group as negatives.
    expected = torch.stack([
        -torch.log_softmax(logits[i, [i] + [j for j in range(4) if groups[j] != groups[i]]], 0)[0]
        for i in range(4)
    ]).mean()
    torch.testing.assert_close(info_nce_loss(query, key, 0.1, groups), expected)
    assert not torch.allclose(info_nce_loss(query, key, 0.1), expected)


# ------------------------------------------------------------------ groups
def test_groups_drop_same_subject_negatives(pairs, groups, fitted):
    ecg, mcg = pairs
    default = make_aligner().fit(ecg, mcg, groups=groups)
    np.testing.assert_array_equal(default.transform(ecg), fitted.transform(ecg))
    masked = make_aligner(same_subject_negatives=False).fit(ecg, mcg, groups=groups)
    assert not np.allclose(masked.transform(ecg), fitted.transform(ecg))
    with pytest.raises(ValueError, match="groups must have shape"):
        make_aligner(same_subject_negatives=False).fit(ecg, mcg, groups=groups[:5])


def test_cross_validate_routes_groups(pairs, groups):
    ecg, mcg = pairs
    with sklearn.config_context(enable_metadata_routing=True):
        aligner = make_aligner(same_subject_negatives=False, max_epochs=1)
        aligner.set_fit_request(groups=True)
        result = cross_validate(
            aligner, ecg, mcg, cv=GroupKFold(2), params={"groups": groups},
            scoring=make_retrieval_scorer(k=5),
        )
    assert np.all((result["test_score"] >= 0) & (result["test_score"] <= 1))


# ---------------------------------------------------- determinism, pickle
def test_random_state_makes_fits_identical(pairs, fitted):
    ecg, mcg = pairs
    again = make_aligner().fit(ecg, mcg)
    np.testing.assert_array_equal(again.transform(ecg), fitted.transform(ecg))
    other = make_aligner(random_state=1).fit(ecg, mcg)
    assert not np.allclose(other.transform(ecg), fitted.transform(ecg))


def test_pickle_round_trip(pairs, fitted):
    ecg, mcg = pairs
    restored = pickle.loads(pickle.dumps(fitted))
    for a, b in zip(restored.transform(ecg, mcg), fitted.transform(ecg, mcg)):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ errors
def test_input_is_not_modified(pairs):
    ecg, mcg = (array.copy() for array in pairs)
    aligner = make_aligner(max_epochs=1).fit(ecg, mcg)
    aligner.transform(ecg, mcg)
    aligner.score(ecg, mcg)
    np.testing.assert_array_equal(ecg, pairs[0])
    np.testing.assert_array_equal(mcg, pairs[1])


def test_paired_length_and_shape_errors(pairs, fitted):
    ecg, mcg = pairs
    with pytest.raises(ValueError, match="same number of paired samples; got 48 and 47"):
        make_aligner().fit(ecg, mcg[:-1])
    with pytest.raises(ValueError, match="requires y to be passed"):
        make_aligner().fit(ecg, None)
    with pytest.raises(ValueError, match="at least 2 paired beats"):
        make_aligner().fit(ecg[:1], mcg[:1])
    with pytest.raises(ValueError, match="fitted on 4 channel"):
        fitted.transform(ecg[:, :3])
    with pytest.raises(ValueError, match="fitted on 9 x 64"):
        fitted.transform(ecg, mcg[:, :5])
    with pytest.raises(ValueError, match="fitted on 9 x 64"):
        fitted.encode(mcg=mcg[..., :32])
    with pytest.raises(ValueError, match="same number of paired beats"):
        fitted.encode(ecg=ecg, mcg=mcg[:10])
    with pytest.raises(ValueError, match="neither"):
        fitted.encode()


@pytest.mark.parametrize("which", ["X", "y"])
def test_nan_is_rejected(pairs, which):
    ecg, mcg = (array.copy() for array in pairs)
    (ecg if which == "X" else mcg)[3, 0, 5] = np.nan
    with pytest.raises(ValueError, match=rf"{which}.*(NaN|nan)"):
        make_aligner().fit(ecg, mcg)
