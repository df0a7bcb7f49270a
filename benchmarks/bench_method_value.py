"""Does the method earn its place? The default pipeline against every linear baseline.

One script, the same subject-disjoint splits for every method (issue 19, "Must show"
1-4), on SIMULATED paired beats (``make_paired_beats``, physics v2: equivalent double
layer with silent currents; 7 conditions in turn), shielded and unshielded noise:

1. Virtual MCG R² (variance-weighted, against the clean test MCG) of the DEFAULT
   pipeline ``Pipeline([BandpassFilter, CrossModalAligner(), LatentProjector()])``
   against ridge on flattened beats, PLS, a sample-wise (time-shared) ridge map and
   PCA + a time-shared map, every baseline with its penalty / size chosen by a
   subject-disjoint ``GroupKFold(5)`` on the training subjects; and the per-subject
   ceiling (an oracle fitted on the clean test signals). Also: the same pipeline
   with the projector's alpha chosen by ``GroupKFold(5)`` on the training latents,
   and the README's form with a stage-1 ``ContrastivePretrainer`` as the ECG tower.
2. ECG -> MCG top-1 retrieval among the held-out subjects' beats: the aligner's
   pooled latents against ``PCA(32, whitened) + CCA(8)``.
3. ECG-only diagnosis with few labels: ischaemia and MI (anterior or inferior)
   one-vs-rest AUROC of a logistic probe trained on 20 / 50 / 100 labelled training
   subjects, on the aligned ECG latent (the default, time-resolved one, flattened; and
   the pooled one), the same ECG tower untrained, the stage-1 latent and the raw ECG.
4. MCG-only and fused latents (the aligner's ``encode``; fused: both feature maps
   stacked) against the ECG latent.

``--scaling`` repeats 1-3 for each number of paired training subjects (10, 30, 100,
300, 1000 by default; 28 test subjects; probes with 50 and 100 labelled subjects) and writes a plot to
``docs/_static/method_value_scaling.png``.

Baselines receive low-passed, baseline-corrected ECG beats (``BaselineCorrector``); the
default pipeline receives low-passed ECG beats only (its ECG tower removes each beat's
baseline itself). Every method is trained on MCG beats low-passed at 40 Hz and
baseline-corrected the same way (the unshielded drift dwarfs the heart's field). Intervals: 95 % bootstrap over test subjects (``_bootstrap.py``).

Run ``python benchmarks/bench_method_value.py [--train 56] [--test 28] [--beats 8]
[--sfreq 125] [--scaling 10 30 100 300 1000] [--seed 0] [--threads 1] [--out method_value.md]``;
writes ``benchmarks/results/<out>`` (keeping what follows its notes marker) and, for
the default ``--out``, the plot.
"""

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.cross_decomposition import CCA, PLSRegression
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ecgmcg import ContrastivePretrainer, CrossModalAligner, LatentProjector
from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.metrics import retrieval_accuracy, virtual_mcg_r2
from sklearn_ecgmcg.preprocessing import BandpassFilter, BaselineCorrector

from _bootstrap import subject_bootstrap
from bench_alignment import LinearPair
from bench_virtual_mcg import CONDITIONS, TimeSharedChannelMap, _by_sample, physics_ceiling

