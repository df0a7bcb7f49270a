"""MCG alone: stage 1 on unlabelled MCG, then a linear probe for ischaemia and MI.

Run: ``python benchmarks/bench_mcg_only.py`` (``--quick`` for a smoke run).
Writes ``benchmarks/results/mcg_only.md``.

Data: SIMULATED 6x6 MCG beats (``make_paired_beats``, physics v2, shielded noise;
normal, ischemia, anterior_mi, inferior_mi in turn), 250 Hz, low-passed at 40 Hz,
each beat's baseline removed. Subject-disjoint: the first ``--train`` subjects
train every model (stage 1 unsupervised on their MCG, then the probe), the others
test. Tasks: ischaemia vs the rest, MI (anterior or inferior) vs the rest. Probe:
standardised logistic regression. Side by side on the same split:

- ``ContrastivePretrainer(modality="mcg")``: SimCLR with MCG augmentations (sensor
  dropout, field scaling, the grid moved and turned);
- the same with the ECG augmentations (``modality="ecg"`` on MCG): the ablation;
- the same encoder untrained (``max_epochs=0``): the random-init baseline;
- PCA (32 components) of the flattened beats;
- the raw flattened beats.

AUROC on the test beats, with a 95 % bootstrap interval over test subjects.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, StandardScaler  # noqa: E402

from _bootstrap import subject_bootstrap  # noqa: E402
from sklearn_ecgmcg import ContrastivePretrainer  # noqa: E402
from sklearn_ecgmcg.datasets import make_paired_beats  # noqa: E402
from sklearn_ecgmcg.preprocessing import BandpassFilter, BaselineCorrector  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "mcg_only.md"
CONDITIONS = ["normal", "ischemia", "anterior_mi", "inferior_mi"]


def _flatten():
    return FunctionTransformer(lambda x: x.reshape(len(x), -1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--subjects", type=int, default=120)
    parser.add_argument("--train", type=int, default=80)
    parser.add_argument("--beats", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args(argv)
    if args.quick:
        args.subjects, args.train, args.epochs = 24, 16, 2
    torch.set_num_threads(1)
    sfreq = 250.0
    data = make_paired_beats(n_subjects=args.subjects, beats_per_subject=args.beats, sfreq=sfreq,
                             conditions=CONDITIONS, random_state=0)
    prep = make_pipeline(BandpassFilter(l_freq=None, h_freq=40.0, sfreq=sfreq),
                         BaselineCorrector(sfreq=sfreq))
    mcg = prep.fit_transform(data.mcg).astype(np.float32)
    names = data.target_names[data.target]
    train, test = data.groups < args.train, data.groups >= args.train
    tasks = {"ischaemia": names == "ischemia", "MI": np.isin(names, ["anterior_mi", "inferior_mi"])}
    stage1 = dict(max_epochs=args.epochs, batch_size=64, device="cpu", random_state=0)
    features = {
        'ContrastivePretrainer(modality="mcg")': ContrastivePretrainer(modality="mcg", **stage1),
        'ContrastivePretrainer(modality="ecg") on MCG': ContrastivePretrainer(modality="ecg", **stage1),
        "same encoder, untrained (max_epochs=0)": ContrastivePretrainer(
            modality="mcg", **{**stage1, "max_epochs": 0}),
        "PCA(32) of the flattened beats": make_pipeline(_flatten(), StandardScaler(),
                                                        PCA(32, random_state=0)),
        "raw flattened beats": _flatten(),
    }
    rows, rng = [], np.random.default_rng(0)
    for name, model in features.items():
        start = time.perf_counter()
        z_train = model.fit_transform(mcg[train]) if hasattr(model, "fit_transform") else None
        z_test = model.transform(mcg[test])
        seconds = time.perf_counter() - start
        cells = []
        for task, label in tasks.items():
            probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
            probe.fit(z_train, label[train])
            point, (low, high) = subject_bootstrap(roc_auc_score, label[test],
                                                   probe.decision_function(z_test),
                                                   data.groups[test], rng)
            cells.append(f"{point:.3f} [{low:.3f}, {high:.3f}]")
        rows.append(f"| {name} | {' | '.join(cells)} | {seconds:.0f} |")
        print(rows[-1], flush=True)
    n_test = int(test.sum())
    table = "\n".join([
        "# MCG alone: stage 1 on unlabelled MCG, linear probe (`benchmarks/bench_mcg_only.py`)",
        "",
        f"- date: {datetime.date.today().isoformat()}; command: `python "
        f"{' '.join(['benchmarks/bench_mcg_only.py'] + (argv or sys.argv[1:]))}`",
        f"- SIMULATED 6x6 MCG (physics v2, shielded): {args.subjects} subjects x {args.beats} "
        f"beats, {', '.join(CONDITIONS)} in turn; subjects 0-{args.train - 1} train (stage 1 "
        f"and probe), {n_test} test beats from {args.subjects - args.train} subjects; stage 1 "
        f"{args.epochs} epochs; 1 CPU thread",
        "- AUROC on the test beats, 95 % bootstrap interval over test subjects",
        "",
        "| features | ischaemia vs rest | MI vs rest | fit + embed (s) |",
        "|---|---|---|---|",
        *rows,
    ]) + "\n"
    print(table)
    if not args.quick:
        RESULTS.write_text(table)


if __name__ == "__main__":
    main()
