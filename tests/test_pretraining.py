"""ContrastivePretrainer and the torch base it shares with the other estimators."""

import copy
import pickle

import numpy as np
import optuna
import pytest
import torch
from optuna_integration import SkorchPruningCallback
from sklearn.base import clone
from skorch.callbacks import Callback, EarlyStopping
from skorch.exceptions import DeviceWarning

from sklearn_ecgmcg import ContrastivePretrainer
from sklearn_ecgmcg._base import resolve_device
from sklearn_ecgmcg.nn import make_encoder
from sklearn_ecgmcg.pretraining import _GroupContiguousSampler

OBJECTIVES = ["simclr", "patient", "masked"]


def make_pretrainer(objective="simclr", **params):
    settings = {
        "encoder_params": {"width": 4, "blocks": (1, 1)},
        "embedding_dim": 6,
        "max_epochs": 1,
        "batch_size": 8,
        "device": "cpu",
        "random_state": 0,
    }
    return ContrastivePretrainer(objective, **{**settings, **params})


def make_signals():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 64, dtype=np.float32)
    phase = rng.uniform(0, 2 * np.pi, (20, 2, 1)).astype(np.float32)
    return (np.sin(2 * np.pi * 3 * t + phase) + 0.1 * rng.standard_normal((20, 2, 64))).astype(
        np.float32
    )


@pytest.fixture(scope="module")
def X():
    return make_signals()


@pytest.fixture(scope="module")
def groups():
    return np.repeat(np.arange(10), 2)


@pytest.fixture(scope="module")
def fitted(X, groups):
    return {
        objective: make_pretrainer(objective).fit(X, groups=groups) for objective in OBJECTIVES
    }


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_fit_transform_shape_dtype(fitted, X, objective):
    pretrainer = fitted[objective]
    Z = pretrainer.transform(X)
    assert Z.shape == (20, 6) and Z.dtype == np.float32 and np.isfinite(Z).all()
    assert pretrainer.n_epochs_ == 1 and len(pretrainer.loss_curve_) == 1
    assert (pretrainer.n_channels_in_, pretrainer.n_times_in_, pretrainer.n_features_in_) == (
        2,
        64,
        128,
    )
    assert pretrainer.get_feature_names_out()[0] == "contrastivepretrainer0"


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_same_seed_gives_identical_embeddings(fitted, X, groups, objective):
    again = make_pretrainer(objective).fit(X, groups=groups)
    np.testing.assert_array_equal(again.transform(X), fitted[objective].transform(X))


def test_other_seed_gives_other_embeddings(fitted, X):
    other = make_pretrainer(random_state=1).fit(X)
    assert not np.allclose(other.transform(X), fitted["simclr"].transform(X))


def test_fit_leaves_global_torch_rng_alone(X):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    make_pretrainer().fit(X)
    torch.testing.assert_close(torch.rand(3), expected)


def test_pickle_round_trip_gives_identical_embeddings(fitted, X):
    restored = pickle.loads(pickle.dumps(fitted["simclr"]))
    np.testing.assert_array_equal(restored.transform(X), fitted["simclr"].transform(X))
    assert isinstance(restored.encoder_, torch.nn.Module)


