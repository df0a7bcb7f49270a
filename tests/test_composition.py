"""The whole method composed with scikit-learn: Pipelines, clones, search, CV, Optuna.

Tiny simulated data (100 Hz beats) and tiny networks: these tests check that the
pieces fit together as a scikit-learn user expects, not how well they learn (the
benchmarks measure that).
"""

import numpy as np
import optuna
import pytest
import torch
from optuna_integration import OptunaSearchCV, SkorchPruningCallback
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedGroupKFold
from sklearn.model_selection import cross_val_score, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline

from sklearn_ecgmcg.alignment import CrossModalAligner
from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.metrics import (
    make_retrieval_scorer,
    make_virtual_mcg_scorer,
    retrieval_accuracy,
    virtual_mcg_r2,
)
from sklearn_ecgmcg.preprocessing import BandpassFilter
from sklearn_ecgmcg.pretraining import ContrastivePretrainer
from sklearn_ecgmcg.projection import LatentEncoder, LatentProjector
from _settings import FAST, RESNET_TOWERS, TINY

SFREQ = 100.0
FAST = {**FAST, "batch_size": 16}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def beats():
    """SIMULATED paired beats: 8 subjects x 8 beats, half of the subjects ischemic."""
    return make_paired_beats(
        n_subjects=8, beats_per_subject=8, sfreq=SFREQ, conditions=["normal", "ischemia"],
        random_state=0,
    )


def make_aligner(**params):
    defaults = {
        "ecg_encoder_params": TINY, "mcg_encoder_params": TINY, "embedding_dim": 4,
        "max_epochs": 2, "sfreq": SFREQ, **FAST, **RESNET_TOWERS,
    }
    return CrossModalAligner(**{**defaults, **params})


def make_pipe(projector=None, **align_params):
    return Pipeline([
        ("bandpass", BandpassFilter(l_freq=None, h_freq=40.0, sfreq=SFREQ)),
        ("align", make_aligner(**align_params)),
        ("project", projector or LatentProjector()),
    ])


@pytest.mark.parametrize(
    "projector",
    [LatentProjector(), LatentProjector(decoder="mlp", hidden_dim=16, max_epochs=3, **FAST)],
    ids=["linear", "mlp"],
)
def test_pipeline_fits_on_pairs_and_predicts_virtual_mcg_from_ecg(beats, projector):
    pipe = make_pipe(projector).fit(beats.ecg, beats.mcg)
    virtual_mcg = pipe.predict(beats.ecg)
    assert virtual_mcg.shape == beats.mcg.shape
    expected = virtual_mcg_r2(beats.mcg, virtual_mcg)
    assert pipe.score(beats.ecg, beats.mcg) == pytest.approx(expected)
    # Inside the pipeline the aligner hands the projector the ECG latent of the
    # filtered ECG, and was trained on (filtered ECG, MCG) pairs.
    filtered = pipe["bandpass"].transform(beats.ecg)
    latent = pipe[:-1].transform(beats.ecg)
    np.testing.assert_array_equal(latent, pipe["align"].encode(ecg=filtered))
    assert latent.shape == (64, 4)
    assert (pipe["align"].n_mcg_channels_, pipe["align"].n_mcg_times_) == beats.mcg.shape[1:]
    assert pipe["project"].n_features_in_ == 4
    assert pipe["project"].output_shape_ == beats.mcg.shape[1:]


def test_pretrained_stage1_is_fitted_once_and_shared_by_clones(beats, monkeypatch):
    unpaired = make_paired_beats(n_subjects=4, beats_per_subject=8, sfreq=SFREQ, random_state=1)
    bandpass = BandpassFilter(l_freq=None, h_freq=40.0, sfreq=SFREQ)
    pretrainer = ContrastivePretrainer(
        encoder_params=TINY, embedding_dim=4, max_epochs=1, **FAST
    ).fit(bandpass.fit_transform(unpaired.ecg))
    pretrained = {k: v.clone() for k, v in pretrainer.encoder_.state_dict().items()}
    frozen = FrozenEstimator(pretrainer)
    pipe = make_pipe(ecg_encoder=frozen, freeze_ecg=True)

    n_fits = []
    original_fit = ContrastivePretrainer.fit

    def counting_fit(self, *args, **kwargs):
        n_fits.append(1)
        return original_fit(self, *args, **kwargs)

    monkeypatch.setattr(ContrastivePretrainer, "fit", counting_fit)
    assert clone(pipe)["align"].ecg_encoder is frozen
    result = cross_validate(
        pipe, beats.ecg, beats.mcg, groups=beats.groups, cv=GroupKFold(2), return_estimator=True
    )
    assert n_fits == []
    for key, value in pretrainer.encoder_.state_dict().items():
        torch.testing.assert_close(value, pretrained[key])
    # Each fold's ECG tower started from (and, frozen, kept) the pretrained weights.
    for fitted in result["estimator"]:
        assert fitted["align"].ecg_pretrainer_ is pretrainer
        tower = fitted["align"].net_.module_.ecg_tower.encoder.state_dict()
        for key, value in pretrained.items():
            torch.testing.assert_close(tower[key], value)


