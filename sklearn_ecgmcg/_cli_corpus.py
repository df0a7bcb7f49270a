"""The ``build-corpus`` and ``pretrain`` subcommands of the command line.

``python -m sklearn_ecgmcg build-corpus SOURCE --out DIR`` writes an on-disk corpus
(:func:`~sklearn_ecgmcg.datasets.write_corpus`);
``python -m sklearn_ecgmcg pretrain --corpus DIR --out DIR`` pretrains a
:class:`~sklearn_ecgmcg.ContrastivePretrainer` on it, streamed, and saves it with
:func:`~sklearn_ecgmcg.save_weights`, so a cluster job needs no Python script.
"""

import json
import os
import shutil
import sys
import time
from pathlib import Path

from skorch.callbacks import Callback

__all__ = ["add_corpus_commands", "run_corpus_command"]

MODEL_DIR = "pretrainer"


def add_corpus_commands(commands):
    """Add ``build-corpus`` and ``pretrain`` to the subparsers ``commands``."""
    build = commands.add_parser(
        "build-corpus",
        help="write an on-disk corpus from a WFDB folder (PTB-XL or any)",
        description=(
            "Write the WFDB records below SOURCE (a PTB-XL folder: its table's records, "
            "patients and superclass labels) into one chunked on-disk corpus at --out, "
            "with a progress bar. Interrupted, the same command resumes it."
        ),
    )
    build.add_argument("source", help="folder of WFDB records (PTB-XL or any)")
    build.add_argument("--out", required=True, help="corpus folder to write")
    build.add_argument("--n-times", type=int, default=None,
                       help="samples per record; longer records are cut into windows "
                            "(default: the first record's length)")
    build.add_argument("--sampling-rate", type=int, default=500, choices=(100, 500),
                       help="PTB-XL record set (default: %(default)s)")
    build.add_argument("--quiet", action="store_true", help="no progress bar")

    pretrain = commands.add_parser(
        "pretrain",
        help="stage-1 pretraining streamed from an on-disk corpus",
        description=(
            "Fit a ContrastivePretrainer on the corpus at --corpus, reading it batch by "
            "batch, and save it with save_weights into --out/pretrainer. With "
            "--checkpoint-dir, each epoch is checkpointed and a restarted run resumes."
        ),
    )
    pretrain.add_argument("--corpus", required=True, help="corpus folder (build-corpus)")
    pretrain.add_argument("--out", required=True, help="output folder")
    pretrain.add_argument("--objective", default="simclr", choices=("simclr", "patient", "masked"))
    pretrain.add_argument("--crop-length", type=int, default=None,
                          help="random crops of this many samples (default: the "
                               "ContrastivePretrainer default, 1250)")
    for flag, kind in (("--epochs", int), ("--batch-size", int), ("--lr", float),
                       ("--embedding-dim", int), ("--num-workers", int)):
        pretrain.add_argument(flag, type=kind, default=None,
                              help="(default: the ContrastivePretrainer default)")
    pretrain.add_argument("--encoder", default=None, help="encoder preset (default: the default)")
    pretrain.add_argument("--device", default="auto",
                          help="auto, cpu or cuda (default: %(default)s)")
    pretrain.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    pretrain.add_argument("--checkpoint-dir", default=None,
                          help="checkpoint every epoch here; a restart resumes from it")
    pretrain.add_argument("--quiet", action="store_true", help="no progress bars")


def run_corpus_command(args, stream=None):
    """Run a parsed ``build-corpus`` or ``pretrain`` command; returns the exit code."""
    stream = sys.stdout if stream is None else stream
    if args.command == "build-corpus":
        return _build_corpus(args, stream)
    return _pretrain(args, stream)


def _build_corpus(args, stream):
    from .datasets import write_corpus

    try:
        corpus = write_corpus(args.source, args.out, n_times=args.n_times,
                              sampling_rate=args.sampling_rate, verbose=0 if args.quiet else 1)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"error: {error}") from None
    print(f"{corpus!r}: {corpus.nbytes / 2**20:.0f} MB, "
          f"{len(set(corpus.groups.tolist()))} patients", file=stream)
    return 0


def _pretrain(args, stream):
    from ._persistence import save_weights
    from .datasets import ECGCorpus

    try:
        corpus = ECGCorpus(args.corpus)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"error: --corpus: {error}") from None
    out = Path(args.out)
    if (out / MODEL_DIR / "config.json").is_file():
        print(f"{out / MODEL_DIR} already holds a fitted pretrainer; nothing to do "
              "(delete it to train again).", file=stream)
        return 0
    pretrainer = _pretrainer(args, corpus, stream)
    print(f"pretraining on {corpus!r}", file=stream, flush=True)
    start = time.perf_counter()
    try:
        pretrainer.fit(corpus)
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    seconds = time.perf_counter() - start
    if pretrainer.n_epochs_ < pretrainer.max_epochs:  # skorch ends a fit quietly on Ctrl-C
        print(f"interrupted after {pretrainer.n_epochs_} of {pretrainer.max_epochs} epochs; "
              "nothing saved. Run the same command again to resume"
              + (" from the last checkpoint." if args.checkpoint_dir else "."), file=stream)
        return 130
    # Saved beside, then renamed: a run killed while saving leaves no half-written model.
    partial = out / f".{MODEL_DIR}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    save_weights(pretrainer, partial)
    os.replace(partial, out / MODEL_DIR)
    summary = {"corpus": str(corpus.path), "n_records": len(corpus),
               "epochs": pretrainer.n_epochs_,
               "final_loss": pretrainer.loss_curve_[-1] if pretrainer.loss_curve_ else None,
               "seconds": round(seconds, 1)}
    (out / "pretrain_summary.json").write_text(json.dumps(summary, indent=1), "utf-8")
    print(f"{pretrainer.n_epochs_} epochs in {seconds:.1f} s, final loss "
          f"{summary['final_loss']}; saved to {out / MODEL_DIR} (load_weights reads it)",
          file=stream)
    return 0


def _pretrainer(args, corpus, stream):
    from .pretraining import ContrastivePretrainer

    options = {"max_epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
               "embedding_dim": args.embedding_dim, "num_workers": args.num_workers,
               "encoder": args.encoder, "crop_length": args.crop_length}
    callbacks = []
    if args.checkpoint_dir is not None:
        callbacks.append(_checkpoint_callback(args.checkpoint_dir))
    # Bars and coloured tables on a terminal; one plain line per epoch in a job's log.
    bars = not args.quiet and sys.stderr.isatty()
    if not args.quiet and not bars:
        callbacks.append(_PlainEpochLog(stream))
    return ContrastivePretrainer(
        args.objective, modality=corpus.modality,
        device=args.device, random_state=args.seed, verbose=int(bars),
        callbacks=callbacks or None,
        **{key: value for key, value in options.items() if value is not None},
    )


class _PlainEpochLog(Callback):
    """One line per epoch (number, training loss, seconds), without terminal codes."""

    def __init__(self, stream):
        self.stream = stream

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        print(f"epoch {row['epoch']}  train_loss {row['train_loss']:.4f}  {row['dur']:.1f} s",
              file=self.stream, flush=True)


def _checkpoint_callback(dirname):
    from .callbacks import TrainingCheckpoint

    return TrainingCheckpoint(dirname)
