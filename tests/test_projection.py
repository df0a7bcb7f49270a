"""Tests for stage 3: LatentProjector (latent -> virtual MCG) and LatentEncoder."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_ecgmcg.alignment import CrossModalAligner
from sklearn_ecgmcg.metrics import virtual_mcg_r2
from sklearn_ecgmcg.projection import LatentEncoder, LatentProjector
from _settings import RESNET_TOWERS, TINY

FAST_MLP = {
    "decoder": "mlp", "hidden_dim": 64, "max_epochs": 60, "batch_size": 32, "lr": 3e-3,
    "device": "cpu",
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def linear_signals(n_samples=120, n_latent=6, n_channels=5, n_times=40, seed=0):
    """Latents and signals (pT-sized) that are an exact linear function of them."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_samples, n_latent))
    basis = rng.standard_normal((n_latent, n_channels, n_times))
    offset = rng.standard_normal((n_channels, n_times))
    return Z, 5.0 * (np.einsum("nd,dct->nct", Z, basis) + offset)


# --------------------------------------------------------------- LatentProjector
def test_linear_decoder_recovers_linear_map_in_target_units():
    Z, mcg = linear_signals()
    projector = LatentProjector(decoder="linear").fit(Z[:100], mcg[:100])
    predicted = projector.predict(Z[100:])
    assert predicted.shape == (20, 5, 40)
    np.testing.assert_allclose(predicted, mcg[100:], atol=0.05 * mcg.std())
    assert projector.score(Z[100:], mcg[100:]) > 0.99
    assert projector.output_shape_ == (5, 40)
    assert projector.n_features_in_ == 6


