"""Persistence and determinism of every fitted estimator, in one place.

pickle and joblib round trips (every estimator and a full pipeline), a model
pickled on CUDA loading on a CPU-only machine, and ``random_state`` making fits
identical on CPU. Tiny SIMULATED data and networks: these check behaviour, not
learning quality.
"""

import copy
import io
import json
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from skorch.exceptions import DeviceWarning

from sklearn_ecgmcg import (
    ContrastivePretrainer,
    CrossModalAligner,
    LatentEncoder,
    LatentProjector,
    load_weights,
    save_weights,
)
from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.preprocessing import BandpassFilter, BeatSegmenter
from _settings import FAST, RESNET_TOWERS, TINY

SFREQ = 100.0


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def beats():
    """SIMULATED paired beats: 3 subjects x 8 beats at 100 Hz."""
    return make_paired_beats(n_subjects=3, beats_per_subject=8, sfreq=SFREQ, random_state=0)


def make_pretrainer(objective="simclr", **params):
    return ContrastivePretrainer(
        objective, encoder_params=TINY, embedding_dim=4, max_epochs=1, **{**FAST, **params}
    )


def make_aligner(**params):
    defaults = {
        "ecg_encoder_params": TINY, "mcg_encoder_params": TINY, "embedding_dim": 4,
        "max_epochs": 1, "sfreq": SFREQ, **FAST, **RESNET_TOWERS,
    }
    return CrossModalAligner(**{**defaults, **params})


def make_projector(decoder="mlp", **params):
    if decoder == "linear":
        return LatentProjector("linear")
    return LatentProjector("mlp", hidden_dim=8, max_epochs=2, **{**FAST, **params})


def continuous_records():
    """Two one-channel records of Gaussian 'R peaks' once a second (as BeatSegmenter's doc)."""
    t = np.arange(1000) / SFREQ
    ecg = np.exp(-((t % 1.0 - 0.5) ** 2) / (2 * 0.02**2))
    return np.stack([ecg, 2 * ecg])[:, np.newaxis]


# Each case: (name, factory of a fitted estimator from the beats, its output on the beats).
def _fitted_pretrainer(objective):
    def fit(beats):
        return make_pretrainer(objective).fit(beats.ecg, groups=beats.groups)
    return fit


def _fitted_aligner_from_frozen_pretrainer(beats):
    pretrainer = make_pretrainer().fit(beats.ecg)
    return make_aligner(
        ecg_encoder=FrozenEstimator(pretrainer), reconstruction_weight=1.0
    ).fit(beats.ecg, beats.mcg)


def _fitted_projector(decoder):
    def fit(beats):
        latent = beats.ecg.reshape(len(beats.ecg), -1)[:, :6]
        return make_projector(decoder).fit(latent, beats.mcg)
    return fit


def _fitted_latent_encoder(beats):
    return LatentEncoder(make_aligner().fit(beats.ecg, beats.mcg), modality="both").fit(
        np.concatenate([beats.ecg, beats.mcg], axis=1)
    )


def _fitted_pipeline(beats):
    return Pipeline([
        ("bandpass", BandpassFilter(l_freq=None, h_freq=40.0, sfreq=SFREQ)),
        ("align", make_aligner()),
        ("project", make_projector("mlp")),
    ]).fit(beats.ecg, beats.mcg)


FITTED = {
    "BandpassFilter": lambda beats: BandpassFilter(l_freq=None, h_freq=40.0, sfreq=SFREQ).fit(
        beats.ecg
    ),
    "BeatSegmenter": lambda beats: BeatSegmenter(sfreq=SFREQ).fit(continuous_records()),
    **{
        f"ContrastivePretrainer-{objective}": _fitted_pretrainer(objective)
        for objective in ("simclr", "patient", "masked")
    },
    "CrossModalAligner": lambda beats: make_aligner().fit(beats.ecg, beats.mcg),
    "CrossModalAligner-frozen-pretrainer-reconstruction": _fitted_aligner_from_frozen_pretrainer,
    "LatentProjector-linear": _fitted_projector("linear"),
    "LatentProjector-mlp": _fitted_projector("mlp"),
    "LatentEncoder": _fitted_latent_encoder,
    "Pipeline": _fitted_pipeline,
}


