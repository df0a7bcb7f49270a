"""Quality and speed of ContrastivePretrainer (stage 1).

Quality (``--part probe``): linear-probe macro AUROC over the 5 PTB-XL diagnostic
superclasses on fold 9 (patient-disjoint from folds 1-8), for embeddings of

- ContrastivePretrainer, each objective, pretrained on folds 1-8 without labels;
- the same encoder randomly initialised (the known strong ECG baseline);
- PCA of the raw (filtered, resampled) signal, as many components as embedding dims;
- the same encoder trained supervised on the fold 1-8 labels (BCE, same epochs).

Data: the 500 Hz records of ``../shared/data/ptbxl`` (folds 1-9), band-passed 0.5-40 Hz
with ``BandpassFilter``, resampled to ``--sfreq`` Hz (default 100, content is < 40 Hz)
to fit a two-core budget, and cut into non-overlapping ``--window`` s windows (default
2.5 s, 4 per record; the windows of one patient are the "patient" objective's
positives). A record's embedding is the mean of its windows' embeddings. The probe is
``StandardScaler + LogisticRegressionCV`` (C by 5-fold CV on folds 1-8, ROC AUC), one
per superclass, fitted on folds 1-8 records and scored on fold 9 records. Neural
methods are run for ``--seeds`` seeds (mean and spread reported).

Speed (``--part speed``): ``ContrastivePretrainer(objective="simclr").fit`` throughput
(samples/s) against a plain PyTorch loop with the same module (encoder, projection
head, augmentations), batch size, AdamW settings, epochs and device, measured in
alternation in one run (median of ``--repeats``). Also the time per batch spent in
data loading (skorch's DataLoader), augmentation and forward/backward/step.

Run ``python benchmarks/bench_pretraining.py [--part probe|speed|all] [PTBXL_PATH]``;
prints tables and writes ``benchmarks/results/pretraining.md`` (probe) and
``benchmarks/results/pretraining_speed.md`` (speed).
"""

import argparse
import datetime
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from scipy.signal import resample_poly
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNet
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from sklearn_ecgmcg import ContrastivePretrainer
from sklearn_ecgmcg.datasets import load_ptbxl
from sklearn_ecgmcg.nn import ECGAugment, ProjectionHead, make_encoder, nt_xent_loss
from sklearn_ecgmcg.preprocessing import BandpassFilter
from sklearn_ecgmcg.nn import TwoViewModule

RESULTS = Path(__file__).parent / "results"


# ------------------------------------------------------------------ data
def load_windows(path, sfreq, window_s):
    data = load_ptbxl(path, sampling_rate=500, folds=list(range(1, 10)))
    ecg = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=data.sfreq).transform(data.ecg)
    ecg = resample_poly(ecg, int(sfreq), int(data.sfreq), axis=-1).astype(np.float32)
    n_records, n_leads, n_times = ecg.shape
    window = int(round(window_s * sfreq))
    n_windows = n_times // window
    windows = ecg[..., : n_windows * window].reshape(n_records, n_leads, n_windows, window)
    windows = np.ascontiguousarray(windows.transpose(0, 2, 1, 3).reshape(-1, n_leads, window))
    record = np.repeat(np.arange(n_records), n_windows)
    return data, windows, record


def record_mean(Z, record, n_records):
    out = np.zeros((n_records, Z.shape[1]))
    np.add.at(out, record, Z)
    return out / np.bincount(record, minlength=n_records)[:, None]


def probe_auroc(Z_train, Y_train, Z_test, Y_test):
    probe = OneVsRestClassifier(
        make_pipeline(
            StandardScaler(),
            LogisticRegressionCV(Cs=np.logspace(-4, 1, 6), cv=5, scoring="roc_auc", max_iter=3000),
        )
    )
    probe.fit(Z_train, Y_train)
    scores = probe.predict_proba(Z_test)
    per_class = [roc_auc_score(Y_test[:, k], scores[:, k]) for k in range(Y_test.shape[1])]
    return float(np.mean(per_class)), per_class


def embed(module, X, batch_size=256):
    module.eval()
    with torch.inference_mode():
        return np.concatenate(
            [
                module(torch.from_numpy(X[i : i + batch_size])).numpy()
                for i in range(0, len(X), batch_size)
            ]
        )


