"""Weights-only saving and loading of fitted estimators, for sharing trained models.

Pickle (and joblib) files can run arbitrary code when loaded, so they are only for
files you made yourself. :func:`save_weights` writes a fitted estimator as plain
data that :func:`load_weights` reads back without unpickling any object.

File format
-----------
``path`` is a directory holding two files:

``config.json``
    ``{"format": "sklearn_ecgmcg-weights", "format_version": 1, "class": <class
    name>, "params": <get_params()>, "fitted": <fitted scalars>, "ecg_encoder_config":
    <or null>, "versions": {"sklearn_ecgmcg": ..., "torch": ...}}``. Tuples are
    written as ``{"__tuple__": [...]}`` so that they come back as tuples.
``weights.pt``
    ``{"module": <state_dict of net_.module_>, "arrays": {<name>: <tensor>}}``
    written by :func:`torch.save`; ``arrays`` holds the fitted arrays
    (standardisation statistics, ridge coefficients) in their own dtype. It is
    read with ``torch.load(..., weights_only=True, map_location="cpu")``, which
    accepts tensors and plain containers only.
"""

import json
import pickle
from pathlib import Path

import numpy as np
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import RidgeCV
from skorch import NeuralNet

from .alignment import CrossModalAligner
from .pretraining import ContrastivePretrainer
from .projection import LatentProjector

__all__ = ["load_weights", "save_weights"]

FORMAT = "sklearn_ecgmcg-weights"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.pt"

# Fitted attributes written besides the module's weights (arrays go to weights.pt).
_SHAPES = ("n_channels_in_", "n_times_in_", "n_features_in_")
_TRAINING = ("n_epochs_", "loss_curve_")
_FITTED = {
    ContrastivePretrainer: (*_SHAPES, *_TRAINING, "encoder_config_"),
    CrossModalAligner: (
        *_SHAPES, *_TRAINING, "n_mcg_channels_", "n_mcg_times_", "ecg_mean_", "ecg_scale_",
        "mcg_mean_", "mcg_scale_", "temperature_",
    ),
    LatentProjector: (
        "n_features_in_", "latent_shape_", "output_shape_", "x_mean_", "x_scale_", "y_mean_",
        "y_scale_",
    ),
}
_RIDGE = ("coef_", "intercept_", "alpha_", "n_features_in_")
# Training-only parameters whose objects cannot be written as data; saved as None.
_TRAINING_ONLY = ("callbacks",)


def save_weights(estimator, path):
    """Save a fitted estimator's configuration and weights, without pickle.

    Parameters
    ----------
    estimator : ContrastivePretrainer, CrossModalAligner or LatentProjector
        Fitted, with preset encoders (a callable encoder factory is code, not data).
        Its ``callbacks`` serve training only and are not saved. A
        :class:`CrossModalAligner` initialised from a pretrainer saves the
        architecture of the pretrained ECG encoder, not the pretrainer.
    path : str or path-like
        Directory to write ``config.json`` and ``weights.pt`` into (created if
        missing; existing files of these names are replaced). The format is
        described in the module docstring and the user guide.

    Raises
    ------
    ValueError
        For another estimator type (use pickle or joblib for it), an unfitted
        estimator, or a parameter that is not plain data.
    """
    kind = _supported_class(type(estimator))
    if not _is_fitted(estimator):
        raise ValueError(f"save_weights needs a fitted {kind.__name__}; call fit first.")
    params = estimator.get_params(deep=False)
    pretrainer = getattr(estimator, "ecg_pretrainer_", None)
    if pretrainer is not None:
        params["ecg_encoder"] = pretrainer.encoder_config_["encoder"]
    params.update(dict.fromkeys(_TRAINING_ONLY))
    scalars, arrays = {}, {}
    for name in _fitted_names(estimator):
        value = getattr(estimator, name)
        if isinstance(value, np.ndarray):
            arrays[name] = torch.from_numpy(np.ascontiguousarray(value))
        else:
            scalars[name] = value
    if _is_ridge(estimator):
        for name in _RIDGE:
            value = np.asarray(getattr(estimator.ridge_, name))
            arrays[f"ridge_.{name}"] = torch.from_numpy(np.ascontiguousarray(value))
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": kind.__name__,
        "params": _to_json(params, "params"),
        "fitted": _to_json(scalars, "fitted"),
        "ecg_encoder_config": (
            None if pretrainer is None else _to_json(pretrainer.encoder_config_, "ecg_encoder")
        ),
        "versions": {"sklearn_ecgmcg": _package_version(), "torch": torch.__version__},
    }
    module = {} if _is_ridge(estimator) else estimator.net_.module_.state_dict()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / CONFIG_FILE).write_text(json.dumps(config, indent=1), encoding="utf-8")
    torch.save({"module": module, "arrays": arrays}, path / WEIGHTS_FILE)


