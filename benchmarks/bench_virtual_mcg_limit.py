"""How far does ECG-only virtual MCG go with many paired subjects? (issue 19, must-show 1)

Must-show 1 asks the default pipeline for >= 0.9 x the per-subject ceiling (an oracle
that fits each test subject's own ECG -> MCG map on its clean signals). This script
asks whether any model of the ECG alone gets near that when data are plentiful: on one
SIMULATED shielded population (physics v2), the same 28 test subjects, and the first n
of the others for training (56 to 2000 by default), it fits

- the default pipeline ``Pipeline([BandpassFilter, CrossModalAligner(), LatentProjector()])``;
- the same with a larger ECG tower (``n_maps=16, width=32``) trained twice as long;
- ridge on flattened beats and the sample-wise (time-shared) ridge map, each penalty
  chosen by ``GroupKFold(5)`` over training subjects;

and two oracles fitted on the test subjects' clean signals: one time-shared map shared
by all of them (the best any single linear map does), and one map per subject (the
ceiling). The distance between the two oracles is what the ECG would have to reveal
about each subject's geometry; the learning curves show how much of it they recover.

Data preparation and metric as in ``bench_method_value.py`` (variance-weighted R²
against the clean test MCG, 95 % bootstrap interval over test subjects).

Run ``python benchmarks/bench_virtual_mcg_limit.py [--scaling 56 300 1000 2000]
[--seed 0] [--threads 1] [--out virtual_mcg_limit.md]``; writes ``benchmarks/results/<out>``
(about 40 min on one thread; with 3000 subjects the larger tower's projector
penalty search needs more than 18 GB of memory).
"""

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import Ridge

from _bootstrap import subject_bootstrap
from bench_method_value import TimeSharedRidge, default_pipeline, grouped, r2, simulate
from bench_virtual_mcg import physics_ceiling

ALPHAS = np.logspace(0, 4, 5)
RESULTS = Path(__file__).parent / "results" / "virtual_mcg_limit.md"
LARGER_TOWER = {"align__ecg_encoder_params": {"n_maps": 16, "width": 32},
                "align__max_epochs": 30}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaling", type=int, nargs="+", default=[56, 300, 1000, 2000])
    parser.add_argument("--test", type=int, default=28, help="held-out subjects")
    parser.add_argument("--beats", type=int, default=8, help="beats per subject")
    parser.add_argument("--sfreq", type=float, default=125.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=RESULTS.name, help="file name in results/")
    return parser.parse_args()


def learned_and_linear(data, train, test, args):
    """name -> predicted test MCG for the models fitted on the ``train`` subjects."""
    ecg, mcg, groups = data.ecg_corrected, data.mcg, data.groups
    flat = ecg.reshape(len(ecg), -1)
    default = default_pipeline(args).fit(data.ecg[train], mcg[train])
    larger = default_pipeline(args).set_params(**LARGER_TOWER).fit(data.ecg[train], mcg[train])
    ridge = grouped(Ridge(), {"alpha": ALPHAS}, flat[train],
                    mcg[train].reshape(train.sum(), -1), groups[train])
    sample_wise = grouped(TimeSharedRidge(), {"alpha": ALPHAS}, ecg[train], mcg[train],
                          groups[train])
    return {
        "default pipeline": default.predict(data.ecg[test]),
        "larger ECG tower (n_maps=16, width=32, 30 epochs)": larger.predict(data.ecg[test]),
        "ridge on flattened beats": ridge.predict(flat[test]).reshape(mcg[test].shape),
        "sample-wise ridge map": sample_wise.predict(ecg[test]),
    }


def oracles(data, test):
    """The two maps fitted on the test subjects' own clean signals."""
    clean_ecg, clean_mcg = data.ecg_clean[test], data.mcg_clean[test]
    shared = TimeSharedRidge(1e-6).fit(clean_ecg, clean_mcg)
    return {
        "oracle: one time-shared map fitted on the test subjects' clean signals":
            shared.predict(clean_ecg),
        "oracle: per-subject map (the ceiling of must-show 1)":
            physics_ceiling(clean_ecg, clean_mcg, data.groups[test]),
    }


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    data, _, test = simulate(max(args.scaling), args, "shielded")
    rows = {}
    for n_train in args.scaling:
        for name, pred in learned_and_linear(data, data.groups < n_train, test, args).items():
            rows.setdefault(name, []).append(cell_text(data, test, pred))
        print(f"  {n_train} subjects done ({time.perf_counter() - start:.0f} s)", flush=True)
    fixed = {name: cell_text(data, test, pred) for name, pred in oracles(data, test).items()}
    write_report(args, rows, fixed, start)


def cell_text(data, test, pred):
    value, (low, high) = subject_bootstrap(r2, data.mcg_clean[test], pred, data.groups[test],
                                           np.random.default_rng(0), n_boot=300)
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def write_report(args, rows, fixed, start):
    command = (f"python benchmarks/bench_virtual_mcg_limit.py --scaling "
               f"{' '.join(map(str, args.scaling))} --seed {args.seed} --threads {args.threads} "
               f"--out {args.out}")
    lines = [
        "# How far ECG-only virtual MCG goes (`benchmarks/bench_virtual_mcg_limit.py`)", "",
        f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} CPU cores (shared), "
        f"torch {torch.__version__} on {args.threads} thread(s); wall time "
        f"{time.perf_counter() - start:.0f} s.", "", f"Command: `{command}`", "",
        f"SIMULATED shielded beats (physics v2), one population: the same {args.test} test "
        f"subjects ({args.beats} beats each, {args.sfreq:g} Hz) for every n, the first n "
        "others for training. R² variance-weighted against the clean test MCG, with a 95 % "
        "bootstrap interval over test subjects (300 resamples).", "",
        "| model | " + " | ".join(f"n = {n}" for n in args.scaling) + " |",
        "|---|" + "---|" * len(args.scaling),
        *[f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows.items()], "",
        "| oracle (fitted on the test subjects) | R² |", "|---|---|",
        *[f"| {name} | {text} |" for name, text in fixed.items()], "",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS.with_name(args.out).write_text(report)


if __name__ == "__main__":
    main()
