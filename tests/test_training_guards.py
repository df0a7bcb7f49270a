"""Training guards of the torch estimators: non-finite losses, tiny data, one subject.

The pretrainer's non-finite-loss test is in tests/test_pretraining.py.
"""

import numpy as np
import pytest

from sklearn_ecgmcg import ContrastivePretrainer, CrossModalAligner, LatentProjector
from _settings import RESNET_TOWERS
from _settings import TINY as _TINY

TINY = {**_TINY, "blocks": (1, 1)}
COMMON = {"max_epochs": 2, "device": "cpu", "random_state": 0}


def make_pairs(n_samples, seed=0):
    rng = np.random.default_rng(seed)
    ecg = rng.standard_normal((n_samples, 2, 32)).astype(np.float32)
    mcg = (50 * rng.standard_normal((n_samples, 3, 32))).astype(np.float32)
    return ecg, mcg


def make_estimator(name, **params):
    params = {**COMMON, **params}
    if name == "pretrainer":
        return ContrastivePretrainer(encoder_params=TINY, embedding_dim=4, **params)
    if name == "aligner":
        return CrossModalAligner(
            ecg_encoder_params=TINY, mcg_encoder_params=TINY, embedding_dim=4, sfreq=100.0,
            **{**RESNET_TOWERS, **params},
        )
    return LatentProjector("mlp", hidden_dim=8, **params)


def fit_and_output(estimator, n_samples):
    """Fit on ``n_samples`` and return what the fitted estimator outputs for them."""
    ecg, mcg = make_pairs(n_samples)
    if isinstance(estimator, ContrastivePretrainer):
        return estimator.fit(ecg).transform(ecg)
    if isinstance(estimator, CrossModalAligner):
        return estimator.fit(ecg, mcg).transform(ecg)
    latent = np.random.default_rng(1).standard_normal((n_samples, 4))
    return estimator.fit(latent, mcg).predict(latent)


@pytest.mark.parametrize("name", ["aligner", "projector"])
def test_non_finite_loss_stops_training_and_names_the_causes(name):
    estimator = make_estimator(name, lr=1e30, max_epochs=3)
    with pytest.raises(FloatingPointError) as error:
        fit_and_output(estimator, 20)
    message = str(error.value)
    assert "training loss became" in message
    assert "learning rate too high (lr=1e+30" in message
    assert "unscaled input" in message


@pytest.mark.parametrize("name", ["pretrainer", "aligner", "projector"])
def test_fewer_samples_than_a_batch_train_on_one_batch_of_all(name):
    estimator = make_estimator(name, batch_size=64)
    output = fit_and_output(estimator, 5)
    assert estimator.net_.batch_size == 5
    assert estimator.n_epochs_ == 2
    assert np.all(np.isfinite(estimator.loss_curve_))
    assert len(output) == 5
    assert np.all(np.isfinite(output))


def test_aligner_rejects_one_subject_without_same_subject_negatives():
    ecg, mcg = make_pairs(10)
    aligner = make_estimator("aligner", same_subject_negatives=False)
    with pytest.raises(ValueError, match="no negatives when all pairs come from one subject"):
        aligner.fit(ecg, mcg, groups=np.full(10, "subject-7"))
    # Negatives come from the other beats when same-subject beats stay negatives.
    aligner.set_params(same_subject_negatives=True).fit(ecg, mcg, groups=np.zeros(10))
    assert all(loss > 0 for loss in aligner.loss_curve_)
    aligner.set_params(same_subject_negatives=False).fit(ecg, mcg, groups=np.arange(10) % 2)
    assert aligner.n_epochs_ == 2


def test_patient_objective_rejects_a_single_patient():
    X = np.random.default_rng(0).standard_normal((8, 2, 32)).astype(np.float32)
    pretrainer = ContrastivePretrainer(objective="patient", max_epochs=1, device="cpu")
    with pytest.raises(ValueError, match="needs at least two patients"):
        pretrainer.fit(X, groups=np.zeros(8))
    assert not hasattr(pretrainer, "net_")
