"""How long a grid search over the whole method takes on a laptop-class CPU.

``GridSearchCV`` over ``align__temperature`` (3 values) x ``align__embedding_dim``
(3 values) with ``GroupKFold(3)`` on subjects, for the Pipeline
``BandpassFilter -> CrossModalAligner -> LatentProjector`` on a small SIMULATED set
(``make_paired_beats``, shielded noise): 27 fits plus the refit. Reports the wall
time, the time per fit, and the cross-validated scores of each candidate (virtual-MCG
R² on held-out subjects and top-1 ECG -> MCG retrieval), so the search is seen to
select something.

Run ``python benchmarks/bench_search.py [--subjects 12] [--beats 10] [--epochs 5]
[--threads 2]``; prints the table and writes it to ``benchmarks/results/search.md``.
"""

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import torch
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline

from sklearn_ecgmcg import CrossModalAligner, LatentProjector
from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.metrics import make_retrieval_scorer, virtual_mcg_r2
from sklearn_ecgmcg.preprocessing import BandpassFilter

# Variance-weighted: with few held-out beats, the uniform average is dominated by
# baseline samples whose variance across beats is tiny.
R2_VARIANCE_WEIGHTED = make_scorer(virtual_mcg_r2, multioutput="variance_weighted")
GRID = {"align__temperature": [0.05, 0.1, 0.2], "align__embedding_dim": [16, 32, 64]}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=12)
    parser.add_argument("--beats", type=int, default=10, help="beats per subject")
    parser.add_argument("--sfreq", type=float, default=250.0)
    parser.add_argument("--epochs", type=int, default=5, help="aligner epochs")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    return parser.parse_args()


def make_pipe(sfreq, epochs):
    return Pipeline([
        ("lowpass", BandpassFilter(l_freq=None, h_freq=40.0, sfreq=sfreq)),
        ("align", CrossModalAligner(
            ecg_encoder_params={"width": 8, "blocks": (1, 1)},
            mcg_encoder_params={"width": 8, "blocks": (1, 1)},
            sfreq=sfreq, max_epochs=epochs, batch_size=32, device="cpu", random_state=0,
            ecg_encoder="resnet1d", mcg_encoder="resnet1d", projection_head="mlp",
            latent="pooled", reconstruction_weight=0.0, lr=1e-3,  # the pre-issue-19 towers
        )),
        ("project", LatentProjector()),
    ])


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    data = make_paired_beats(
        n_subjects=args.subjects, beats_per_subject=args.beats, sfreq=args.sfreq,
        noise="shielded", random_state=0,
    )
    search = GridSearchCV(
        make_pipe(args.sfreq, args.epochs),
        GRID,
        cv=GroupKFold(3),
        scoring={"r2": R2_VARIANCE_WEIGHTED, "top1": make_retrieval_scorer()},
        refit="r2",
    )
    load_before = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    search.fit(data.ecg, data.mcg, groups=data.groups)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    load_after = os.getloadavg()[0]
    n_fits = 3 * len(search.cv_results_["params"]) + 1

    rows = [
        "| temperature | embedding_dim | R² (held-out subjects) | top-1 retrieval "
        "| mean fit time (s) |",
        "|---|---|---|---|---|",
    ]
    results = search.cv_results_
    for i, params in enumerate(results["params"]):
        rows.append(
            f"| {params['align__temperature']} | {params['align__embedding_dim']} | "
            f"{results['mean_test_r2'][i]:.3f} ± {results['std_test_r2'][i]:.3f} | "
            f"{results['mean_test_top1'][i]:.3f} | {results['mean_fit_time'][i]:.1f} |"
        )
    summary = (
        f"Data: {args.subjects} simulated subjects x {args.beats} beats = {len(data.ecg)} beats, "
        f"ECG {data.ecg.shape[1:]} / MCG {data.mcg.shape[1:]} (channels, samples) at "
        f"{args.sfreq:g} Hz, shielded noise. Aligner: ResNet1d width 8, 2 stages, "
        f"{args.epochs} epochs; projector: default (ridge readout). R² is variance-weighted.\n\n"
        f"**{n_fits} pipeline fits (9 candidates x 3 group folds + refit) in "
        f"{elapsed:.0f} s = {elapsed / 60:.1f} min wall** ({elapsed / n_fits:.1f} s per fit, "
        f"scoring included) and {cpu:.0f} s = {cpu / 60:.1f} min of process CPU time, "
        f"torch threads = {args.threads}, load average {load_before:.1f} before / "
        f"{load_after:.1f} after (the machine is shared: wall time is inflated when the "
        "load exceeds the 2 cores; CPU time is what an idle machine would need).\n\n"
        f"Best: {search.best_params_} (R² {search.best_score_:.3f}).\n"
    )
    table = "\n".join(rows)
    command = "python benchmarks/bench_search.py " + " ".join(
        f"--{k} {v}" for k, v in vars(args).items()
    )
    report = (
        f"# Grid search over the whole method\n\n{datetime.date.today()}, "
        f"{platform.node() or 'machine'}, {os.cpu_count()} CPU cores (shared with other "
        f"jobs; see the load average).\n\nCommand: `{command}`\n\n{summary}\n{table}\n"
    )
    print(report)
    out = Path(__file__).parent / "results" / "search.md"
    out.write_text(report)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