def test_encoder_can_be_rebuilt_from_config_and_state_dict(fitted, X):
    pretrainer = fitted["masked"]
    encoder = make_encoder(**pretrainer.encoder_config_)
    encoder.load_state_dict(pretrainer.encoder_.state_dict())
    encoder.eval()
    with torch.no_grad():
        Z = encoder(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(Z, pretrainer.transform(X), rtol=1e-5, atol=1e-6)


def test_transform_is_independent_of_batch_size(fitted, X):
    pretrainer = copy.deepcopy(fitted["simclr"])
    full = pretrainer.transform(X)
    pretrainer.set_params(batch_size=3)
    np.testing.assert_allclose(pretrainer.transform(X), full, rtol=1e-5, atol=1e-6)


def test_two_dimensional_input_and_fewer_samples_than_batch_size():
    X2 = np.random.default_rng(0).standard_normal((5, 30))
    pretrainer = make_pretrainer(batch_size=64).fit(X2)
    assert pretrainer.transform(X2).shape == (5, 6)
    assert pretrainer.n_channels_in_ == 1
    assert pretrainer.net_.batch_size == 5


def test_input_is_not_modified(fitted, X):
    # ``X`` was passed (as float32, so shared with the training tensors) to fit and
    # transform of every objective
    for pretrainer in fitted.values():
        pretrainer.transform(X)
    np.testing.assert_array_equal(X, make_signals())


def test_transform_rejects_other_shape(fitted, X):
    with pytest.raises(
        ValueError, match=r"fitted on 2 channel\(s\) x 64 time samples, got 3 x 64"
    ):
        fitted["simclr"].transform(np.zeros((4, 3, 64), dtype=np.float32))
    with pytest.raises(ValueError, match="got 2 x 50"):
        fitted["simclr"].transform(X[..., :50])


def test_patient_objective_needs_groups(X):
    with pytest.raises(ValueError, match=r'objective="patient" needs the patient id'):
        make_pretrainer("patient").fit(X)
    with pytest.raises(ValueError, match=r"groups must have shape \(20,\)"):
        make_pretrainer("patient").fit(X, groups=np.arange(7))


def test_group_sampler_keeps_patients_together():
    codes = np.array([3, 0, 1, 3, 2, 0, 1, 3, 2, 4])
    order = list(_GroupContiguousSampler(codes))
    assert sorted(order) == list(range(10))
    seen = [codes[i] for i in order]
    runs = [seen[0]] + [b for a, b in zip(seen, seen[1:]) if a != b]
    assert len(runs) == 5, f"a group was split: {seen}"


def test_masked_objective_needs_feature_encoder(X):
    def flat_encoder(n_channels, n_times, embedding_dim):
        return torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(n_channels * n_times, embedding_dim)
        )

    with pytest.raises(TypeError, match="forward_features"):
        make_pretrainer("masked", encoder=flat_encoder, encoder_params=None).fit(X)
    Z = make_pretrainer(encoder=flat_encoder, encoder_params=None).fit(X).transform(X)
    assert Z.shape == (20, 6)


def test_huge_learning_rate_raises_clear_error(X):
    with pytest.raises(FloatingPointError, match="learning rate too high .lr=1e\\+30"):
        make_pretrainer(lr=1e30, max_epochs=3).fit(X)


class EpochRecorder(Callback):
    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, net, **kwargs):
        self.epochs.append(len(net.history))


def test_callbacks_pass_through_and_are_not_mutated(X):
    stopper = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0, threshold_mode="abs")
    epochs = []
    pretrainer = make_pretrainer(
        max_epochs=10, callbacks=[("recorder", EpochRecorder(epochs)), stopper]
    ).fit(X)
    assert pretrainer.n_epochs_ == 2 < 10
    assert epochs == [1, 2]
    assert stopper.misses_ == 0, "the user's callback was trained on"
    used = [cb for _, cb in pretrainer.net_.callbacks_ if isinstance(cb, EarlyStopping)]
    assert used[0] is not stopper and used[0].misses_ == 1
    assert clone(pretrainer).callbacks[1].patience == 1


def test_optuna_pruning_callback_reports_to_the_trial(X):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    trial = study.ask()
    make_pretrainer(max_epochs=3, callbacks=[SkorchPruningCallback(trial, "train_loss")]).fit(X)
    assert sorted(study.trials[0].intermediate_values) == [0, 1, 2]


def test_verbose_output(X, capsys):
    make_pretrainer(verbose=0).fit(X).transform(X)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    make_pretrainer(verbose=1).fit(X)
    captured = capsys.readouterr()
    assert "train_loss" in captured.out


def test_device_auto(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda:0")
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("gpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_model_saved_from_cuda_loads_on_cpu(fitted, X):
    # A net that was on CUDA pickles with device="cuda"; unpickled without CUDA, skorch
    # maps it to the CPU (with a DeviceWarning) and transform must follow net_.device.
    pretrainer = copy.deepcopy(fitted["simclr"])
    pretrainer.net_.device = "cuda"
    with pytest.warns(DeviceWarning, match="requested device .cuda. is not available"):
        restored = pickle.loads(pickle.dumps(pretrainer))
    assert str(restored.net_.device) == "cpu"
    np.testing.assert_array_equal(restored.transform(X), fitted["simclr"].transform(X))


def test_transform_before_fit_raises(X):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        make_pretrainer().transform(X)
    with pytest.raises(NotFittedError):
        make_pretrainer().get_feature_names_out()


def test_masked_loss_does_not_depend_on_units(fitted, X):
    # ECG in mV and MCG in pT differ by orders of magnitude; the masked objective
    # reconstructs standardised signals, so rescaling the input leaves the loss alone
    rescaled = make_pretrainer("masked").fit(1000 * X)
    np.testing.assert_allclose(rescaled.loss_curve_, fitted["masked"].loss_curve_, rtol=1e-3)
