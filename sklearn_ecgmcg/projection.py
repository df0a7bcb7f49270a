"""Stage 3: from the shared latent to a usable output (:class:`LatentProjector`)."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from scipy.linalg import LinAlgWarning
from sklearn.base import RegressorMixin, _fit_context
from sklearn.linear_model import RidgeCV
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from . import _conformal
from ._base import TRAINING_CONSTRAINTS, BaseTorchEstimator
from ._projection_data import by_time_step, check_target, from_time_steps, penalty_splits
from .alignment import LatentEncoder  # noqa: F401  (its home until 0.1: kept importable)
from .metrics import virtual_mcg_r2
from .nn import ProjectionHead
from .utils import check_signals

__all__ = ["LatentProjector"]

# Fitted ridge attributes save_weights writes for decoder="linear".
_RIDGE_ATTRIBUTES = ("coef_", "intercept_", "alpha_", "n_features_in_")

# Output values predicted at once (float64 intermediates of about 32 MB).
_PREDICT_BLOCK_VALUES = 2**22


class LatentProjector(RegressorMixin, BaseTorchEstimator):
    """Decode a latent embedding into a signal: the "virtual MCG" regressor (stage 3).

    Learns a map from latents (typically the output of
    :class:`~sklearn_ecgmcg.CrossModalAligner` upstream in a
    :class:`~sklearn.pipeline.Pipeline`) to multichannel signals, e.g. the MCG of
    the same heartbeat. Inputs are standardised per latent feature and targets are
    centred on the mean training signal and divided by their overall RMS (one scale
    for all channels, so their relative amplitudes are kept); predictions are
    returned in the target's units (pT for MCG) and shape.

    Parameters
    ----------
    decoder : {"linear", "mlp"}, default="linear"
        - ``"linear"``: closed-form ridge regression
          (:class:`~sklearn.linear_model.RidgeCV`, penalty chosen among ``alphas`` by
          ``cv``); the training parameters below are unused. The
          default: on held-out simulated subjects it gave a higher R² and smaller
          field-map errors than the MLP, in seconds (``benchmarks/bench_virtual_mcg.py``).
        - ``"mlp"``: an MLP (:class:`sklearn_ecgmcg.nn.ProjectionHead`, GELU) trained
          with the mean squared error through skorch (AdamW); it can learn maps the
          ridge cannot, given enough training subjects.
    hidden_dim : int, default=256
        Width of the MLP's hidden layers.
    n_layers : int, default=2
        Linear layers of the MLP (1 is a linear map trained by gradient descent).
    alphas : array-like of float, default=(1e-2, 1e-1, ..., 1e6)
        Ridge penalties tried by ``decoder="linear"`` (on standardised latents).
    cv : int, cross-validation generator, iterable or None, default=5
        How ``decoder="linear"`` picks its penalty among ``alphas``: the best mean R²
        over ``cv`` folds of whole samples (all time steps of a sample in one fold).
        An int means :class:`~sklearn.model_selection.GroupKFold` over the subjects
        when :meth:`fit` gets ``groups``, else
        :class:`~sklearn.model_selection.KFold` over contiguous blocks of samples,
        which keeps subjects apart when the samples are sorted by subject (as
        :func:`~sklearn_ecgmcg.datasets.make_paired_beats` and the loaders return
        them); pass ``groups`` otherwise. None is RidgeCV's fast leave-one-out over
        rows, which keeps a held-out row's beat and subject in training and so picks
        too weak a penalty on latents the aligner learnt from the same MCG (R² 0.45
        against 0.66 with subject folds, ``benchmarks/results/method_value.md``).
    max_epochs : int, default=100
        Passes over the training data (``"mlp"``).
    batch_size : int, default=64
        Mini-batch size for training and prediction (``"mlp"``). With fewer
        samples one batch of all samples is used; otherwise the last incomplete
        training batch of each epoch is dropped.
    lr : float, default=1e-3
        AdamW learning rate (``"mlp"``).
    weight_decay : float, default=1e-4
        AdamW decoupled weight decay (``"mlp"``).
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Training device (``"mlp"``); ``"auto"`` uses CUDA when available.
    precision : {"float32", "bf16"}, default="float32"
        ``"bf16"`` runs the training forward pass and loss under bfloat16 autocast
        (weights and optimizer state stay float32); for GPUs with bf16 units.
    compile : bool, default=False
        Compile the training module with :func:`torch.compile` (skorch's ``compile``).
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation and shuffling (``"mlp"``); an integer gives identical
        predictions on CPU.
    verbose : int, default=0
        0 silent, 1 a progress bar and a per-epoch loss table (``"mlp"``).
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (``"mlp"``), shallow-copied at ``fit``; there is no
        validation split, so monitor ``"train_loss"``.

    Attributes
    ----------
    n_features_in_ : int
        Latent size seen at ``fit``.
    feature_names_in_ : ndarray of str
        Latent names, when ``X`` was a DataFrame with string column names.
    output_shape_ : tuple of int
        Shape of one target sample: ``(n_channels, n_times)`` for 3-D ``y``,
        ``(n_times,)`` for 2-D ``y`` (one channel), ``()`` for 1-D ``y``.
    latent_shape_ : tuple of int
        Shape of one latent: ``(n_features_in_,)``, or ``(n_features_in_, n_times)``
        for time-resolved latents.
    x_mean_ : ndarray of shape ``latent_shape_``
        Mean training latent.
    x_scale_ : ndarray of shape ``(n_features_in_,)``
        RMS of each centred latent feature (over samples and time steps).
    y_mean_ : ndarray of shape ``output_shape_``
        Mean training target (the prediction for an average latent).
    y_scale_ : float
        RMS of the centred training targets, in their units.
    ridge_ : RidgeCV
        The fitted readout (``decoder="linear"`` only).
    net_ : skorch.NeuralNet
        The trained decoder (``decoder="mlp"`` only); also ``n_epochs_`` and
        ``loss_curve_`` (training loss per epoch, on scaled targets).
    novelty_reference_ : ndarray of shape (n_reference, n_latent_values)
        Up to 1000 standardised, flattened training latents for the novelty of
        :meth:`calibrate` (``novelty_scale_``: their median neighbour distance).
    conformity_scores_ : ndarray of shape ``(n_calibration, *output_shape_)``
        Sorted calibration scores, set by :meth:`calibrate` (with
        ``adaptive_intervals_``); a new ``fit`` removes them.

    See Also
    --------
    sklearn_ecgmcg.metrics.virtual_mcg_r2 : The score.
    sklearn_ecgmcg.metrics.make_virtual_mcg_scorer : R², correlation and field-map
        angle scorers for model selection.

    Notes
    -----
    Time-resolved latents ``X`` of shape ``(n_samples, n_features, n_times)`` (such
    as ``CrossModalAligner(latent="temporal")`` gives with ``"spatial"`` towers: the
    virtual leads' time courses) are decoded one time step at a time, with one map
    from the ``n_features`` latent values to the ``n_channels`` output values shared
    by all time steps, around the mean training latent and signal: the physics' form
    when both modalities are linear in the same source at each instant. ``y`` must
    then be signals with the same ``n_times``.

    ``y`` may be 3-D ``(n_samples, n_channels, n_times)``, 2-D ``(n_samples,
    n_times)`` (one channel, the package's signal convention; scikit-learn's
    multi-output regression) or 1-D ``(n_samples,)`` (one scalar per sample,
    plain regression). :meth:`predict` returns the shape seen at ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg import LatentProjector
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.standard_normal((64, 8))
    >>> mcg = np.einsum("nd,dct->nct", Z, rng.standard_normal((8, 4, 50)))
    >>> projector = LatentProjector().fit(Z, mcg)
    >>> projector.predict(Z).shape
    (64, 4, 50)
    >>> round(projector.score(Z, mcg), 3)
    1.0

    After an aligner in a pipeline, it predicts the MCG from the ECG alone::

        pipe = Pipeline([
            ("lowpass", BandpassFilter(l_freq=None, h_freq=40, sfreq=500)),
            ("align", CrossModalAligner(temperature=0.1)),
            ("project", LatentProjector()),
        ])
        pipe.fit(ecg_beats, mcg_beats)        # y (MCG) reaches both aligner and projector
        virtual_mcg = pipe.predict(new_ecg_beats)
        pipe.score(test_ecg, test_mcg)        # R² of the virtual MCG
    """

    _parameter_constraints = {
        **TRAINING_CONSTRAINTS,
        "decoder": [StrOptions({"mlp", "linear"})],
        "hidden_dim": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "alphas": ["array-like", Interval(Real, 0, None, closed="neither")],
        "cv": ["cv_object", None],
    }
    _fitted_attributes = (
        "n_features_in_", "latent_shape_", "output_shape_", "x_mean_", "x_scale_", "y_mean_",
        "y_scale_", "n_epochs_", "loss_curve_", "novelty_reference_", "novelty_scale_",
        "conformity_scores_", "adaptive_intervals_",
    )

    def __init__(
        self,
        decoder="linear",
        *,
        hidden_dim=256,
        n_layers=2,
        alphas=(1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6),
        cv=5,
        max_epochs=100,
        batch_size=64,
        lr=1e-3,
        weight_decay=1e-4,
        device="auto",
        precision="float32",
        compile=False,
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.decoder = decoder
        self.hidden_dim = hidden_dim
        self.n_layers = n_layers
        self.alphas = alphas
        self.cv = cv
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.device = device
        self.precision = precision
        self.compile = compile
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, groups=None):
        """Learn the decoder from latents ``X`` to signals ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_features, n_times)
            Latents, e.g. ``CrossModalAligner.transform(ecg)``; 3-D latents are
            decoded time step by time step (see Notes).
        y : array-like of shape (n_samples, n_channels, n_times), (n_samples, n_times) \
                or (n_samples,)
            Target signals (MCG in pT), paired with ``X`` by row.
        groups : array-like of shape (n_samples,), default=None
            Subject of each sample: ``decoder="linear"`` then picks its penalty on
            held-out subjects (see ``cv``). In a pipeline: ``pipe.fit(ecg, mcg,
            project__groups=subjects)``.

        Returns
        -------
        self : LatentProjector
        """
        X = self._validate_latents(X, reset=True)
        y = check_target(y)
        if len(X) != len(y):
            raise ValueError(
                f"X has {len(X)} latents but y has {len(y)} MCG samples: found input "
                "variables with inconsistent numbers of samples. Pass the MCG beats paired "
                "with the latents, row by row (the same beats, in the same order)."
            )
        if X.shape[0] < 2:
            raise ValueError(
                "LatentProjector needs at least 2 samples to standardise the latents; "
                f"got n_samples={X.shape[0]}."
            )
        if X.ndim == 3 and not (y.ndim == 3 and y.shape[2] == X.shape[2]):
            raise ValueError(
                f"Time-resolved latents of shape {X.shape} are decoded one time sample at "
                f"a time, so y must be signals (n_samples, n_channels, {X.shape[2]}) with "
                f"the same {X.shape[2]} time samples; got y of shape {y.shape}."
            )
        if self.decoder == "linear":
            n_times = X.shape[2] if X.ndim == 3 else 1
            splits = penalty_splits(self.cv, len(X), n_times, groups)
        self.output_shape_ = y.shape[1:]
        Z = self._fit_scaling(X)
        for name in ("conformity_scores_", "adaptive_intervals_"):  # a refit uncalibrates
            self.__dict__.pop(name, None)
        self.novelty_reference_, self.novelty_scale_ = _conformal.novelty_reference(Z)
        y_scaled = self._scale_target(y)
        if X.ndim == 3:  # one row per (sample, time step): a map shared by all times
            Z, y_scaled = by_time_step(Z), by_time_step(y_scaled.reshape(y.shape))
        if self.decoder == "linear":
            alphas = np.asarray(self.alphas, dtype=np.float64)
            with warnings.catch_warnings():
                # The smallest trial penalties can leave the normal equations
                # ill-conditioned; the folds then score them low, which is the point.
                warnings.simplefilter("ignore", LinAlgWarning)
                self.ridge_ = RidgeCV(alphas=alphas, cv=splits).fit(Z, y_scaled)
            return self
        return self._fit_net(Z.astype(np.float32), y_scaled.astype(np.float32))

    def _build_criterion(self):
        return nn.MSELoss()

    def _weights_state(self):
        if self.decoder == "mlp":
            return super()._weights_state()
        return {f"ridge_.{name}": torch.from_numpy(np.array(getattr(self.ridge_, name)))
                for name in _RIDGE_ATTRIBUTES}

    def _load_weights_state(self, state):
        if self.decoder == "mlp":
            return super()._load_weights_state(state)
        ridge = RidgeCV(alphas=self.alphas)
        for name in _RIDGE_ATTRIBUTES:
            value = state[f"ridge_.{name}"].numpy()
            setattr(ridge, name, value if value.ndim else value.item())
        self.ridge_ = ridge

    def _build_module(self):
        """The MLP decoder, latent -> flattened signal (or, time-shared, -> channels)."""
        if len(self.latent_shape_) == 2:
            n_outputs = self.output_shape_[0]
        else:
            n_outputs = int(np.prod(self.output_shape_, dtype=np.int64))
        return ProjectionHead(self.n_features_in_, n_outputs, self.hidden_dim, self.n_layers)

    def predict(self, X):
        """Predict signals (the virtual MCG) from latents.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_features, n_times)
            Latents, shaped as at ``fit``.

        Returns
        -------
        y_pred : ndarray of shape ``(n_samples, *output_shape_)``
            Predicted signals in the units of the training targets, in the float
            dtype of ``X`` (float32 for the aligner's latents, to halve memory).
        """
        check_is_fitted(self, "output_shape_")
        X = self._validate_latents(X, reset=False)
        y_pred = np.empty((len(X), *self.output_shape_), dtype=X.dtype)
        # Blocks of rows, so the float64 intermediates stay small whatever len(X) is.
        step = max(_PREDICT_BLOCK_VALUES // max(self.y_mean_.size, 1), 1)
        for start in range(0, len(X), step):
            y_pred[start : start + step] = self._predict_block(X[start : start + step])
        return y_pred

    def _predict_block(self, X):
        Z = self._scale_latents(X)
        if X.ndim == 3:
            Z = by_time_step(Z)
        if self.decoder == "linear":
            y_scaled = self.ridge_.predict(Z)
        else:
            y_scaled = self.net_.forward(torch.from_numpy(Z.astype(np.float32))).numpy()
        if X.ndim == 3:  # a one-channel target's ridge predicts 1-D rows
            y_scaled = from_time_steps(y_scaled.reshape(len(Z), -1), len(X))
        return y_scaled.reshape((len(X), *self.output_shape_)) * self.y_scale_ + self.y_mean_

    def score(self, X, y, sample_weight=None):
        """Variance-weighted R² of the predicted signals over all channels and time samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_features, n_times)
            Latents, shaped as at ``fit``.
        y : array-like of shape ``(n_samples, *output_shape_)``
            Measured signals.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            :func:`sklearn_ecgmcg.metrics.virtual_mcg_r2` with its default
            ``multioutput="variance_weighted"``: ``1 - sum(SS_res) / sum(SS_tot)``
            over every channel and time sample (each a regression output), so
            near-silent channels and the flat baseline do not dominate as they
            do in a uniform average of per-output R².
        """
        y_pred = self.predict(X)
        y = check_target(y)
        if y_pred.ndim == 1:
            y, y_pred = y[:, np.newaxis], y_pred[:, np.newaxis]
        return virtual_mcg_r2(y, y_pred, sample_weight=sample_weight)

    def calibrate(self, X, y, *, adaptive=True):
        """Calibrate :meth:`predict_interval` on held-out latents and their signals.

        Split conformal prediction: the absolute residuals on ``(X, y)``, divided
        by the latent's novelty when ``adaptive``, are the conformity scores.
        Use subjects that took no part in ``fit`` (training beats give too narrow
        intervals); coverage holds when calibration and test beats are
        exchangeable. In a pipeline, calibrate the last step on the latents::

            pipe[-1].calibrate(pipe[:-1].transform(ecg_cal), mcg_cal)
            lower, upper = pipe[-1].predict_interval(pipe[:-1].transform(ecg), alpha=0.1)

        Parameters
        ----------
        X : array-like of shape (n_calibration, n_features) or \
                (n_calibration, n_features, n_times)
            Latents of the calibration beats, shaped as at ``fit``.
        y : array-like of shape ``(n_calibration, *output_shape_)``
            Their measured signals (MCG in pT).
        adaptive : bool, default=True
            Scale intervals by the latent's novelty ``s(x) = 1 + d(x) / d_ref``
            (``d``: mean distance to the 10 nearest training latents, ``d_ref`` its
            training median), so a latent unlike the training ones (a condition
            absent in training) gets a wider interval. False: one width per
            channel and time sample for every input (standard split conformal).

        Returns
        -------
        self : LatentProjector
            The calibrated projector.
        """
        check_is_fitted(self, "novelty_reference_")
        if not isinstance(adaptive, (bool, np.bool_)):
            raise TypeError(f"adaptive must be True or False; got {adaptive!r}.")
        X, y = self._validate_latents(X, reset=False), check_target(y)
        if y.shape != (len(X), *self.output_shape_):
            raise ValueError(
                f"y must be the signals of the {len(X)} calibration latents, of shape "
                f"{(len(X), *self.output_shape_)} like the fitted targets; got {y.shape}."
            )
        y_pred, s = self.predict(X), self._interval_scale(X, adaptive)
        self.conformity_scores_ = _conformal.conformity_scores(y, y_pred, s)
        self.adaptive_intervals_ = bool(adaptive)
        return self

    def predict_interval(self, X, alpha=0.1):
        """Conformal prediction interval of every predicted channel and time sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_features, n_times)
            Latents, shaped as at ``fit``.
        alpha : float in (0, 1), default=0.1
            Miscoverage: each value is in its interval with probability at least
            ``1 - alpha`` (0.1: 90 %) for beats exchangeable with the calibration
            beats. Needs ``ceil((1 - alpha) / alpha)`` calibration samples or more.

        Returns
        -------
        lower, upper : ndarray of shape ``(n_samples, *output_shape_)``
            Interval bounds around :meth:`predict`, in its units and dtype.
        """
        alpha = _conformal.check_alpha(alpha)
        check_is_fitted(self, "conformity_scores_", msg=(
            "This LatentProjector is not calibrated: call calibrate(X_cal, y_cal) with "
            "held-out latents and signals before predict_interval."))
        quantile = _conformal.conformal_quantile(self.conformity_scores_, alpha)
        y_pred = self.predict(X)
        s = self._interval_scale(X, self.adaptive_intervals_)
        half = (s.reshape((len(s),) + (1,) * (y_pred.ndim - 1)) * quantile).astype(y_pred.dtype)
        return y_pred - half, y_pred + half

    def _interval_scale(self, X, adaptive):
        """The novelty ``s(x)`` of each latent, or ones when not ``adaptive``."""
        X = self._validate_latents(X, reset=False)
        if not adaptive:
            return np.ones(len(X))
        return _conformal.interval_scale(
            self._scale_latents(X), self.novelty_reference_, self.novelty_scale_)

    def _validate_latents(self, X, reset):
        if getattr(X, "ndim", 2) > 3:
            raise ValueError(
                "X must be latents (n_samples, n_features) or time-resolved latents "
                "(n_samples, n_features, n_times), such as the output of "
                f"CrossModalAligner.transform; got an array of shape {X.shape}."
            )
        if getattr(X, "ndim", 2) == 3:
            # float32 stays float32, as for 2-D latents
            X = check_signals(X, name="X", signals=False)
            if reset:
                self.n_features_in_ = X.shape[1]
            elif X.shape[1:] != self.latent_shape_:
                raise ValueError(
                    f"X has latents of shape {X.shape[1:]} per sample, but LatentProjector "
                    f"was fitted on {self.latent_shape_}."
                )
        else:
            X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
            if not reset and len(self.latent_shape_) == 2:
                raise ValueError(
                    f"LatentProjector was fitted on time-resolved latents of shape "
                    f"{self.latent_shape_} per sample; got 2-D X of shape {X.shape}."
                )
        if reset:
            self.latent_shape_ = X.shape[1:]
        return X

    def _fit_scaling(self, X):
        """Centre on the mean latent; scale each feature (over samples and time steps)."""
        self.x_mean_ = X.mean(axis=0)
        centred = X - self.x_mean_
        axes = (0, 2) if X.ndim == 3 else 0
        scale = np.sqrt(np.mean(centred**2, axis=axes))
        self.x_scale_ = np.where(scale > 0, scale, 1.0)
        return centred / (self.x_scale_[:, np.newaxis] if X.ndim == 3 else self.x_scale_)

    def _scale_latents(self, X):
        scale = self.x_scale_[:, np.newaxis] if X.ndim == 3 else self.x_scale_
        return (X - self.x_mean_) / scale

    def _scale_target(self, y):
        self.y_mean_ = y.mean(axis=0)
        centred = (y - self.y_mean_).reshape(len(y), -1)
        rms = float(np.sqrt(np.mean(centred**2)))
        self.y_scale_ = rms if rms > 0 else 1.0
        return centred / self.y_scale_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = False
        tags.target_tags.multi_output = True
        return tags

