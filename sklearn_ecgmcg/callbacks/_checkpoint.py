"""Atomic training checkpoints and exact resumption of a killed fit."""

import hashlib
import json
import os
import random
import re
import shutil
import tempfile
from collections.abc import Mapping
from numbers import Integral
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from skorch.callbacks import Callback, PassthroughScoring
from skorch.callbacks.scoring import ScoringBase

__all__ = ["TrainingCheckpoint"]

_FORMAT = 1
_STATE_FILES = {"f_params": "params.pt", "f_optimizer": "optimizer.pt",
                "f_criterion": "criterion.pt", "f_history": "history.json"}
_RNG_FILE = "rng.pt"
_META_FILE = "meta.json"
_TMP_PREFIX = ".tmp-epoch-"


class TrainingCheckpoint(Callback):
    """skorch callback that checkpoints a fit atomically and resumes it where it stopped.

    Every ``every`` epochs (and after the last) it writes the module, optimizer,
    criterion, history and random-number-generator states (torch, CUDA, numpy, Python;
    the DataLoader's shuffling and the augmentations draw from them) to
    ``dirname/epoch-NNNN``. A checkpoint is written in a temporary directory, each
    file flushed to disk (``fsync``), checksummed, and the directory then renamed
    into place (``os.replace``): a fit killed while writing leaves a temporary
    directory that is never loaded. The two newest checkpoints are kept.

    When a fit starts and ``dirname`` holds a checkpoint, the callback checks that it
    was written by the same fit (same architecture, initial weights, optimizer
    settings, ``batch_size``, ``max_epochs``, data and number of processes), loads
    it and trains only the remaining epochs: a fit killed mid-epoch and started again
    with the same arguments ends with the weights of an uninterrupted fit (same seed,
    CPU). In a multi-process fit, rank 0 writes, every rank loads the checkpoint rank
    0 found, and the ranks wait at the end of the fit until its last checkpoint is in
    place; ``dirname`` must then be on a file system all ranks see.

    Parameters
    ----------
    dirname : str or path-like
        Directory of the checkpoints (created if missing). One directory per fit.
    every : int, default=1
        Write a checkpoint every ``every`` epochs.

    Attributes
    ----------
    resumed_from_ : int
        Epochs loaded from a checkpoint at the start of the fit (0 for a fresh fit).

    Raises
    ------
    ValueError
        At the start of ``fit``: when the newest checkpoint is damaged (a missing file
        or a checksum mismatch), or was written by a fit with other arguments or data;
        the message names the directory and the difference, and nothing is written.

    Notes
    -----
    Callbacks' own state beyond the history (an ``LRScheduler``'s scheduler,
    ``EarlyStopping``'s count of epochs without improvement) is not saved.

    Examples
    --------
    >>> from sklearn_ecgmcg import ContrastivePretrainer
    >>> from sklearn_ecgmcg.callbacks import TrainingCheckpoint
    >>> pretrainer = ContrastivePretrainer(
    ...     max_epochs=50, callbacks=[TrainingCheckpoint("runs/stage1")])  # doctest: +SKIP
    """

    def __init__(self, dirname, every=1):
        self.dirname = dirname
        self.every = every

    def initialize(self):
        if not isinstance(self.dirname, (str, os.PathLike)):
            raise TypeError(
                f"dirname must be a str or path-like, got {type(self.dirname).__name__}."
            )
        if not isinstance(self.every, Integral) or isinstance(self.every, bool) \
                or self.every < 1:
            raise ValueError(f"every must be an integer >= 1, got {self.every!r}.")
        return self

    # ------------------------------------------------------------ resuming
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.dirname_ = Path(self.dirname)
        self.max_epochs_ = net.max_epochs
        self.fingerprint_ = _fingerprint(net, X, y)
        self.resumed_from_ = 0
        latest = _agreed(_latest_checkpoint(self.dirname_))
        if latest is not None:
            meta = _verified_meta(latest)
            _check_same_fit(latest, meta["fingerprint"], self.fingerprint_)
            self._load(net, latest)
            self.resumed_from_ = meta["epoch"]
            net.max_epochs = max(self.max_epochs_ - meta["epoch"], 0)  # the remaining ones
            _restore_best_scores(net, X, y)
        if _is_main_process():
            self.dirname_.mkdir(parents=True, exist_ok=True)
            for stale in self.dirname_.glob(f"{_TMP_PREFIX}*"):  # left by a killed writer
                shutil.rmtree(stale, ignore_errors=True)

    def on_train_end(self, net, **kwargs):
        net.max_epochs = self.max_epochs_
        if _is_distributed():  # the last checkpoint is in place before any rank goes on
            dist.barrier()

    def _load(self, net, directory):
        net.load_params(**{key: directory / name for key, name in _STATE_FILES.items()})
        _set_rng_state(torch.load(directory / _RNG_FILE, weights_only=True))

    # ------------------------------------------------------------- writing
    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if epoch % self.every and epoch != self.max_epochs_:
            return
        if _is_main_process():
            self._save(net, epoch)

    def _save(self, net, epoch):
        temporary = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=self.dirname_))
        self._write(net, temporary)
        files = {path.name: _sha256(path) for path in sorted(temporary.iterdir())}
        meta = {"format": _FORMAT, "epoch": epoch, "fingerprint": self.fingerprint_,
                "files": files}
        (temporary / _META_FILE).write_text(json.dumps(meta, indent=1))
        for path in temporary.iterdir():
            _fsync(path)
        _fsync(temporary)
        final = self.dirname_ / f"epoch-{epoch:04d}"
        if final.exists():  # written by an earlier fit that stopped after this epoch
            shutil.rmtree(final)
        os.replace(temporary, final)
        _fsync(self.dirname_)
        for old in _complete_checkpoints(self.dirname_)[:-2]:
            shutil.rmtree(old, ignore_errors=True)

    def _write(self, net, directory):
        """Write the state files into ``directory`` (meta.json comes after)."""
        net.save_params(**{key: directory / name for key, name in _STATE_FILES.items()})
        torch.save(_rng_state(), directory / _RNG_FILE)


