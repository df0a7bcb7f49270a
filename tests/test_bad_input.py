"""Bad-input battery: one table of (public name x bad-input case).

``SIGNAL_CASES`` corrupts a name's valid signal input (NaN, inf, empty, wrong ndim,
non-numeric dtypes, wrong units); ``OTHER_CASES`` names the cases that need their own
input (X/y length or channel mismatch, sampling rate, cut-offs, windows, flat lines,
files, impossible parameters). ``TABLE`` lists, for every public name, the cases that
apply to it. Every cell asserts the exception type (or documented warning), a message
that names the problem, that estimators raise before training starts, and that no
input array was modified in place.
"""

import copy
import shutil
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest
import wfdb

import sklearn_ecgmcg
from sklearn_ecgmcg import (
    ContrastivePretrainer,
    CrossModalAligner,
    LatentEncoder,
    LatentProjector,
    datasets,
    metrics,
    preprocessing,
)
from sklearn_ecgmcg._base import BaseTorchEstimator
from sklearn_ecgmcg.datasets import (
    ECGCorpus,
    align_streams,
    read_recording,
    fetch_ptbxl,
    load_ptbdb,
    load_ptbxl,
    make_paired_beats,
    mcg_from_ecg,
    mcg_sensor_positions,
    read_wfdb,
    simulate_paired_recordings,
    write_corpus,
)
from sklearn_ecgmcg.preprocessing import (
    BandpassFilter,
    BaselineCorrector,
    Flattener,
    BeatSegmenter,
    average_beats,
    detect_mains_frequency,
    detect_r_peaks,
    segment_beats,
)
from sklearn_ecgmcg.utils import UnitsWarning
from _settings import RESNET_TOWERS, TINY

SFREQ = 250.0
TORCH = {"max_epochs": 1, "batch_size": 16, "device": "cpu"}
LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def _first_to(value):
    def corrupt(a):
        a = a.astype(np.float64)
        a.flat[0] = value
        return a

    return corrupt


# case: (corrupt the valid input, expected exception or warning, message regex)
SIGNAL_CASES = {
    "nan": (_first_to(np.nan), ValueError, r"NaN"),
    "inf": (_first_to(np.inf), ValueError, r"NaN or infinit|infinity"),
    "empty": (lambda a: a[:0], ValueError, r"empty|0 sample"),
    "ndim_1": (lambda a: a.ravel(), ValueError, r"2-D|3-D|2D array"),
    "ndim_4": (lambda a: a[..., np.newaxis], ValueError, r"2-D|3-D|2D array"),
    "dtype_object": (lambda a: a.astype(object), TypeError, r"dtype object"),
    "dtype_complex": (lambda a: a.astype(np.complex128), ValueError, r"[Cc]omplex"),
    # Labels where signals belong.
    "dtype_str": (lambda a: np.full(a.shape, "mV"), TypeError, r"numeric"),
    "units_volt": (lambda a: a * 1e-3, UnitsWarning, r"ECG in V, not mV.*multiply by 1000"),
    "units_microvolt": (lambda a: a * 1e3, UnitsWarning, r"ECG in µV, not mV.*divide by 1000"),
}

# case: (expected exception or warning, message regex); a cell may override both.
OTHER_CASES = {
    "length_mismatch": (ValueError, r"same number|same shape|per sample|records"),
    "channel_mismatch": (ValueError, r"channel|features|shape"),
    "mcg_in_tesla": (UnitsWarning, r"MCG in T, not pT.*multiply by 1e\+12"),
    "sfreq_zero": (ValueError, r"sfreq"),
    "sfreq_negative": (ValueError, r"sfreq"),
    "cutoff_at_nyquist": (ValueError, r"Nyquist"),
    "cutoff_above_nyquist": (ValueError, r"Nyquist"),
    "window_longer_than_records": (ValueError, r"longer than the records"),
    "flat_line": (ValueError, r"no complete beat"),
    "missing_path": (FileNotFoundError, r"not found|does not exist"),
    "wfdb_truncated": (ValueError, r"truncated"),
    "wfdb_corrupt_header": (ValueError, r"cannot parse WFDB header"),
    "impossible_parameter": (ValueError, r"must be|Need|choose one of|expected"),
}


