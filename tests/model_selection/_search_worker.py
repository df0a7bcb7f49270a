"""One Optuna worker process on a shared study, run by test_distributed_search.py.

``python _search_worker.py STORAGE STUDY N_FINISHED [--heartbeat S]`` opens the study
with :func:`sklearn_ecgmcg.model_selection.open_study` and runs trials until the study
holds N_FINISHED complete or pruned trials. Each trial fits a tiny CrossModalAligner
whose learning rate is searched, reports its training loss every epoch through
optuna-integration's SkorchPruningCallback, and records this process's id.
"""

import argparse
import os

import numpy as np
import optuna
import torch
from optuna.trial import TrialState
from optuna_integration import SkorchPruningCallback

from sklearn_ecgmcg import CrossModalAligner
from sklearn_ecgmcg.model_selection import open_study

TINY = {"width": 4, "blocks": (1,)}
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def make_pruner():
    return optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1)


def objective(trial):
    lr = trial.suggest_float("lr", 1e-7, 3e-2, log=True)
    trial.set_user_attr("pid", os.getpid())
    rng = np.random.default_rng(0)
    ecg = rng.standard_normal((32, 2, 64)).astype(np.float32)
    mcg = (ecg[:, ::-1] + 0.1 * rng.standard_normal(ecg.shape)).astype(np.float32)
    aligner = CrossModalAligner(
        "resnet1d", "resnet1d", ecg_encoder_params=TINY, mcg_encoder_params=TINY,
        projection_head="mlp", latent="pooled", reconstruction_weight=0.0,
        embedding_dim=4, sfreq=100.0,
        max_epochs=3, batch_size=16, lr=lr, device="cpu", random_state=0,
        callbacks=[SkorchPruningCallback(trial, monitor="train_loss")],
    ).fit(ecg, mcg)
    return aligner.loss_curve_[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("storage")
    parser.add_argument("study")
    parser.add_argument("n_finished", type=int)
    parser.add_argument("--heartbeat", type=int, default=60)
    args = parser.parse_args()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(args.study, args.storage, pruner=make_pruner(),
                       sampler=optuna.samplers.TPESampler(seed=os.getpid()),
                       heartbeat_interval=args.heartbeat)
    stop = optuna.study.MaxTrialsCallback(args.n_finished, states=FINISHED)
    study.optimize(objective, n_trials=args.n_finished, callbacks=[stop])


if __name__ == "__main__":
    main()
