"""Quality and speed of ContrastivePretrainer (stage 1), as a user gets it: defaults.

Quality (``--part probe``): linear-probe macro AUROC over the 5 PTB-XL diagnostic
superclasses on fold 9 (patient-disjoint from folds 1-8). Every method is a pipeline
fitted on the whole 10 s records of folds 1-8 (no labels) exactly as a user passes
them -- the 500 Hz records of ``../shared/data/ptbxl``, 12 x 5000, no hand-cut
windows, no resampling --, then transforms every record:

- ``make_pipeline(BandpassFilter(0.5, 40, sfreq=500), ContrastivePretrainer())``,
  the default pipeline (only ``random_state`` set);
- the same with ``ContrastivePretrainer(max_epochs=0)``: the default encoder, randomly
  initialised and applied the same way (the known strong ECG baseline);
- ``BandpassFilter`` then PCA of the flattened record, as many components as the
  default embedding has dimensions;
- optionally (``--objectives``) the other objectives, every other parameter default.

The probe is ``StandardScaler + LogisticRegressionCV`` (C by 5-fold CV on folds 1-8,
ROC AUC), one per superclass. Neural methods run for ``--seeds`` seeds; the table
gives the mean and standard deviation over seeds and a 95 % bootstrap interval over
fold-9 patients of the macro AUROC of the seed-averaged probe scores; the difference
to the random-init encoder gets its own paired interval.

Speed (``--part speed``): ``ContrastivePretrainer().fit`` (defaults) throughput in
records/s against a plain PyTorch loop that trains the same module (encoder,
projection head, augmentations with their crops) with the same batch size, AdamW
settings, epochs and device, measured in alternation in one run (median of
``--repeats``); the time per batch spent in data loading, augmentation and
forward/backward/step; and the fit time of the defaults on the PTB-XL sample the
package ships (what the demo trains on).

Run ``python benchmarks/bench_pretraining.py [--part probe|speed|all] [PTBXL_PATH]``;
prints tables and writes ``benchmarks/results/pretraining.md`` (probe) and
``benchmarks/results/pretraining_speed.md`` (speed).
"""

import argparse
import datetime
import inspect
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from torch.utils.data import DataLoader, TensorDataset

from sklearn_ecgmcg import ContrastivePretrainer
from sklearn_ecgmcg.datasets import load_ptbxl, load_sample_ecg
from sklearn_ecgmcg.nn import (
    ProjectionHead,
    TwoViewModule,
    make_encoder,
    nt_xent_loss,
    random_crop,
)
from sklearn_ecgmcg.preprocessing import BandpassFilter

sys.path.insert(0, str(Path(__file__).parent))
from _bootstrap import subject_bootstrap

RESULTS = Path(__file__).parent / "results"
DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(ContrastivePretrainer).parameters.items()
    if p.default is not inspect.Parameter.empty
}


# ----------------------------------------------------------------- probe
def macro_auroc(Y, scores):
    return float(np.mean([roc_auc_score(Y[:, k], scores[:, k]) for k in range(Y.shape[1])]))


def probe_scores(Z_train, Y_train, Z_test):
    """Fold-9 probabilities of a linear probe per class fitted on folds 1-8."""
    probe = OneVsRestClassifier(
        make_pipeline(
            StandardScaler(),
            LogisticRegressionCV(Cs=np.logspace(-4, 1, 6), cv=5, scoring="roc_auc", max_iter=3000),
        )
    )
    return probe.fit(Z_train, Y_train).predict_proba(Z_test)


def pipelines(sfreq, embedding_dim):
    """name -> (factory(seed) -> pipeline, fit keyword arguments (given groups), seeded)."""
    def bandpass():
        return BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=sfreq)

    def pretrainer(**params):
        return lambda seed: make_pipeline(
            bandpass(), ContrastivePretrainer(random_state=seed, **params)
        )

    flatten = FunctionTransformer(lambda X: X.reshape(len(X), -1))
    return {
        "default pipeline": (pretrainer(), {}, True),
        "random-init encoder": (pretrainer(max_epochs=0), {}, True),
        "PCA": (
            lambda seed: make_pipeline(bandpass(), flatten, PCA(embedding_dim, random_state=0)),
            {},
            False,
        ),
        "objective='patient'": (
            pretrainer(objective="patient"), {"contrastivepretrainer__groups": True}, True
        ),
        "objective='masked'": (pretrainer(objective="masked"), {}, True),
    }