@dataclass
class Api:
    """How the battery calls one public name.

    ``good(ctx)`` returns a valid signal input and ``call(X, ctx)`` passes a signal
    to the name; ``signal_cases`` lists the ``SIGNAL_CASES`` that apply. ``other``
    maps ``OTHER_CASES`` to ``make(ctx) -> (function, args)`` (optionally with the
    expected exception and regex, when they differ from the case's).
    """

    good: object = None
    call: object = None
    signal_cases: tuple = ()
    other: dict = field(default_factory=dict)
    trains: bool = False  # a torch estimator: assert training never starts
    expect: dict = field(default_factory=dict)  # SIGNAL_CASES expectations that differ


NUMERIC = ("nan", "inf", "empty", "ndim_1", "ndim_4", "dtype_object", "dtype_complex",
           "dtype_str")
UNITS = ("units_volt", "units_microvolt")


def _ecg(ctx, n=16, channels=2, times=64):
    return ctx.rng.normal(0, 0.5, size=(n, channels, times))


def _mcg(ctx, n=16, channels=3, times=64):
    return ctx.rng.normal(0, 20.0, size=(n, channels, times))


def _latents(ctx, n=16, dim=4):
    return ctx.rng.normal(size=(n, dim))


def _text_file(ctx):
    """A small valid text export in the test's temporary folder."""
    path = ctx.tmp_path / "export.csv"
    path.write_text("time,a\n" + "".join(f"{i / SFREQ:.4f},{i % 7}\n" for i in range(50)))
    return path


def _clock(X):
    """Timestamps (s) of a record at SFREQ."""
    return np.arange(np.shape(X)[-1]) / SFREQ


def _record(ctx, channels=2, seconds=4):
    """Simulated ECG record(s) at SFREQ with real beats, shape (1, channels, n_times)."""
    return ctx.ecg_record[:, :channels, : int(seconds * SFREQ)]


def _pretrainer(**params):
    return ContrastivePretrainer(encoder_params=TINY, embedding_dim=4, **TORCH, **params)


def _aligner(**params):
    return CrossModalAligner(
        ecg_encoder_params=TINY, mcg_encoder_params=TINY, embedding_dim=4, **TORCH,
        **{**RESNET_TOWERS, **params}
    )


def _paired(function, make_input):
    """A call of ``function(X, Y)`` with X and Y of different lengths."""
    return lambda ctx: (function, (make_input(ctx), make_input(ctx, n=8)))


def _mismatched_channels(fitted_name, method="transform"):
    return lambda ctx: (
        getattr(ctx.fitted[fitted_name], method), (_ecg(ctx, channels=3),)
    )


def _param(function, *args, **kwargs):
    return lambda ctx: (lambda *a: function(*a, **kwargs), args)


# Latents and embeddings go through sklearn's check_array, which converts numeric object
# arrays like every sklearn estimator and metric (dtype_object does not apply to them) and
# rejects strings with its ValueError.
SKLEARN_VALIDATED = tuple(case for case in NUMERIC if case != "dtype_object")
SKLEARN_STR = {"dtype_str": (ValueError, r"could not convert string to float")}


def _embedding_metric(function):
    return Api(
        good=_latents,
        call=lambda z, ctx: function(z, z.copy()),
        signal_cases=SKLEARN_VALIDATED,
        expect=SKLEARN_STR,
        other={"length_mismatch": _paired(function, _latents)},
    )


def _signal_metric(function):
    return Api(
        good=_mcg,
        call=lambda y, ctx: function(y, _mcg(ctx, n=len(y))),
        signal_cases=NUMERIC,
        other={"length_mismatch": _paired(function, _mcg)},
    )


def _write_record(directory, name="rec"):
    signal = np.random.default_rng(0).normal(0, 0.5, size=(1000, 2))
    wfdb.wrsamp(name, fs=SFREQ, units=["mV", "mV"], sig_name=["I", "II"], p_signal=signal,
                fmt=["16", "16"], write_dir=str(directory))
    return directory / name


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


def _read_damaged_wfdb(damage):
    def make(ctx):
        record = _write_record(ctx.tmp_path)
        damage(record)
        return read_wfdb, (str(record),)

    return make


def _ptbdb_copy(ctx):
    src = ctx.shared("ptbdb_path")
    shutil.copytree(src, ctx.tmp_path / "ptbdb")
    return ctx.tmp_path / "ptbdb"