def outputs(name, estimator, beats):
    """What a user gets from the fitted estimator on the beats."""
    if name == "BeatSegmenter":
        return estimator.transform(continuous_records())
    if name.startswith("LatentProjector"):
        return estimator.predict(beats.ecg.reshape(len(beats.ecg), -1)[:, :6])
    if name == "LatentEncoder":
        return estimator.transform(np.concatenate([beats.ecg, beats.mcg], axis=1))
    if name == "Pipeline":
        return estimator.predict(beats.ecg)
    if name.startswith("CrossModalAligner"):
        return np.concatenate(estimator.transform(beats.ecg, beats.mcg), axis=1)
    return estimator.transform(beats.ecg)


@pytest.fixture(scope="module")
def fitted(beats):
    return {name: fit(beats) for name, fit in FITTED.items()}


def joblib_round_trip(estimator):
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def pickle_round_trip(estimator):
    return pickle.loads(pickle.dumps(estimator))


@pytest.mark.parametrize("round_trip", [pickle_round_trip, joblib_round_trip],
                         ids=["pickle", "joblib"])
@pytest.mark.parametrize("name", list(FITTED))
def test_round_trip_gives_identical_outputs(fitted, beats, name, round_trip):
    estimator = fitted[name]
    expected = outputs(name, estimator, beats)
    restored = round_trip(estimator)
    assert restored is not estimator
    np.testing.assert_array_equal(outputs(name, restored, beats), expected)


def _torch_nets(estimator):
    """The skorch nets inside an estimator or pipeline (steps, aligners, pretrainers)."""
    if isinstance(estimator, Pipeline):
        return [net for _, step in estimator.steps for net in _torch_nets(step)]
    if isinstance(estimator, LatentEncoder):
        return _torch_nets(estimator.aligner)
    return [estimator.net_] if hasattr(estimator, "net_") else []


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize(
    "name", ["CrossModalAligner-frozen-pretrainer-reconstruction", "LatentProjector-mlp",
             "LatentEncoder", "Pipeline"],
)
def test_model_saved_from_cuda_loads_on_cpu(fitted, beats, name):
    # Complements test_pretraining's test of ContrastivePretrainer: a net fitted on CUDA
    # pickles with device="cuda"; without CUDA, skorch's unpickling maps it to the CPU
    # (a DeviceWarning) and every estimator must then run on net_.device.
    estimator = copy.deepcopy(fitted[name])
    nets = _torch_nets(estimator)
    assert nets
    for net in nets:
        net.device = "cuda"
    with pytest.warns(DeviceWarning, match="requested device .cuda. is not available"):
        restored = pickle_round_trip(estimator)
    assert all(str(net.device) == "cpu" for net in _torch_nets(restored))
    expected = outputs(name, fitted[name], beats)
    np.testing.assert_array_equal(outputs(name, restored, beats), expected)


# test_pretraining, test_alignment and test_projection check the seeds of the plain
# pretrainer, aligner and MLP projector; these are the torch fits they leave out.
SEEDED = {
    "CrossModalAligner-frozen-pretrainer-reconstruction": lambda beats, seed: make_aligner(
        ecg_encoder=FrozenEstimator(make_pretrainer(random_state=seed).fit(beats.ecg)),
        reconstruction_weight=1.0, random_state=seed,
    ).fit(beats.ecg, beats.mcg),
    "CrossModalAligner-local-learned-temperature": lambda beats, seed: make_aligner(
        local_weight=1.0, learn_temperature=True, random_state=seed
    ).fit(beats.ecg, beats.mcg, groups=beats.groups),
    "CrossModalAligner-unfitted-pretrainer": lambda beats, seed: make_aligner(
        ecg_encoder=make_pretrainer("patient", random_state=seed), random_state=seed
    ).fit(beats.ecg, beats.mcg, groups=beats.groups),
}


@pytest.mark.parametrize("name", list(SEEDED))
def test_same_seed_identical_other_seed_different(beats, name):
    fit = SEEDED[name]
    first, again, other = fit(beats, 0), fit(beats, 0), fit(beats, 1)
    expected = outputs(name, first, beats)
    np.testing.assert_array_equal(outputs(name, again, beats), expected)
    assert not np.allclose(outputs(name, other, beats), expected)


# ------------------------------------------------------- weights without pickle
WEIGHTS_SAVABLE = [
    name for name in FITTED
    if name.split("-")[0] in {"ContrastivePretrainer", "CrossModalAligner", "LatentProjector"}
]


