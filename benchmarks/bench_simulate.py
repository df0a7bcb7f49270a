"""Speed and physics of the paired ECG + MCG simulator on one core.

Run: ``python benchmarks/bench_simulate.py`` (``--quick`` for a smoke run,
``--part speed`` or ``--part physics`` for one half).

Speed (``benchmarks/results/simulate.md``): generation of 10,000 paired beats
(12-lead ECG + 36-channel MCG, 500 Hz, -0.25..0.45 s, shielded noise), best of 3,
for the default double-layer source and the v1 dipole, without noise and with it,
against the same simulator called beat by beat (what a loop over a single-beat
generator costs), and the continuous recordings and the semi-synthetic route.

Physics (``benchmarks/results/simulate_physics.md``): issue 15's must-show facts of
the double-layer source beside the v1 dipole, on clean signals and held-out
subjects, with n and 95 % bootstrap intervals over subjects.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, before numpy is imported

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from sklearn_ecgmcg.datasets import (  # noqa: E402
    make_paired_beats,
    mcg_from_ecg,
    simulate_paired_recordings,
)

RESULTS = Path(__file__).resolve().parent / "results" / "simulate.md"
PHYSICS_RESULTS = RESULTS.with_name("simulate_physics.md")


def best_of(fn, repeats):
    """Best wall and CPU seconds over ``repeats`` calls."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 beats, 1 repeat")
    parser.add_argument("--part", choices=["speed", "physics", "all"], default="all")
    args = parser.parse_args(argv)
    if args.part in ("physics", "all"):
        from _physics_facts import physics_report  # noqa: PLC0415

        report = physics_report(quick=args.quick, command=" ".join(
            ["python benchmarks/bench_simulate.py"] + (argv or sys.argv[1:])))
        print(report)
        if not args.quick:
            PHYSICS_RESULTS.write_text(report)
    if args.part in ("speed", "all"):
        speed(args)


def speed(args):
    n_beats = 1_000 if args.quick else 10_000
    repeats = 1 if args.quick else 3
    n_loop = 50 if args.quick else 200

    rows = []
    for source in ("double_layer", "dipole"):
        for noise in ("shielded", "none"):
            wall, cpu = best_of(
                lambda: make_paired_beats(n_subjects=n_beats // 50, beats_per_subject=50,
                                          random_state=0, source=source, noise=noise),
                repeats,
            )
            rows.append((f"make_paired_beats, {n_beats:,} beats, source={source}, "
                         f"noise={noise}", wall, cpu, n_beats / wall))

    def per_beat_loop():
        for i in range(n_loop):
            make_paired_beats(n_subjects=1, beats_per_subject=1, random_state=i)

    wall_loop, cpu_loop = best_of(per_beat_loop, 1)
    scale = n_beats / n_loop
    rows.append(
        (f"baseline: one call per beat ({n_loop} beats, scaled to {n_beats:,})",
         wall_loop * scale, cpu_loop * scale, n_loop / wall_loop)
    )

    n_records = 5 if args.quick else 20
    wall, cpu = best_of(
        lambda: simulate_paired_recordings(n_subjects=n_records, duration=60.0, random_state=0),
        repeats,
    )
    rows.append((f"simulate_paired_recordings, {n_records} x 60 s", wall, cpu,
                 n_records * 60 / wall))

    names = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    ecg = np.random.default_rng(0).normal(0, 0.1, (n_records * 5, 12, 5000))
    wall, cpu = best_of(lambda: mcg_from_ecg(ecg, 500, names, random_state=0), repeats)
    rows.append((f"mcg_from_ecg, {len(ecg)} x 10 s records", wall, cpu, len(ecg) / wall))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Simulator speed (`benchmarks/bench_simulate.py`)",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {platform.machine()}, 2 CPU cores shared with other jobs "
        f"(1-min load average at the end: {load:.1f}); BLAS/OpenMP limited to 1 thread",
        f"- python {platform.python_version()}, numpy {np.__version__}",
        f"- command: `python {' '.join(['benchmarks/bench_simulate.py'] + sys.argv[1:])}`",
        f"- best of {repeats}; CPU time is the process time (robust to other jobs on the "
        "shared cores), wall time is what a user waits",
        "",
        "| task | wall s | CPU s | per wall second |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {wall:.2f} | {cpu:.2f} | {rate:,.0f} |" for name, wall, cpu, rate
              in rows]
    lines += [
        "",
        "Beats: 12-lead ECG + 36-channel MCG (6x6 magnetometers), 500 Hz, 351 samples "
        "(-0.25..0.45 s), shielded noise unless said; the default source (double layer) "
        "unless said. Per wall second: beats, seconds of recording, or records.",
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(table)


if __name__ == "__main__":
    main()