def _load_damaged_ptbdb(damage):
    def make(ctx):
        root = _ptbdb_copy(ctx)
        damage(next(root.glob("patient*/*.hea")).with_suffix(""))
        return (lambda path: load_ptbdb(path, sampto=1000)), (root,)

    return make


def _ptbxl_copy(ctx):
    """Database tables and the first 100 Hz record of PTB-XL, copied to tmp_path."""
    src, dst = ctx.shared("ptbxl_path"), ctx.tmp_path / "ptbxl"
    (dst / "records100" / "00000").mkdir(parents=True)
    for name in ("ptbxl_database.csv", "scp_statements.csv"):
        shutil.copy(src / name, dst)
    for path in (src / "records100" / "00000").glob("00001_lr.*"):
        shutil.copy(path, dst / "records100" / "00000")
    return dst, dst / "records100" / "00000" / "00001_lr"


def _load_damaged_ptbxl(damage):
    def make(ctx):
        root, record = _ptbxl_copy(ctx)
        damage(record)
        return (lambda path: load_ptbxl(path, sampling_rate=100, ecg_ids=[1])), (root,)

    return make


def _truncate_dat(record):
    _truncate(record.with_suffix(".dat"))


def _corrupt_header(record):
    record.with_suffix(".hea").write_text("not a WFDB header\n")


def _missing(function, **kwargs):
    return lambda ctx: (lambda path: function(path, **kwargs), (ctx.tmp_path / "absent",))