def run_method(factory, fit_groups, seeds, X, Y, train, test, groups):
    """Macro AUROC, probe scores and seconds per seed of one method."""
    runs = []
    for seed in seeds:
        pipe = factory(seed)
        kwargs = {key: groups[train] for key in fit_groups}
        start = time.perf_counter()
        pipe.fit(X[train], **kwargs)
        fit_s = time.perf_counter() - start
        Z = pipe.transform(X)
        scores = probe_scores(Z[train], Y[train], Z[test])
        runs.append((macro_auroc(Y[test], scores), scores, fit_s))
        print(f"  seed {seed}: macro AUROC {runs[-1][0]:.3f}, fit {fit_s:.0f} s", flush=True)
    return runs


def run_probe(args):
    data = load_ptbxl(args.path, sampling_rate=500, folds=list(range(1, 10)))
    X, Y, groups = data.ecg, data.target, data.groups
    train, test = data.strat_fold <= 8, data.strat_fold == 9
    print(f"{train.sum()} train records, {test.sum()} test records of {X.shape[1:]}", flush=True)
    methods = pipelines(data.sfreq, DEFAULTS["embedding_dim"])
    names = ["default pipeline", "random-init encoder", "PCA"] + [
        f"objective={o!r}" for o in args.objectives
    ]
    results = {}
    for name in names:
        factory, fit_groups, seeded = methods[name]
        print(name, flush=True)
        results[name] = run_method(
            factory, fit_groups, args.seeds if seeded else [0], X, Y, train, test, groups
        )
    return probe_table(results, Y[test], groups[test], data, train, test, args)


def probe_table(results, Y_test, groups_test, data, train, test, args):
    rng = np.random.default_rng(0)
    mean_scores = {name: np.mean([r[1] for r in runs], axis=0) for name, runs in results.items()}
    lines = [
        "| pipeline (whole 10 s records) | macro AUROC, mean ± sd over seeds | 95 % interval "
        "(patients) | " + " | ".join(data.target_names) + " | fit s per seed | seeds |",
        "|" + "---|" * (5 + len(data.target_names)),
    ]
    for name, runs in results.items():
        aurocs = [r[0] for r in runs]
        _, (low, high) = subject_bootstrap(macro_auroc, Y_test, mean_scores[name], groups_test, rng)
        per_class = np.mean(
            [[roc_auc_score(Y_test[:, k], r[1][:, k]) for k in range(Y_test.shape[1])] for r in runs],
            axis=0,
        )
        lines.append(
            f"| {name} | {np.mean(aurocs):.3f} ± {np.std(aurocs):.3f} | [{low:.3f}, {high:.3f}] | "
            + " | ".join(f"{a:.3f}" for a in per_class)
            + f" | {np.mean([r[2] for r in runs]):.0f} | {len(runs)} |"
        )
    default = np.mean([r[0] for r in results["default pipeline"]])
    random_init = np.mean([r[0] for r in results["random-init encoder"]])
    paired = np.stack([mean_scores["default pipeline"], mean_scores["random-init encoder"]], 1)
    diff, (low, high) = subject_bootstrap(
        lambda y, s: macro_auroc(y, s[:, 0]) - macro_auroc(y, s[:, 1]),
        Y_test, paired, groups_test, rng,
    )
    verdict = (default >= 0.88) and (default - random_init >= 0.03)
    notes = [
        f"Targets (issue 19, must show 5): default >= 0.88 and >= random-init + 0.03. "
        f"Measured: {default:.3f} and {default - random_init:+.3f} (seed means); "
        f"{'MET' if verdict else 'MISSED'}. Paired difference of the seed-averaged probe "
        f"scores: {diff:+.3f}, 95 % patient-bootstrap interval [{low:+.3f}, {high:+.3f}].",
        f"Train: folds 1-8, {train.sum()} records; test: fold 9, {test.sum()} records of "
        f"{len(np.unique(groups_test))} patients, positives "
        f"{dict(zip(data.target_names, Y_test.sum(0).tolist()))}. Intervals: 1000 bootstrap "
        "resamples of fold-9 patients of the probe scores averaged over seeds (so they "
        "show the test-set sampling, not the seed spread, which is the ± column).",
        f"Defaults used: {format_defaults()}. Signals: the 500 Hz records (12 x 5000) band-passed "
        "0.5-40 Hz by the pipeline's BandpassFilter; PCA on the flattened filtered record. "
        f"Fit seconds include the filter; torch threads {torch.get_num_threads()}, device cpu.",
    ]
    return "## Linear probe on PTB-XL fold 9, default pipeline on whole records", lines, notes


