"""The one training skeleton shared by every torch-backed estimator (stages 1, 2 and 3).

:class:`BaseTorchEstimator` owns everything that is not an estimator's own objective:
the common parameters (as named constraint groups), device choice, seeding, input-shape
bookkeeping, the skorch ``NeuralNet`` and its training loop, the non-finite-loss guard,
progress output, user callbacks, batched inference, nested encoder parameters and tags.

How an estimator subclasses it
------------------------------
An estimator is a few overridable steps, in the spirit of skorch's ``initialize_module``
and ``get_loss``::

    class MyEstimator(TransformerMixin, BaseTorchEstimator):
        _parameter_constraints = {**ENCODER_CONSTRAINTS, **CONTRASTIVE_CONSTRAINTS,
                                  **TRAINING_CONSTRAINTS}
        _fitted_attributes = (*BaseTorchEstimator._fitted_attributes, "encoder_config_")
        _routed_params = ("encoder",)       # encoder__width=... reaches the encoder

        def __init__(self, *, encoder="resnet1d", embedding_dim=128, temperature=0.1,
                     max_epochs=20, ..., callbacks=None, **routed_params):
            ...  # assign every argument to self, then self._set_routed_params(routed_params)

        @_fit_context(prefer_skip_nested_validation=True)
        def fit(self, X, y=None):
            X = self._validate_signals(X, reset=True)   # float32 (n, C, T); records shape
            self.encoder_config_ = ...                   # what _build_module needs
            return self._fit_net(X, y)

        def _build_module(self):                         # from fitted attributes only
            return MyTrainingModule(make_encoder(**self.encoder_config_))

        def _build_criterion(self):                      # loss hyperparameters live here
            return TwoViewCriterion(self.temperature)

        def transform(self, X):
            return self._embed(X)                        # batched, float32

- :meth:`_build_module` returns the ``torch.nn.Module`` skorch trains, built from
  parameters and fitted attributes only (never from the data), so
  :func:`~sklearn_ecgmcg.load_weights` rebuilds it without fitting. Its ``forward``
  receives the batch of the training inputs (a dict of arrays arrives as keyword
  arguments: how a two-modality model gets ECG and MCG).
- :meth:`_build_criterion` returns the criterion, called by skorch as
  ``criterion(y_pred, y_true)`` (see :mod:`sklearn_ecgmcg.nn`'s criteria).
- :meth:`_training_data` turns validated ``(X, y)`` into what the net trains on;
  :meth:`_net_params` adds skorch parameters (a sampler, parameter groups).
- ``max_epochs=0`` builds and initialises the net without training (a baseline).
- ``_embed`` runs :meth:`_embedding_module` (by default ``net_.module_.encoder``)
  batch by batch; override ``_embedding_module`` for another sub-module.
- Augmentations and masks belong in the training module's ``forward``, so they run
  on the training device and use the seeded torch generator.
"""

import copy
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, ProgressBar

from ._distributed import DataParallel, SyncTrainLoss, TrainingNet
from ._streaming import SignalDataset, is_lazy_signals, loader_params
from .nn import ENCODER_PRESETS
from .utils import check_signals

__all__ = [
    "BaseTorchEstimator",
    "CONTRASTIVE_CONSTRAINTS",
    "ENCODER_CONSTRAINTS",
    "NonFiniteLossGuard",
    "TRAINING_CONSTRAINTS",
]


class NonFiniteLossGuard(Callback):
    """skorch callback that stops training when a batch loss is NaN or infinite.

    Raises
    ------
    FloatingPointError
        Naming the epoch, the batch and the likely causes.
    """

    def __init__(self, lr=None):
        self.lr = lr

    def on_epoch_begin(self, net, **kwargs):
        self.batch_ = 0

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        self.batch_ = getattr(self, "batch_", 0) + 1
        if loss is None or torch.isfinite(loss).all():
            return
        epoch = len(net.history)
        raise FloatingPointError(
            f"The training loss became {loss.item()} at epoch {epoch}, batch {self.batch_}. "
            f"Likely causes: a learning rate too high (lr={self.lr}; try 10x smaller), or "
            "unscaled input (standardise or band-pass the signals so their amplitudes "
            "are of order 1)."
        )


