"""Optuna on PostgreSQL: several worker processes on one study, pruning, kill and resume.

Starts a throwaway PostgreSQL server (``tests/_postgres.py``: initdb and pg_ctl on a
temporary directory), then:

1. ``--workers`` worker processes share one study
   (:func:`sklearn_ecgmcg.model_selection.open_study`) until it holds ``--trials``
   finished trials. Each trial fits a CrossModalAligner on SIMULATED paired beats
   (``make_paired_beats``; learning rate, temperature and embedding size searched)
   and returns the top-1 ECG -> MCG retrieval on held-out subjects; trials report
   their training loss each epoch through optuna-integration's SkorchPruningCallback
   and a MedianPruner stops the poor ones.
2. A second study: its workers are killed with SIGKILL once a third of the trials
   are finished, then the same number of workers is started again on the same study,
   which ends with ``--trials`` finished trials; the trials the killed workers were
   running are marked failed by the heartbeat and not counted.

Run ``python benchmarks/bench_search_distributed.py [--workers 3] [--trials 24]``;
writes ``benchmarks/results/search_distributed.md``.
"""

import argparse
import datetime
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _postgres import throwaway_postgres, why_no_server

HEARTBEAT = 2  # seconds; a killed worker's trial is failed after 2 intervals


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--worker", nargs=3, metavar=("URL", "STUDY", "DATA"),
                        help=argparse.SUPPRESS)
    return parser.parse_args()


def make_data(path):
    from sklearn_ecgmcg.datasets import make_paired_beats

    beats = make_paired_beats(n_subjects=12, beats_per_subject=8, sfreq=100.0,
                              noise="shielded", random_state=0)
    np.savez(path, ecg=beats.ecg, mcg=beats.mcg, groups=beats.groups)


def objective(trial, data, epochs):
    from optuna_integration import SkorchPruningCallback

    from sklearn_ecgmcg import CrossModalAligner

    trial.set_user_attr("pid", os.getpid())
    train, test = data["groups"] < 8, data["groups"] >= 8  # subject-disjoint
    aligner = CrossModalAligner(
        "resnet1d", "resnet1d", ecg_encoder_params={"width": 8, "blocks": (1,)},
        mcg_encoder_params={"width": 8, "blocks": (1,)},
        embedding_dim=trial.suggest_categorical("embedding_dim", [8, 16, 32]),
        temperature=trial.suggest_float("temperature", 0.03, 0.3, log=True),
        lr=trial.suggest_float("lr", 1e-5, 3e-2, log=True), sfreq=100.0,
        max_epochs=epochs, batch_size=16, device="cpu", random_state=0,
        callbacks=[SkorchPruningCallback(trial, monitor="train_loss")],
    ).fit(data["ecg"][train], data["mcg"][train])
    return aligner.score(data["ecg"][test], data["mcg"][test])  # top-1 retrieval


def worker(args):
    import optuna
    import torch

    from sklearn_ecgmcg.model_selection import open_study

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url, study_name, data_path = args.worker
    data = dict(np.load(data_path))
    study = open_study(study_name, url, direction="maximize",
                       pruner=optuna.pruners.MedianPruner(n_startup_trials=3,
                                                          n_warmup_steps=2),
                       sampler=optuna.samplers.TPESampler(seed=os.getpid()),
                       heartbeat_interval=HEARTBEAT)
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    stop = optuna.study.MaxTrialsCallback(args.trials, states=finished)
    study.optimize(lambda trial: objective(trial, data, args.epochs), n_trials=args.trials,
                   callbacks=[stop])


