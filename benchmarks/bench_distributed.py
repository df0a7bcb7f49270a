"""Data-parallel training throughput: 1 process against N (torchrun, DDP).

Fits a ContrastivePretrainer (SimCLR, ResNet1d encoder) on random 12-lead windows,
once per process count, each launched with ``torchrun --standalone --nproc-per-node N``
(gloo on CPU with one torch thread per process, NCCL on GPUs). The global batch is
the same for every N (each process trains on ``batch_size / N`` samples of it), so
the runs do the same work per epoch. Reports, per N, the training throughput in
samples per second (global and per process; the mean and the range over the timed
epochs, the first epoch excluded as warm-up) and the scaling efficiency
``throughput(N) / (N x throughput(1))``. On CUDA it also reports the model FLOP
utilisation: FLOPs of one training step (forward, loss, backward; counted with
``torch.utils.flop_counter.FlopCounterMode``) times steps per second, over N times the
GPU's dense bf16 peak.

Run ``python benchmarks/bench_distributed.py [--nprocs 1 2] [--device cpu]``; writes
``benchmarks/results/distributed.md`` (``distributed_gpu.md`` with ``--device cuda``).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Dense bf16 tensor-core peaks (FLOP/s) from the vendors' data sheets (SXM parts).
BF16_PEAK = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nprocs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--precision", default=None, choices=["float32", "bf16"],
                        help="default: float32 on CPU, bf16 on CUDA")
    parser.add_argument("--samples", type=int, default=None,
                        help="training windows (default 512 on CPU, 65536 on CUDA)")
    parser.add_argument("--times", type=int, default=None,
                        help="samples per window (default 250 on CPU, 1000 on CUDA)")
    parser.add_argument("--width", type=int, default=None,
                        help="encoder width (default 16 on CPU, 64 on CUDA)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="global batch (default 64 on CPU, 1024 on CUDA)")
    parser.add_argument("--epochs", type=int, default=4, help="first one is warm-up")
    parser.add_argument("--peak-tflops", type=float, default=None,
                        help="GPU dense bf16 peak when the GPU is not in the table")
    parser.add_argument("--worker", metavar="JSON", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cuda = args.device == "cuda"
    defaults = {"precision": "bf16" if cuda else "float32", "samples": 65536 if cuda else 512,
                "times": 1000 if cuda else 250, "width": 64 if cuda else 16,
                "batch_size": 1024 if cuda else 64}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def cpu_timer():
    """skorch callback: this process's CPU seconds per epoch, as ``cpu_dur``."""
    from skorch.callbacks import Callback

    class CPUTimer(Callback):
        def on_epoch_begin(self, net, **kwargs):
            self.start_ = time.process_time()

        def on_epoch_end(self, net, **kwargs):
            net.history.record("cpu_dur", time.process_time() - self.start_)

    return CPUTimer()


def make_pretrainer(args, max_epochs):
    from sklearn_ecgmcg import ContrastivePretrainer

    return ContrastivePretrainer(
        callbacks=[cpu_timer()],
        encoder="resnet1d", encoder_params={"width": args.width, "blocks": (1, 1)},
        embedding_dim=64, max_epochs=max_epochs, batch_size=args.batch_size,
        device=args.device, precision=args.precision, random_state=0,
    )