def format_defaults():
    keys = ["objective", "encoder", "crop_length", "embedding_dim", "augment_strength",
            "max_epochs", "batch_size", "lr", "weight_decay", "temperature"]
    return ", ".join(f"{k}={DEFAULTS[k]!r}" for k in keys if k in DEFAULTS)


# ----------------------------------------------------------------- speed
def plain_module(pretrainer):
    """The fitted estimator's module, rebuilt from scratch in plain PyTorch."""
    dim = pretrainer.embedding_dim
    return TwoViewModule(
        make_encoder(**pretrainer.encoder_config_),
        ProjectionHead(dim, dim),
        pretrainer.net_.module_.augment,
    )


def plain_loop(module, X, epochs, batch_size, lr, weight_decay, temperature, crop_length):
    """AdamW on NT-Xent over shuffled batches of whole records (drop_last, as skorch).

    ``crop_length`` cuts one random window per record before the module when the
    module's augmentation does not crop (the estimator's dataset then does).
    """
    optimizer = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X)), batch_size=batch_size, shuffle=True, drop_last=True
    )
    module.train()
    for _ in range(epochs):
        for (batch,) in loader:
            if crop_length is not None:
                batch = random_crop(batch, crop_length)
            optimizer.zero_grad()
            loss = nt_xent_loss(*module(batch), temperature=temperature)
            loss.backward()
            optimizer.step()


def speed_records(path, n):
    data = load_ptbxl(path, sampling_rate=500, folds=list(range(1, 9)))
    X = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=data.sfreq).transform(data.ecg[:n])
    return np.ascontiguousarray(X, dtype=np.float32)