# ----------------------------------------------------------------- probe
def run_probe(args):
    data, windows, record = load_windows(args.path, args.sfreq, args.window)
    n_records = len(data.ecg)
    train_rec = data.strat_fold <= 8
    test_rec = data.strat_fold == 9
    train_win = train_rec[record]
    Y = data.target
    groups_win = data.groups[record]
    X_train = windows[train_win]
    print(
        f"{train_rec.sum()} train records ({X_train.shape[0]} windows of {X_train.shape[1:]}), "
        f"{test_rec.sum()} test records; fold-9 positives per class: "
        f"{dict(zip(data.target_names, Y[test_rec].sum(0).tolist()))}"
    )

    def score(Z_windows):
        Z = record_mean(Z_windows, record, n_records)
        return probe_auroc(Z[train_rec], Y[train_rec], Z[test_rec], Y[test_rec])

    common = {
        "encoder": args.encoder,
        "embedding_dim": args.embedding_dim,
        "max_epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "device": "cpu",
    }
    rows = []

    def add(name, aucs, seconds, settings):
        macro = [a[0] for a in aucs]
        per_class = np.mean([a[1] for a in aucs], axis=0)
        rows.append((name, np.mean(macro), np.std(macro), per_class, seconds, settings))
        print(
            f"{name:28s} macro AUROC {np.mean(macro):.3f} +- {np.std(macro):.3f} "
            f"({seconds:.0f} s)",
            flush=True,
        )

    start = time.perf_counter()
    pca = PCA(n_components=args.embedding_dim, random_state=0).fit(
        X_train.reshape(len(X_train), -1)
    )
    add(
        "PCA (raw signal)",
        [score(pca.transform(windows.reshape(len(windows), -1)))],
        time.perf_counter() - start,
        f"{args.embedding_dim} components",
    )

    aucs, start = [], time.perf_counter()
    for seed in args.seeds:
        torch.manual_seed(seed)
        encoder = make_encoder(
            args.encoder, windows.shape[1], windows.shape[2], args.embedding_dim
        )
        aucs.append(score(embed(encoder, windows)))
    add(
        "random-init encoder", aucs, (time.perf_counter() - start) / len(args.seeds), "no training"
    )

    for objective in args.objectives:
        aucs, start = [], time.perf_counter()
        for seed in args.seeds:
            pretrainer = ContrastivePretrainer(objective, random_state=seed, **common)
            pretrainer.fit(X_train, groups=groups_win[train_win])
            aucs.append(score(pretrainer.transform(windows)))
            print(
                f"  {objective} seed {seed}: loss {pretrainer.loss_curve_[0]:.3f} -> "
                f"{pretrainer.loss_curve_[-1]:.3f}",
                flush=True,
            )
        loss = "mask ratio 0.5" if objective == "masked" else "T=0.1"
        add(
            f"ContrastivePretrainer {objective}",
            aucs,
            (time.perf_counter() - start) / len(args.seeds),
            f"{args.epochs} epochs, lr {args.lr}, {loss}",
        )

    aucs, start = [], time.perf_counter()
    for seed in args.seeds:
        torch.manual_seed(seed)
        encoder = make_encoder(
            args.encoder, windows.shape[1], windows.shape[2], args.embedding_dim
        )
        net = NeuralNet(
            nn.Sequential(encoder, nn.ReLU(), nn.Linear(args.embedding_dim, Y.shape[1])),
            criterion=nn.BCEWithLogitsLoss,
            optimizer=torch.optim.AdamW,
            optimizer__weight_decay=1e-4,
            lr=args.lr,
            max_epochs=args.epochs,
            batch_size=args.batch_size,
            iterator_train__shuffle=True,
            train_split=None,
            verbose=0,
        )
        net.fit(X_train, Y[record][train_win].astype(np.float32))
        aucs.append(score(embed(encoder, windows)))
    add(
        "supervised encoder (BCE)",
        aucs,
        (time.perf_counter() - start) / len(args.seeds),
        f"{args.epochs} epochs, lr {args.lr}",
    )

    header = (
        "| embedding | macro AUROC (fold 9) | "
        + " | ".join(data.target_names)
        + " | s per seed | settings |"
    )
    lines = [header, "|" + "---|" * (4 + len(data.target_names))]
    for name, mean, std, per_class, seconds, settings in rows:
        cls = " | ".join(f"{a:.3f}" for a in per_class)
        lines.append(f"| {name} | {mean:.3f} ± {std:.3f} | {cls} | {seconds:.0f} | {settings} |")
    macro = {name: mean for name, mean, *_ in rows}
    best = max((name for name in macro if name.startswith("ContrastivePretrainer")), key=macro.get)
    notes = [
        f"Best pretrained ({best}): "
        f"{macro[best] - macro['random-init encoder']:+.3f} macro AUROC over the "
        f"random-init encoder, {macro[best] - macro['PCA (raw signal)']:+.3f} over PCA, "
        f"{macro[best] - macro['supervised encoder (BCE)']:+.3f} against the supervised encoder.",
        "Seconds per seed include embedding all windows and fitting the probe. Fold 9 has few "
        "positives for some classes, so per-class AUROCs move by several points between seeds.",
        f"Train: folds 1-8, {train_rec.sum()} records / {X_train.shape[0]} windows; test: fold 9, "
        f"{test_rec.sum()} records, positives "
        f"{dict(zip(data.target_names, Y[test_rec].sum(0).tolist()))}.",
        f"Signals: 500 Hz records, band-pass 0.5-40 Hz, resampled to {args.sfreq} Hz, "
        f"{args.window} s windows ({windows.shape[1]} x {windows.shape[2]}); "
        f"encoder {args.encoder!r}, "
        f"embedding_dim {args.embedding_dim}, batch {args.batch_size}; seeds {args.seeds} "
        "(± is the standard deviation over seeds; PCA is deterministic). "
        "Per-class columns are seed means. "
        f"torch threads {torch.get_num_threads()}.",
    ]
    return "## Linear probe on PTB-XL (fold 9)", lines, notes


