"""Peak memory of batched inference over 10k, 100k and 1M beats.

Each estimator is fitted once on a small random set, pickled, then for every
(estimator, N) a fresh subprocess loads the model, maps the N-beat input (a float32
``np.memmap`` on disk, opened read-only) and runs ``transform`` / ``predict`` once.
Two figures per run, both minus what the process held after loading the model and
mapping the input:

- ``anon peak``: peak anonymous (heap) memory, sampled from ``RssAnon`` in
  ``/proc/self/status`` every 2 ms; the memory-mapped input is file-backed, so it is
  not in it. Minus the output array, this is the inference overhead, which should not
  grow with N.
- ``RSS peak``: ``VmHWM`` (peak resident set), which also counts the pages of the
  mapped input as they are read.

Beat shapes (kept small so that 1M beats fit the disk and the time budget): ECG
12 channels x 64 samples (3 KB per beat, 2.9 GiB at 1M), MCG 4 x 64, latent 16.
The torch estimators use a small ResNet1d (width 8) and ``batch_size=256``; the
``LatentProjector`` (ridge readout) predicts the 4 x 64 MCG from 16-dim latents.

Run::

    python benchmarks/bench_memory.py                       # 10k, 100k, 1M beats
    python benchmarks/bench_memory.py --sizes 10000 100000  # quicker
"""

import argparse
import json
import pickle
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np

ECG_SHAPE = (12, 64)
MCG_SHAPE = (4, 64)
LATENT_DIM = 16
N_FIT = 512
ESTIMATORS = ("ContrastivePretrainer", "CrossModalAligner", "LatentProjector")
RESULTS = Path(__file__).parent / "results" / "memory.md"


def _fit_models(directory):
    """Fit each estimator on N_FIT random beats; pickle them into ``directory``."""
    from sklearn_ecgmcg import ContrastivePretrainer, CrossModalAligner, LatentProjector

    rng = np.random.default_rng(0)
    ecg = rng.standard_normal((N_FIT, *ECG_SHAPE), dtype=np.float32)
    mcg = rng.standard_normal((N_FIT, *MCG_SHAPE), dtype=np.float32)
    latent = rng.standard_normal((N_FIT, LATENT_DIM), dtype=np.float32)
    small = {"width": 8}
    torch_params = {"max_epochs": 1, "batch_size": 256, "device": "cpu", "random_state": 0}
    models = {
        "ContrastivePretrainer": ContrastivePretrainer(
            embedding_dim=LATENT_DIM, encoder_params=small, **torch_params
        ).fit(ecg),
        "CrossModalAligner": CrossModalAligner(
            embedding_dim=LATENT_DIM, ecg_encoder_params=small, mcg_encoder_params=small,
            ecg_encoder="resnet1d", mcg_encoder="resnet1d", projection_head="mlp",
            latent="pooled", reconstruction_weight=0.0, **torch_params,  # pre-issue-19 towers
        ).fit(ecg, mcg),
        "LatentProjector": LatentProjector().fit(latent, mcg),
    }
    for name, model in models.items():
        with open(directory / f"{name}.pkl", "wb") as file:
            pickle.dump(model, file)


def _make_input(path, shape, chunk=50_000):
    """Write a float32 memmap of standard-normal values, ``chunk`` rows at a time."""
    data = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=shape)
    rng = np.random.default_rng(1)
    for start in range(0, shape[0], chunk):
        rows = min(chunk, shape[0] - start)
        data[start : start + rows] = rng.standard_normal((rows, *shape[1:]), dtype=np.float32)
    data.flush()
    del data


def _status_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class _AnonPeakSampler(threading.Thread):
    """Samples RssAnon every 2 ms until stopped; keeps the maximum (kB)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kb = _status_kb("RssAnon")
        self._done = threading.Event()

    def run(self):
        while not self._done.wait(0.002):
            self.peak_kb = max(self.peak_kb, _status_kb("RssAnon"))

    def stop(self):
        self._done.set()
        self.join()
        self.peak_kb = max(self.peak_kb, _status_kb("RssAnon"))


def _worker(estimator, model_path, input_path):
    """One measurement; prints a JSON line."""
    import torch

    torch.set_num_threads(1)  # 2 threads on 2 shared cores oversubscribe
    with open(model_path, "rb") as file:
        model = pickle.load(file)
    X = np.load(input_path, mmap_mode="r")
    anon_base, rss_base = _status_kb("RssAnon"), _status_kb("VmRSS")
    sampler = _AnonPeakSampler()
    sampler.start()
    start = time.perf_counter()
    out = model.predict(X) if estimator == "LatentProjector" else model.transform(X)
    seconds = time.perf_counter() - start
    sampler.stop()
    mb = 1 / 1024
    print(json.dumps({
        "anon_peak_mb": (sampler.peak_kb - anon_base) * mb,
        "rss_peak_mb": (_status_kb("VmHWM") - rss_base) * mb,
        "input_mb": X.nbytes / 2**20,
        "output_mb": out.nbytes / 2**20,
        "output_shape": list(out.shape),
        "seconds": seconds,
    }))


def _measure(estimator, n, directory):
    input_name = "latent" if estimator == "LatentProjector" else "ecg"
    command = [
        sys.executable, __file__, "--worker", estimator,
        str(directory / f"{estimator}.pkl"), str(directory / f"{input_name}_{n}.npy"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(sizes):
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
        directory = Path(tmp)
        _fit_models(directory)
        for n in sizes:
            _make_input(directory / f"ecg_{n}.npy", (n, *ECG_SHAPE))
            _make_input(directory / f"latent_{n}.npy", (n, LATENT_DIM))
            for estimator in ESTIMATORS:
                result = _measure(estimator, n, directory)
                rows.append((estimator, n, result))
                print(estimator, n, json.dumps(result), flush=True)
            for path in directory.glob(f"*_{n}.npy"):
                path.unlink()
    _write_table(rows, sizes)


def _write_table(rows, sizes):
    header = (
        "| estimator | N beats | input MB (memmap) | output MB | anon peak MB | "
        "anon peak - output MB | RSS peak MB | time s | beats/s |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = [
        f"| {name} | {n:,} | {r['input_mb']:.0f} | {r['output_mb']:.1f} | "
        f"{r['anon_peak_mb']:.1f} | {r['anon_peak_mb'] - r['output_mb']:.1f} | "
        f"{r['rss_peak_mb']:.0f} | {r['seconds']:.1f} | {n / r['seconds']:,.0f} |"
        for name, n, r in rows
    ]
    command = "python benchmarks/bench_memory.py" + (
        "" if list(sizes) == [10_000, 100_000, 1_000_000]
        else " --sizes " + " ".join(map(str, sizes))
    )
    text = (
        "# Peak memory of batched inference\n\n"
        f"{date.today()}, {platform.machine()} Linux, 2 CPU cores shared with other work "
        f"(torch 1 thread), no GPU. Command: `{command}`\n\n"
        + (__doc__.split("Run::")[0].split("\n", 2)[2])
        + "\n" + header + "\n".join(lines) + "\n"
    )
    RESULTS.write_text(text)
    print(header + "\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--worker", nargs=3, metavar=("ESTIMATOR", "MODEL", "INPUT"))
    args = parser.parse_args()
    if args.worker:
        _worker(*args.worker)
    else:
        main(args.sizes)
