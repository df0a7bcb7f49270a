"""A checkpointed fit that can SIGKILL itself, run by test_checkpoint.py.

``python _checkpoint_worker.py DIRNAME OUT.npz [--kill-in-epoch E | --kill-while-saving E]``
fits a tiny ContrastivePretrainer (augmentations and shuffling draw random numbers)
with ``TrainingCheckpoint(DIRNAME)``; it kills its own process with SIGKILL in the
middle of epoch E (after its second batch), or after writing the first file of
epoch E's checkpoint. Without a kill option it writes the final weights to OUT.npz.
"""

import argparse
import os
import signal

import numpy as np
import torch
from skorch.callbacks import Callback

from sklearn_ecgmcg import ContrastivePretrainer
from sklearn_ecgmcg.callbacks import TrainingCheckpoint

MAX_EPOCHS = 4


def make_data():
    return np.random.default_rng(0).standard_normal((48, 2, 64)).astype(np.float32)


def make_pretrainer(callbacks):
    return ContrastivePretrainer(
        encoder="resnet1d", encoder_params={"width": 4, "blocks": (1,)}, embedding_dim=4,
        max_epochs=MAX_EPOCHS, batch_size=16, device="cpu", random_state=0, callbacks=callbacks,
    )


class KillInEpoch(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_end(self, net, **kwargs):
        batches = net.history[-1, "batches"]
        if len(net.history) == self.epoch and len(batches) == 2:
            os.kill(os.getpid(), signal.SIGKILL)


class KillWhileSaving(TrainingCheckpoint):
    def __init__(self, dirname, every=1, kill_epoch=None):
        super().__init__(dirname, every)
        self.kill_epoch = kill_epoch

    def _write(self, net, directory):
        net.save_params(f_params=directory / "params.pt")
        if len(net.history) == self.kill_epoch:
            os.kill(os.getpid(), signal.SIGKILL)
        super()._write(net, directory)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dirname")
    parser.add_argument("out")
    parser.add_argument("--kill-in-epoch", type=int)
    parser.add_argument("--kill-while-saving", type=int)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.kill_while_saving:
        callbacks = [KillWhileSaving(args.dirname, kill_epoch=args.kill_while_saving)]
    else:
        callbacks = [TrainingCheckpoint(args.dirname)]
        if args.kill_in_epoch:
            callbacks.append(KillInEpoch(args.kill_in_epoch))
    pretrainer = make_pretrainer(callbacks).fit(make_data())
    state = pretrainer.net_.module_.state_dict()
    np.savez(args.out, loss_curve=pretrainer.loss_curve_,
             resumed_from=next(callback.resumed_from_ for _, callback in
                               pretrainer.net_.callbacks_
                               if isinstance(callback, TrainingCheckpoint)),
             **{key: value.numpy() for key, value in state.items()})


if __name__ == "__main__":
    main()
