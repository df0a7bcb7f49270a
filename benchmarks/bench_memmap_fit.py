"""Anonymous memory of a one-epoch fit on a memory-mapped array (``np.load(mmap_mode="r")``).

A float32 ``.npy`` of ``--mb`` MB (windows of 12 x 1250) is written, then each
estimator fits one epoch on it, opened with ``np.load(..., mmap_mode="r")``, in a
fresh subprocess (one torch thread): ``ContrastivePretrainer`` (``"resnet1d"``
encoder, batch 64) and ``CrossModalAligner`` (the same array as ECG, a second memory-mapped
float32 array of 4 x 1250 as MCG). Reported: the growth of anonymous memory
(``RssAnon``, sampled every 5 ms) over what the process held after mapping the
input: a copy of the input would show as at least its size. ``--package`` runs the
fit with another checkout of the package (e.g. an older commit unpacked with
``git archive``) for a before/after comparison.

Run::

    python benchmarks/bench_memmap_fit.py                      # 576 MB, this checkout
    python benchmarks/bench_memmap_fit.py --package /tmp/old --label "before (e412d5f)"
"""

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "memmap_fit.md"
WINDOW = (12, 1250)


def _status_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _worker(estimator, directory):
    import torch

    torch.set_num_threads(1)
    from sklearn_ecgmcg import ContrastivePretrainer, CrossModalAligner

    X = np.load(Path(directory) / "ecg.npy", mmap_mode="r")
    y = np.load(Path(directory) / "mcg.npy", mmap_mode="r")
    common = {"max_epochs": 1, "batch_size": 64, "device": "cpu", "random_state": 0}
    fit = {
        "ContrastivePretrainer": lambda X, y: ContrastivePretrainer(
            encoder="resnet1d", **common).fit(X),
        "CrossModalAligner": lambda X, y: CrossModalAligner(
            ecg_encoder="resnet1d", mcg_encoder="resnet1d", **common).fit(X, y),
    }[estimator]
    fit(np.array(X[:128]), np.array(y[:128]))  # torch's one-time allocations, not counted
    base = _status_kb("RssAnon")
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.wait(0.005):
            peak[0] = max(peak[0], _status_kb("RssAnon"))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    fit(X, y)
    seconds = time.perf_counter() - start
    done.set()
    thread.join()
    growth = (max(peak[0], _status_kb("RssAnon")) - base) / 1024
    print(json.dumps({"estimator": estimator, "anon_growth_mb": growth, "seconds": seconds,
                      "input_mb": (X.nbytes + (y.nbytes if estimator == "CrossModalAligner"
                                                else 0)) / 2**20,
                      "module": __import__("sklearn_ecgmcg").__file__}))


def _write(directory, mb):
    n = int(mb * 2**20 // (np.prod(WINDOW) * 4))
    rng = np.random.default_rng(0)
    for name, shape in (("ecg", (n, *WINDOW)), ("mcg", (n, 4, WINDOW[1]))):
        data = np.lib.format.open_memmap(Path(directory) / f"{name}.npy", "w+", np.float32, shape)
        for start in range(0, n, 1000):
            rows = min(1000, n - start)
            data[start : start + rows] = rng.standard_normal((rows, *shape[1:]), dtype=np.float32)
        data.flush()
        del data
    return n


def main(args):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if args.package:
        env["PYTHONPATH"] = str(Path(args.package).resolve())
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_memmap_fit_") as directory:
        n = _write(directory, args.mb)
        for estimator in ("ContrastivePretrainer", "CrossModalAligner"):
            command = [sys.executable, __file__, "--worker", estimator, directory]
            done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                results.append({"estimator": estimator, "error": done.stderr.strip()[-300:]})
            else:
                results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    _append(args, n, results)


def _append(args, n, results):
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Anonymous memory of a one-epoch fit on a memory-mapped array\n\n"
            + __doc__.split("Run::")[0].split("\n", 2)[2]
            + f"Machine: {platform.machine()} Linux, 2 CPU cores shared with other work, "
            "one torch thread, no GPU. A warm-up fit on 128 in-memory windows runs first "
            "in each subprocess, so torch's one-time allocations are not counted.\n"
        )
    when = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M}"
    command = shlex.join(["python", "benchmarks/bench_memmap_fit.py", *sys.argv[1:]])
    lines = [f"\n## {args.label}\n\n{when} UTC. Command: `{command}`\n",
             "| estimator | N windows | memmap input MB | anonymous growth MB | fit s |",
             "|---|---:|---:|---:|---:|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['estimator']} | {n:,} | - | "
                         f"failed: {r['error'].splitlines()[-1]} | - |")
        else:
            lines.append(f"| {r['estimator']} | {n:,} | {r['input_mb']:.0f} | "
                         f"{r['anon_growth_mb']:.0f} | {r['seconds']:.0f} |")
    with RESULTS.open("a") as file:
        file.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=576)
    parser.add_argument("--package", default=None, help="folder holding another sklearn_ecgmcg")
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--worker", nargs=2, metavar=("ESTIMATOR", "DIR"))
    args = parser.parse_args()
    if args.worker:
        _worker(*args.worker)
    else:
        main(args)