ALPHAS = np.logspace(-1, 6, 8)
RESULTS = Path(__file__).parent / "results" / "method_value.md"
PLOT = Path(__file__).parent.parent / "docs" / "_static" / "method_value_scaling.png"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=56, help="paired training subjects")
    parser.add_argument("--test", type=int, default=28, help="held-out subjects")
    parser.add_argument("--beats", type=int, default=8, help="beats per subject")
    parser.add_argument("--sfreq", type=float, default=125.0)
    parser.add_argument("--noise", nargs="+", default=["shielded", "unshielded"])
    parser.add_argument("--scaling", type=int, nargs="*", default=[10, 30, 100, 300, 1000])
    parser.add_argument("--stage1-epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="method_value.md", help="file name in results/")
    parser.add_argument("--mean-of", nargs="+", metavar="FILE", default=None,
                        help="fit nothing: average these results/ files (runs of different "
                             "--seed) cell by cell into results/<out> and plot the mean "
                             "scaling curves")
    return parser.parse_args()


class TimeSharedRidge(BaseEstimator):
    """Sample-wise ridge: one ECG-channels -> MCG-channels map for every time sample,
    around the mean training beats, on standardised channels (penalty ``alpha``)."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, ecg, mcg):
        self.ecg_mean_, self.mcg_mean_ = ecg.mean(axis=0), mcg.mean(axis=0)
        rows = _by_sample(ecg - self.ecg_mean_)
        self.scale_ = rows.std(axis=0) + 1e-12
        self.ridge_ = Ridge(self.alpha).fit(rows / self.scale_, _by_sample(mcg - self.mcg_mean_))
        return self

    def predict(self, ecg):
        rows = self.ridge_.predict(_by_sample(ecg - self.ecg_mean_) / self.scale_)
        return rows.reshape(len(ecg), -1, rows.shape[1]).transpose(0, 2, 1) + self.mcg_mean_

    def score(self, ecg, mcg):
        return r2(mcg, self.predict(ecg))


def r2(y_true, y_pred):
    return virtual_mcg_r2(y_true, y_pred, multioutput="variance_weighted")


def r2_scorer(estimator, X, y):
    return r2(y.reshape(len(y), -1), estimator.predict(X).reshape(len(y), -1))


def grouped(estimator, grid, X, y, groups):
    """``estimator`` with the grid point of best subject-disjoint 5-fold R²."""
    search = GridSearchCV(estimator, grid, cv=GroupKFold(5), scoring=r2_scorer)
    return search.fit(X, y, groups=groups).best_estimator_


def simulate(n_train, args, noise):
    data = make_paired_beats(
        n_subjects=n_train + args.test, beats_per_subject=args.beats, sfreq=args.sfreq,
        noise=noise, conditions=CONDITIONS, random_state=args.seed,
    )
    train = data.groups < n_train
    lowpass = BandpassFilter(l_freq=None, h_freq=40.0, sfreq=args.sfreq)
    baseline = BaselineCorrector(sfreq=args.sfreq)
    data.ecg_corrected = baseline.fit_transform(lowpass.fit_transform(data.ecg))
    # Every method is trained on (and retrieves) MCG beats prepared like the ECG: the
    # unshielded field's drift is ~47x the heart's variance, most of it a per-beat offset.
    data.mcg_measured = data.mcg
    data.mcg = baseline.transform(lowpass.transform(data.mcg))
    return data, train, ~train


def default_pipeline(args):
    """The README's pipeline with every estimator's defaults (only sfreq and seed set)."""
    return Pipeline([
        ("bandpass", BandpassFilter(l_freq=None, h_freq=40.0, sfreq=args.sfreq)),
        ("align", CrossModalAligner(sfreq=args.sfreq, device="cpu", random_state=args.seed)),
        ("project", LatentProjector()),
    ])


def virtual_mcg_methods(data, train, test, args, stage1=None):
    """name -> (predicted test MCG, fit seconds); the fitted default pipeline."""
    ecg, mcg, groups = data.ecg_corrected, data.mcg, data.groups
    flat = ecg.reshape(len(ecg), -1)
    out, timed = {}, {}

    def timed_fit(name, make):
        start = time.perf_counter()
        model = make()
        timed[name] = time.perf_counter() - start
        return model

    pipe = timed_fit("pipe", lambda: default_pipeline(args).fit(data.ecg[train], mcg[train]))
    out["**Default pipeline** (BandpassFilter, CrossModalAligner(), LatentProjector())"] = (
        pipe.predict(data.ecg[test]), timed["pipe"])
    latents = pipe[:-1].transform(data.ecg[train])
    projector = timed_fit("proj", lambda: grouped(
        LatentProjector(), {"alphas": [[a] for a in ALPHAS]}, latents, mcg[train], groups[train]))
    out["Default pipeline, projector alpha by subject GroupKFold(5)"] = (
        projector.predict(pipe[:-1].transform(data.ecg[test])), timed["pipe"] + timed["proj"])
    skip_only = timed_fit("skip", lambda: default_pipeline(args).set_params(
        align__ecg_encoder_params={"n_maps": 0, "width": 0}).fit(data.ecg[train], mcg[train]))
    out["Default pipeline without gated maps and context (n_maps=0, width=0: skip path only)"] = (
        skip_only.predict(data.ecg[test]), timed["skip"])
    if stage1 is not None:
        readme = timed_fit("readme", lambda: Pipeline([
            ("bandpass", BandpassFilter(l_freq=None, h_freq=40.0, sfreq=args.sfreq)),
            ("align", CrossModalAligner(ecg_encoder=FrozenEstimator(stage1), sfreq=args.sfreq,
                                        device="cpu", random_state=args.seed)),
            ("project", LatentProjector()),
        ]).fit(data.ecg[train], mcg[train]))
        out["Pipeline with a stage-1 ContrastivePretrainer as ECG tower (README form)"] = (
            readme.predict(data.ecg[test]), timed["readme"])
    shape = mcg[test].shape
    ridge = timed_fit("ridge", lambda: grouped(
        Ridge(), {"alpha": ALPHAS}, flat[train], mcg[train].reshape(train.sum(), -1),
        groups[train]))
    out[f"Ridge on flattened beats (alpha {ridge.alpha:g})"] = (
        ridge.predict(flat[test]).reshape(shape), timed["ridge"])
    pls = timed_fit("pls", lambda: grouped(
        PLSRegression(scale=False), {"n_components": [4, 8, 16]}, flat[train],
        mcg[train].reshape(train.sum(), -1), groups[train]))
    out[f"PLS on flattened beats ({pls.n_components} components)"] = (
        pls.predict(flat[test]).reshape(shape), timed["pls"])
    sample_wise = timed_fit("map", lambda: grouped(
        TimeSharedRidge(), {"alpha": ALPHAS}, ecg[train], mcg[train], groups[train]))
    out[f"Sample-wise ridge: time-shared 12 -> 36 channel map (alpha {sample_wise.alpha:g})"] = (
        sample_wise.predict(ecg[test]), timed["map"])
    pca_map = timed_fit("pca", lambda: TimeSharedChannelMap(3).fit(ecg[train], mcg[train]))
    out["Spatial PCA(3) + time-shared map (lstsq)"] = (pca_map.predict(ecg[test]), timed["pca"])
    ceiling = physics_ceiling(data.ecg_clean[test], data.mcg_clean[test], groups[test])
    out["Per-subject ceiling (oracle: lstsq on each test subject's clean signals)"] = (
        ceiling, None)
    return out, pipe


def retrieval(pipe, data, train, test):
    """Top-1 ECG -> MCG among the test beats: the aligner and PCA(32) + CCA(8)."""
    aligner, ecg_test = pipe["align"], pipe[:-1][:-1].transform(data.ecg[test])
    z_ecg, z_mcg = aligner.retrieval_latents(ecg_test, data.mcg[test])
    linear = LinearPair(CCA(8, max_iter=1000), 32).fit(data.ecg_corrected[train], data.mcg[train])
    c_ecg, c_mcg = linear.transform(data.ecg_corrected[test], data.mcg[test])
    unit = lambda z: z / np.linalg.norm(z, axis=1, keepdims=True)
    return {
        "aligner (default), pooled latents": retrieval_accuracy(z_ecg, z_mcg, k=1),
        "PCA(32) + CCA(8)": retrieval_accuracy(unit(c_ecg), unit(c_mcg), k=1),
    }


def diagnosis_features(pipe, data, stage1, untrained=None):
    """name -> per-beat features for the probes.

    The aligner's latents are its default, time-resolved ones (``transform``,
    ``encode``), flattened; the pooled ECG latent (what retrieval compares) and the
    same ECG tower untrained (``max_epochs=0``, the random-init baseline) beside them.
    """
    aligner = pipe["align"]
    filtered = pipe[:-1][:-1].transform(data.ecg)
    features = {
        "aligned ECG latent (default, time-resolved)": aligner.encode(ecg=filtered),
        "aligned ECG latent, pooled": aligner.retrieval_latents(filtered, data.mcg)[0],
        "raw ECG (flattened), logistic regression": data.ecg_corrected,
        "MCG-only latent (time-resolved)": aligner.encode(mcg=data.mcg),
        "fused latent (ECG + MCG feature maps)": aligner.encode(ecg=filtered, mcg=data.mcg),
    }
    if untrained is not None:
        features["same ECG tower untrained (max_epochs=0)"] = untrained["align"].encode(
            ecg=filtered)
    if stage1 is not None:
        features["stage-1 ECG latent (unaligned)"] = stage1.transform(data.ecg_corrected)
    return features


def probe_scores(X, data, train, test, n_labelled, positive, rng):
    """Test scores of a logistic probe fitted on ``n_labelled`` training subjects (or None)."""
    subjects = np.unique(data.groups[train])
    if n_labelled > len(subjects):
        return None
    labelled = np.isin(data.groups, rng.choice(subjects, n_labelled, replace=False))
    y = np.isin(data.target, positive)
    if y[labelled].all() or not y[labelled].any():
        return None
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    return probe.fit(X[labelled], y[labelled]).predict_proba(X[test])[:, 1]


def diagnosis_tasks(data):
    names = list(data.target_names)
    return {"ischaemia": [names.index("ischemia")],
            "MI": [names.index("anterior_mi"), names.index("inferior_mi")]}


def diagnosis(features, data, train, test, labels=(20, 50, 100), repeats=5):
    """name -> {(task, n_labelled): mean AUROC over ``repeats`` draws of labelled subjects},
    and name -> {(task, n_labelled): the draws' test scores} (None where no probe fits).

    Every feature set sees the same draws (the generator is seeded by ``n_labelled``),
    so two sets' scores are paired.
    """
    table, kept = {}, {}
    for name, X in features.items():
        X = X.reshape(len(X), -1)
        table[name], kept[name] = {}, {}
        for task, positive in diagnosis_tasks(data).items():
            y_test = np.isin(data.target[test], positive)
            for n in labels:
                rng = np.random.default_rng(n)
                draws = [probe_scores(X, data, train, test, n, positive, rng)
                         for _ in range(repeats)]
                aucs = [roc_auc_score(y_test, d) for d in draws if d is not None]
                table[name][task, n] = float(np.mean(aucs)) if aucs else np.nan
                kept[name][task, n] = draws
    return table, kept


def paired_auroc_gaps(kept, data, test, pairs, n_labelled=50, n_boot=300, seed=0):
    """Markdown rows: AUROC(a) - AUROC(b), mean over the paired draws, with a 95 %
    bootstrap interval over test subjects (the probes stay fitted; test subjects are
    resampled)."""
    lines = []
    for a, b in pairs:
        cells = []
        for task, positive in diagnosis_tasks(data).items():
            draws = [np.stack([sa, sb], axis=1)
                     for sa, sb in zip(kept[a][task, n_labelled], kept[b][task, n_labelled])
                     if sa is not None and sb is not None]
            if not draws:
                cells.append("–")
                continue
            gap, (low, high) = subject_bootstrap(
                mean_auroc_gap, np.isin(data.target[test], positive), np.stack(draws, axis=1),
                data.groups[test], np.random.default_rng(seed), n_boot=n_boot)
            cells.append(f"{gap:+.3f} [{low:+.3f}, {high:+.3f}]")
        lines.append(f"| {a} minus {b} | " + " | ".join(cells) + " |")
    return lines


def mean_auroc_gap(y, scores):
    """Mean over draws of AUROC(a) - AUROC(b); ``scores`` (n_samples, n_draws, 2)."""
    if y.all() or not y.any():
        return np.nan  # a resample with one class only: skipped by the bootstrap
    return np.mean([roc_auc_score(y, draw[:, 0]) - roc_auc_score(y, draw[:, 1])
                    for draw in scores.transpose(1, 0, 2)])


def stage1_encoder(data, train, args):
    pretrainer = ContrastivePretrainer(max_epochs=args.stage1_epochs, device="cpu",
                                       random_state=args.seed)
    return pretrainer.fit(data.ecg_corrected[train])


def mcg_table(predictions, data, test, rng):
    rows = ["| model | R² vs clean MCG (variance-weighted) [95 % CI] | fit s |", "|---|---|---|"]
    scores = {}
    for name, (pred, seconds) in predictions.items():
        value, (low, high) = subject_bootstrap(r2, data.mcg_clean[test], pred, data.groups[test],
                                               rng, n_boot=300)
        scores[name] = value
        fit = "–" if seconds is None else f"{seconds:.0f}"
        rows.append(f"| {name} | {value:.3f} [{low:.3f}, {high:.3f}] | {fit} |")
    return rows, scores


def run_noise(noise, args):
    """All four parts at ``--train`` subjects; the markdown section."""
    data, train, test = simulate(args.train, args, noise)
    stage1 = stage1_encoder(data, train, args)
    predictions, pipe = virtual_mcg_methods(data, train, test, args, stage1)
    rng = np.random.default_rng(0)
    rows, scores = mcg_table(predictions, data, test, rng)
    top1 = retrieval(pipe, data, train, test)
    untrained = default_pipeline(args).set_params(align__max_epochs=0).fit(
        data.ecg[train], data.mcg[train])
    table, kept = diagnosis(diagnosis_features(pipe, data, stage1, untrained), data, train,
                            test)
    aligned = "aligned ECG latent (default, time-resolved)"
    gaps = paired_auroc_gaps(kept, data, test, [
        (aligned, "stage-1 ECG latent (unaligned)"),
        (aligned, "raw ECG (flattened), logistic regression"),
        (aligned, "same ECG tower untrained (max_epochs=0)"),
        ("fused latent (ECG + MCG feature maps)", aligned),
    ])
    lines = [f"## {noise}", "",
             f"{args.train} training subjects ({int(train.sum())} beats), {args.test} test "
             f"subjects ({int(test.sum())} beats), {args.beats} beats each at {args.sfreq:g} Hz.",
             "", "### 1. Virtual MCG on held-out subjects", "", *rows, "",
             "### 2. ECG -> MCG retrieval, top-1 among the test beats "
             f"(chance {1 / test.sum():.3f})", "", "| method | top-1 |", "|---|---|",
             *[f"| {k} | {v:.3f} |" for k, v in top1.items()], "",
             "### 3-4. Linear probe AUROC on held-out subjects, by labelled training subjects "
             "(mean of 5 draws)", "",
             "| features | ischaemia 20 | ischaemia 50 | ischaemia 100 | MI 20 | MI 50 | MI 100 |",
             "|---|---|---|---|---|---|---|"]
    for name, cells in table.items():
        lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in cells.values()) + " |")
    test_groups = data.groups[test]
    n_positive = {task: np.unique(test_groups[np.isin(data.target[test], positive)]).size
                  for task, positive in diagnosis_tasks(data).items()}
    lines += ["", "Paired AUROC differences at 50 labelled subjects (same draws; 95 % bootstrap "
              f"interval over the {args.test} test subjects, of whom {n_positive['ischaemia']} "
              f"ischaemic and {n_positive['MI']} with MI):", "",
              "| difference | ischaemia | MI |", "|---|---|---|", *gaps]
    return lines, scores, top1, table


def scaling(args):
    """R², retrieval and 50-label probe vs paired training subjects (shielded)."""
    curves = {}
    # One simulation: the same test subjects at every n, the first n_train others train.
    data, _, test = simulate(max(args.scaling), args, "shielded")
    for n_train in args.scaling:
        train = data.groups < n_train
        predictions, pipe = virtual_mcg_methods(data, train, test, args)
        for name, (pred, _) in predictions.items():
            curves.setdefault(("R²", short(name)), []).append(r2(data.mcg_clean[test], pred))
        for name, value in retrieval(pipe, data, train, test).items():
            curves.setdefault(("retrieval top-1", name), []).append(value)
        labels = (min(50, n_train), 100)
        table, _ = diagnosis(diagnosis_features(pipe, data, None), data, train, test,
                             labels=labels, repeats=3)
        for name, cells in table.items():
            if "pooled" in name:
                continue
            for task in ("ischaemia", "MI"):
                for n_labels, title in zip(labels, ("50", "100")):
                    curves.setdefault((f"{task} AUROC ({title} labels)", name), []).append(
                        cells[task, n_labels])
        print(f"  scaling: {n_train} subjects done", flush=True)
    return curves


def short(name):
    """A method's name without the fitted details (alpha, components) that vary with n."""
    return name.split(" (")[0].replace("**", "")


def plot_scaling(curves, args, title=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(dict.fromkeys(metric for metric, _ in curves))
    n_cols = min(3, len(metrics))
    n_rows = -(-len(metrics) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(5 * n_cols, 4 * n_rows), squeeze=False)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    for ax, metric in zip(axes.flat, metrics):
        for (m, name), values in curves.items():
            if m == metric:
                ax.plot(args.scaling, values, marker="o", label=name[:48])
        ax.set_xscale("log")
        ax.set_xlabel("paired training subjects")
        ax.set_title(f"{metric} (SIMULATED, shielded, {title or f'seed {args.seed}'})",
                     fontsize=9)
        ax.legend(fontsize=6)
    fig.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=110)


def scaling_lines(curves, args):
    lines = ["## Scaling study (shielded)", "",
             f"{'/'.join(map(str, args.scaling))} paired training subjects (the first n of one "
             f"simulation), the same {args.test} test subjects (its last) for every n; plot: "
             f"`docs/_static/{PLOT.name}`.", "",
             "| metric | method | " + " | ".join(map(str, args.scaling)) + " |",
             "|---|---|" + "---|" * len(args.scaling)]
    for (metric, name), values in sorted(curves.items(), key=lambda item: metric_order(curves,
                                                                                      item)):
        lines.append(f"| {metric} | {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    return lines


def metric_order(curves, item):
    """Rows grouped by metric, metrics and methods in the order they were measured."""
    metrics = list(dict.fromkeys(metric for metric, _ in curves))
    return metrics.index(item[0][0]), list(curves).index(item[0])


def mean_of_runs(names):
    """Markdown lines: the runs' results averaged cell by cell (same script, other seeds).

    Table cells are replaced by the mean of their first numbers (intervals dropped); a
    row label that differs between runs (a fitted alpha) loses its fitted details.
    """
    runs = [(RESULTS.with_name(name)).read_text().partition(NOTES)[0].rstrip().splitlines()
            for name in names]
    if len({len(lines) for lines in runs}) != 1:
        raise ValueError(f"{names} do not have the same layout; rerun them with this script.")
    lines = []
    for i, rows in enumerate(zip(*runs)):
        cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
        is_header = i + 1 < len(runs[0]) and runs[0][i + 1].startswith("|---")
        if not rows[0].startswith("| ") or is_header:
            lines.append(rows[0])
            continue
        n_labels = next((k for k, cell in enumerate(cells[0]) if _first_number(cell) is not None),
                        len(cells[0]))
        if n_labels == len(cells[0]):
            lines.append(rows[0])
            continue
        labels = [cell if all(row[k] == cell for row in cells) else short(cell)
                  for k, cell in enumerate(cells[0][:n_labels])]
        numbers = [[_first_number(cell) for cell in row[n_labels:]] for row in cells]
        means = [("–" if None in column else f"{np.mean(column):.3f}")
                 for column in zip(*numbers)]
        lines.append("| " + " | ".join(labels + means) + " |")
    return lines


def _first_number(cell):
    try:
        return float(cell.split()[0].strip("*"))
    except (ValueError, IndexError):
        return None


def scaling_curves(lines):
    """{(metric, method): values} of a scaling table's lines."""
    section = lines[next(i for i, line in enumerate(lines) if line.startswith("## Scaling")):]
    curves = {}
    for line in section:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| ") and cells[0] != "metric" and _first_number(cells[-1]) is not None:
            curves[cells[0], cells[1]] = [float(v) for v in cells[2:]]
    return curves


def write_mean(args):
    lines = mean_of_runs(args.mean_of)
    header = [f"# Mean of {len(args.mean_of)} runs of `bench_method_value.py`", "",
              f"Command: `python benchmarks/bench_method_value.py --mean-of "
              f"{' '.join(args.mean_of)} --out {args.out}`. Each cell is the mean of the "
              "runs' cells (their first numbers: the intervals are in the runs' files); "
              "nothing is refitted.", ""]
    start = next(i for i, line in enumerate(lines) if line.startswith("SIMULATED"))
    (RESULTS.with_name(args.out)).write_text("\n".join(header + lines[start:]) + "\n")
    columns = next(line for line in lines if line.startswith("| metric | method |"))
    args.scaling = [int(n) for n in columns.strip("|").split("|")[2:]]
    plot_scaling(scaling_curves(lines), args, title=f"mean of {len(args.mean_of)} seeds")


def main():
    args = parse_args()
    if args.mean_of:
        return write_mean(args)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    sections = []
    for noise in args.noise:
        print(f"{noise} ...", flush=True)
        sections += run_noise(noise, args)[0] + [""]
        write_report(args, sections, start)
    if args.scaling:
        curves = scaling(args)
        sections += scaling_lines(curves, args)
        write_report(args, sections, start)
        if args.out == RESULTS.name:  # the docs' plot: the mean of seeds (--mean-of)
            plot_scaling(curves, args)


def write_report(args, sections, start):
    command = "python benchmarks/bench_method_value.py " + " ".join(
        f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in vars(args).items() if v is not None)
    header = [
        "# The method against the linear baselines (`benchmarks/bench_method_value.py`)", "",
        f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} CPU cores (shared), "
        f"torch {torch.__version__} on {args.threads} thread(s); wall time "
        f"{time.perf_counter() - start:.0f} s.", "", f"Command: `{command}`", "",
        "SIMULATED data (`make_paired_beats`, physics v2), subject-disjoint splits: subjects "
        f"0..n-1 train, the last {args.test} test. Training MCG (every method): low-passed at "
        "40 Hz and baseline-corrected (`BaselineCorrector`); baselines get the ECG prepared the "
        "same way, the default pipeline the low-passed ECG. R² is variance-weighted against "
        "the clean test MCG, with a 95 % bootstrap interval over test subjects (300 "
        "resamples).", ""]
    report = "\n".join(header + sections) + "\n"
    print(report)
    out = RESULTS.with_name(args.out)
    notes = out.read_text().partition(NOTES)[1:] if out.exists() else ("", "")
    out.write_text(report + ("\n" + "".join(notes) if notes[0] else ""))


NOTES = "<!-- notes: kept by bench_method_value.py -->"


if __name__ == "__main__":
    main()
