"""A lab pair: one ECG lead and one MCG channel, the default pipeline against baselines.

Run: ``python benchmarks/bench_one_lead.py`` (``--quick`` for a smoke run).
Writes ``benchmarks/results/one_lead.md``.

Data: SIMULATED beats (``make_paired_beats``, physics v2, shielded noise, the seven
conditions in turn), 250 Hz; X = lead II (2-D, one channel), y = the MCG channel
over the heart's centre (row 3, column 3 of the 6x6 grid). Subject-disjoint: the
first ``--train`` subjects train, the others test. Virtual MCG R², variance-weighted,
against the test subjects' clean MCG channel, with a 95 % bootstrap interval over
test subjects. Side by side:

- the README's pipeline, unchanged: ``BandpassFilter(l_freq=None, h_freq=40) ->
  CrossModalAligner() -> LatentProjector()``;
- ridge from the filtered ECG beat to the MCG beat, alpha by subject-disjoint
  ``GroupKFold(5)``;
- PCA (16 components) of the ECG beat, then the same ridge;
- the template: the training subjects' mean MCG beat for every beat.
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
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, GroupKFold  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402

from _bootstrap import subject_bootstrap  # noqa: E402
from sklearn_ecgmcg import CrossModalAligner, LatentProjector  # noqa: E402
from sklearn_ecgmcg.datasets import make_paired_beats  # noqa: E402
from sklearn_ecgmcg.preprocessing import BandpassFilter  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "one_lead.md"
CONDITIONS = ["normal", "anterior_mi", "inferior_mi", "lbbb", "rbbb", "lvh", "ischemia"]
CHANNEL = 14


def _r2(y_true, y_pred):
    return r2_score(y_true, y_pred, multioutput="variance_weighted")


def _ridge():
    return GridSearchCV(Ridge(), {"alpha": np.logspace(-2, 4, 7)}, cv=GroupKFold(5))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--subjects", type=int, default=84)
    parser.add_argument("--train", type=int, default=56)
    parser.add_argument("--beats", type=int, default=8)
    args = parser.parse_args(argv)
    if args.quick:
        args.subjects, args.train, args.beats = 14, 10, 4
    torch.set_num_threads(1)
    sfreq = 250.0
    data = make_paired_beats(n_subjects=args.subjects, beats_per_subject=args.beats, sfreq=sfreq,
                             conditions=CONDITIONS, random_state=0)
    X, y, clean = data.ecg[:, 1], data.mcg[:, CHANNEL], data.mcg_clean[:, CHANNEL]
    train, test = data.groups < args.train, data.groups >= args.train
    lowpass = BandpassFilter(l_freq=None, h_freq=40.0, sfreq=sfreq)
    Xf = lowpass.fit_transform(X)
    models = {
        "README pipeline (BandpassFilter -> CrossModalAligner() -> LatentProjector())": (
            Pipeline([("lowpass", BandpassFilter(l_freq=None, h_freq=40.0, sfreq=sfreq)),
                      ("align", CrossModalAligner(random_state=0, device="cpu")),
                      ("project", LatentProjector())]), X),
        "ridge, alpha by subject-disjoint GroupKFold(5)": (_ridge(), Xf),
        "PCA(16) + the same ridge": (make_pipeline(PCA(16, random_state=0), _ridge()), Xf),
    }
    rows, rng = [], np.random.default_rng(0)
    for name, (model, inputs) in models.items():
        start = time.perf_counter()
        fit_params = {}
        if not isinstance(model, Pipeline) or name.startswith("PCA"):
            key = "gridsearchcv__groups" if name.startswith("PCA") else "groups"
            fit_params = {key: data.groups[train]}
        model.fit(inputs[train], y[train], **fit_params)
        predicted = model.predict(inputs[test])
        seconds = time.perf_counter() - start
        point, (low, high) = subject_bootstrap(_r2, clean[test], predicted, data.groups[test], rng)
        rows.append(f"| {name} | {point:.3f} [{low:.3f}, {high:.3f}] | {seconds:.0f} |")
        print(rows[-1], flush=True)
    template = np.broadcast_to(y[train].mean(axis=0), clean[test].shape)
    point, (low, high) = subject_bootstrap(_r2, clean[test], template, data.groups[test], rng)
    rows.append(f"| template: the training subjects' mean MCG beat | {point:.3f} [{low:.3f}, "
                f"{high:.3f}] | 0 |")
    table = "\n".join([
        "# One ECG lead, one MCG channel (`benchmarks/bench_one_lead.py`)",
        "",
        f"- date: {datetime.date.today().isoformat()}; command: `python "
        f"{' '.join(['benchmarks/bench_one_lead.py'] + (argv or sys.argv[1:]))}`",
        f"- SIMULATED (physics v2, shielded, 7 conditions in turn): {args.subjects} subjects x "
        f"{args.beats} beats at 250 Hz; lead II -> MCG channel r3c3; subjects 0-{args.train - 1} "
        f"train, {int(test.sum())} test beats from {args.subjects - args.train} subjects; 1 CPU "
        "thread",
        "- virtual-MCG R² (variance-weighted) against the clean test MCG, 95 % bootstrap "
        "interval over test subjects",
        "",
        "| model | R² | fit + predict (s) |",
        "|---|---|---|",
        *rows,
    ]) + "\n"
    print(table)
    if not args.quick:
        RESULTS.write_text(table)


if __name__ == "__main__":
    main()
