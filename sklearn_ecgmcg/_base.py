"""The one private base shared by every torch-backed estimator (stages 1, 2 and 3).

:class:`BaseTorchEstimator` holds what the estimators have in common: the common
parameters and their constraints, device choice, seeding, input-shape bookkeeping, the
skorch ``NeuralNet`` built inside ``fit``, the non-finite-loss guard, progress output,
user callbacks, batched inference and tags. An estimator adds only its own model and loss.

How an estimator subclasses it
------------------------------
::

    class MyEstimator(TransformerMixin, BaseTorchEstimator):
        _parameter_constraints = {
            **BaseTorchEstimator._parameter_constraints,
            "my_param": [Interval(Real, 0, None, closed="neither")],
        }

        def __init__(self, *, my_param=1.0, encoder="resnet1d", embedding_dim=128,
                     temperature=0.1, max_epochs=20, batch_size=64, lr=1e-3,
                     weight_decay=1e-4, device="auto", random_state=None, verbose=0,
                     callbacks=None):
            ...  # assign every argument to self, nothing else

        @_fit_context(prefer_skip_nested_validation=True)
        def fit(self, X, y=None):
            X = self._validate_signals(X, reset=True)   # float32 (n, C, T); records shape

            def build_module():                          # runs under the seeded RNG
                encoder = make_encoder(self.encoder, self.n_channels_in_,
                                       self.n_times_in_, self.embedding_dim)
                return MyTrainingModule(encoder)         # has an ``encoder`` attribute

            self._fit_net(build_module, MyCriterion(self.temperature), X, y)
            return self

        def transform(self, X):
            return self._embed(X)                        # batched, float32

- ``build_module`` returns the ``torch.nn.Module`` that skorch trains; its
  ``forward`` receives the batch of ``X`` (or, when ``X`` is a dict of arrays, the
  batch as keyword arguments, which is how a two-modality model gets ECG and MCG).
- The criterion is a ``torch.nn.Module`` called by skorch as ``criterion(y_pred,
  y_true)`` with ``y_pred`` whatever the module's ``forward`` returned (a tuple is fine)
  and ``y_true`` the batch of ``y`` (a dummy tensor when ``y`` is None).
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
from skorch import NeuralNet
from skorch.callbacks import Callback, ProgressBar

from .nn import ENCODER_PRESETS
from .utils import check_signals

__all__ = ["BaseTorchEstimator", "NonFiniteLossGuard"]


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
    """

    _parameter_constraints = {
        "encoder": [StrOptions(set(ENCODER_PRESETS)), callable],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
    }

    # ----------------------------------------------------------------- input
    def _validate_signals(self, X, *, reset, name="X"):
        """Validate signals as float32 ``(n, C, T)``; record (reset) or check the shape."""
        X = check_signals(X, name=name, ensure_3d=True, dtype=np.float32)
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

    def _callbacks(self):
        callbacks = [("nonfinite_loss_guard", NonFiniteLossGuard(lr=self.lr))]
        if self.verbose:
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

    def _fit_net(self, build_module, criterion, X, y=None, **net_params):
        """Build the skorch net, train it under the seeded RNG and store it as ``net_``.

        Parameters
        ----------
        build_module : callable
            No-argument function returning the training ``torch.nn.Module``; called
            after seeding so its initial weights follow ``random_state``.
        criterion : torch.nn.Module
            Loss, called as ``criterion(y_pred, y_true)``.
        X : ndarray or dict of ndarray
            Training input (a dict is passed to ``forward`` as keyword arguments).
        y : ndarray or None
            Per-sample targets handed to the criterion.
        **net_params
            Extra :class:`skorch.NeuralNet` parameters (e.g. ``iterator_train__sampler``).
        """
        device = resolve_device(self.device)
        n_samples = _n_samples(X)
        batch_size = min(self.batch_size, n_samples)
        params = {
            "optimizer": torch.optim.AdamW,
            "lr": self.lr,
            "optimizer__weight_decay": self.weight_decay,
            "max_epochs": self.max_epochs,
            "batch_size": batch_size,
            "iterator_train__shuffle": True,
            "iterator_train__drop_last": n_samples > batch_size,
            "train_split": None,
            "callbacks": self._callbacks(),
            "device": device,
            "verbose": int(bool(self.verbose)),
            **net_params,
        }
        with seeded_torch(self._seed(), device):
            net = NeuralNet(module=build_module(), criterion=criterion, **params)
            net.fit(_as_tensor(X), None if y is None else _as_tensor(y))
        self.net_ = net
        self.n_epochs_ = len(net.history)
        self.loss_curve_ = [float(loss) for loss in net.history[:, "train_loss"]]
        return self

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
                batch = torch.tensor(X[start : start + self.batch_size], device=device)
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