def test_grid_search_over_temperature_and_embedding_size_with_groups(beats):
    grid = {"align__temperature": [0.05, 0.2], "align__embedding_dim": [4, 8]}
    search = GridSearchCV(
        make_pipe(),
        grid,
        cv=GroupKFold(2),
        scoring={"r2": make_virtual_mcg_scorer("r2"), "top1": make_retrieval_scorer()},
        refit="r2",
    )
    search.fit(beats.ecg, beats.mcg, groups=beats.groups)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_r2"]).all()
    top1 = search.cv_results_["mean_test_top1"]
    assert ((0 <= top1) & (top1 <= 1)).all()
    best = search.best_estimator_
    assert best["align"].get_params()["temperature"] == search.best_params_["align__temperature"]
    assert best[:-1].transform(beats.ecg).shape[1] == search.best_params_["align__embedding_dim"]
    assert search.predict(beats.ecg).shape == beats.mcg.shape


def test_cross_validate_scores_retrieval_and_virtual_mcg_of_one_pipeline(beats):
    scoring = {
        "r2": make_virtual_mcg_scorer("r2"),
        "angle_r": make_virtual_mcg_scorer(
            "neg_angle_r_peak", sensor_positions=beats.sensor_positions
        ),
        "angle_t": make_virtual_mcg_scorer(
            "neg_angle_t_peak", sensor_positions=beats.sensor_positions, sfreq=SFREQ
        ),
        "top1": make_retrieval_scorer(),
    }
    cv = GroupKFold(2)
    result = cross_validate(
        make_pipe(), beats.ecg, beats.mcg, groups=beats.groups, cv=cv, scoring=scoring,
        return_estimator=True,
    )
    folds = cv.split(beats.ecg, groups=beats.groups)
    for i, (_, test) in enumerate(folds):
        fitted = result["estimator"][i]
        ecg, mcg = beats.ecg[test], beats.mcg[test]
        assert result["test_r2"][i] == pytest.approx(fitted.score(ecg, mcg))
        # The retrieval scorer skips the projector and scores the aligner's latents.
        latents = fitted["align"].transform(fitted["bandpass"].transform(ecg), mcg)
        assert result["test_top1"][i] == pytest.approx(retrieval_accuracy(*latents))
        assert result["test_top1"][i] == pytest.approx(fitted[:-1].score(ecg, mcg))
        assert -180 <= result["test_angle_r"][i] <= 0
        assert -180 <= result["test_angle_t"][i] <= 0


def test_optuna_search_cv_on_the_same_space(beats):
    distributions = {
        "align__temperature": optuna.distributions.FloatDistribution(0.05, 0.2, log=True),
        "align__embedding_dim": optuna.distributions.CategoricalDistribution([4, 8]),
    }
    search = OptunaSearchCV(
        make_pipe(), distributions, cv=GroupKFold(2), n_trials=2, random_state=0,
        scoring=make_virtual_mcg_scorer("r2"),
    )
    search.fit(beats.ecg, beats.mcg, groups=beats.groups)
    assert len(search.trials_) == 2
    assert set(search.best_params_) == set(distributions)
    assert 0.05 <= search.best_params_["align__temperature"] <= 0.2
    assert search.predict(beats.ecg).shape == beats.mcg.shape


def test_optuna_study_prunes_trials_through_a_skorch_callback(beats):
    train, test = beats.groups < 5, beats.groups >= 5
    max_epochs = 4

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-7, 1e-2, log=True)
        pruning = SkorchPruningCallback(trial, monitor="train_loss")
        aligner = make_aligner(lr=lr, max_epochs=max_epochs, callbacks=[pruning])
        aligner.fit(beats.ecg[train], beats.mcg[train])
        return 1 - aligner.score(beats.ecg[test], beats.mcg[test])  # retrieval error

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1),
        sampler=optuna.samplers.TPESampler(seed=0),
    )
    # A learning rate that trains, then one too small to move the loss: the second
    # trial's train loss stays above the first's and the callback stops it.
    study.enqueue_trial({"lr": 1e-2})
    study.enqueue_trial({"lr": 1e-7})
    study.optimize(objective, n_trials=2)
    complete, pruned = study.trials
    assert complete.state == optuna.trial.TrialState.COMPLETE
    assert len(complete.intermediate_values) == max_epochs
    assert pruned.state == optuna.trial.TrialState.PRUNED
    assert len(pruned.intermediate_values) < max_epochs


@pytest.mark.parametrize("modality", ["ecg", "mcg", "both"])
def test_diagnosis_from_one_modality_or_both_ends_in_any_classifier(beats, modality):
    paired, unseen = beats.groups < 4, beats.groups >= 4
    aligner = make_aligner().fit(beats.ecg[paired], beats.mcg[paired])
    X = {
        "ecg": beats.ecg,
        "mcg": beats.mcg,
        "both": np.concatenate([beats.ecg, beats.mcg], axis=1),
    }[modality][unseen]
    y, groups = beats.target[unseen], beats.groups[unseen]
    pipe = make_pipeline(LatentEncoder(aligner, modality=modality), LogisticRegression())
    scores = cross_val_score(
        pipe, X, y, groups=groups, cv=StratifiedGroupKFold(2), scoring="roc_auc"
    )
    assert scores.shape == (2,)
    assert ((0 <= scores) & (scores <= 1)).all()
    if modality == "ecg":  # the aligner's own transform is the ECG latent
        direct = make_pipeline(FrozenEstimator(aligner), LogisticRegression()).fit(X, y)
        np.testing.assert_allclose(
            direct.predict_proba(X), clone(pipe).fit(X, y).predict_proba(X), rtol=1e-6
        )
