"""Time the real-data loaders against the loop a user would otherwise write.

Baseline: the loading code of PTB-XL's own example (``example_physionet.py``),
``np.array([wfdb.rdsamp(path + f)[0] for f in df.filename_hr])``, which gives
``(n, n_times, 12)`` float64 and no labels. ``load_ptbxl`` also parses the
label tables, checks every record and returns ``(n, 12, n_times)`` float32.

Run ``python benchmarks/bench_loaders.py [PTBXL_PATH]`` (default
``../shared/data/ptbxl``); prints a table and writes it to
``benchmarks/results/bench_loaders.md``.
"""

import datetime
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import wfdb

from sklearn_ecgmcg.datasets import load_ptbxl, load_sample_ecg

REPEATS = 3


def best_of(func):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def wfdb_loop(path, rate):
    column = "filename_hr" if rate == 500 else "filename_lr"
    table = pd.read_csv(path / "ptbxl_database.csv")
    return np.array([wfdb.rdsamp(str(path / f))[0] for f in table[column]])


def main(path):
    rows = []
    for rate in (100, 500):
        t_base, base = best_of(lambda: wfdb_loop(path, rate))
        t_ours, ours = best_of(lambda: load_ptbxl(path, sampling_rate=rate))
        np.testing.assert_allclose(ours.ecg, base.transpose(0, 2, 1), atol=1e-6)
        n = len(ours.ecg)
        rows.append((f"PTB-XL subset, {rate} Hz, {n} records", t_base, t_ours, n))
    t_sample, sample = best_of(load_sample_ecg)
    n = len(sample.ecg)
    rows.append((f"load_sample_ecg, {n} records", float("nan"), t_sample, n))

    lines = [
        "| data | wfdb.rdsamp loop (s) | sklearn_ecgmcg loader (s) | loader ms / record |",
        "|---|---|---|---|",
    ]
    for name, t_base, t_ours, n in rows:
        base = "-" if np.isnan(t_base) else f"{t_base:.2f}"
        lines.append(f"| {name} | {base} | {t_ours:.2f} | {1000 * t_ours / max(n, 1):.1f} |")
    table = "\n".join(lines)
    header = (
        f"# Loader timings\n\n{datetime.date.today()}, {platform.node() or 'machine'}, "
        f"{os.cpu_count()} CPU cores (shared), best of {REPEATS}.\n"
        f"Command: `python benchmarks/bench_loaders.py {path}`\n\n"
    )
    print(table)
    out = Path(__file__).parent / "results" / "bench_loaders.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(header + table + "\n", "utf-8")


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ptbxl"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