def step_flops(args, X, n_processes):
    """FLOPs of one training step on one process's share of a batch."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    net = make_pretrainer(args, max_epochs=0).fit(X[: args.batch_size]).net_
    batch = torch.as_tensor(X[: args.batch_size // n_processes], device=net.device)
    net._training_forward = {"module": net.module_}  # autocast as in training
    with FlopCounterMode(display=False) as counter:
        net.train_step_single((batch, torch.zeros(len(batch))))  # skorch's stand-in for y=None
    return counter.get_total_flops()


def worker(args):
    """One rank: time the epochs; rank 0 writes the numbers to ``args.worker``."""
    import torch

    torch.set_num_threads(1)
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    X = np.random.default_rng(0).standard_normal(
        (args.samples, 12, args.times)).astype(np.float32)
    pretrainer = make_pretrainer(args, args.epochs).fit(X)
    durations = np.asarray(pretrainer.history_[1:, "dur"])
    per_epoch = (args.samples // args.batch_size) * args.batch_size
    cpu = np.asarray(pretrainer.history_[1:, "cpu_dur"])
    result = {"n_processes": world, "throughput": (per_epoch / durations).tolist(),
              "per_cpu_second": (per_epoch / world / cpu).tolist(),
              "loss": pretrainer.loss_curve_}
    if args.device == "cuda":
        result["step_flops"] = step_flops(args, X, world)
        result["steps_per_epoch"] = args.samples // args.batch_size
        result["gpu"] = torch.cuda.get_device_name()
    if rank == 0:
        Path(args.worker).write_text(json.dumps(result))


def launch(args, n_processes, json_path):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc-per-node", str(n_processes), __file__, "--worker", str(json_path),
               *forwarded_options(args)]
    subprocess.run(command, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return json.loads(Path(json_path).read_text())


def forwarded_options(args):
    keys = ("device", "precision", "samples", "times", "width", "batch_size", "epochs")
    return [item for key in keys
            for item in (f"--{key.replace('_', '-')}", str(getattr(args, key)))]


def peak_flops(args, gpu):
    if args.peak_tflops:
        return args.peak_tflops * 1e12
    return next((peak for name, peak in BF16_PEAK.items() if name in gpu), None)


def table(args, results):
    base = np.mean(results[0]["throughput"]) / results[0]["n_processes"]
    cuda = args.device == "cuda"
    cpu_base = np.mean(results[0]["per_cpu_second"])
    header = ("| processes | samples/s (all) | samples/s per process | scaling efficiency "
              "| samples per CPU-second per process | CPU efficiency |"
              + (" TFLOP/s per GPU | MFU (bf16 peak) |" if cuda else ""))
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    for result in results:
        n, rate = result["n_processes"], np.asarray(result["throughput"])
        line = (f"| {n} | {rate.mean():.0f} ({rate.min():.0f}-{rate.max():.0f}) | "
                f"{rate.mean() / n:.0f} | {rate.mean() / (n * base):.2f} | "
                f"{np.mean(result['per_cpu_second']):.0f} | "
                f"{np.mean(result['per_cpu_second']) / cpu_base:.2f} |")
        if cuda:
            steps_per_s = rate.mean() / args.batch_size
            achieved = result["step_flops"] * steps_per_s  # per GPU: each runs its share
            peak = peak_flops(args, result["gpu"])
            mfu = f"{achieved / peak:.3f}" if peak else "peak unknown (--peak-tflops)"
            line += f" {achieved / 1e12:.1f} | {mfu} |"
        rows.append(line)
    return "\n".join(rows)


def cuda_run(args):
    return args.device == "cuda"


def main():
    args = parse_args()
    if args.worker:
        return worker(args)
    with tempfile.TemporaryDirectory() as directory:
        results = [launch(args, n, Path(directory) / f"{n}.json") for n in args.nprocs]
    machine = (results[0].get("gpu") if args.device == "cuda"
               else f"{os.cpu_count()} CPU cores, one torch thread per process")
    command = "python benchmarks/bench_distributed.py " + " ".join(
        [f"--nprocs {' '.join(map(str, args.nprocs))}", *forwarded_options(args)])
    load = os.getloadavg()[0]
    report = (
        f"# Data-parallel training throughput\n\n{datetime.datetime.now():%Y-%m-%d %H:%M}, "
        f"{platform.node() or 'machine'}, {machine}; load average {load:.1f} at the end.\n\n"
        f"Command: `{command}`\n\n"
        f"ContrastivePretrainer (SimCLR), ResNet1d width {args.width}, 2 stages, on "
        f"{args.samples} random windows of 12 x {args.times} samples; global batch "
        f"{args.batch_size}; {args.precision}; {args.epochs} epochs, the first left out. "
        "samples/s: mean over the timed epochs (range in brackets). Scaling efficiency: "
        "throughput(N) / (N x throughput(1)). Samples per CPU-second: each process's "
        "share of an epoch over the CPU time it used (contention with other jobs does "
        "not count, the all-reduce does); CPU efficiency: its ratio to 1 process.\n\n"
        f"{table(args, results)}\n\n"
        f"Final training loss per run: "
        + ", ".join(f"{r['n_processes']} proc: {r['loss'][-1]:.3f}" for r in results)
        + ". With N processes each InfoNCE batch holds batch_size / N candidates, so the "
        "contrastive loss is lower for the same model quality (it is not comparable "
        "across N).\n\n"
        + ("Read with the load average: where other jobs keep the cores busy (load above "
           "the number of cores), the N processes do not each get a core, and the "
           "efficiency measures that contention as much as DDP's gradient all-reduce.\n"
           if not cuda_run(args) else "")
    )
    print(report)
    name = "distributed_gpu.md" if args.device == "cuda" else "distributed.md"
    out = Path(__file__).parent / "results" / name
    out.write_text(report)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