# ----------------------------------------------------------------- speed
def plain_loop(module, X, epochs, batch_size, lr, weight_decay):
    optimizer = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X)), batch_size=batch_size, shuffle=True, drop_last=True
    )
    module.train()
    for _ in range(epochs):
        for (batch,) in loader:
            optimizer.zero_grad()
            loss = nt_xent_loss(*module(batch), temperature=0.1)
            loss.backward()
            optimizer.step()


def run_speed(args):
    rng = np.random.default_rng(0)
    n, n_leads, n_times = args.speed_samples, 12, int(args.sfreq * args.window)
    X = rng.standard_normal((n, n_leads, n_times)).astype(np.float32)
    settings = dict(batch_size=args.batch_size, lr=1e-3, weight_decay=1e-4)
    used = (n // args.batch_size) * args.batch_size * args.speed_epochs  # drop_last in both

    def time_estimator(seed, epochs):
        pretrainer = ContrastivePretrainer(
            encoder=args.encoder,
            embedding_dim=args.embedding_dim,
            max_epochs=epochs,
            device="cpu",
            random_state=seed,
            **settings,
        )
        start = time.perf_counter()
        pretrainer.fit(X)
        return time.perf_counter() - start, pretrainer

    def time_plain(seed, epochs):
        torch.manual_seed(seed)
        module = TwoViewModule(
            make_encoder(args.encoder, n_leads, n_times, args.embedding_dim),
            ProjectionHead(args.embedding_dim, args.embedding_dim),
            ECGAugment(),
        )
        start = time.perf_counter()
        plain_loop(module, X, epochs, **settings)
        return time.perf_counter() - start

    time_estimator(0, 1), time_plain(0, 1)  # warm-up, not timed
    estimator_rates, plain_rates = [], []
    for repeat in range(args.repeats):
        # alternate which loop runs first so drifting machine load hits both alike
        if repeat % 2:
            plain_rates.append(used / time_plain(repeat, args.speed_epochs))
            seconds, pretrainer = time_estimator(repeat, args.speed_epochs)
        else:
            seconds, pretrainer = time_estimator(repeat, args.speed_epochs)
            plain_rates.append(used / time_plain(repeat, args.speed_epochs))
        estimator_rates.append(used / seconds)
        print(
            f"repeat {repeat}: estimator {estimator_rates[-1]:.1f}, "
            f"plain {plain_rates[-1]:.1f} samples/s",
            flush=True,
        )

    # where a batch's time goes (estimator's own net, after fit)
    net = pretrainer.net_
    iterator = net.get_iterator(net.get_dataset(torch.from_numpy(X)), training=True)
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

    est, plain = np.median(estimator_rates), np.median(plain_rates)
    lines = [
        "| loop | samples/s (median) | all repeats |",
        "|---|---|---|",
        f"| ContrastivePretrainer.fit (skorch) | {est:.1f} | "
        f"{', '.join(f'{r:.1f}' for r in estimator_rates)} |",
        f"| plain PyTorch loop | {plain:.1f} | {', '.join(f'{r:.1f}' for r in plain_rates)} |",
        f"| ratio estimator / plain | {est / plain:.3f} | |",
        "",
        "| per batch of the estimator | ms | share of a train step |",
        "|---|---|---|",
        f"| data loading (skorch DataLoader) | {1e3 * t_load:.2f} | {t_load / t_step:.1%} |",
        f"| augmentation (2 views) | {1e3 * t_augment:.2f} | {t_augment / t_step:.1%} |",
        f"| full train step (augment + forward + backward + AdamW) | {1e3 * t_step:.2f} | 100% |",
    ]
    notes = [
        f"{n} random samples of {n_leads} x {n_times}, encoder {args.encoder!r}, embedding_dim "
        f"{args.embedding_dim}, batch {args.batch_size}, AdamW lr 1e-3 wd 1e-4, "
        f"{args.speed_epochs} epochs per fit, {args.repeats} alternating repeats after one "
        f"untimed warm-up of each, device cpu, torch threads {torch.get_num_threads()}. "
        "No GPU was available in this session.",
    ]
    return "## fit throughput: estimator vs plain PyTorch loop", lines, notes


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
    parser.add_argument("--objectives", nargs="+", default=["simclr", "patient", "masked"])
    parser.add_argument("--encoder", default="resnet1d")
    parser.add_argument("--embedding-dim", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--sfreq", type=int, default=100)
    parser.add_argument("--window", type=float, default=2.5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--speed-samples", type=int, default=512)
    parser.add_argument("--speed-epochs", type=int, default=2)
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
