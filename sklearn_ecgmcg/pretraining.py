"""Stage 1: self-supervised ECG pretraining (:class:`ContrastivePretrainer`)."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from torch.utils.data import Sampler

from ._base import (
    CONTRASTIVE_CONSTRAINTS,
    ENCODER_CONSTRAINTS,
    TRAINING_CONSTRAINTS,
    BaseTorchEstimator,
)
from ._streaming import CropMeanEncoder, crop_starts
from .nn import (
    ECGAugment,
    FeatureMapEncoder,
    MaskedModelingModule,
    MaskedReconstructionCriterion,
    MCGAugment,
    PatientContrastiveCriterion,
    ProjectionHead,
    ReconstructionDecoder,
    TwoViewCriterion,
    TwoViewModule,
    make_encoder,
)
from .utils import check_amplitude, check_signals

__all__ = ["ContrastivePretrainer"]


class _GroupContiguousSampler(Sampler):
    """Random order in which the samples of one group are consecutive.

    Groups are shuffled and so are the samples inside each group, then the
    DataLoader cuts the order into batches: most samples then share a batch with
    the other samples of their patient. Uses torch's (seeded) global generator.
    """

    def __init__(self, codes):
        self.codes = torch.as_tensor(codes)

    def __len__(self):
        return len(self.codes)

    def __iter__(self):
        n_groups = int(self.codes.max()) + 1
        group_rank = torch.randperm(n_groups)[self.codes]
        jitter = torch.rand(len(self.codes))
        order = torch.argsort(group_rank.double() + jitter.double())
        return iter(order.tolist())


class ContrastivePretrainer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseTorchEstimator):
    """Self-supervised pretraining of a signal encoder (stage 1).

    Trains an encoder on unlabelled ECG with one of three objectives, then embeds
    signals with it. The fitted encoder (:attr:`encoder_`) initialises the ECG tower
    of :class:`~sklearn_ecgmcg.CrossModalAligner`.

    Parameters
    ----------
    objective : {"simclr", "patient", "masked"}, default="simclr"
        - ``"simclr"``: two augmented views of each recording are positives, the
          other recordings in the batch negatives (NT-Xent loss).
        - ``"patient"``: CLOCS-style; recordings that share a ``groups`` id in the
          batch are positives too (supervised-contrastive loss over two augmented
          views of each recording, so a patient with a single recording still has
          its other view as positive). Batches are drawn so that a patient's
          recordings are consecutive. Needs ``groups`` in :meth:`fit`.
        - ``"masked"``: ``mask_ratio`` of the input, in patches of
          ``max(1, n_times // 16)`` samples, is zeroed, and a light convolutional
          decoder reconstructs it from the encoder's features; the loss is the mean
          squared error on the hidden samples of the signal standardised per sample
          and channel (so it does not depend on units). The embedding is the
          encoder's pooled output.
    encoder : {"resnet1d_500hz", "resnet1d", "resnet1d_large", "transformer", "mlp"} \
            or callable, default="resnet1d_500hz"
        Encoder preset or factory, see :func:`sklearn_ecgmcg.nn.make_encoder`.
        ``"resnet1d_500hz"`` (the default) is ``"resnet1d"`` on the input averaged
        down 5x, so a 500 Hz ECG costs what a 100 Hz one does (for 100 Hz records use
        ``"resnet1d"``); benchmarks/results/pretraining.md measures the choice.
        ``"resnet1d"`` (0.26 M parameters at 12 leads) trains on a laptop CPU;
        ``"resnet1d_large"`` (8.8 M) is meant for a GPU. The ``"masked"`` objective
        needs an encoder with ``forward_features`` and ``pool`` (all presets).
    encoder_params : dict or None, default=None
        Keyword arguments overriding the preset's (e.g. ``{"width": 32}``).
    encoder__<name> : keyword arguments
        The same, one parameter at a time, as skorch routes ``module__<name>``:
        ``ContrastivePretrainer(encoder__width=32)``; ``set_params`` and
        ``GridSearchCV`` reach them directly (``{"encoder__width": [16, 32]}``). They
        override ``encoder_params``.
    embedding_dim : int, default=128
        Size of the embedding returned by :meth:`transform`.
    temperature : float, default=0.1
        Softmax temperature of the contrastive losses (unused by ``"masked"``).
    modality : {"ecg", "mcg"}, default="ecg"
        What ``X`` holds, which sets the augmentations and the units check:
        ``"ecg"`` (mV) uses :class:`sklearn_ecgmcg.nn.ECGAugment`; ``"mcg"`` (pT)
        uses :class:`sklearn_ecgmcg.nn.MCGAugment` (sensor dropout, field scaling,
        the grid moved and turned when the channels form a square grid), for
        stage 1 on unlabelled MCG alone.
    augment_strength : float, default=1.0
        Multiplier of the augmentation magnitudes (crop/stretch, shift, amplitude
        scaling, noise, baseline wander, lead dropout, time masking; for MCG the
        grid moves too), see :class:`sklearn_ecgmcg.nn.ECGAugment` and
        :class:`sklearn_ecgmcg.nn.MCGAugment`. Unused by ``"masked"``.
    mask_ratio : float, default=0.5
        Fraction of the input patches hidden by the ``"masked"`` objective.
    crop_length : int or None, default=1250
        Records of any length: during :meth:`fit`, each of the two views of a record
        is its own window of ``crop_length`` samples at a random position (two
        stretches of one recording are positives; for ``"masked"``, one window per
        sample and epoch), and the encoder is built for that length. The default,
        1250, is 2.5 s at 500 Hz (use 250 for 100 Hz records); inputs no longer than
        ``crop_length`` (beats) are used whole. :meth:`transform` then accepts
        records of any length ``>= crop_length`` and embeds each as the mean of the
        encoder's embeddings of ``ceil(n_times / crop_length)`` evenly spaced crops
        covering the record (no overlap when ``crop_length`` divides ``n_times``).
        None trains and embeds whole inputs of the length seen at ``fit``.
    num_workers : int, default=0
        DataLoader worker processes that read and crop samples when the input is
        read on demand (a memory map, an :class:`~sklearn_ecgmcg.datasets.ECGCorpus`)
        or ``crop_length`` is set; 0 reads in the training process. Memory is pinned
        on CUDA. Each worker draws its own crops, so results depend on this number.
    max_epochs : int, default=80
        Passes over the training data (with crops, one pair of views per record);
        0 initialises the encoder without training (the random-init baseline).
    batch_size : int, default=32
        Mini-batch size for training and :meth:`transform`. With fewer samples, one
        batch of all samples is used; otherwise the last incomplete training batch
        of each epoch is dropped.
    lr : float, default=1e-3
        AdamW learning rate.
    weight_decay : float, default=1e-4
        AdamW decoupled weight decay.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Training device; ``"auto"`` uses CUDA when available.
    precision : {"float32", "bf16"}, default="float32"
        ``"bf16"`` runs the training forward pass and loss under bfloat16 autocast
        (weights and optimizer state stay float32); for GPUs with bf16 units.
    compile : bool, default=False
        Compile the training module with :func:`torch.compile` (skorch's ``compile``).
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, augmentations, masks and shuffling; an integer gives
        identical embeddings on CPU.
    verbose : int, default=0
        0 silent, 1 a progress bar and a per-epoch loss table.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (shallow-copied at ``fit``). There is no validation
        split, so monitor ``"train_loss"`` (e.g. ``EarlyStopping(monitor="train_loss")``).

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The fitted encoder, ``(n, n_channels_in_, n_times_in_) -> (n, embedding_dim)``.
    encoder_config_ : dict
        Arguments of :func:`sklearn_ecgmcg.nn.make_encoder` that rebuild
        :attr:`encoder_`'s architecture: ``make_encoder(**encoder_config_)`` then
        ``load_state_dict(encoder_.state_dict())``.
    net_ : skorch.NeuralNet
        The trained skorch net (its ``module_`` holds encoder and heads).
    n_channels_in_, n_times_in_ : int
        Input shape seen at ``fit``; with ``crop_length``, ``n_times_in_`` is the
        crop length (the encoder's input), not the records' length.
    n_features_in_ : int
        ``n_channels_in_ * n_times_in_``.
    n_epochs_ : int
        Epochs run (fewer than ``max_epochs`` after early stopping).
    loss_curve_ : list of float
        Training loss per epoch.
    crop_length_ : int or None
        The crop length used: ``crop_length``, or None when the inputs seen at
        ``fit`` were no longer than it (used whole).

    See Also
    --------
    sklearn_ecgmcg.nn.make_encoder : The encoder presets.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg import ContrastivePretrainer
    >>> X = np.random.default_rng(0).standard_normal((32, 12, 250)).astype("float32")
    >>> pretrainer = ContrastivePretrainer(embedding_dim=16, max_epochs=1,
    ...                                    batch_size=16, random_state=0)
    >>> pretrainer.fit(X).transform(X).shape
    (32, 16)
    """

    _parameter_constraints = {
        **ENCODER_CONSTRAINTS,
        **CONTRASTIVE_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
        "objective": [StrOptions({"simclr", "patient", "masked"})],
        "modality": [StrOptions({"ecg", "mcg"})],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],  # 0: an untrained baseline
        "augment_strength": [Interval(Real, 0, None, closed="left")],
        "mask_ratio": [Interval(Real, 0, 1, closed="neither")],
        "crop_length": [Interval(Integral, 1, None, closed="left"), None],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
    }
    _fitted_attributes = (
        *BaseTorchEstimator._fitted_attributes, "encoder_config_", "crop_length_"
    )
    _routed_params = ("encoder",)

    def __init__(
        self,
        objective="simclr",
        *,
        encoder="resnet1d_500hz",
        encoder_params=None,
        embedding_dim=128,
        temperature=0.1,
        modality="ecg",
        augment_strength=1.0,
        mask_ratio=0.5,
        crop_length=1250,
        num_workers=0,
        max_epochs=80,
        batch_size=32,
        lr=1e-3,
        weight_decay=1e-4,
        device="auto",
        precision="float32",
        compile=False,
        random_state=None,
        verbose=0,
        callbacks=None,
        **routed_params,
    ):
        self.objective = objective
        self.encoder = encoder
        self.encoder_params = encoder_params
        self.embedding_dim = embedding_dim
        self.temperature = temperature
        self.modality = modality
        self.augment_strength = augment_strength
        self.mask_ratio = mask_ratio
        self.crop_length = crop_length
        self.num_workers = num_workers
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
        self._set_routed_params(routed_params)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, groups=None):
        """Pretrain the encoder on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, n_times) or (n_samples, n_times), \
                or ECGCorpus
            Unlabelled signals (a 2-D array is one channel). Scale them to amplitudes
            of order 1 (ECG in mV is fine). A memory-mapped array
            (``np.load(..., mmap_mode="r")``) or an on-disk
            :class:`~sklearn_ecgmcg.datasets.ECGCorpus` is read batch by batch,
            never loaded whole. With ``crop_length``, ``n_times >= crop_length``.
        y : None
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            Patient id of each sample; required by ``objective="patient"``. None
            takes a corpus's own ``groups``.

        Returns
        -------
        self : ContrastivePretrainer
        """
        X = self._validate_signals(X, reset=True)
        if groups is None and self.objective == "patient":
            groups = getattr(X, "groups", None)  # an ECGCorpus carries its patient ids
        self.crop_length_ = self.crop_length
        if self.crop_length is not None and self.n_times_in_ <= self.crop_length:
            self.crop_length_ = None  # short inputs (beats) are used whole
        if self.crop_length_ is not None:
            self._set_crop_input_shape()
        check_amplitude(X, modality=self.modality, name="X")
        self.encoder_config_ = {
            "encoder": self.encoder,
            "n_channels": self.n_channels_in_,
            "n_times": self.n_times_in_,
            "embedding_dim": self.embedding_dim,
            "params": self._encoder_kwargs("encoder", self.encoder_params),
        }
        return self._fit_net(X, groups=groups)

    def transform(self, X):
        """Embed signals with the fitted encoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, n_times) or (n_samples, n_times), \
                or ECGCorpus
            Signals with the channel count seen at ``fit`` and its length, or, with
            ``crop_length``, any length ``>= crop_length`` (each record is then the
            mean embedding of the crops covering it). Memory maps and corpora are
            read batch by batch.

        Returns
        -------
        embedding : ndarray of float32, shape (n_samples, embedding_dim)
        """
        check_is_fitted(self, "net_")
        if self.crop_length_ is None:
            return self._embed(X)
        X = check_signals(X, name="X", ensure_3d=True, dtype=np.float32, lazy=True)
        _, n_channels, n_times = X.shape
        if n_channels != self.n_channels_in_ or n_times < self.crop_length:
            raise ValueError(
                f"X has {n_channels} channel(s) x {n_times} time samples, but "
                f"{type(self).__name__} was fitted on {self.n_channels_in_} channel(s) "
                f"with crop_length={self.crop_length}: records need that many channels "
                f"and at least {self.crop_length} samples."
            )
        starts = crop_starts(n_times, self.crop_length)
        return self._run_batched(
            X, CropMeanEncoder(self._embedding_module(), starts, self.crop_length)
        )

    def _set_crop_input_shape(self):
        """With crops, the encoder's input is ``crop_length`` samples long."""
        if self.n_times_in_ < self.crop_length:
            raise ValueError(
                f"crop_length={self.crop_length} is longer than the records of X "
                f"({self.n_times_in_} samples); use crop_length <= {self.n_times_in_}."
            )
        self.n_times_in_ = self.crop_length
        self.n_features_in_ = self.n_channels_in_ * self.crop_length

    def _training_crop_length(self):
        # two-view objectives crop each view in the augmentation (two stretches of one record)
        return self.crop_length_ if self.objective == "masked" else None

    @property
    def encoder_(self):
        check_is_fitted(self, "net_")
        return self.net_.module_.encoder

    @property
    def _n_features_out(self):
        check_is_fitted(self, "net_")
        return self.embedding_dim

    def _group_codes(self, groups, n_samples):
        if self.objective != "patient":
            return None
        if groups is None:
            raise ValueError(
                'objective="patient" needs the patient id of each sample: call '
                "fit(X, groups=patient_ids)."
            )
        groups = np.asarray(groups)
        if groups.shape != (n_samples,):
            raise ValueError(
                f"groups must have shape ({n_samples},), one patient id per sample; "
                f"got {groups.shape}."
            )
        codes = np.unique(groups, return_inverse=True)[1].astype(np.int64)
        if codes.max() == 0:
            raise ValueError(
                'objective="patient" needs at least two patients in groups (every pair '
                "of samples would be a positive and nothing would be learned); got one. "
                'Use objective="simclr" for a single patient.'
            )
        return codes

    def _build_module(self):
        encoder = make_encoder(**self.encoder_config_)
        if self.objective == "masked":
            if not isinstance(encoder, FeatureMapEncoder):
                raise TypeError(
                    'objective="masked" needs an encoder with forward_features() and pool() '
                    f"(sklearn_ecgmcg.nn.FeatureMapEncoder); {type(encoder).__name__} has not."
                )
            decoder = ReconstructionDecoder(
                encoder.n_features, self.embedding_dim, self.n_channels_in_
            )
            patch_size = max(1, self.n_times_in_ // 16)
            return MaskedModelingModule(encoder, decoder, self.mask_ratio, patch_size)
        head = ProjectionHead(self.embedding_dim, self.embedding_dim)
        if self.modality == "mcg":
            return TwoViewModule(encoder, head, MCGAugment(self.augment_strength))
        return TwoViewModule(
            encoder, head, ECGAugment(self.augment_strength, crop_length=self.crop_length_)
        )

    def _build_criterion(self):
        if self.objective == "masked":
            return MaskedReconstructionCriterion()
        if self.objective == "patient":
            return PatientContrastiveCriterion(self.temperature)
        return TwoViewCriterion(self.temperature)

    def _training_data(self, X, y, groups=None):
        return X, self._group_codes(groups, len(X))

    def _net_params(self, targets):
        if self.objective != "patient":
            return {}
        return {
            "iterator_train__sampler": _GroupContiguousSampler(targets),
            "iterator_train__shuffle": False,
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