def start_workers(args, url, study, data_path):
    command = [sys.executable, __file__, "--trials", str(args.trials), "--epochs",
               str(args.epochs), "--worker", url, study, str(data_path)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return [subprocess.Popen(command, env=env) for _ in range(args.workers)]


def counts(url, study_name):
    from sklearn_ecgmcg.model_selection import open_study

    trials = open_study(study_name, url, direction="maximize").trials
    return Counter(trial.state.name for trial in trials), trials


def run_shared(args, url, data_path):
    start = time.perf_counter()
    for process in start_workers(args, url, "shared", data_path):
        process.wait()
    elapsed = time.perf_counter() - start
    states, trials = counts(url, "shared")
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    best = max(complete, key=lambda t: t.value)
    per_worker = sorted(Counter(t.user_attrs.get("pid") for t in trials).values())
    return {"elapsed": elapsed, "states": states, "best": best,
            "n_trials": len(trials), "per_worker": per_worker}


def run_killed_and_resumed(args, url, data_path):
    workers = start_workers(args, url, "resumed", data_path)
    while True:
        states, _ = counts(url, "resumed")
        if states["COMPLETE"] + states["PRUNED"] >= args.trials // 3:
            break
        time.sleep(1)
    for process in workers:
        process.send_signal(signal.SIGKILL)
        process.wait()
    at_kill, _ = counts(url, "resumed")
    time.sleep(2 * HEARTBEAT + 1)
    for process in start_workers(args, url, "resumed", data_path):
        process.wait()
    final, _ = counts(url, "resumed")
    return {"at_kill": at_kill, "final": final}


def describe(states):
    return ", ".join(f"{states[name]} {name.lower()}" for name in
                     ("COMPLETE", "PRUNED", "FAIL", "RUNNING") if states[name])


def report(args, shared, resumed):
    best = shared["best"]
    command = (f"python benchmarks/bench_search_distributed.py --workers {args.workers} "
               f"--trials {args.trials} --epochs {args.epochs}")
    return (
        f"# Optuna on PostgreSQL: {args.workers} workers, one study\n\n"
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.node() or 'machine'}, "
        f"{os.cpu_count()} CPU cores shared with other jobs (load average "
        f"{os.getloadavg()[0]:.1f} at the end), one torch thread per worker; a throwaway "
        "PostgreSQL 15 server on the same machine.\n\n"
        f"Command: `{command}`\n\n"
        "Each trial: CrossModalAligner (ResNet1d width 8, one stage) on SIMULATED paired "
        f"beats (12 subjects x 8 beats at 100 Hz; 8 subjects train, 4 held out), "
        f"{args.epochs} epochs; searched: lr, temperature, embedding_dim; score: top-1 "
        "ECG -> MCG retrieval on the held-out subjects (chance 1/32). Pruning: "
        "SkorchPruningCallback on the training loss, MedianPruner(n_startup_trials=3, "
        "n_warmup_steps=2). This measures the search machinery (workers, pruning, "
        "resumption), not the model: such short fits on 64 training beats stay near "
        "chance.\n\n"
        "## One study, several workers\n\n"
        f"{args.workers} worker processes until {args.trials} trials finished: "
        f"{describe(shared['states'])} ({shared['n_trials']} trials in all: the trials "
        "other workers were running when the last one was counted also finish) in "
        f"{shared['elapsed']:.0f} s wall; trials per worker: {shared['per_worker']}. "
        f"Best trial #{best.number}: top-1 {best.value:.3f}, {best.params}.\n\n"
        "## Killed and resumed\n\n"
        f"All {args.workers} workers SIGKILLed once {args.trials // 3} trials had finished; "
        f"the study then held {describe(resumed['at_kill'])}. {args.workers} new workers on "
        f"the same study: it ended with {describe(resumed['final'])}. The trials the killed "
        "workers were running are marked failed through the heartbeat "
        f"({HEARTBEAT} s interval) and not counted; none stays running.\n"
    )


def main():
    args = parse_args()
    if args.worker:
        return worker(args)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    reason = why_no_server()
    if reason:
        sys.exit(f"cannot start a throwaway PostgreSQL server: {reason}")
    with tempfile.TemporaryDirectory(prefix="bench-search-") as directory:
        os.chmod(directory, 0o755)  # the server's user must enter it
        data_path = Path(directory) / "beats.npz"
        make_data(data_path)
        with throwaway_postgres(Path(directory) / "postgres") as url:
            counts(url, "shared")  # creates Optuna's tables before the workers start
            shared = run_shared(args, url, data_path)
            resumed = run_killed_and_resumed(args, url, data_path)
    text = report(args, shared, resumed)
    print(text)
    out = Path(__file__).parent / "results" / "search_distributed.md"
    out.write_text(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
