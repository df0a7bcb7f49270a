"""Input checks and small array helpers of :class:`CrossModalAligner`."""

from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator

from ..pretraining import ContrastivePretrainer

# Sub-beat windows of the local loss, in seconds relative to the R peak.
DEFAULT_LOCAL_WINDOWS = {"P": (-0.20, -0.05), "QRS": (-0.05, 0.06), "ST-T": (0.06, 0.40)}


# Rows per block of channel_stats: a memory map is read, and float64 work arrays
# made, a block at a time.
_STATS_BLOCK_BYTES = 32 * 2**20


def channel_stats(signals):
    """Per-channel mean and standard deviation over samples and time (std 0 -> 1).

    Computed block by block of rows (Chan et al.'s pairwise combination of means
    and sums of squared deviations), so a memory-mapped input is never copied whole.
    """
    step = max(1, _STATS_BLOCK_BYTES // max(1, 8 * int(np.prod(signals.shape[1:]))))
    count, mean, m2 = 0, np.zeros(signals.shape[1]), np.zeros(signals.shape[1])
    for start in range(0, len(signals), step):
        block = np.asarray(signals[start : start + step], dtype=np.float64)
        n_block = block.shape[0] * block.shape[2]
        block_mean = block.mean(axis=(0, 2))
        block_m2 = ((block - block_mean[:, None]) ** 2).sum(axis=(0, 2))
        delta = block_mean - mean
        total = count + n_block
        mean = mean + delta * n_block / total
        m2 = m2 + block_m2 + delta**2 * count * n_block / total
        count = total
    scale = np.sqrt(m2 / count)
    scale[~(scale > 0)] = 1.0
    return mean, scale


def as_mcg_signal(y):
    """A 1-D ``y`` is read as one value per sample: a one-sample, one-channel signal."""
    if y is None:
        raise ValueError(
            "CrossModalAligner requires y to be passed, but the target y is None: "
            "pass the paired MCG beats as y (fit(ecg, mcg))."
        )
    if not hasattr(y, "__len__") and not hasattr(y, "__array__"):
        return y  # check_signals words the error
    if getattr(y, "ndim", 1) != 1:
        return y  # a signal array, a memory map or an ECGCorpus: not read here
    array = np.asarray(y)
    return array[:, None] if array.ndim == 1 else y


def check_temperature_bounds(temperature, bounds):
    """A learnable temperature needs ``0 < T_min < temperature < T_max``."""
    if not (
        len(bounds) == 2
        and all(isinstance(b, Real) for b in bounds)
        and 0 < bounds[0] < temperature < bounds[1]
    ):
        raise ValueError(
            "With learn_temperature=True, temperature_bounds must be (T_min, T_max) "
            f"with 0 < T_min < temperature < T_max; got temperature_bounds={bounds!r} "
            f"and temperature={temperature!r}."
        )


def subject_codes(groups, n_samples):
    """Integer codes of the subject ids, checked for shape and for two subjects at least."""
    groups = np.asarray(groups)
    if groups.shape != (n_samples,):
        raise ValueError(
            f"groups must have shape ({n_samples},), one subject id per pair; "
            f"got {groups.shape}."
        )
    subjects, codes = np.unique(groups, return_inverse=True)
    if len(subjects) < 2:
        raise ValueError(
            "same_subject_negatives=False leaves no negatives when all pairs come from "
            f"one subject (groups holds the single id {subjects[0]}): the loss would "
            "be 0 and nothing learned. Pass pairs of at least 2 subjects, or "
            "same_subject_negatives=True."
        )
    return codes.astype(np.int64)


def window_fractions(windows, tmin, sfreq, n_times):
    """Local windows ``name -> (start, stop)`` s as fractions ``(start, stop)`` of the beat."""
    duration = n_times / sfreq
    bounds = []
    for name, (start, stop) in windows.items():
        first = max(0.0, (start - tmin) / duration)
        last = min(1.0, (stop - tmin) / duration)
        if not first < last:
            raise ValueError(
                f"Local window {name!r} ({start}, {stop}) s lies outside the beat window "
                f"[{tmin}, {tmin + duration:.3f}] s (tmin={tmin}, "
                f"{n_times} samples at sfreq={sfreq} Hz)."
            )
        bounds.append((first, last))
    return bounds


def fitted_pretrainer(ecg_encoder, X, groups):
    """The fitted pretrainer that initialises the ECG tower, or None for a preset.

    An unfitted pretrainer is cloned and fitted on ``X``; the object passed is
    never modified.
    """
    pretrainer = ecg_encoder
    if isinstance(pretrainer, str) or not hasattr(pretrainer, "fit"):
        return None
    if isinstance(pretrainer, FrozenEstimator):
        pretrainer = pretrainer.estimator
    if not isinstance(pretrainer, ContrastivePretrainer):
        raise TypeError(
            "ecg_encoder must be a preset name, an encoder factory, or a "
            f"ContrastivePretrainer (optionally in a FrozenEstimator); got {pretrainer!r}."
        )
    if not hasattr(pretrainer, "net_"):
        pretrainer = clone(pretrainer).fit(X, groups=groups)
    expected = (pretrainer.n_channels_in_, pretrainer.n_times_in_)
    if expected != X.shape[1:]:
        crops = getattr(pretrainer, "crop_length", None)
        raise ValueError(
            f"The pretrained ECG encoder was fitted on {expected[0]} channel(s) x "
            f"{expected[1]} time samples, but X has {X.shape[1]} x {X.shape[2]}."
            + (f" It was pretrained on crops of crop_length={crops} samples: pretrain "
               f"with crop_length={X.shape[2]}, the length of these beats, to align them."
               if crops is not None else "")
        )
    return pretrainer


def unit_rows(z, block_rows=65536):
    """Divide the rows of float32 ``z`` by their L2 norm, in place (``z`` is ours).

    In blocks of rows: ``np.linalg.norm`` squares its whole input into a temporary.
    """
    for start in range(0, len(z), block_rows):
        block = z[start : start + block_rows]
        block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)
    return z