def time_shared_signals(n_samples=60, n_latent=3, n_channels=7, n_times=30, seed=0):
    """Time-resolved latents and signals that one channel map, shared by all time
    steps, gives from them (plus a mean beat)."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_samples, n_latent, n_times))
    channel_map = rng.standard_normal((n_channels, n_latent))
    mean_beat = rng.standard_normal((n_channels, n_times))
    return Z, 5.0 * (np.einsum("ck,nkt->nct", channel_map, Z) + mean_beat)


@pytest.mark.parametrize("decoder", ["linear", pytest.param("mlp", marks=pytest.mark.slow)])
def test_time_resolved_latents_are_decoded_with_one_map_for_all_time_steps(decoder):
    Z, mcg = time_shared_signals()
    projector = LatentProjector(decoder=decoder, max_epochs=200, lr=1e-2, random_state=0)
    projector.fit(Z[:40], mcg[:40])
    assert projector.latent_shape_ == (3, 30) and projector.n_features_in_ == 3
    assert projector.predict(Z[40:]).shape == (20, 7, 30)
    assert projector.score(Z[40:], mcg[40:]) > 0.98
    if decoder == "linear":  # 3 x 7 weights, not one map per time step
        assert projector.ridge_.coef_.shape == (7, 3)


def test_time_resolved_latents_shape_errors():
    Z, mcg = time_shared_signals()
    with pytest.raises(ValueError, match="same 30 time samples"):
        LatentProjector().fit(Z, mcg[..., :20])
    with pytest.raises(ValueError, match="same 30 time samples"):
        LatentProjector().fit(Z, mcg[:, 0, 0])
    projector = LatentProjector().fit(Z, mcg)
    with pytest.raises(ValueError, match=r"fitted on \(3, 30\)"):
        projector.predict(Z[:, :2])
    with pytest.raises(ValueError, match="time-resolved latents"):
        projector.predict(Z[:, :, 0])
    with pytest.raises(ValueError, match="time-resolved latents"):
        LatentProjector().fit(Z[..., None], mcg)


@pytest.mark.parametrize("decoder", ["linear", "mlp"])
def test_predictions_follow_target_units(decoder):
    # Targets are scaled internally: the same data in other units gives the same fit,
    # in those units.
    Z, mcg = linear_signals(n_samples=64)
    params = {**(FAST_MLP if decoder == "mlp" else {}), "decoder": decoder, "random_state": 0}
    params["max_epochs"] = 5 if decoder == "mlp" else params.get("max_epochs", 100)
    in_pt = LatentProjector(**params).fit(Z, mcg).predict(Z)
    in_ft = LatentProjector(**params).fit(Z, mcg * 1000).predict(Z)
    np.testing.assert_allclose(in_ft, in_pt * 1000, rtol=1e-3, atol=1e-3 * np.abs(in_ft).max())


def test_mlp_decoder_learns_a_nonlinear_map_the_linear_one_cannot():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((400, 4))
    pattern = rng.standard_normal((3, 30))
    mcg = np.abs(Z[:, :1, None]) * pattern  # even in z0: no linear trend to find
    train, test = slice(0, 300), slice(300, None)
    mlp = LatentProjector(random_state=0, **FAST_MLP).fit(Z[train], mcg[train])
    linear = LatentProjector(decoder="linear").fit(Z[train], mcg[train])
    assert linear.score(Z[test], mcg[test]) < 0.1
    assert mlp.score(Z[test], mcg[test]) > 0.8
    assert len(mlp.loss_curve_) == FAST_MLP["max_epochs"]
    assert mlp.loss_curve_[-1] < mlp.loss_curve_[0]


def test_mlp_is_reproducible_with_random_state():
    Z, mcg = linear_signals(n_samples=64)
    params = {**FAST_MLP, "max_epochs": 3, "random_state": 7}
    first = LatentProjector(**params).fit(Z, mcg).predict(Z)
    second = LatentProjector(**params).fit(Z, mcg).predict(Z)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("decoder", ["linear", "mlp"])
def test_output_shape_follows_fitted_target(decoder):
    Z, mcg = linear_signals(n_samples=40)
    params = {"decoder": decoder, "max_epochs": 2, "device": "cpu"}
    one_channel = LatentProjector(**params).fit(Z, mcg[:, 0])
    assert one_channel.predict(Z).shape == (40, 40)
    scalar = LatentProjector(**params).fit(Z, mcg[:, 0, 0])
    assert scalar.predict(Z).shape == (40,)
    assert np.isfinite(scalar.score(Z, mcg[:, 0, 0]))


def test_score_is_virtual_mcg_r2_of_predictions():
    Z, mcg = linear_signals()
    noisy = mcg + np.random.default_rng(1).normal(scale=mcg.std(), size=mcg.shape)
    projector = LatentProjector(decoder="linear").fit(Z, noisy)
    expected = virtual_mcg_r2(mcg, projector.predict(Z), multioutput="variance_weighted")
    assert projector.score(Z, mcg) == pytest.approx(expected)
    assert 0.2 < expected < 1
    uniform = virtual_mcg_r2(mcg, projector.predict(Z), multioutput="uniform_average")
    assert projector.score(Z, mcg) != pytest.approx(uniform)


def test_float32_latents_give_float32_predictions():
    Z, mcg = linear_signals(n_samples=40)
    projector = LatentProjector(decoder="linear").fit(Z.astype(np.float32), mcg)
    assert projector.predict(Z.astype(np.float32)).dtype == np.float32
    assert projector.predict(Z).dtype == np.float64


def test_inputs_are_not_modified():
    Z, mcg = linear_signals(n_samples=40)
    Z_before, mcg_before = Z.copy(), mcg.copy()
    projector = LatentProjector(**{**FAST_MLP, "max_epochs": 2}).fit(Z, mcg)
    assert projector.decoder == "mlp"
    projector.predict(Z)
    projector.score(Z, mcg)
    np.testing.assert_array_equal(Z, Z_before)
    np.testing.assert_array_equal(mcg, mcg_before)


@pytest.mark.parametrize(
    ("make_args", "error", "match"),
    [
        (lambda Z, y: (Z, None), ValueError, "requires y"),
        (lambda Z, y: (Z, y[:-1]), ValueError, "inconsistent numbers of samples"),
        (lambda Z, y: (Z, np.where(y > 0, np.nan, y)), ValueError, "y contains NaN"),
        (lambda Z, y: (Z, y[..., None]), ValueError, "y must be 2-D .* or 3-D"),
        (lambda Z, y: (Z[:1], y[:1]), ValueError, "n_samples=1"),
        (lambda Z, y: (Z[..., None], y), ValueError, "Time-resolved latents of shape"),
        (lambda Z, y: (Z, y.astype(str)), TypeError, "y must be a numeric"),
    ],
)
def test_bad_fit_input_is_rejected(make_args, error, match):
    Z, mcg = linear_signals(n_samples=10)
    with pytest.raises(error, match=match):
        LatentProjector(decoder="linear").fit(*make_args(Z, mcg))


def test_predict_checks_latent_size_and_fitting():
    Z, mcg = linear_signals(n_samples=20)
    with pytest.raises(NotFittedError):
        LatentProjector(decoder="mlp").predict(Z)
    projector = LatentProjector(decoder="linear").fit(Z, mcg)
    with pytest.raises(ValueError, match="X has 5 features, but LatentProjector is expecting 6"):
        projector.predict(Z[:, :5])


def test_default_decoder_is_the_ridge_readout():
    Z, mcg = linear_signals(n_samples=40)
    projector = LatentProjector().fit(Z, mcg)
    assert hasattr(projector, "ridge_") and not hasattr(projector, "net_")


def test_impossible_parameters_are_rejected():
    Z, mcg = linear_signals(n_samples=20)
    with pytest.raises(ValueError, match="decoder"):
        LatentProjector(decoder="conv").fit(Z, mcg)
    with pytest.raises(ValueError, match="hidden_dim"):
        LatentProjector(decoder="mlp", hidden_dim=0).fit(Z, mcg)


def subject_signals(n_subjects=32, per_subject=10, seed=0):
    """Latents with a shared signal feature and 20 subject-fingerprint features, and
    signals that are the signal's map plus an offset of each subject: the fingerprint
    "predicts" the offset of a known subject and nothing for a new one."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_subjects), per_subject)
    signal = rng.standard_normal((len(groups), 1))
    fingerprint = rng.standard_normal((n_subjects, 20))[groups]
    fingerprint += 0.1 * rng.standard_normal(fingerprint.shape)
    offset = rng.standard_normal((n_subjects, 4, 30))[groups]
    y = np.einsum("nd,dct->nct", signal, 3.0 * rng.standard_normal((1, 4, 30))) + 2.0 * offset
    return np.hstack([signal, fingerprint]), y, groups


