"""Command line: ``python -m sklearn_ecgmcg demo | build-corpus | pretrain``
(also the ``sklearn-ecgmcg`` script)."""

import argparse
import os
import sys
from pathlib import Path

from ._cli_corpus import add_corpus_commands, run_corpus_command

__all__ = ["main"]


def _check_out_dir(out):
    """Create ``out`` if needed and make sure it is a writable directory."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SystemExit(f"error: --out {out} exists and is not a directory.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SystemExit(f"error: cannot create --out directory {out}: {exc.strerror}.") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise SystemExit(f"error: --out directory {out} is not writable.")
    return out


def _check_ptbxl(path):
    if path is None:
        return None
    path = Path(path)
    if not (path / "ptbxl_database.csv").is_file():
        raise SystemExit(
            f"error: --ptbxl {path} is not a PTB-XL folder: it has no ptbxl_database.csv "
            "(point it at the folder that holds ptbxl_database.csv and records500/)."
        )
    return path


def _progress_bars(quiet):
    """1 for training progress bars, only on a terminal: piped output gets no ANSI codes."""
    return int(not quiet and sys.stdout.isatty() and sys.stderr.isatty())


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_ecgmcg",
        description="Cross-modal ECG <-> MCG representation learning.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="run the three stages end to end and write report.html",
        description=(
            "Stage 1 (ECG pretraining) on real ECG: the PTB-XL sample shipped with the "
            "package, or PTB-XL at --ptbxl; stages 2-3 (ECG <-> MCG alignment, virtual "
            "MCG, diagnosis) on simulated paired beats, with the package's default "
            "parameters. Prints one verdict per stage against its baseline (with n and "
            "95 %% bootstrap intervals) and writes report.html to --out. About a minute "
            "on two CPU cores."
        ),
    )
    demo.add_argument("--out", default="demo_output", help="output folder (default: %(default)s)")
    demo.add_argument("--ptbxl", default=None, help="PTB-XL folder for stage 1 (default: shipped sample)")
    demo.add_argument("--device", default="auto", help="torch device: auto, cpu or cuda (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    demo.add_argument("--threads", type=int, default=1,
                      help="CPU threads for torch and BLAS (default: %(default)s; the problems are small)")
    demo.add_argument("--quiet", action="store_true",
                      help="no progress bars (piped output never has them)")
    add_corpus_commands(commands)
    return parser


def main(argv=None):
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        if args.threads < 1:
            raise SystemExit(f"error: --threads must be at least 1; got {args.threads}.")
        out = _check_out_dir(args.out)
        ptbxl = _check_ptbxl(args.ptbxl)
        from ._demo import run_demo

        run_demo(out, ptbxl=ptbxl, device=args.device, random_state=args.seed,
                 verbose=_progress_bars(args.quiet), stream=sys.stdout,
                 threads=args.threads)
    elif args.command in ("build-corpus", "pretrain"):
        return run_corpus_command(args)
    return 0
