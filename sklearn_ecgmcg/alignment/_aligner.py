"""Stage 2: contrastive ECG <-> MCG alignment into a shared latent (:class:`CrossModalAligner`)."""

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from .._base import CONTRASTIVE_CONSTRAINTS, TRAINING_CONSTRAINTS, BaseTorchEstimator
from ..nn import ENCODER_PRESETS, AlignmentModule, CrossModalCriterion, make_encoder
from ..nn._towers import build_tower, recalibrate_pair_batch_norm, reconstruction_decoder
from ..utils import check_amplitude, check_paired_signals
from ..utils._validation import check_ecg_mcg_order
from ._encoding import SharedLatentMixin
from ._inputs import (
    DEFAULT_LOCAL_WINDOWS,
    as_mcg_signal,
    channel_stats,
    check_temperature_bounds,
    fitted_pretrainer,
    subject_codes,
    window_fractions,
)

__all__ = ["CrossModalAligner"]

DUAL_PHASES = ("QRS", "ST-T")


class CrossModalAligner(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, SharedLatentMixin, BaseTorchEstimator
):
    """Contrastive alignment of ECG and MCG beats into one shared latent (stage 2).

    Two towers, one per modality, each an encoder followed by a projection head,
    map ECG and MCG beats into a shared ``embedding_dim`` space. They are trained
    with the symmetric InfoNCE (CLIP) loss, or SigLIP's sigmoid loss
    (``pair_loss``): the ECG and MCG of the same beat are pulled together, the other
    beats of the batch pushed apart. An optional local
    loss aligns sub-beat windows (P wave, QRS, ST-T) as in PTACL.

    Parameters
    ----------
    ecg_encoder : str, callable or ContrastivePretrainer, default="conditioned"
        ECG tower. A preset name (a key of :data:`sklearn_ecgmcg.nn.ENCODER_PRESETS`:
        ``"conditioned"``, ``"resnet1d"``, ``"transformer"``, ``"mlp"``, ``"spatial"``,
        ...) or factory (see :func:`sklearn_ecgmcg.nn.make_encoder`) builds a fresh
        encoder. The default, :class:`~sklearn_ecgmcg.nn.ConditionedMapEncoder`, keeps
        the beat's channels (a linear skip path) beside gated copies of them and a few
        convolutional features, at every time sample: with ``latent="temporal"`` and
        a :class:`~sklearn_ecgmcg.LatentProjector`, a time-shared map that can depend
        on the beat (``benchmarks/results/method_value.md``). A
        :class:`~sklearn_ecgmcg.ContrastivePretrainer` initialises the tower with its
        encoder's weights (a deep copy: the pretrainer is never modified):

        - fitted, wrap it in :class:`sklearn.frozen.FrozenEstimator` so that
          :func:`~sklearn.base.clone` (and so grid search) keeps it fitted; an
          unwrapped fitted pretrainer is used as is in this ``fit``;
        - unfitted, a clone of it is first fitted on ``X`` (with ``groups``) and
          kept as :attr:`ecg_pretrainer_`; the object passed stays unfitted.

        The pretrained tower receives ``X`` as the pretrainer did (not
        standardised, whatever ``standardize`` says); it is fine-tuned, or kept
        fixed with ``freeze_ecg=True``. ``"mlp"`` is meant for feature input ``X`` of
        shape ``(n_samples, n_features)`` (read as one channel, flattened), such as
        the embeddings of a frozen stage-1 step in a pipeline (locked-tower
        alignment).
    mcg_encoder : str or callable, default="spatial"
        MCG tower's encoder preset or factory; the default, linear virtual leads
        (:class:`~sklearn_ecgmcg.nn.SpatialFilterEncoder`), serves the contrastive
        loss (the MCG tower's output is not what the projector decodes).
    ecg_encoder_params, mcg_encoder_params : dict or None, default=None
        Keyword arguments overriding the presets' (e.g. ``{"width": 32}``). Not
        used for a pretrained ECG tower.
    embedding_dim : int, default=64
        Size of the shared latent (the projection heads' output). Fresh encoders
        output ``embedding_dim`` features too.
    projection_head : {"mlp", "linear"}, default="linear"
        Projection head of each tower (and of the local windows): a two-layer MLP
        (GELU) as in SimCLR and CLIP, or one linear layer, which keeps a linear
        tower such as ``"spatial"`` linear (on a few hundred simulated pairs the MLP
        head cost it a third of its top-1 retrieval,
        ``benchmarks/bench_alignment.py``).
    latent : {"pooled", "temporal"}, default="temporal"
        What :meth:`transform` and :meth:`encode` return:

        - ``"pooled"``: the L2-normalised point of the shared space, ``(n_samples,
          embedding_dim)``, which the loss compares (retrieval, classifiers);
        - ``"temporal"`` (default): the tower's feature map before pooling,
          ``(n_samples, n_features, n_mcg_times)``, not normalised (a strided
          encoder's is interpolated to the MCG's time samples), from which a
          :class:`~sklearn_ecgmcg.LatentProjector` decodes the MCG with one map
          shared by all time samples (``benchmarks/results/method_value.md``).

        Training and :meth:`score` use the pooled latent either way.
    pair_loss : {"infonce", "sigmoid"}, default="infonce"
        The loss on paired latents: symmetric InfoNCE (CLIP), or the pairwise
        sigmoid loss of SigLIP (:func:`sklearn_ecgmcg.nn.sigmoid_pair_loss`), each
        pair its own binary task, with a learned logit bias. Compared in
        ``benchmarks/results/alignment_options.md``.
    temperature : float, default=0.1
        Softmax temperature of the InfoNCE loss (for the sigmoid loss, the logits
        are ``cos / temperature + bias``); with ``learn_temperature=True``, its
        initial value.
    learn_temperature : bool, default=False
        Learn the temperature with the towers (as CLIP does), parameterised as
        ``log T = log T_min + (log T_max - log T_min) * sigmoid(w)`` so it stays
        strictly inside ``temperature_bounds``; it has no weight decay. The final
        value is :attr:`temperature_`.
    temperature_bounds : tuple of (float, float), default=(0.01, 1.0)
        ``(T_min, T_max)`` of the learnable temperature; ``temperature`` must lie
        strictly between them.
    freeze_ecg : bool, default=False
        Keep the ECG encoder fixed (weights and batch-norm statistics); its
        projection head is still trained. Typical with a pretrained tower.
    standardize : bool, default=True
        Scale each modality inside the towers: per channel, subtract the mean and
        divide by the standard deviation over the training beats and time. ECG (mV)
        and MCG (pT) differ by orders of magnitude, so this matters for fresh
        towers. The statistics are fitted attributes (``ecg_mean_``, ...), applied
        at ``transform`` too. A pretrained ECG tower is never standardised.
    same_subject_negatives : bool, default=True
        Used only when ``groups`` is passed to :meth:`fit`. If False, other beats
        of the same subject in a batch are left out of the negatives (their
        ECG/MCG look nearly alike, so pushing them apart fights the data; this
        favours subject-level over beat-level retrieval). If True, ``groups``
        only reaches an unfitted pretrainer.
    local_weight : float, default=0.0
        Weight of the local loss: each beat's encoder feature map is averaged over
        the sub-beat windows of ``local_windows``, projected by a per-modality
        head, and window ``w`` of a beat is contrasted against every other (beat,
        window) of the batch across modalities (:func:`sklearn_ecgmcg.nn.local_clip_loss`).
        Needs encoders with a temporal feature map (``"resnet1d"``, ``"transformer"``;
        not ``"mlp"``).
    dual_weight : float, default=0.0
        Weight of dual targets (as the two cardiac phases of CMR in dual-phase
        ECG-CMR alignment): the MCG tower also embeds the MCG's QRS alone and its
        ST-T alone (the ``"QRS"`` and ``"ST-T"`` entries of ``local_windows``, the
        scaled MCG zeroed elsewhere), and the beat's ECG latent is paired with each
        by the pair loss; their mean is added with this weight. Compared in
        ``benchmarks/results/alignment_options.md``.
    reconstruction_weight : float, default=1.0
        Weight of an auxiliary reconstruction loss trained jointly with the
        contrastive one. With ``latent="temporal"`` (the default) a
        :class:`~sklearn_ecgmcg.nn.TimeSharedDecoder` maps the ECG tower's feature map
        (interpolated to the MCG's time samples if the encoder strides) to the paired
        MCG beat scaled as in the MCG tower, one map for all time samples, as the
        projector after the aligner will. With ``latent="pooled"``, a linear
        decoder maps the L2-normalised ECG latent (what
        :meth:`transform` returns, so what a :class:`~sklearn_ecgmcg.LatentProjector`
        after the aligner receives), times ``sqrt(embedding_dim)``, to the paired
        MCG beat scaled as in the MCG tower (per-channel standardised when
        ``standardize=True``); its mean squared error is added with this weight.
        InfoNCE keeps only what tells beats apart; this makes the latent also keep
        the MCG waveform, for virtual-MCG readouts. The decoder
        (``net_.module_.decoder``) serves training only; 0 builds none.
    local_windows : dict of str to (float, float) or None, default=None
        Sub-beat windows ``name -> (start, stop)`` in seconds relative to the R
        peak. ``None``: P ``(-0.20, -0.05)``, QRS ``(-0.05, 0.06)``, ST-T
        ``(0.06, 0.40)``. Windows are clipped to the beat window and mapped to the
        encoder's feature steps in proportion.
    sfreq : float, default=500.0
        Sampling rate of the beats in Hz (locates the local windows).
    tmin : float, default=-0.25
        Start of the beat window relative to the R peak in seconds (as in
        :class:`~sklearn_ecgmcg.preprocessing.BeatSegmenter`).
    max_epochs : int, default=15
        Passes over the training pairs. 0 returns the untrained towers (random or
        pretrained initialisation), a baseline.
    batch_size : int, default=32
        Mini-batch size for training and inference; each batch supplies the
        negatives. The last incomplete training batch of an epoch is dropped.
    lr : float, default=3e-3
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
        Seeds initialisation and shuffling (and an unfitted pretrainer's fit, via
        its own ``random_state``).
    verbose : int, default=0
        0 silent, 1 a progress bar and a per-epoch loss table.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (shallow-copied at ``fit``); monitor ``"train_loss"``.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_.ecg_tower`` and ``.mcg_tower`` are the towers.
    ecg_pretrainer_ : ContrastivePretrainer or None
        The fitted pretrainer whose encoder initialised the ECG tower.
    temperature_ : float
        Temperature at the end of training.
    ecg_mean_, ecg_scale_ : ndarray of shape ``(n_channels_in_,)`` or None
        ECG standardisation (None when not standardised).
    mcg_mean_, mcg_scale_ : ndarray of shape ``(n_mcg_channels_,)`` or None
        MCG standardisation.
    n_channels_in_, n_times_in_ : int
        ECG shape seen at ``fit``.
    n_features_in_ : int
        ``n_channels_in_ * n_times_in_``.
    n_mcg_channels_, n_mcg_times_ : int
        MCG shape seen at ``fit``.
    n_epochs_ : int
        Epochs run.
    loss_curve_ : list of float
        Training loss per epoch.

    See Also
    --------
    sklearn_ecgmcg.ContrastivePretrainer : Stage-1 ECG pretraining.
    sklearn.cross_decomposition.PLSCanonical : Linear counterpart.
    sklearn_ecgmcg.metrics.retrieval_report : Retrieval metrics on the latents.

    Notes
    -----
    Latents are L2-normalised points of the shared space (the loss compares them
    by cosine). :meth:`fit_transform` returns the ECG latent only, unlike
    ``PLSCanonical``, so the aligner can sit inside a :class:`~sklearn.pipeline.Pipeline`;
    ``transform(X, y)`` returns both.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg import CrossModalAligner
    >>> rng = np.random.default_rng(0)
    >>> ecg = rng.standard_normal((32, 12, 100)).astype("float32")
    >>> mcg = rng.standard_normal((32, 36, 100)).astype("float32")
    >>> aligner = CrossModalAligner(embedding_dim=8, max_epochs=1, batch_size=16,
    ...                             random_state=0).fit(ecg, mcg)
    >>> aligner.transform(ecg).shape  # 12 leads, 4 gated copies, 8 context channels
    (32, 68, 100)
    >>> aligner.set_params(latent="pooled").transform(ecg).shape
    (32, 8)
    >>> 0.0 <= aligner.score(ecg, mcg) <= 1.0
    True
    """

    _parameter_constraints = {
        "ecg_encoder": [
            StrOptions(set(ENCODER_PRESETS)),
            callable,
            HasMethods(["fit", "transform"]),
        ],
        "mcg_encoder": [StrOptions(set(ENCODER_PRESETS)), callable],
        "ecg_encoder_params": [dict, None],
        "mcg_encoder_params": [dict, None],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        **CONTRASTIVE_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
        "projection_head": [StrOptions({"mlp", "linear"})],
        "pair_loss": [StrOptions({"infonce", "sigmoid"})],
        "latent": [StrOptions({"pooled", "temporal"})],
        "learn_temperature": ["boolean"],
        "temperature_bounds": [tuple],
        "freeze_ecg": ["boolean"],
        "standardize": ["boolean"],
        "same_subject_negatives": ["boolean"],
        "local_weight": [Interval(Real, 0, None, closed="left")],
        "dual_weight": [Interval(Real, 0, None, closed="left")],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "local_windows": [dict, None],
        "sfreq": [Interval(Real, 0, None, closed="neither")],
        "tmin": [Real],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
    }
    _fitted_attributes = (
        *BaseTorchEstimator._fitted_attributes, "n_mcg_channels_", "n_mcg_times_",
        "ecg_mean_", "ecg_scale_", "mcg_mean_", "mcg_scale_", "ecg_encoder_config_",
        "mcg_encoder_config_", "temperature_",
    )
    _routed_params = ("ecg_encoder", "mcg_encoder")

    def __init__(
        self,
        ecg_encoder="conditioned",
        mcg_encoder="spatial",
        *,
        ecg_encoder_params=None,
        mcg_encoder_params=None,
        embedding_dim=64,
        projection_head="linear",
        latent="temporal",
        pair_loss="infonce",
        temperature=0.1,
        learn_temperature=False,
        temperature_bounds=(0.01, 1.0),
        freeze_ecg=False,
        standardize=True,
        same_subject_negatives=True,
        local_weight=0.0,
        dual_weight=0.0,
        reconstruction_weight=1.0,
        local_windows=None,
        sfreq=500.0,
        tmin=-0.25,
        max_epochs=15,
        batch_size=32,
        lr=3e-3,
        weight_decay=1e-4,
        device="auto",
        precision="float32",
        compile=False,
        random_state=None,
        verbose=0,
        callbacks=None,
        **routed_params,
    ):
        self.ecg_encoder = ecg_encoder
        self.mcg_encoder = mcg_encoder
        self.ecg_encoder_params = ecg_encoder_params
        self.mcg_encoder_params = mcg_encoder_params
        self.embedding_dim = embedding_dim
        self.projection_head = projection_head
        self.latent = latent
        self.pair_loss = pair_loss
        self.temperature = temperature
        self.learn_temperature = learn_temperature
        self.temperature_bounds = temperature_bounds
        self.freeze_ecg = freeze_ecg
        self.standardize = standardize
        self.same_subject_negatives = same_subject_negatives
        self.local_weight = local_weight
        self.dual_weight = dual_weight
        self.reconstruction_weight = reconstruction_weight
        self.local_windows = local_windows
        self.sfreq = sfreq
        self.tmin = tmin
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

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, groups=None):
        """Align ECG ``X`` and MCG ``y`` beats, paired by index.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, n_times) or (n_samples, n_times)
            ECG beats (a 2-D array is one channel, or feature vectors for the
            ``"mlp"`` tower).
        y : array-like of shape (n_samples, n_mcg_channels, n_mcg_times) or \
                (n_samples, n_mcg_times)
            MCG beats; ``y[i]`` is the same heartbeat as ``X[i]``. A 1-D ``y`` is
            read as one value per beat (a one-sample signal), which only keeps
            scikit-learn's generic tools working.
        groups : array-like of shape (n_samples,), default=None
            Subject id of each pair. Used when ``same_subject_negatives=False`` and
            by an unfitted pretrainer; otherwise ignored. With metadata routing,
            request it with ``set_fit_request(groups=True)``.

        Returns
        -------
        self : CrossModalAligner
        """
        X, y = check_paired_signals(
            X, as_mcg_signal(y), names=("X", "y"), ensure_3d=True, dtype=np.float32,
            lazy=True,  # memory maps are read batch by batch, never copied whole
        )
        check_ecg_mcg_order(check_amplitude(X, modality="ecg", name="X"),
                            check_amplitude(y, modality="mcg", name="y"))
        if len(X) < 2:
            raise ValueError(
                f"CrossModalAligner needs at least 2 paired beats; got n_samples = {len(X)} "
                "(1 sample has no negatives for the contrastive loss)."
            )
        X = self._validate_signals(X, reset=True)
        self.n_mcg_channels_, self.n_mcg_times_ = y.shape[1:]
        self._group_codes(groups, len(X))  # bad groups fail before the pretrainer fits
        if self.learn_temperature:
            check_temperature_bounds(self.temperature, self.temperature_bounds)
        if self.local_weight > 0:
            self._window_bounds()
        if self.dual_weight > 0:
            self._phase_bounds()

        self.ecg_pretrainer_ = fitted_pretrainer(self.ecg_encoder, X, groups)
        pretrained = self.ecg_pretrainer_ is not None
        self.ecg_encoder_config_ = (
            self.ecg_pretrainer_.encoder_config_ if pretrained
            else self._encoder_config("ecg_encoder", self.n_channels_in_, self.n_times_in_)
        )
        self.mcg_encoder_config_ = self._encoder_config(
            "mcg_encoder", self.n_mcg_channels_, self.n_mcg_times_
        )
        self.ecg_mean_, self.ecg_scale_ = (
            channel_stats(X) if self.standardize and not pretrained else (None, None)
        )
        self.mcg_mean_, self.mcg_scale_ = channel_stats(y) if self.standardize else (None, None)
        self._fit_net(X, y, groups)
        if self.max_epochs > 0:  # "precise BN": statistics of the final weights
            recalibrate_pair_batch_norm(self.net_.module_, self.net_.device, X, y,
                                        min(self.batch_size, len(X)))
        with torch.no_grad():
            self.temperature_ = float(self.net_.criterion_.temperature())
        return self

    def _group_codes(self, groups, n_samples):
        """Subject codes when same-subject negatives are dropped, else None."""
        if groups is None or self.same_subject_negatives:
            return None
        return subject_codes(groups, n_samples)

    def _window_bounds(self):
        return window_fractions(self._windows(), self.tmin, self.sfreq, self.n_times_in_)

    def _windows(self):
        return DEFAULT_LOCAL_WINDOWS if self.local_windows is None else self.local_windows

    def _phase_bounds(self):
        """The QRS and ST-T windows of ``local_windows`` as fractions of the MCG beat."""
        windows = self._windows()
        missing = [name for name in DUAL_PHASES if name not in windows]
        if missing:
            raise ValueError(
                f"dual_weight > 0 pairs the ECG with the MCG's {' and '.join(DUAL_PHASES)}: "
                f"local_windows needs the entries {missing} (seconds from the R peak)."
            )
        phases = {name: windows[name] for name in DUAL_PHASES}
        return window_fractions(phases, self.tmin, self.sfreq, self.n_mcg_times_)

    def _encoder_config(self, name, n_channels, n_times):
        """Arguments of :func:`~sklearn_ecgmcg.nn.make_encoder` for a fresh tower."""
        return {
            "encoder": getattr(self, name),
            "n_channels": n_channels,
            "n_times": n_times,
            "embedding_dim": self.embedding_dim,
            "params": self._encoder_kwargs(name, getattr(self, f"{name}_params")),
        }

    # ------------------------------------------------------- training steps
    def _build_module(self):
        window_bounds = self._window_bounds() if self.local_weight > 0 else None
        ecg_encoder = self._ecg_encoder_module()
        mcg_encoder = make_encoder(**self.mcg_encoder_config_)
        towers = {
            "head_layers": 2 if self.projection_head == "mlp" else 1,
            "window_bounds": window_bounds,
            "feature_map": self.latent == "temporal",
        }
        ecg_tower = build_tower(ecg_encoder, (self.n_channels_in_, self.n_times_in_),
                                self.embedding_dim, mean=self.ecg_mean_, scale=self.ecg_scale_,
                                frozen=self.freeze_ecg, **towers)
        mcg_tower = build_tower(mcg_encoder, (self.n_mcg_channels_, self.n_mcg_times_),
                                self.embedding_dim, mean=self.mcg_mean_, scale=self.mcg_scale_,
                                **towers)
        temporal = self.latent == "temporal"
        decoder = None
        if self.reconstruction_weight > 0:
            decoder = reconstruction_decoder(
                ecg_tower, (self.n_channels_in_, self.n_times_in_), self.embedding_dim,
                (self.n_mcg_channels_, self.n_mcg_times_), temporal)
        phase_bounds = self._phase_bounds() if self.dual_weight > 0 else None
        return AlignmentModule(ecg_tower, mcg_tower, window_bounds, decoder,
                               temporal_decoder=temporal, phase_bounds=phase_bounds)

    def _build_criterion(self):
        return CrossModalCriterion(
            self.temperature,
            pair_loss=self.pair_loss,
            learn_temperature=self.learn_temperature,
            bounds=self.temperature_bounds,
            local_weight=self.local_weight,
            dual_weight=self.dual_weight,
            reconstruction_weight=self.reconstruction_weight,
        )

    def _training_data(self, X, y, groups=None):
        """The pairs as keyword inputs; one subject code per pair as the target.

        Without ``groups`` (or with same-subject negatives kept) every pair has its
        own code, which leaves the loss's negatives untouched.
        """
        codes = self._group_codes(groups, len(X))
        if codes is None:
            codes = np.arange(len(X), dtype=np.int64)
        return {"ecg": X, "mcg": y}, codes

    def _net_params(self, targets):
        # The loss's own scalars (learned temperature, SigLIP's logit bias) are not
        # weights to shrink.
        return {"optimizer__param_groups": [
            (name, {"weight_decay": 0.0}) for name in ("temperature_logit", "logit_bias")
        ]}

    def _ecg_encoder_module(self):
        """The pretrainer's fitted encoder (a copy) when there is one, else a fresh one."""
        pretrainer = getattr(self, "ecg_pretrainer_", None)
        if pretrainer is not None:
            return copy.deepcopy(pretrainer.encoder_).cpu()
        return make_encoder(**self.ecg_encoder_config_)

    def _params_for_saving(self):
        params = super()._params_for_saving()
        if getattr(self, "ecg_pretrainer_", None) is not None:
            params["ecg_encoder"] = self.ecg_encoder_config_["encoder"]
        return params

    def _load_weights_state(self, state):
        self.ecg_pretrainer_ = None
        super()._load_weights_state(state)

    # ------------------------------------------------------------ inference
    def fit_transform(self, X, y, groups=None):
        """Fit, then return the ECG latent of ``X`` (not a pair, unlike ``PLSCanonical``).

        Parameters
        ----------
        X, y, groups
            See :meth:`fit`.

        Returns
        -------
        z_ecg : ndarray of float32, shape (n_samples, n_features, n_mcg_times)
            Or ``(n_samples, embedding_dim)`` with ``latent="pooled"``.
        """
        return self.fit(X, y, groups=groups).transform(X)

    @property
    def _n_features_out(self):
        # Names the latent's axis 1: the ECG feature map's channels with latent="temporal".
        return self._latent_width(["ecg_tower"])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