def test_the_penalty_is_chosen_on_held_out_subjects():
    Z, mcg, groups = subject_signals()
    train, test = groups < 16, groups >= 16
    held_out = {}
    for name, projector, fit_groups in [
        ("loo", LatentProjector(cv=None), None),
        ("subjects", LatentProjector(), groups[train]),
        ("blocks", LatentProjector(), None),  # samples sorted by subject
    ]:
        projector.fit(Z[train], mcg[train], groups=fit_groups)
        held_out[name] = (projector.ridge_.alpha_,
                          virtual_mcg_r2(mcg[test], projector.predict(Z[test])))
    assert held_out["loo"][0] < held_out["subjects"][0] == held_out["blocks"][0]
    assert held_out["subjects"][1] > held_out["loo"][1] + 0.3
    order = np.random.default_rng(0).permutation(int(train.sum()))
    shuffled = LatentProjector().fit(Z[train][order], mcg[train][order],
                                     groups=groups[train][order])
    assert shuffled.ridge_.alpha_ == held_out["subjects"][0]  # groups: order is irrelevant


def test_time_resolved_penalty_folds_keep_each_samples_time_steps_together():
    # Each sample: a time-varying signal feature and a fingerprint constant over its
    # 30 steps, with a signal offset of its own. A held-out time step whose siblings
    # are in training has its offset "predicted" by the fingerprint (leave-one-out
    # over rows); a held-out sample has not.
    rng = np.random.default_rng(0)
    fingerprint, _, _ = subject_signals(n_subjects=40, per_subject=1)
    signal = rng.standard_normal((40, 1, 30))
    latents = np.concatenate([signal, np.repeat(fingerprint[:, 1:, None], 30, axis=2)], axis=1)
    mcg = 3.0 * signal * rng.standard_normal((1, 4, 1)) + 2.0 * rng.standard_normal((40, 4, 1))
    by_rows = LatentProjector(cv=None).fit(latents, mcg)
    by_samples = LatentProjector().fit(latents, mcg)
    assert by_samples.predict(latents).shape == mcg.shape
    assert by_samples.ridge_.alpha_ > by_rows.ridge_.alpha_


def test_cv_takes_a_splitter_or_sample_splits_like_sklearn():
    Z, mcg, groups = subject_signals(n_subjects=8)
    splits = list(GroupKFold(4).split(Z, groups=groups))
    expected = LatentProjector(cv=4).fit(Z, mcg, groups=groups).ridge_.alpha_
    assert LatentProjector(cv=splits).fit(Z, mcg).ridge_.alpha_ == expected
    assert LatentProjector(cv=GroupKFold(4)).fit(Z, mcg, groups=groups).ridge_.alpha_ == expected