def run_speed(args):
    X = speed_records(args.path, args.speed_samples)
    epochs = args.speed_epochs or DEFAULTS["max_epochs"]
    batch_size = DEFAULTS["batch_size"]
    used = (len(X) // batch_size) * batch_size * epochs  # drop_last in both

    def time_estimator(seed, epochs):
        pretrainer = ContrastivePretrainer(max_epochs=epochs, device="cpu", random_state=seed)
        start = time.perf_counter()
        pretrainer.fit(X)
        return time.perf_counter() - start, pretrainer

    _, reference = time_estimator(0, 1)  # warm-up, not timed; its module is the template
    augment_crops = getattr(reference.net_.module_.augment, "crop_length", None) is not None
    loop_crop = None if augment_crops else reference.crop_length
    settings = {"batch_size": batch_size, "lr": DEFAULTS["lr"],
                "weight_decay": DEFAULTS["weight_decay"], "temperature": DEFAULTS["temperature"],
                "crop_length": loop_crop}

    def time_plain(seed, epochs):
        torch.manual_seed(seed)
        module = plain_module(reference)
        start = time.perf_counter()
        plain_loop(module, X, epochs, **settings)
        return time.perf_counter() - start

    time_plain(0, 1)  # warm-up, not timed
    estimator_rates, plain_rates = [], []
    for repeat in range(args.repeats):
        # alternate which loop runs first so drifting machine load hits both alike
        if repeat % 2:
            plain_rates.append(used / time_plain(repeat, epochs))
            seconds, pretrainer = time_estimator(repeat, epochs)
        else:
            seconds, pretrainer = time_estimator(repeat, epochs)
            plain_rates.append(used / time_plain(repeat, epochs))
        estimator_rates.append(used / seconds)
        print(f"repeat {repeat}: estimator {estimator_rates[-1]:.1f}, "
              f"plain {plain_rates[-1]:.1f} records/s", flush=True)
    est, plain = np.median(estimator_rates), np.median(plain_rates)
    lines = [
        "| loop | records/s (median) | all repeats |",
        "|---|---|---|",
        f"| ContrastivePretrainer().fit (skorch) | {est:.1f} | "
        f"{', '.join(f'{r:.1f}' for r in estimator_rates)} |",
        f"| plain PyTorch loop, same module | {plain:.1f} | "
        f"{', '.join(f'{r:.1f}' for r in plain_rates)} |",
        f"| ratio estimator / plain | {est / plain:.3f} | |",
        "",
        *batch_breakdown(pretrainer, X),
        "",
        *demo_fit_time(),
    ]
    if augment_crops:
        where = "Each view's augmentation cuts its own crop of the whole record"
    elif reference.crop_length is not None:
        where = "The data set cuts one crop per record"
    else:
        where = "No crops (crop_length=None): whole records"
    notes = [
        f"{len(X)} filtered PTB-XL records (folds 1-8) of 12 x 5000 at 500 Hz, estimator "
        f"defaults ({format_defaults()}), {epochs} epochs per fit, "
        f"{args.repeats} alternating repeats after one untimed warm-up of each, device cpu, "
        f"torch threads {torch.get_num_threads()}. {where}; the plain loop does the same. "
        "No GPU was available in this session.",
    ]
    return "## fit throughput of the defaults: estimator vs plain PyTorch loop", lines, notes


def batch_breakdown(pretrainer, X):
    """Where a training batch's time goes, with the estimator's own net after fit."""
    net = pretrainer.net_
    dataset = pretrainer._training_dataset(X, None)  # the cropping dataset, if any
    iterator = net.get_iterator(dataset if dataset is not None else net.get_dataset(X),
                                training=True)
    start = time.perf_counter()
    batches = list(iterator)
    t_load = (time.perf_counter() - start) / len(batches)
    module = net.module_.train()
    start = time.perf_counter()
    for batch in batches:
        module.augment(batch[0]), module.augment(batch[0])
    t_augment = (time.perf_counter() - start) / len(batches)
    start = time.perf_counter()
    for batch in batches:
        net.train_step(batch)
    t_step = (time.perf_counter() - start) / len(batches)
    return [
        "| per batch of the estimator | ms | share of a train step |",
        "|---|---|---|",
        f"| data loading (skorch DataLoader) | {1e3 * t_load:.2f} | {t_load / t_step:.1%} |",
        f"| augmentation (2 views) | {1e3 * t_augment:.2f} | {t_augment / t_step:.1%} |",
        f"| full train step (augment + forward + backward + AdamW) | {1e3 * t_step:.2f} | 100% |",
    ]


def demo_fit_time():
    """Fit and transform time of the defaults on the shipped sample's folds 1-8."""
    sample = load_sample_ecg()
    train = sample.strat_fold <= 8
    pipe = make_pipeline(BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=sample.sfreq),
                         ContrastivePretrainer(device="cpu", random_state=0))
    start = time.perf_counter()
    pipe.fit(sample.ecg[train])
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    pipe.transform(sample.ecg)
    transform_s = time.perf_counter() - start
    return [
        "| shipped PTB-XL sample (`load_sample_ecg`), default pipeline | s |",
        "|---|---|",
        f"| fit on folds 1-8 ({train.sum()} records of 12 x 5000) | {fit_s:.1f} |",
        f"| transform all {len(sample.ecg)} records | {transform_s:.1f} |",
    ]


# ------------------------------------------------------------------ main
def write(name, sections, argv):
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    text = [
        f"# ContrastivePretrainer benchmark ({name})",
        "",
        f"Date: {stamp}. Machine: {platform.machine()}, {os.cpu_count()} CPU cores (shared with "
        f"other jobs), torch {torch.__version__}, no GPU.",
        f"Command: `python benchmarks/bench_pretraining.py {' '.join(argv)}`",
        "",
    ]
    for title, lines, notes in sections:
        text += [title, "", *lines, "", *notes, ""]
    (RESULTS / f"{name}.md").write_text("\n".join(text))
    print("\n".join(text))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "path",
        nargs="?",
        default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "ptbxl"),
    )
    parser.add_argument("--part", choices=["probe", "speed", "all"], default="all")
    parser.add_argument(
        "--objectives", nargs="*", default=[], choices=["patient", "masked"],
        help="extra rows: the other objectives, every other parameter default",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--speed-samples", type=int, default=256, help="records timed")
    parser.add_argument(
        "--speed-epochs", type=int, default=None,
        help="epochs per timed fit (default: the estimator's max_epochs, the fit a user runs)",
    )
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (1: the two cores are shared)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    # LogisticRegressionCV's transition notices about its own defaults
    warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")
    if args.part in ("probe", "all"):
        write("pretraining", [run_probe(args)], argv)
    if args.part in ("speed", "all"):
        write("pretraining_speed", [run_speed(args)], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