def _no_fit(*args, **kwargs):
    raise AssertionError("load_weights must not fit")


@pytest.mark.parametrize("name", WEIGHTS_SAVABLE)
def test_save_load_weights_gives_identical_outputs(fitted, beats, name, tmp_path, monkeypatch):
    estimator = fitted[name]
    save_weights(estimator, tmp_path)
    for cls in (ContrastivePretrainer, CrossModalAligner, LatentProjector):
        monkeypatch.setattr(cls, "fit", _no_fit)  # the module is rebuilt, never trained
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "weights.pt"]
    restored = load_weights(tmp_path)
    assert type(restored) is type(estimator)
    np.testing.assert_array_equal(outputs(name, restored, beats), outputs(name, estimator, beats))
    for param in ("embedding_dim", "decoder", "objective", "max_epochs", "random_state"):
        assert getattr(restored, param, None) == getattr(estimator, param, None)
    assert restored.n_features_in_ == estimator.n_features_in_
    if hasattr(estimator, "net_"):
        assert str(restored.net_.device) == "cpu"
        assert restored.loss_curve_ == estimator.loss_curve_


def test_weights_config_is_documented_json(fitted, tmp_path):
    aligner = fitted["CrossModalAligner-frozen-pretrainer-reconstruction"]
    save_weights(aligner, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["format"] == "sklearn_ecgmcg-weights" and config["format_version"] == 2
    assert config["class"] == "CrossModalAligner"
    assert config["versions"]["torch"] == torch.__version__
    # The pretrainer object is not written: its architecture is, its weights are the tower's.
    assert config["params"]["ecg_encoder"] == ContrastivePretrainer().encoder  # its default
    assert config["fitted"]["ecg_encoder_config_"]["n_channels"] == aligner.n_channels_in_
    restored = load_weights(tmp_path)
    assert restored.ecg_pretrainer_ is None
    assert restored.ecg_encoder == ContrastivePretrainer().encoder
    np.testing.assert_array_equal(restored.mcg_mean_, aligner.mcg_mean_)


def _side_effect():
    _side_effect.ran = True


class _Payload:
    def __reduce__(self):
        return (_side_effect, ())


def test_load_weights_never_unpickles_objects(fitted, tmp_path):
    save_weights(fitted["LatentProjector-linear"], tmp_path)
    torch.save({"module": {}, "arrays": {}, "payload": _Payload()}, tmp_path / "weights.pt")
    _side_effect.ran = False
    with pytest.raises(ValueError, match="objects other than tensors"):
        load_weights(tmp_path)
    assert not _side_effect.ran


def test_load_weights_refuses_unknown_class_and_other_files(fitted, tmp_path):
    save_weights(fitted["LatentProjector-linear"], tmp_path)
    config_file = tmp_path / "config.json"
    config = json.loads(config_file.read_text())
    config_file.write_text(json.dumps({**config, "class": "Pipeline"}))
    with pytest.raises(ValueError, match="support ContrastivePretrainer, CrossModalAligner"):
        load_weights(tmp_path)
    config_file.write_text(json.dumps({**config, "format": "other"}))
    with pytest.raises(ValueError, match="not a sklearn_ecgmcg-weights configuration"):
        load_weights(tmp_path)
    config_file.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_weights(tmp_path)
    with pytest.raises(ValueError, match="needs config.json and weights.pt"):
        load_weights(tmp_path / "missing")


def test_save_weights_refuses_what_it_cannot_write_as_data(fitted, beats, tmp_path):
    with pytest.raises(ValueError, match="Use pickle or joblib"):
        save_weights(fitted["Pipeline"], tmp_path)
    with pytest.raises(ValueError, match="Use pickle or joblib"):
        save_weights(fitted["BandpassFilter"], tmp_path)
    with pytest.raises(ValueError, match="needs a fitted CrossModalAligner"):
        save_weights(make_aligner(), tmp_path)

    def factory(n_channels, n_times, embedding_dim):
        return torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(n_channels * n_times, embedding_dim)
        )

    custom = ContrastivePretrainer(encoder=factory, embedding_dim=4, max_epochs=1, **FAST)
    custom.fit(beats.ecg)
    with pytest.raises(ValueError, match="plain data only"):
        save_weights(custom, tmp_path)