def resolve_device(device):
    """Map ``"auto"`` to ``"cuda"`` when a GPU is present, else ``"cpu"``.

    Raises
    ------
    ValueError
        If a CUDA device is asked for and none is available.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except RuntimeError as error:
        raise ValueError(
            f'device must be "auto", "cpu", "cuda" or a torch device string; got {device!r}.'
        ) from error
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this machine; "
            'use device="auto" (CUDA when present, else CPU) or device="cpu".'
        )
    return device


@contextmanager
def seeded_torch(seed, device):
    """Seed torch's global generators for the block and restore them afterwards.

    Module initialisation, augmentation draws and the DataLoader's shuffling all use
    the global generator, so one seed makes a fit reproducible without leaving the
    user's torch random state changed.
    """
    device = torch.device(device)
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _as_tensor(X):
    """numpy -> torch, sharing memory when possible (nothing here writes to it)."""
    if isinstance(X, dict):
        return {key: _as_tensor(value) for key, value in X.items()}
    if isinstance(X, np.ndarray):
        return torch.from_numpy(X) if X.flags.writeable else torch.tensor(X)
    return X


def _n_samples(X):
    return len(next(iter(X.values()))) if isinstance(X, dict) else len(X)


# Named groups of parameter constraints; each estimator composes the groups it has.
TRAINING_CONSTRAINTS = {
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "device": [str, torch.device],
    "precision": [StrOptions({"float32", "bf16"})],
    "compile": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "callbacks": [list, None],
}
ENCODER_CONSTRAINTS = {
    "encoder": [StrOptions(set(ENCODER_PRESETS)), callable],
    "encoder_params": [dict, None],
    "embedding_dim": [Interval(Integral, 1, None, closed="left")],
}
CONTRASTIVE_CONSTRAINTS = {
    "temperature": [Interval(Real, 0, None, closed="neither")],
}


class BaseTorchEstimator(BaseEstimator):
    """Base class of the torch-backed estimators; not for direct use.

    See the module docstring for how to subclass it. Common parameters (each
    subclass lists them in its own ``__init__``):

    encoder : str or callable
        Encoder preset of :func:`sklearn_ecgmcg.nn.make_encoder` or a factory.
    embedding_dim : int
        Size of the embedding.
    temperature : float
        Softmax temperature of contrastive losses.
    max_epochs : int
        Passes over the training data.
    batch_size : int
        Mini-batch size for training and inference. With fewer samples than
        ``batch_size``, one batch of all samples is used. Otherwise the last,
        incomplete training batch of each epoch is dropped (contrastive losses
        need negatives; samples are reshuffled every epoch).
    lr, weight_decay : float
        AdamW learning rate and decoupled weight decay.
    device : {"auto", "cpu", "cuda"} or str
        Training device; ``"auto"`` picks CUDA when available. A model fitted on a
        GPU unpickles on a CPU-only machine (skorch maps it to the CPU).
    precision : {"float32", "bf16"}
        ``"bf16"`` trains under bfloat16 autocast (float32 weights).
    compile : bool
        Compile the training module with :func:`torch.compile`.
    random_state : int, RandomState instance or None
        Seeds weight initialisation, augmentations and shuffling. The same integer
        gives identical results on CPU (CUDA kernels may be non-deterministic).
    verbose : int
        0 silent; 1 a progress bar and a table of losses per epoch.
    callbacks : list of skorch callbacks or (name, callback) tuples, or None
        Extra skorch callbacks, e.g. ``EarlyStopping(monitor="train_loss")``,
        ``LRScheduler``, or Optuna's ``SkorchPruningCallback``. Each is shallow-copied
        at ``fit``: the objects passed keep no training state, and objects they refer
        to (such as an Optuna trial) are shared, not duplicated. There is no internal
        validation split, so monitor ``"train_loss"``.
    <prefix>__<name>
        For each parameter in ``_routed_params`` (e.g. ``encoder``), keyword
        arguments of that encoder, as skorch routes ``module__<name>``: ``encoder__width=32``.
        They override the ``*_params`` dict of the same encoder and are reached by
        ``set_params`` and ``GridSearchCV`` directly.
    """

    _parameter_constraints = {**ENCODER_CONSTRAINTS, **CONTRASTIVE_CONSTRAINTS,
                              **TRAINING_CONSTRAINTS}
    # Fitted attributes save_weights writes besides the weights (those present).
    _fitted_attributes = ("n_channels_in_", "n_times_in_", "n_features_in_", "n_epochs_",
                          "loss_curve_")
    # Constructor parameters whose "<name>__<key>" keywords route to the encoder.
    _routed_params = ()

    # ------------------------------------------------------ training steps
    def _build_module(self):
        """The training ``torch.nn.Module``, from parameters and fitted attributes only."""
        raise TypeError(f"{type(self).__name__} does not define _build_module().")

    def _build_criterion(self):
        """The criterion ``criterion(y_pred, y_true)`` that holds the loss's hyperparameters."""
        raise TypeError(f"{type(self).__name__} does not define _build_criterion().")

    def _training_data(self, X, y, groups=None):
        """``(inputs, targets)`` the net trains on (a dict of inputs is fine)."""
        return X, y

    def _net_params(self, targets):
        """Extra :class:`skorch.NeuralNet` parameters (e.g. ``iterator_train__sampler``)."""
        return {}

    def _training_crop_length(self):
        """Length of the random crops drawn at training time (None: whole inputs)."""
        return None

    def _training_dataset(self, inputs, targets):
        """A :class:`SignalDataset` (read per sample) for inputs read on demand or
        cropped; None keeps skorch's in-memory path (one tensor)."""
        crop_length = self._training_crop_length()
        if crop_length is None and not is_lazy_signals(inputs):
            return None
        return SignalDataset(inputs, targets, crop_length=crop_length)

    def _loader_params(self, dataset, device):
        """DataLoader options of the streamed path (workers; pinned memory on CUDA)."""
        return {} if dataset is None else loader_params(getattr(self, "num_workers", 0), device)

    # ----------------------------------------------------- nested params
    # Keywords beyond the signature (``encoder__width=32``) are stored as attributes by
    # ``__init__`` and returned by ``get_params``; as scikit-learn asks, neither
    # ``__init__`` nor ``set_params`` validates them: ``fit`` does.
    def _set_routed_params(self, routed_params):
        """Store the extra constructor keywords as attributes (called by ``__init__``)."""
        for key, value in routed_params.items():
            setattr(self, key, value)

    def _extra_params(self):
        """Constructor keywords beyond the signature: public, non-fitted, undeclared."""
        declared = self._get_param_names()
        return {
            key: value for key, value in vars(self).items()
            if not key.startswith("_") and not key.endswith("_") and key not in declared
        }

    def _is_routed(self, key, params=None):
        prefix, separator, _ = key.partition("__")
        if not separator or prefix not in self._routed_params:
            return False
        value = (params or {}).get(prefix, getattr(self, prefix, None))
        return not hasattr(value, "set_params")  # an estimator gets scikit-learn's routing

    def _check_routed_params(self):
        """Raise for a constructor keyword that routes nowhere (called by ``fit``)."""
        for key in self._extra_params():
            if not self._is_routed(key):
                routes = [f"{name}__<name>" for name in self._routed_params]
                raise TypeError(
                    f"{type(self).__name__} got an unexpected keyword argument {key!r}; "
                    f"the only extra keywords are nested encoder parameters {routes} "
                    "(for a preset or factory encoder, not a pretrainer)."
                )

    def _validate_params(self):
        super()._validate_params()
        self._check_routed_params()

    def _encoder_kwargs(self, prefix, params_dict=None):
        """Keyword arguments of encoder ``prefix``: its dict, then the routed keywords."""
        routed = {
            key.split("__", 1)[1]: value for key, value in self._extra_params().items()
            if key.startswith(f"{prefix}__")
        }
        return {**(params_dict or {}), **routed}

    def get_params(self, deep=True):
        return {**super().get_params(deep=deep), **self._extra_params()}

    def set_params(self, **params):
        extra = self._extra_params()
        own = {key: params.pop(key) for key in list(params)
               if key in extra or self._is_routed(key, params)}
        super().set_params(**params)
        for key, value in own.items():
            setattr(self, key, value)
        return self

    # ----------------------------------------------------------------- input
    def _validate_signals(self, X, *, reset, name="X"):
        """Validate signals as float32 ``(n, C, T)``; record (reset) or check the shape.

        An input read on demand (a memory map, an ``ECGCorpus``) is checked block by
        block and returned as it is: training and inference read it batch by batch.
        """
        X = check_signals(X, name=name, ensure_3d=True, dtype=np.float32, lazy=True)
        _, n_channels, n_times = X.shape
        if reset:
            self.n_channels_in_ = n_channels
            self.n_times_in_ = n_times
            self.n_features_in_ = n_channels * n_times
        elif (n_channels, n_times) != (self.n_channels_in_, self.n_times_in_):
            raise ValueError(
                f"{name} has {n_channels * n_times} features, but {type(self).__name__} "
                f"is expecting {self.n_features_in_} features as input: it was fitted on "
                f"{self.n_channels_in_} channel(s) x {self.n_times_in_} time samples, "
                f"got {n_channels} x {n_times}."
            )
        return X

    # ----------------------------------------------------------- training
    def _seed(self):
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _callbacks(self, parallel=None):
        callbacks = [("nonfinite_loss_guard", NonFiniteLossGuard(lr=self.lr))]
        if parallel is not None:  # before the user's: they see the loss of all ranks
            callbacks.append(("sync_train_loss", SyncTrainLoss(parallel)))
        if self.verbose and (parallel is None or parallel.is_main):
            callbacks.append(("progress_bar", ProgressBar()))
        # Shallow copies: skorch's ``initialize`` rebinds a callback's state on the copy,
        # so the user's objects stay as passed, while references they hold (an Optuna
        # trial that must receive the reports) are kept, not duplicated.
        for callback in self.callbacks or []:
            if isinstance(callback, tuple):
                name, callback = callback
                callbacks.append((name, copy.copy(callback)))
            else:
                callbacks.append(copy.copy(callback))
        return callbacks

    def _fit_net(self, X, y=None, groups=None):
        """Build the net from the steps, train it under the seeded RNG, store it as ``net_``.

        ``max_epochs=0`` initialises the module without training.
        """
        inputs, targets = self._training_data(X, y, groups)
        dataset = self._training_dataset(inputs, targets)  # None: the in-memory path
        n_samples = _n_samples(inputs)
        batch_size = min(self.batch_size, n_samples)
        device = resolve_device(self.device)
        parallel = DataParallel.from_environment(device)  # None on one process
        if parallel is not None:
            parallel.check_batch_size(batch_size)
            device = parallel.device
        params = {
            "optimizer": torch.optim.AdamW,
            "lr": self.lr,
            "optimizer__weight_decay": self.weight_decay,
            "max_epochs": self.max_epochs,
            "batch_size": batch_size,
            "iterator_train__shuffle": True,
            "iterator_train__drop_last": n_samples > batch_size,
            "train_split": None,
            "callbacks": self._callbacks(parallel),
            "verbose": int(bool(self.verbose) and (parallel is None or parallel.is_main)),
            "precision": self.precision,
            "compile_training": self.compile,
            "parallel": parallel,
            **self._net_params(targets),
            **self._loader_params(dataset, device),
        }
        seed = self._seed() if parallel is None else parallel.broadcast(self._seed())
        with seeded_torch(seed, device):
            net = self._initialized_net(device, **params)
            if self.max_epochs > 0:
                if dataset is not None:
                    net.partial_fit(dataset, None)
                else:
                    net.partial_fit(_as_tensor(inputs),
                                    None if targets is None else _as_tensor(targets))
        self.net_ = net
        self.n_epochs_ = len(net.history)
        self.loss_curve_ = (
            [float(loss) for loss in net.history[:, "train_loss"]] if len(net.history) else []
        )
        return self

    def _initialized_net(self, device="cpu", **params):
        """A skorch net around freshly built module and criterion, initialised (untrained).

        :func:`~sklearn_ecgmcg.load_weights` calls it on an estimator whose fitted
        attributes it restored, then loads the saved weights into it.
        """
        return TrainingNet(
            module=self._build_module(), criterion=self._build_criterion(), device=device,
            **{"batch_size": self.batch_size, **params},
        ).initialize()

    def _weights_state(self):
        """The tensors :func:`~sklearn_ecgmcg.save_weights` writes (state dicts)."""
        return {"module": self.net_.module_.state_dict(),
                "criterion": self.net_.criterion_.state_dict()}

    def _load_weights_state(self, state):
        """Rebuild ``net_`` on the CPU from the fitted attributes and load ``state``."""
        self.net_ = self._initialized_net("cpu")
        self.net_.module_.load_state_dict(state["module"])
        self.net_.criterion_.load_state_dict(state["criterion"])
        self.net_.module_.eval()

    def _params_for_saving(self):
        """Constructor parameters as plain data (training-only callbacks dropped)."""
        return {**self.get_params(deep=False), "callbacks": None}

    # ---------------------------------------------------------- inference
    def _embedding_module(self):
        """The fitted sub-module that maps a batch of ``X`` to embeddings."""
        return self.net_.module_.encoder

    def _embed(self, X, module=None):
        """Validate ``X`` and run ``module`` batch by batch without gradients.

        Returns
        -------
        embedding : ndarray of float32, shape (n_samples, ...)
        """
        check_is_fitted(self, "net_")
        X = self._validate_signals(X, reset=False)
        return self._run_batched(X, module if module is not None else self._embedding_module())

    def _run_batched(self, X, module):
        """Run ``module`` in eval mode over validated float32 ``X``, ``batch_size`` at a time.

        Batches are written into one preallocated output, so the memory used beyond ``X``
        and the output is one batch, whatever the number of samples.
        """
        module.eval()
        device = self.net_.device
        output = None  # allocated once the first batch gives the output shape
        with torch.inference_mode():
            for start in range(0, len(X), self.batch_size):
                rows = np.array(X[start : start + self.batch_size], dtype=np.float32)
                batch = torch.from_numpy(rows).to(device)
                result = module(batch).float().cpu().numpy()
                if output is None:
                    output = np.empty((len(X), *result.shape[1:]), dtype=np.float32)
                output[start : start + len(result)] = result
        return output

    @property
    def history_(self):
        """skorch's training history (losses per epoch and batch)."""
        check_is_fitted(self, "net_")
        return self.net_.history

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags
