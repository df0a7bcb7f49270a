"""The aligner's loss options against its defaults, side by side (issue 19, "Build").

Each option the issue names is kept as a default only if it helps here, and reported
either way:

- ``pair_loss="sigmoid"``: SigLIP's pairwise sigmoid loss instead of InfoNCE;
- ``dual_weight=1``: dual targets, the MCG's QRS and its ST-T as two more positives
  of the beat's ECG (as the two cardiac phases of dual-phase ECG-CMR alignment);
- a stage-1 ``ContrastivePretrainer`` (fitted on the training ECG, 20 epochs) as the
  ECG tower, fine-tuned, with the pooled latent (stage-1 transfer into stage 2).

Every variant is the default pipeline ``[BandpassFilter, CrossModalAligner,
LatentProjector]`` with one aligner parameter changed, fitted on the same SIMULATED
subject-disjoint splits as ``bench_method_value.py`` (56 training, 28 test subjects,
8 beats each at 125 Hz, physics v2), for each seed and noise level. Scored: virtual-MCG
R² (variance-weighted, against the clean test MCG), ECG -> MCG top-1 retrieval among
the test beats, and ischaemia / MI AUROC of a logistic probe on the aligner's ECG
latent (what its ``transform`` returns: time-resolved and flattened by default,
pooled for the stage-1 tower) with 50 labelled training subjects (mean of 5 draws).
The linear baselines of ``bench_method_value.py`` (sample-wise ridge map, PCA + CCA,
raw-ECG probe) are scored on the same splits.

Run ``python benchmarks/bench_alignment_options.py [--seeds 0 1 2]
[--noise shielded unshielded] [--out alignment_options.md]``; writes
``benchmarks/results/<out>``.
"""

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.frozen import FrozenEstimator

import bench_method_value as mv

RESULTS = Path(__file__).parent / "results"
VARIANTS = {
    "default (InfoNCE)": {},
    "pair_loss='sigmoid' (SigLIP)": {"pair_loss": "sigmoid"},
    "dual_weight=1 (QRS and ST-T as two more positives)": {"dual_weight": 1.0},
    "stage-1 tower, fine-tuned, pooled latent": {"stage1": True, "latent": "pooled"},
}
BASELINES = {
    "R²": "Sample-wise ridge",
    "retrieval top-1": "PCA(32) + CCA(8)",
    "ischaemia AUROC": "raw ECG (flattened), logistic regression",
    "MI AUROC": "raw ECG (flattened), logistic regression",
}
ECG_LATENT = "aligned ECG latent (default, time-resolved)"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--noise", nargs="+", default=["shielded", "unshielded"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="alignment_options.md", help="file name in results/")
    return parser.parse_args()


def split_args(seed):
    return argparse.Namespace(train=56, test=28, beats=8, sfreq=125.0, seed=seed,
                              stage1_epochs=20)


def variant_pipeline(params, stage1, args):
    params = dict(params)
    if params.pop("stage1", False):
        params["ecg_encoder"] = FrozenEstimator(stage1)
    return mv.default_pipeline(args).set_params(**{f"align__{k}": v for k, v in params.items()})


def scores(pipe, data, train, test, stage1):
    """R², top-1 retrieval and 50-label probe AUROCs of one fitted pipeline (and baselines)."""
    r2 = mv.r2(data.mcg_clean[test], pipe.predict(data.ecg[test]))
    top1 = mv.retrieval(pipe, data, train, test)
    probes, _ = mv.diagnosis(mv.diagnosis_features(pipe, data, stage1), data, train, test,
                             labels=(50,))
    method = {"R²": r2, "retrieval top-1": top1["aligner (default), pooled latents"],
              "ischaemia AUROC": probes[ECG_LATENT]["ischaemia", 50],
              "MI AUROC": probes[ECG_LATENT]["MI", 50]}
    baseline = {"retrieval top-1": top1[BASELINES["retrieval top-1"]],
                "ischaemia AUROC": probes[BASELINES["ischaemia AUROC"]]["ischaemia", 50],
                "MI AUROC": probes[BASELINES["MI AUROC"]]["MI", 50]}
    return method, baseline


def run(seed, noise):
    """{variant: metrics} and the baselines' metrics for one seed and noise level."""
    args = split_args(seed)
    data, train, test = mv.simulate(args.train, args, noise)
    stage1 = mv.stage1_encoder(data, train, args)
    results, baseline = {}, {}
    for name, params in VARIANTS.items():
        pipe = variant_pipeline(params, stage1, args)
        pipe.fit(data.ecg[train], data.mcg[train], project__groups=data.groups[train])
        results[name], baseline = scores(pipe, data, train, test, stage1)
        print(f"  seed {seed} {noise}: {name}: "
              + ", ".join(f"{k} {v:.3f}" for k, v in results[name].items()), flush=True)
    ridge_map = mv.grouped(mv.TimeSharedRidge(), {"alpha": mv.ALPHAS}, data.ecg_corrected[train],
                           data.mcg[train], data.groups[train])
    baseline["R²"] = mv.r2(data.mcg_clean[test], ridge_map.predict(data.ecg_corrected[test]))
    results["baseline"] = baseline
    return results


def table(runs, noise):
    """Markdown: mean over seeds of each metric, and each variant's paired difference."""
    keys = [key for key in runs if key[1] == noise]
    metrics = list(BASELINES)
    lines = [f"### {noise} ({len(keys)} seeds)", "",
             "| variant | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    mean = lambda name, metric: np.mean([runs[k][name][metric] for k in keys])
    for name in VARIANTS:
        cells = []
        for metric in metrics:
            diffs = [runs[k][name][metric] - runs[k]["default (InfoNCE)"][metric] for k in keys]
            extra = "" if name.startswith("default") else (
                f" ({np.mean(diffs):+.3f}; {min(diffs):+.3f} to {max(diffs):+.3f})")
            cells.append(f"{mean(name, metric):.3f}{extra}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| *linear baselines* | " + " | ".join(
        f"{mean('baseline', m):.3f}" for m in metrics) + " |")
    return lines


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    runs = {}
    for noise in args.noise:
        for seed in args.seeds:
            runs[seed, noise] = run(seed, noise)
    lines = [
        "# The aligner's loss options (`benchmarks/bench_alignment_options.py`)", "",
        f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} CPU cores (shared), "
        f"torch {torch.__version__} on {args.threads} thread(s); wall time "
        f"{time.perf_counter() - start:.0f} s.", "",
        "Command: `python benchmarks/bench_alignment_options.py --seeds "
        f"{' '.join(map(str, args.seeds))} --noise {' '.join(args.noise)}`", "",
        "SIMULATED paired beats (physics v2), the splits of `bench_method_value.py`: 56 "
        "training and 28 test subjects (224 test beats), 8 beats each at 125 Hz. Each cell: "
        "the mean over seeds; for a variant, its paired difference from the default "
        "(mean; smallest to largest over seeds). Probe AUROCs: the aligner's ECG latent, 50 "
        "labelled training subjects, mean of 5 draws. Linear baselines, same splits: "
        + "; ".join(f"{metric}: {name}" for metric, name in BASELINES.items()) + ".", "",
    ]
    for noise in args.noise:
        lines += table(runs, noise) + [""]
    report = "\n".join(lines)
    print(report)
    (RESULTS / args.out).write_text(report)


if __name__ == "__main__":
    main()
