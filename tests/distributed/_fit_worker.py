"""One rank of a data-parallel fit, launched by test_data_parallel.py.

``python _fit_worker.py OUT_DIR [--projector-only]`` fits three tiny estimators (and
three objective variants) on this process, or on N processes under ``torchrun
--nproc-per-node N``, and writes each rank's parameters and loss curves to
``OUT_DIR/rank<r>.npz``. Every rank uses the same data. ``--projector-only`` fits the
regression MLP alone (the one-process reference).
"""

import os
import sys

import numpy as np
import torch

from sklearn_ecgmcg import ContrastivePretrainer, CrossModalAligner, LatentProjector
from sklearn_ecgmcg.callbacks import TrainingCheckpoint

TINY = {"width": 4, "blocks": (1,)}


def flat_parameters(module):
    return np.concatenate([p.detach().cpu().numpy().ravel() for p in module.parameters()])


def main(out_dir, projector_only=False):
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    latents = rng.standard_normal((64, 6)).astype(np.float32)
    targets = np.tanh(latents @ rng.standard_normal((6, 10))).astype(np.float32)
    signals = rng.standard_normal((32, 2, 64)).astype(np.float32)
    common = {"device": "cpu", "random_state": 0, "batch_size": 16}
    projector = LatentProjector(
        decoder="mlp", hidden_dim=16, max_epochs=6, lr=1e-2, **common
    ).fit(latents, targets)
    rank = int(os.environ.get("RANK", "0"))
    path = os.path.join(out_dir, f"rank{rank}.npz")
    if projector_only:
        np.savez(path, projector=flat_parameters(projector.net_.module_),
                 projector_loss=np.asarray(projector.loss_curve_))
        return
    pretrainer = ContrastivePretrainer(
        encoder="resnet1d", encoder_params=TINY, embedding_dim=4, max_epochs=3, **common
    ).fit(signals)
    aligner = CrossModalAligner(
        "resnet1d", "resnet1d", ecg_encoder_params=TINY, mcg_encoder_params=TINY,
        projection_head="mlp", latent="pooled", reconstruction_weight=0.0,
        embedding_dim=4, sfreq=100.0, learn_temperature=True, max_epochs=3, **common,
    ).fit(signals, signals[:, ::-1].copy())
    # Objectives with their own sampler, masks, local windows and a decoder head.
    variants = [
        ContrastivePretrainer("masked", encoder="resnet1d", encoder_params=TINY,
                              embedding_dim=4, max_epochs=1, **common).fit(signals),
        ContrastivePretrainer("patient", encoder="resnet1d", encoder_params=TINY,
                              embedding_dim=4, max_epochs=1, **common
                              ).fit(signals, groups=np.arange(32) // 4),
        CrossModalAligner(
            "resnet1d", "resnet1d", ecg_encoder_params=TINY, mcg_encoder_params=TINY,
            projection_head="mlp", latent="pooled",
            embedding_dim=4, sfreq=100.0, tmin=-0.1, local_weight=0.5,
            reconstruction_weight=0.5, max_epochs=1, **common,
        ).fit(signals, signals[:, ::-1].copy()),
    ]
    # Checkpointed by rank 0, then the same fit again: every rank loads the last one.
    checkpointed = [
        LatentProjector(decoder="mlp", hidden_dim=16, max_epochs=6, lr=1e-2, **common,
                        callbacks=[TrainingCheckpoint(os.path.join(out_dir, "checkpoints"))]
                        ).fit(latents, targets)
        for _ in range(2)
    ]
    resumed = [next(cb.resumed_from_ for _, cb in fitted.net_.callbacks_
                    if isinstance(cb, TrainingCheckpoint)) for fitted in checkpointed]
    np.savez(
        path,
        checkpoint_resumed_from=np.asarray(resumed),
        checkpoint_resumed=flat_parameters(checkpointed[1].net_.module_),
        projector=flat_parameters(projector.net_.module_),
        projector_loss=np.asarray(projector.loss_curve_),
        pretrainer=flat_parameters(pretrainer.net_.module_),
        pretrainer_loss=np.asarray(pretrainer.loss_curve_),
        aligner=np.concatenate([flat_parameters(aligner.net_.module_),
                                flat_parameters(aligner.net_.criterion_)]),
        aligner_loss=np.asarray(aligner.loss_curve_),
        variants=np.concatenate([flat_parameters(v.net_.module_) for v in variants]),
    )


if __name__ == "__main__":
    main(sys.argv[1], projector_only="--projector-only" in sys.argv[2:])