TABLE = {
    # --- estimators -------------------------------------------------------------
    "ContrastivePretrainer": Api(
        good=_ecg,
        call=lambda X, ctx: _pretrainer().fit(X),
        signal_cases=NUMERIC + UNITS,
        trains=True,
        other={
            "channel_mismatch": _mismatched_channels("pretrainer"),
            "impossible_parameter": (
                lambda ctx: (lambda X: _pretrainer(temperature=-1.0).fit(X), (_ecg(ctx),)),
                ValueError, r"temperature",
            ),
        },
    ),
    "CrossModalAligner": Api(
        good=_ecg,
        call=lambda X, ctx: _aligner().fit(X, _mcg(ctx, n=len(X))),
        signal_cases=NUMERIC + UNITS,
        trains=True,
        other={
            "length_mismatch": lambda ctx: (
                lambda X, y: _aligner().fit(X, y), (_ecg(ctx), _mcg(ctx, n=8))
            ),
            "channel_mismatch": _mismatched_channels("aligner"),
            "mcg_in_tesla": lambda ctx: (
                lambda X, y: _aligner().fit(X, y), (_ecg(ctx), _mcg(ctx) * 1e-12)
            ),
            "impossible_parameter": (
                lambda ctx: (lambda X, y: _aligner(temperature=0.0).fit(X, y),
                             (_ecg(ctx), _mcg(ctx))),
                ValueError, r"temperature",
            ),
        },
    ),
    "LatentEncoder": Api(
        good=_mcg,
        call=lambda X, ctx: LatentEncoder(ctx.fitted["aligner"], modality="mcg").fit(X),
        signal_cases=NUMERIC,
        other={
            "channel_mismatch": lambda ctx: (
                LatentEncoder(ctx.fitted["aligner"], modality="mcg").fit,
                (_mcg(ctx, channels=5),),
            ),
            "impossible_parameter": (
                lambda ctx: (LatentEncoder(ctx.fitted["aligner"], modality="eeg").fit,
                             (_mcg(ctx),)),
                ValueError, r"modality",
            ),
        },
    ),
    "LatentProjector": Api(
        good=_latents,
        call=lambda X, ctx: LatentProjector().fit(X, _mcg(ctx, n=len(X))),
        signal_cases=("nan", "inf", "empty", "ndim_1", "dtype_complex", "dtype_str"),
        expect=SKLEARN_STR,
        other={
            "length_mismatch": (
                lambda ctx: (LatentProjector().fit, (_latents(ctx), _mcg(ctx, n=8))),
                ValueError, r"X has 16 latents but y has 8 MCG samples: .* paired with the latents",
            ),
            "channel_mismatch": lambda ctx: (
                ctx.fitted["projector"].predict, (_latents(ctx, dim=5),)
            ),
            "impossible_parameter": (
                lambda ctx: (LatentProjector(decoder="cubic").fit,
                             (_latents(ctx), _mcg(ctx))),
                ValueError, r"decoder",
            ),
        },
    ),
    "BandpassFilter": Api(
        good=_ecg,
        call=lambda X, ctx: BandpassFilter(sfreq=SFREQ).fit_transform(X),
        signal_cases=NUMERIC,
        other={
            "sfreq_zero": _param(lambda X: BandpassFilter(sfreq=0.0).fit(X), np.ones((2, 64))),
            "sfreq_negative": _param(lambda X: BandpassFilter(sfreq=-1.0).fit(X),
                                     np.ones((2, 64))),
            "cutoff_at_nyquist": lambda ctx: (
                BandpassFilter(h_freq=SFREQ / 2, sfreq=SFREQ).fit, (_ecg(ctx),)
            ),
            "cutoff_above_nyquist": lambda ctx: (
                BandpassFilter(h_freq=SFREQ, sfreq=SFREQ).fit, (_ecg(ctx),)
            ),
            "window_longer_than_records": (  # filtered with a shorter edge padding
                lambda ctx: (BandpassFilter(sfreq=SFREQ).fit_transform, (_ecg(ctx, times=10),)),
                UserWarning, r"10 time samples, fewer than the 28 .* padded with 9 samples",
            ),
            "impossible_parameter": (
                lambda ctx: (BandpassFilter(l_freq=50.0, h_freq=40.0, sfreq=SFREQ).fit,
                             (_ecg(ctx),)),
                ValueError, r"l_freq=50.* must be below h_freq=40",
            ),
        },
    ),
    "BaselineCorrector": Api(
        good=_ecg,
        call=lambda X, ctx: BaselineCorrector(sfreq=SFREQ).fit_transform(X),
        signal_cases=NUMERIC,
        other={
            "sfreq_zero": (
                lambda ctx: (BaselineCorrector().fit, (_ecg(ctx),)), ValueError,
                r"needs the sampling rate",
            ),
            "sfreq_negative": _param(lambda X: BaselineCorrector(sfreq=-1.0).fit(X),
                                     np.ones((2, 64))),
            "impossible_parameter": (
                lambda ctx: (BaselineCorrector(sfreq=SFREQ, edge=0.001).fit, (_ecg(ctx),)),
                ValueError, r"less than one sample",
            ),
            "window_longer_than_records": (
                lambda ctx: (BaselineCorrector(sfreq=SFREQ).fit_transform,
                             (_ecg(ctx, times=15),)),
                ValueError, r"15 time samples, too short",
            ),
        },
    ),
    "Flattener": Api(  # latents as well as signals: no units to check
        good=_ecg,
        call=lambda X, ctx: Flattener().fit_transform(X),
        signal_cases=NUMERIC,
    ),
    "BeatSegmenter": Api(
        good=lambda ctx: _record(ctx),
        call=lambda X, ctx: BeatSegmenter(sfreq=SFREQ).fit_transform(X),
        signal_cases=NUMERIC,
        other={
            "sfreq_zero": _param(lambda X: BeatSegmenter(sfreq=0.0).fit(X), np.ones((1, 999))),
            "sfreq_negative": _param(lambda X: BeatSegmenter(sfreq=-1.0).fit(X),
                                     np.ones((1, 999))),
            "window_longer_than_records": lambda ctx: (
                BeatSegmenter(sfreq=SFREQ).fit_transform, (_record(ctx)[..., :100],)
            ),
            "flat_line": lambda ctx: (
                BeatSegmenter(sfreq=SFREQ).fit_transform, (np.zeros((1, 2, 1000)),)
            ),
            "impossible_parameter": (
                lambda ctx: (BeatSegmenter(sfreq=SFREQ, tmin=0.2, tmax=-0.1).fit_transform,
                             (_record(ctx),)),
                ValueError, r"'tmax' parameter of BeatSegmenter",
            ),
        },
    ),
    "detect_r_peaks": Api(
        good=lambda ctx: _record(ctx),
        call=lambda X, ctx: detect_r_peaks(X, sfreq=SFREQ),
        signal_cases=NUMERIC,
        other={
            "sfreq_zero": lambda ctx: ((lambda X: detect_r_peaks(X, sfreq=0)), (_record(ctx),)),
            "sfreq_negative": lambda ctx: (
                (lambda X: detect_r_peaks(X, sfreq=-SFREQ)), (_record(ctx),)
            ),
            "impossible_parameter": (
                lambda ctx: ((lambda X: detect_r_peaks(X, sfreq=SFREQ, detector="pan")),
                             (_record(ctx),)),
                ValueError, r"detector must be one of",
            ),
        },
    ),
    "average_beats": Api(
        good=lambda ctx: _record(ctx)[0],
        call=lambda X, ctx: average_beats(X, X, sfreq=SFREQ),
        signal_cases=("nan", "inf", "empty", "dtype_complex", "dtype_str"),
        other={
            "length_mismatch": lambda ctx: (
                lambda X, y: average_beats(X, y, sfreq=SFREQ),
                (_record(ctx)[0], _record(ctx)[0][:, :-5]),
            ),
            "sfreq_zero": lambda ctx: (
                (lambda X: average_beats(X, X, sfreq=0)), (_record(ctx)[0],)
            ),
            "sfreq_negative": lambda ctx: (
                (lambda X: average_beats(X, X, sfreq=-SFREQ)), (_record(ctx)[0],)
            ),
            "impossible_parameter": (
                lambda ctx: ((lambda X: average_beats(X, X, sfreq=SFREQ, min_correlation=2.0)),
                             (_record(ctx)[0],)),
                ValueError, r"min_correlation must lie in \[0, 1\)",
            ),
        },
    ),
    "detect_mains_frequency": Api(
        good=lambda ctx: _record(ctx),
        call=lambda X, ctx: detect_mains_frequency(X, SFREQ),
        signal_cases=NUMERIC,
        other={
            "sfreq_zero": lambda ctx: ((lambda X: detect_mains_frequency(X, 0)), (_record(ctx),)),
            "sfreq_negative": lambda ctx: (
                (lambda X: detect_mains_frequency(X, -SFREQ)), (_record(ctx),)
            ),
            "impossible_parameter": (
                lambda ctx: ((lambda X: detect_mains_frequency(X, SFREQ, candidates=(-50.0,))),
                             (_record(ctx),)),
                ValueError, r"candidates must be positive mains frequencies",
            ),
        },
    ),
    "segment_beats": Api(
        good=lambda ctx: _record(ctx),
        call=lambda X, ctx: segment_beats(X, sfreq=SFREQ),
        signal_cases=NUMERIC,
        other={
            "length_mismatch": lambda ctx: (
                lambda X, y: segment_beats(X, y, sfreq=SFREQ),
                (_record(ctx), np.zeros((2, 3, 1000))),
            ),
            "sfreq_zero": lambda ctx: ((lambda X: segment_beats(X, sfreq=0)), (_record(ctx),)),
            "sfreq_negative": lambda ctx: (
                (lambda X: segment_beats(X, sfreq=-1.0)), (_record(ctx),)
            ),
            "window_longer_than_records": lambda ctx: (
                (lambda X: segment_beats(X, sfreq=SFREQ, tmin=-3, tmax=3)), (_record(ctx),)
            ),
            "flat_line": (
                lambda ctx: ((lambda X: segment_beats(X, sfreq=SFREQ)), (np.zeros((1, 2, 1000)),)),
                UserWarning, r"no complete beat",
            ),
            "impossible_parameter": (
                lambda ctx: ((lambda X: segment_beats(X, sfreq=SFREQ, on_empty="ignore!")),
                             (_record(ctx),)),
                ValueError, r"on_empty",
            ),
        },
    ),
    # --- datasets ---------------------------------------------------------------
    "mcg_from_ecg": Api(
        good=lambda ctx: ctx.ecg_record[..., :500],
        call=lambda X, ctx: mcg_from_ecg(X, SFREQ, LEADS, random_state=0),
        signal_cases=NUMERIC + UNITS,
        other={
            "sfreq_zero": lambda ctx: (
                (lambda X: mcg_from_ecg(X, 0, LEADS)), (ctx.ecg_record[..., :500],)
            ),
            "sfreq_negative": lambda ctx: (
                (lambda X: mcg_from_ecg(X, -SFREQ, LEADS)), (ctx.ecg_record[..., :500],)
            ),
            "channel_mismatch": (
                lambda ctx: ((lambda X: mcg_from_ecg(X, SFREQ, LEADS)),
                             (ctx.ecg_record[:, :3, :500],)),
                ValueError, r"one name per ECG channel",
            ),
            "impossible_parameter": (
                lambda ctx: ((lambda X: mcg_from_ecg(X, SFREQ, LEADS, depth=-1.0)),
                             (ctx.ecg_record[..., :500],)),
                ValueError, r"'depth' parameter of mcg_from_ecg must be .* range \[0.05, 0.2\]",
            ),
        },
    ),
    "make_paired_beats": Api(other={
        "sfreq_zero": _param(lambda: make_paired_beats(1, 2, sfreq=0)),
        "sfreq_negative": _param(lambda: make_paired_beats(1, 2, sfreq=-500)),
        "window_longer_than_records": (
            _param(lambda: make_paired_beats(1, 2, tmin=-3.0, tmax=3.0)),
            ValueError, r"'tmin' parameter of make_paired_beats must be .* range \[-2.0, 2.0\]",
        ),
        "impossible_parameter": (
            _param(lambda: make_paired_beats(0, 2)), ValueError,
            r"'n_subjects' parameter of make_paired_beats must be an int in the range \[1, inf\)",
        ),
    }),
    "simulate_paired_recordings": Api(other={
        "sfreq_zero": _param(lambda: simulate_paired_recordings(1, 2.0, sfreq=0)),
        "sfreq_negative": _param(lambda: simulate_paired_recordings(1, 2.0, sfreq=-500)),
        "cutoff_above_nyquist": (
            _param(lambda: simulate_paired_recordings(1, 2.0, sfreq=80)),
            ValueError, r"'sfreq' parameter .* must be a float in the range \[100.0, inf\)",
        ),
        "impossible_parameter": (
            _param(lambda: simulate_paired_recordings(1, 0.0)), ValueError,
            r"'duration' parameter .* range \[2.0, inf\)",
        ),
    }),
    "mcg_sensor_positions": Api(other={
        "impossible_parameter": (
            _param(lambda: mcg_sensor_positions("7x7")), ValueError, r"Unknown MCG layout",
        ),
    }),
    "align_streams": Api(
        good=lambda ctx: _record(ctx, seconds=30)[0],
        call=lambda X, ctx: align_streams(_clock(X), X, _clock(X), X),
        signal_cases=("nan", "inf", "dtype_complex", "dtype_str"),
        other={
            "length_mismatch": lambda ctx: (
                lambda X, y: align_streams(_clock(X), X, _clock(y), y[:, :-5]),
                (_record(ctx, seconds=30)[0], _record(ctx, seconds=30)[0]),
            ),
            "impossible_parameter": (
                lambda ctx: ((lambda X: align_streams(_clock(X)[::-1], X, _clock(X), X)),
                             (_record(ctx, seconds=30)[0],)),
                ValueError, r"strictly increasing; row 1",
            ),
        },
    ),
    "read_recording": Api(other={
        "missing_path": _missing(read_recording),
        "impossible_parameter": (
            lambda ctx: ((lambda path: read_recording(path, time_unit="min")), (_text_file(ctx),)),
            ValueError, r'time_unit must be "auto", "s" or "ms"',
        ),
    }),
    "read_wfdb": Api(other={
        "missing_path": _missing(read_wfdb),
        "wfdb_truncated": _read_damaged_wfdb(_truncate_dat),
        "wfdb_corrupt_header": _read_damaged_wfdb(_corrupt_header),
    }),
    "load_ptbdb": Api(other={
        "missing_path": _missing(load_ptbdb),
        "wfdb_truncated": _load_damaged_ptbdb(_truncate_dat),
        "wfdb_corrupt_header": _load_damaged_ptbdb(_corrupt_header),
    }),
    "load_ptbxl": Api(other={
        "missing_path": _missing(load_ptbxl),
        "wfdb_truncated": _load_damaged_ptbxl(_truncate_dat),
        "wfdb_corrupt_header": _load_damaged_ptbxl(_corrupt_header),
    }),
    "write_corpus": Api(other={
        "missing_path": lambda ctx: (
            (lambda path: write_corpus(path, ctx.tmp_path / "corpus", verbose=0)),
            (ctx.tmp_path / "absent",),
        ),
        "impossible_parameter": (
            lambda ctx: ((lambda n: write_corpus(ctx.tmp_path, ctx.tmp_path / "c", n_times=n)),
                         (0,)),
            ValueError, r"n_times must be a positive integer",
        ),
    }),
    "ECGCorpus": Api(other={"missing_path": _missing(ECGCorpus)}),
    "fetch_ptbxl": Api(other={
        # sklearn's fetch_* convention: OSError when offline and not cached.
        "missing_path": (_missing(fetch_ptbxl, download_if_missing=False),
                         OSError, r"not in the cache and download_if_missing=False"),
    }),
    # --- metrics ----------------------------------------------------------------
    "retrieval_ranks": _embedding_metric(metrics.retrieval_ranks),
    "retrieval_accuracy": _embedding_metric(metrics.retrieval_accuracy),
    "subject_retrieval_accuracy": _embedding_metric(
        lambda q, g: metrics.subject_retrieval_accuracy(q, g, np.arange(len(q)) // 2)
    ),
    "mean_reciprocal_rank": _embedding_metric(metrics.mean_reciprocal_rank),
    "retrieval_report": _embedding_metric(metrics.retrieval_report),
    "virtual_mcg_r2": _signal_metric(metrics.virtual_mcg_r2),
    "channel_correlation": _signal_metric(metrics.channel_correlation),
    "field_map_poles": Api(
        good=lambda ctx: ctx.rng.normal(size=(4, 36)),
        call=lambda maps, ctx: metrics.field_map_poles(maps, mcg_sensor_positions("6x6")),
        # A 1-D array is one map (n_channels,), so ndim_1 does not apply.
        signal_cases=tuple(case for case in SKLEARN_VALIDATED if case != "ndim_1"),
        expect=SKLEARN_STR,
        other={"channel_mismatch": (
            lambda ctx: ((lambda maps: metrics.field_map_poles(maps, mcg_sensor_positions())),
                         (ctx.rng.normal(size=(4, 35)),)),
            ValueError, r"sensor_positions must have shape",
        )},
    ),
    "find_rt_peaks": Api(
        good=_mcg,
        call=lambda y, ctx: metrics.find_rt_peaks(y, sfreq=SFREQ),
        signal_cases=NUMERIC,
        other={
            "sfreq_zero": lambda ctx: ((lambda y: metrics.find_rt_peaks(y, sfreq=0)),
                                       (_mcg(ctx),)),
            "sfreq_negative": lambda ctx: ((lambda y: metrics.find_rt_peaks(y, sfreq=-1)),
                                           (_mcg(ctx),)),
            "impossible_parameter": (
                lambda ctx: ((lambda y: metrics.find_rt_peaks(y, sfreq=SFREQ,
                                                              t_window=(0.5, 0.1))),
                             (_mcg(ctx),)),
                ValueError, r"t_window must satisfy",
            ),
        },
    ),
    "field_map_angle_error": Api(
        good=_mcg,
        call=lambda y, ctx: metrics.field_map_angle_error(
            y, _mcg(ctx, n=len(y)), mcg_sensor_positions()[:3]
        ),
        signal_cases=NUMERIC,
        other={
            "length_mismatch": lambda ctx: (
                lambda y, p: metrics.field_map_angle_error(y, p, mcg_sensor_positions()[:3]),
                (_mcg(ctx), _mcg(ctx, n=8)),
            ),
            "channel_mismatch": (
                lambda ctx: ((lambda y: metrics.field_map_angle_error(
                    y, y.copy(), mcg_sensor_positions())), (_mcg(ctx),)),
                ValueError, r"sensor_positions must have shape",
            ),
        },
    ),
    # --- persistence ------------------------------------------------------------
    "save_weights": Api(other={
        "impossible_parameter": (
            lambda ctx: (sklearn_ecgmcg.save_weights, (_pretrainer(), ctx.tmp_path / "w")),
            ValueError, r"save_weights needs a fitted ContrastivePretrainer",
        ),
    }),
    "load_weights": Api(other={
        "missing_path": (
            _missing(lambda path: sklearn_ecgmcg.load_weights(path)),
            ValueError, r"absent is not a directory written by save_weights",
        ),
    }),
    "make_retrieval_scorer": Api(other={
        "impossible_parameter": (
            _param(lambda: metrics.make_retrieval_scorer(direction="up")), ValueError,
            r"direction must be one of",
        ),
    }),
    "make_virtual_mcg_scorer": Api(other={
        "impossible_parameter": (
            _param(lambda: metrics.make_virtual_mcg_scorer("mse")), ValueError,
            r"name must be one of",
        ),
    }),
}

# Public names no bad-input case applies to, with the reason.
EXCLUDED = {
    "__version__": "a version string, not a callable",
    "get_data_home": "takes only a folder, which it creates on demand: no signal, no file",
    "load_sample_ecg": "takes no input: the bundled record it reads is package data",
}

CELLS = [
    (name, case)
    for name, api in TABLE.items()
    for case in (*api.signal_cases, *api.other)
]


def _public_names():
    modules = (sklearn_ecgmcg, datasets, preprocessing, metrics)
    return {name for module in modules for name in module.__all__}


def test_table_covers_every_public_name():
    assert set(TABLE) | set(EXCLUDED) == _public_names()
    assert not set(TABLE) & set(EXCLUDED)
    assert set(SIGNAL_CASES) | set(OTHER_CASES) == {case for _, case in CELLS}
    print(f"bad-input table: {len(CELLS)} cells = {len(TABLE)} public names x "
          f"{len(SIGNAL_CASES) + len(OTHER_CASES)} cases (where they apply)")


class _TrainingStarted(Exception):
    pass


@pytest.fixture(scope="module")
def ecg_record():
    """One simulated 12-lead ECG record of 4 s at SFREQ, shape (1, 12, 1000), in mV."""
    return simulate_paired_recordings(1, 4.0, sfreq=SFREQ, random_state=0).ecg


@pytest.fixture(scope="module")
def fitted(ecg_record):
    """Fitted estimators for the fit/transform mismatch cases (trained for real)."""
    ctx = SimpleNamespace(rng=np.random.default_rng(1), ecg_record=ecg_record)
    return {
        "pretrainer": _pretrainer().fit(_ecg(ctx)),
        "aligner": _aligner().fit(_ecg(ctx), _mcg(ctx)),
        "projector": LatentProjector().fit(_latents(ctx), _mcg(ctx)),
        "segmenter": BeatSegmenter(sfreq=SFREQ).fit(_record(ctx)),
    }


@pytest.fixture
def ctx(fitted, ecg_record, tmp_path, request, monkeypatch):
    def refuse_training(*args, **kwargs):
        raise _TrainingStarted

    monkeypatch.setattr(BaseTorchEstimator, "_fit_net", refuse_training)
    monkeypatch.setattr(CrossModalAligner, "_fit_net", refuse_training)
    return SimpleNamespace(
        rng=np.random.default_rng(0),
        ecg_record=ecg_record,
        fitted=fitted,
        tmp_path=tmp_path,
        shared=request.getfixturevalue,
    )


def _cell(name, case, ctx):
    """Return (function, args, expected type, regex) for one cell of the table."""
    api = TABLE[name]
    if case in SIGNAL_CASES:
        corrupt, expected, pattern = SIGNAL_CASES[case]
        expected, pattern = api.expect.get(case, (expected, pattern))
        bad = corrupt(np.asarray(api.good(ctx)))
        return (lambda X: api.call(X, ctx)), (bad,), expected, pattern
    make = api.other[case]
    expected, pattern = OTHER_CASES[case]
    if isinstance(make, tuple):
        make, expected, pattern = make
    function, args = make(ctx)
    return function, args, expected, pattern


@pytest.mark.parametrize("name, case", CELLS, ids=[f"{n}-{c}" for n, c in CELLS])
def test_bad_input(name, case, ctx):
    function, args, expected, pattern = _cell(name, case, ctx)
    before = copy.deepcopy(args)
    if issubclass(expected, Warning):
        # The warning comes first; training (refused here) may follow it.
        with pytest.warns(expected, match=pattern):
            try:
                function(*args)
            except _TrainingStarted:
                assert TABLE[name].trains
    else:
        with pytest.raises(expected, match=pattern):
            function(*args)  # _TrainingStarted would fail the test: work began
    for arg, original in zip(args, before):
        if isinstance(arg, np.ndarray):
            assert arg.dtype == original.dtype and arg.shape == original.shape
            if arg.dtype.kind in "fc":
                np.testing.assert_array_equal(arg, original)
            else:
                assert (arg == original).all()