# ------------------------------------------------------------------- helpers
def _is_distributed():
    return dist.is_available() and dist.is_initialized()


def _is_main_process():
    return not _is_distributed() or dist.get_rank() == 0


def _agreed(latest):
    """Rank 0's choice of checkpoint on every rank (they must resume alike)."""
    if not _is_distributed():
        return latest
    holder = [latest]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def _fsync(path):
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _complete_checkpoints(dirname):
    """The ``epoch-NNNN`` directories, oldest first (temporary ones are never listed)."""
    if not dirname.is_dir():
        return []
    numbered = [(int(match[1]), path) for path in dirname.iterdir()
                if (match := re.fullmatch(r"epoch-(\d+)", path.name)) and path.is_dir()]
    return [path for _, path in sorted(numbered)]


def _latest_checkpoint(dirname):
    checkpoints = _complete_checkpoints(dirname)
    return checkpoints[-1] if checkpoints else None


def _verified_meta(directory):
    """The checkpoint's metadata once every file's checksum matches; else ValueError."""
    advice = (f"delete {directory} to resume from the checkpoint before it (or start "
              "afresh), or pass another dirname")
    try:
        meta = json.loads((directory / _META_FILE).read_text())
        files, epoch, fingerprint = meta["files"], int(meta["epoch"]), meta["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"The checkpoint {directory} is damaged: its {_META_FILE} cannot "
                         f"be read ({error}); {advice}.") from error
    expected = {*_STATE_FILES.values(), _RNG_FILE}
    for name in sorted(expected):
        path = directory / name
        if name not in files or not path.is_file() or _sha256(path) != files[name]:
            raise ValueError(f"The checkpoint {directory} is damaged: {name} is missing or "
                             f"does not match its checksum; {advice}.")
    return {"epoch": epoch, "fingerprint": fingerprint}


def _check_same_fit(directory, saved, current):
    differing = sorted(key for key in current if saved.get(key) != current[key])
    if differing:
        details = "; ".join(f"{key}: checkpoint {saved.get(key)!r}, this fit {current[key]!r}"
                            for key in differing)
        raise ValueError(
            f"The checkpoint {directory} was written by a fit with other {', '.join(differing)} "
            f"({details}). Resume with the arguments and data of that fit, or pass another "
            "dirname; nothing was loaded or overwritten."
        )


def _tensor_digest(tensors):
    digest = hashlib.sha256()
    for name, tensor in tensors.items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def _data_digest(data):
    """Shape, dtype and a hash of up to 64 evenly spaced samples (cheap on any size)."""
    if data is None:
        return None
    if isinstance(data, Mapping):
        return {key: _data_digest(data[key]) for key in sorted(data)}
    if hasattr(data, "shape") and hasattr(data, "dtype"):
        n = len(data)
        rows = np.unique(np.linspace(0, n - 1, num=min(n, 64)).astype(np.int64)) if n else []
        sample = data[torch.as_tensor(rows)] if isinstance(data, torch.Tensor) else data[rows]
        sample = sample.cpu().numpy() if isinstance(sample, torch.Tensor) else np.asarray(sample)
        digest = hashlib.sha256(np.ascontiguousarray(sample).tobytes()).hexdigest()[:16]
        return f"{tuple(data.shape)} {data.dtype} {digest}"
    return f"{type(data).__name__} of {len(data)} samples"


def _fingerprint(net, X, y):
    """What must be the same for a checkpoint to continue this fit (JSON-able)."""
    groups = [{key: value for key, value in group.items() if key != "params"}
              for group in net.optimizer_.state_dict()["param_groups"]]
    world = dist.get_world_size() if _is_distributed() else 1
    return {
        "architecture": _short_hash(repr(net.module_) + repr(net.criterion_)),
        "initial weights": _tensor_digest({**net.module_.state_dict(),
                                           **net.criterion_.state_dict()}),
        "optimizer": f"{type(net.optimizer_).__name__} {json.dumps(groups, default=str)}",
        "batch_size": net.batch_size,
        "max_epochs": net.max_epochs,
        "data": json.dumps({"X": _data_digest(X), "y": _data_digest(y)}),
        "processes": world,
    }


def _short_hash(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _rng_state():
    kind, keys, position, has_gauss, cached = np.random.get_state()
    state = {"torch": torch.get_rng_state(),
             "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)),
                       "position": int(position), "has_gauss": int(has_gauss),
                       "cached": float(cached)},
             "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state):
    torch.set_rng_state(state["torch"])
    numpy = state["numpy"]
    np.random.set_state((numpy["kind"], numpy["keys"].numpy().astype(np.uint32),
                         numpy["position"], numpy["has_gauss"], numpy["cached"]))
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _restore_best_scores(net, X, y):
    """Let scoring callbacks see the loaded history, as after an uninterrupted fit."""
    for _, callback in net.callbacks_:
        if isinstance(callback, ScoringBase):
            callback.on_train_begin(net, X=X, y=y)
        elif isinstance(callback, PassthroughScoring):
            scores = [row[callback.name] for row in net.history if callback.name in row]
            if scores and callback.lower_is_better is not None:
                best = min(scores) if callback.lower_is_better else max(scores)
                callback.best_score_ = best