def load_weights(path):
    """Rebuild a fitted estimator saved by :func:`save_weights`, on the CPU.

    Nothing is trained and no object is unpickled: the module is rebuilt from
    the configuration by the estimator's own construction code and its weights
    are loaded with ``torch.load(..., weights_only=True, map_location="cpu")``.
    The loaded estimator's ``transform``/``predict`` equal the saved one's.

    Parameters
    ----------
    path : str or path-like
        Directory written by :func:`save_weights`.

    Returns
    -------
    estimator : ContrastivePretrainer, CrossModalAligner or LatentProjector
        Fitted; its ``net_`` is on the CPU (move it with ``net_.set_params(device=...)``
        only if needed) and its ``callbacks`` are None. A loaded aligner whose ECG
        tower was pretrained has ``ecg_pretrainer_ = None`` and the pretrained
        encoder's preset name as ``ecg_encoder``.

    Raises
    ------
    ValueError
        If the directory lacks the files, they are not this format, or the class
        is not one :func:`save_weights` writes.
    """
    path = Path(path)
    config = _read_config(path)
    kind = _supported_class(config["class"])
    try:
        state = torch.load(path / WEIGHTS_FILE, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as error:
        raise ValueError(
            f"{path / WEIGHTS_FILE} holds objects other than tensors and plain containers; "
            "load_weights does not unpickle them."
        ) from error
    params = _from_json(config["params"])
    estimator = _LOADERS[kind](params, config, state)
    for name, value in _from_json(config["fitted"]).items():
        setattr(estimator, name, value)
    for name, tensor in state["arrays"].items():
        if not name.startswith("ridge_."):
            setattr(estimator, name, tensor.numpy())
    return estimator


# ------------------------------------------------------------------ loaders
def _load_pretrainer(params, config, state):
    pretrainer = ContrastivePretrainer(**params)
    fitted = _from_json(config["fitted"])
    for name in ("encoder_config_", *_SHAPES):
        setattr(pretrainer, name, fitted[name])
    pretrainer.net_ = _inference_net(
        pretrainer._build_module(), pretrainer._criterion(), state["module"]
    )
    return pretrainer


def _load_aligner(params, config, state):
    """The aligner's own ``fit`` with ``max_epochs=0`` builds the untrained towers for the
    saved shapes (on random stand-in beats); the saved weights then replace theirs.
    """
    fitted = _from_json(config["fitted"])
    build = {**params, "max_epochs": 0, "device": "cpu"}
    encoder_config = _from_json(config["ecg_encoder_config"])
    if encoder_config is not None:
        build["ecg_encoder"] = FrozenEstimator(_pretrainer_shell(encoder_config))
    rng = np.random.default_rng(0)
    ecg = rng.standard_normal((2, fitted["n_channels_in_"], fitted["n_times_in_"]))
    mcg = rng.standard_normal((2, fitted["n_mcg_channels_"], fitted["n_mcg_times_"]))
    aligner = CrossModalAligner(**build).fit(ecg.astype(np.float32), mcg.astype(np.float32))
    aligner.net_.module_.load_state_dict(state["module"])
    aligner.net_.module_.eval()
    aligner.set_params(**params)
    aligner.ecg_pretrainer_ = None
    return aligner


def _pretrainer_shell(encoder_config):
    """An untrained pretrainer with the saved encoder architecture (weights come later)."""
    shell = ContrastivePretrainer(
        encoder=encoder_config["encoder"], encoder_params=encoder_config["params"],
        embedding_dim=encoder_config["embedding_dim"], device="cpu",
    )
    shell.encoder_config_ = encoder_config
    shell.n_channels_in_ = encoder_config["n_channels"]
    shell.n_times_in_ = encoder_config["n_times"]
    shell.n_features_in_ = shell.n_channels_in_ * shell.n_times_in_
    shell.net_ = _inference_net(shell._build_module(), shell._criterion())
    return shell


def _load_projector(params, config, state):
    projector = LatentProjector(**params)
    if projector.decoder == "mlp":
        fitted = _from_json(config["fitted"])
        projector.n_features_in_ = fitted["n_features_in_"]
        projector.latent_shape_ = fitted["latent_shape_"]
        projector.output_shape_ = fitted["output_shape_"]
        projector.net_ = _inference_net(
            projector._build_module(), torch.nn.MSELoss(), state["module"]
        )
        return projector
    ridge = RidgeCV(alphas=projector.alphas)
    for name in _RIDGE:
        value = state["arrays"][f"ridge_.{name}"].numpy()
        setattr(ridge, name, value if value.ndim else value.item())
    projector.ridge_ = ridge
    return projector


_LOADERS = {
    ContrastivePretrainer: _load_pretrainer,
    CrossModalAligner: _load_aligner,
    LatentProjector: _load_projector,
}


# ------------------------------------------------------------------ helpers
def _inference_net(module, criterion, state_dict=None):
    """An initialised skorch net on the CPU around ``module`` (with ``state_dict`` loaded)."""
    if state_dict is not None:
        module.load_state_dict(state_dict)
    return NeuralNet(module=module.eval(), criterion=criterion, device="cpu").initialize()


def _supported_class(kind):
    by_name = {cls.__name__: cls for cls in _FITTED}
    name = kind if isinstance(kind, str) else kind.__name__
    if name not in by_name or (not isinstance(kind, str) and kind is not by_name[name]):
        raise ValueError(
            f"save_weights/load_weights support {', '.join(sorted(by_name))}; got {name}. "
            "Use pickle or joblib for other estimators and pipelines (only with files "
            "you trust)."
        )
    return by_name[name]


def _is_fitted(estimator):
    return hasattr(estimator, "ridge_") or hasattr(estimator, "net_")


def _is_ridge(estimator):
    return isinstance(estimator, LatentProjector) and estimator.decoder == "linear"


def _fitted_names(estimator):
    names = [name for name in _FITTED[type(estimator)] if hasattr(estimator, name)]
    if _is_ridge(estimator):
        return names
    return names + [name for name in _TRAINING if name not in names]


def _read_config(path):
    config_file = path / CONFIG_FILE
    if not config_file.is_file() or not (path / WEIGHTS_FILE).is_file():
        raise ValueError(
            f"{path} is not a directory written by save_weights: it needs {CONFIG_FILE} "
            f"and {WEIGHTS_FILE}."
        )
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{config_file} is not valid JSON: {error}") from error
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{config_file} is not a {FORMAT} configuration.")
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{config_file} has format_version {config.get('format_version')!r}; this "
            f"version of sklearn_ecgmcg reads version {FORMAT_VERSION}."
        )
    return config


def _to_json(value, where):
    """Plain JSON data; tuples tagged so they come back as tuples."""
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(item, where) for item in value]}
    if isinstance(value, list):
        return [_to_json(item, where) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: _to_json(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(
        f"save_weights writes plain data only, but {where} is {value!r}. Use a preset "
        "encoder name rather than a callable, or save with pickle/joblib (only for files "
        "you trust)."
    )


def _from_json(value):
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(_from_json(item) for item in value["__tuple__"])
        return {key: _from_json(item) for key, item in value.items()}
    return value


def _package_version():
    from . import __version__

    return __version__