def test_one_penalty_and_bad_groups():
    Z, mcg, groups = subject_signals(n_subjects=4)
    assert LatentProjector(alphas=(10.0,)).fit(Z, mcg).ridge_.alpha_ == 10.0
    with pytest.raises(ValueError, match="one subject id per sample"):
        LatentProjector().fit(Z, mcg, groups=groups[:-1])
    with pytest.raises(ValueError, match="single subject"):
        LatentProjector().fit(Z, mcg, groups=np.zeros(len(Z)))
    with pytest.raises(ValueError, match="cv"):
        LatentProjector(cv="subjects").fit(Z, mcg)


def test_groups_reach_the_projector_in_a_pipeline():
    Z, mcg, groups = subject_signals()
    pipe = make_pipeline(FunctionTransformer(), LatentProjector())
    pipe.fit(Z, mcg, latentprojector__groups=groups)
    assert pipe[-1].ridge_.alpha_ == LatentProjector().fit(Z, mcg, groups=groups).ridge_.alpha_


# ----------------------------------------------------------------- LatentEncoder


@pytest.fixture(scope="module")
def paired_beats():
    # Both modalities mix the same three sources (as both see one cardiac dipole).
    rng = np.random.default_rng(0)
    source = rng.standard_normal((48, 3, 60))
    ecg = np.einsum("nst,cs->nct", source, rng.standard_normal((3, 3))).astype(np.float32)
    mcg = np.einsum("nst,cs->nct", source, rng.standard_normal((5, 3))).astype(np.float32)
    labels = (source[:, 0].mean(axis=1) > 0).astype(int)
    return ecg, mcg, labels


@pytest.fixture(scope="module")
def fitted_aligner(paired_beats):
    ecg, mcg, _ = paired_beats
    aligner = CrossModalAligner(
        ecg_encoder_params=TINY, mcg_encoder_params=TINY, embedding_dim=8, max_epochs=2,
        batch_size=16, device="cpu", random_state=0, **RESNET_TOWERS,
    )
    return aligner.fit(ecg, mcg)


@pytest.mark.parametrize("wrap", [lambda a: a, FrozenEstimator])
def test_latent_encoder_gives_the_aligners_latent_of_each_modality(
    paired_beats, fitted_aligner, wrap
):
    ecg, mcg, _ = paired_beats
    both = np.concatenate([ecg, mcg], axis=1)
    for modality, X, expected in [
        ("ecg", ecg, fitted_aligner.transform(ecg)),
        ("mcg", mcg, fitted_aligner.encode(mcg=mcg)),
        ("both", both, fitted_aligner.encode(ecg=ecg, mcg=mcg)),
    ]:
        encoder = LatentEncoder(wrap(fitted_aligner), modality=modality)
        latent = encoder.fit_transform(X)
        np.testing.assert_allclose(latent, expected, atol=1e-6)
        assert latent.shape == (48, 8)
        assert list(encoder.get_feature_names_out()) == [f"latentencoder{i}" for i in range(8)]


def test_latent_encoder_clone_shares_the_fitted_aligner(paired_beats, fitted_aligner):
    _, mcg, labels = paired_beats
    encoder = LatentEncoder(fitted_aligner, modality="mcg")
    assert clone(encoder).aligner is fitted_aligner
    weights = {k: v.clone() for k, v in fitted_aligner.net_.module_.state_dict().items()}
    pipe = make_pipeline(encoder, LogisticRegression())
    clone(pipe).fit(mcg, labels)
    for key, value in fitted_aligner.net_.module_.state_dict().items():
        torch.testing.assert_close(value, weights[key])


def test_latent_encoder_errors(paired_beats, fitted_aligner):
    ecg, mcg, _ = paired_beats
    unfitted = CrossModalAligner()
    with pytest.raises(NotFittedError, match="never fits it"):
        LatentEncoder(unfitted).fit(mcg)
    with pytest.raises(ValueError, match=r"\(3 \+ 5 channels\) beats of 8 channels x 60"):
        LatentEncoder(fitted_aligner, modality="both").fit(mcg)
    with pytest.raises(ValueError, match="MCG beats of 5 channels x 60 time samples.*got 5 x 50"):
        LatentEncoder(fitted_aligner, modality="mcg").fit(mcg[..., :50])
    encoder = LatentEncoder(fitted_aligner, modality="ecg").fit(ecg)
    with pytest.raises(ValueError, match="ECG beats of 3 channels x 60 time samples.*got 5 x 60"):
        encoder.transform(mcg)
    with pytest.raises(ValueError, match="modality"):
        LatentEncoder(fitted_aligner, modality="eeg").fit(ecg)
