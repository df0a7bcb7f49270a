"""Weights-only saving and loading of fitted estimators, for sharing trained models.

Pickle (and joblib) files can run arbitrary code when loaded, so they are only for
files you made yourself. :func:`save_weights` writes a fitted estimator as plain
data that :func:`load_weights` reads back without unpickling any object.

File format
-----------
``path`` is a directory holding two files:

``config.json``
    ``{"format": "sklearn_ecgmcg-weights", "format_version": 2, "class": <class
    name>, "params": <constructor parameters>, "fitted": <fitted scalars>,
    "versions": {"sklearn_ecgmcg": ..., "torch": ...}}``. Tuples are written as
    ``{"__tuple__": [...]}`` so that they come back as tuples.
``weights.pt``
    ``{"weights": <the estimator's state dicts>, "arrays": {<name>: <tensor>}}``
    written by :func:`torch.save`; ``arrays`` holds the fitted arrays
    (standardisation statistics) in their own dtype. It is read with
    ``torch.load(..., weights_only=True, map_location="cpu")``, which accepts
    tensors and plain containers only.

What is written is each class's own: the fitted attributes it lists in
``_fitted_attributes`` and the state of ``_weights_state()``; loading calls the
class's ``_load_weights_state()``, which rebuilds the module from the fitted
attributes alone (``_build_module``), without fitting.
"""

import json
import pickle
from pathlib import Path

import numpy as np
import torch

from ._version import __version__
from .alignment import CrossModalAligner
from .pretraining import ContrastivePretrainer
from .projection import LatentProjector

__all__ = ["load_weights", "save_weights"]

FORMAT = "sklearn_ecgmcg-weights"
FORMAT_VERSION = 2
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.pt"
_SUPPORTED = (ContrastivePretrainer, CrossModalAligner, LatentProjector)


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
    if not (hasattr(estimator, "ridge_") or hasattr(estimator, "net_")):
        raise ValueError(f"save_weights needs a fitted {kind.__name__}; call fit first.")
    scalars, arrays = {}, {}
    for name in kind._fitted_attributes:
        if not hasattr(estimator, name):
            continue
        value = getattr(estimator, name)
        if isinstance(value, np.ndarray):
            arrays[name] = torch.from_numpy(np.ascontiguousarray(value))
        else:
            scalars[name] = value
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": kind.__name__,
        "params": _to_json(estimator._params_for_saving(), "params"),
        "fitted": _to_json(scalars, "fitted"),
        "versions": {"sklearn_ecgmcg": __version__, "torch": torch.__version__},
    }
    weights = estimator._weights_state()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / CONFIG_FILE).write_text(json.dumps(config, indent=1), encoding="utf-8")
    torch.save({"weights": weights, "arrays": arrays}, path / WEIGHTS_FILE)


def load_weights(path):
    """Rebuild a fitted estimator saved by :func:`save_weights`, on the CPU.

    Nothing is trained and no object is unpickled: the module is rebuilt from
    the saved fitted attributes by the estimator's own construction code and its
    weights are loaded with ``torch.load(..., weights_only=True, map_location="cpu")``.
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
    estimator = kind(**_from_json(config["params"]))
    for name, value in _from_json(config["fitted"]).items():
        setattr(estimator, name, value)
    for name, tensor in state["arrays"].items():
        setattr(estimator, name, tensor.numpy())
    estimator._load_weights_state(state["weights"])
    return estimator


# ------------------------------------------------------------------ helpers
def _supported_class(kind):
    by_name = {cls.__name__: cls for cls in _SUPPORTED}
    name = kind if isinstance(kind, str) else kind.__name__
    if name not in by_name or (not isinstance(kind, str) and kind is not by_name[name]):
        raise ValueError(
            f"save_weights/load_weights support {', '.join(sorted(by_name))}; got {name}. "
            "Use pickle or joblib for other estimators and pipelines (only with files "
            "you trust)."
        )
    return by_name[name]


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
