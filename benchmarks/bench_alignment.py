"""Quality and speed of CrossModalAligner (stage 2).

Retrieval (``--part sim-shielded``, ``sim-unshielded``, ``ptbxl``): subject-disjoint
``GroupKFold`` (``--folds``, default 3). On each fold every method is fitted on the
training pairs and embeds the test ECG and MCG; the table gives top-1 / top-5 retrieval
in both directions, beat-level (is the true pair retrieved) and subject-level (is a
beat of the same subject retrieved), cosine similarity, mean +- std over folds.

Methods
- ``CCA`` / ``PLSCanonical`` (sklearn, ``--n-components``, default 8) on flattened
  beats, each feature standardised (``StandardScaler``). With more features than
  training pairs, plain CCA is degenerate, so ``PCA+CCA`` (``--pca`` components per
  modality first, whitened) is given as well: the linear baseline a user would pick.
- ``aligner untrained``: ``CrossModalAligner(max_epochs=0)``: random towers (chance).
- ``aligner``: fresh ResNet1d towers (``width=8``), embedding 32, symmetric InfoNCE at
  T = 0.1, ``--epochs`` (100) epochs, batch 64, AdamW lr 3e-3 (tuned on fold 1 of
  the shielded data: 15 epochs at lr 1e-3 gave a third of the accuracy).
- ``aligner + local``: ``local_weight=1`` (P / QRS / ST-T window loss).
- ``aligner + stage 1``: ECG tower initialised from a ``ContrastivePretrainer``
  (SimCLR) and fine-tuned. On the simulated data the pretrainer is fitted once, on
  real ECG beats of PTB-XL (``../shared/data/ptbxl``, all 434 records; no simulated
  subject is in it), and passed as ``FrozenEstimator``. On the PTB-XL semi-synthetic
  data it is passed unfitted, so each fold pretrains on its own training ECG only.
- ``aligner + stage 1 + local``: both.
- ``aligner + stage 1 frozen`` (on request): the same with ``freeze_ecg=True``.
- ``aligner (spatial towers)``: linear ``"spatial"`` towers (8 virtual leads per
  modality), linear projection heads, embedding 128, T = 0.02.

Data
- ``sim-*``: ``make_paired_beats`` (``--subjects`` x ``--beats``, 12-lead ECG, 6x6
  MCG magnetometers, ``noise="shielded"`` or ``"unshielded"``) at ``--sfreq`` Hz
  (default 250: beat content is < 40 Hz and this halves the cost on two cores), with
  the simulator's default source, the equivalent double layer (physics v2);
  ``--source dipole`` reruns the single moving dipole of physics v1 (its results go to
  sections of their own, ``sim-*-dipole``).
  Raw beats by default; ``--lowpass 40`` low-passes every method's beats (a section
  of its own, ``sim-*-lowpass40``).
- ``ptbxl``: semi-synthetic pairs: the 500 Hz PTB-XL records (first ``--records``),
  band-passed 0.5-40 Hz, resampled to ``--sfreq``, MCG simulated from each ECG with
  ``mcg_from_ecg`` (shielded noise), beats cut at the ECG's R peaks by
  ``segment_beats`` (ECG and MCG at the same instants). Subject = PTB-XL patient id.
  ``--source`` picks the source ``mcg_from_ecg`` fits as well.

Speed (``--part speed``): ``CrossModalAligner.fit`` throughput (training pairs per
second) against a plain PyTorch loop with the same towers (per-channel scaling,
ResNet1d encoders, projection heads), loss, batch size, AdamW settings and epochs,
alternating in one run, median of ``--repeats``. The aligner's time is its whole
``fit`` (validation, standardisation statistics, skorch loop and the batch-norm
recalibration pass); the per-epoch time from skorch's history is given too.

Run ``python benchmarks/bench_alignment.py --part PART``; prints the table and writes
it into its section of ``benchmarks/results/alignment.md``. Torch runs on
``--threads`` threads (default 1: on two shared cores, two threads of tiny
convolutions were up to 100x slower than one).
"""

import argparse
import datetime
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.signal import resample_poly
from sklearn.cross_decomposition import CCA, PLSCanonical
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from sklearn_ecgmcg import ContrastivePretrainer, CrossModalAligner
from sklearn_ecgmcg.alignment._inputs import channel_stats as _channel_stats
from sklearn_ecgmcg.nn import Standardize
from sklearn_ecgmcg.datasets import load_ptbxl, make_paired_beats, mcg_from_ecg
from sklearn_ecgmcg.metrics import retrieval_report
from sklearn_ecgmcg.nn import ProjectionHead, clip_loss, make_encoder
from sklearn_ecgmcg.preprocessing import BandpassFilter, segment_beats

RESULTS = Path(__file__).parent / "results" / "alignment.md"
SOURCES = {
    "double_layer": "equivalent double layer (physics v2, the default)",
    "dipole": "one moving dipole (physics v1)",
}
PTBXL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ptbxl"
ENCODER = {"width": 8}
COLUMNS = [
    ("ecg_to_mcg_top1", "E->M top1"), ("ecg_to_mcg_top5", "E->M top5"),
    ("mcg_to_ecg_top1", "M->E top1"), ("mcg_to_ecg_top5", "M->E top5"),
    ("ecg_to_mcg_subject_top1", "E->M subj top1"), ("ecg_to_mcg_subject_top5", "E->M subj top5"),
    ("mcg_to_ecg_subject_top1", "M->E subj top1"), ("mcg_to_ecg_subject_top5", "M->E subj top5"),
]


# ------------------------------------------------------------------- data
def resample(signals, sfreq, new_sfreq):
    if new_sfreq == sfreq:
        return signals.astype(np.float32)
    return resample_poly(signals, int(new_sfreq), int(sfreq), axis=-1).astype(np.float32)


def simulated(noise, args):
    data = make_paired_beats(
        args.subjects, args.beats, sfreq=args.sfreq, noise=noise, source=args.source,
        random_state=args.seed,
    )
    ecg, mcg = data.ecg.astype(np.float32), data.mcg.astype(np.float32)
    if args.lowpass:  # beats are too short for a high-pass
        lowpass = BandpassFilter(l_freq=None, h_freq=args.lowpass, sfreq=args.sfreq)
        ecg, mcg = lowpass.fit_transform(ecg), lowpass.fit_transform(mcg)
    return ecg, mcg, data.groups


def ptbxl_beats(args, with_mcg):
    """Band-passed PTB-XL beats (and simulated MCG) at ``args.sfreq``, patient ids.

    The records are resampled before cutting, so beats have the simulator's length.
    """
    data = load_ptbxl(args.ptbxl, 500)
    n_records = min(args.records, len(data.ecg)) if with_mcg else len(data.ecg)
    ecg = BandpassFilter(l_freq=0.5, h_freq=40, sfreq=500).fit_transform(data.ecg[:n_records])
    ecg = resample(ecg, 500, args.sfreq)
    mcg = None
    if with_mcg:
        mcg = mcg_from_ecg(
            ecg, args.sfreq, data.ch_names, source=args.source, random_state=args.seed
        ).mcg
    beats = segment_beats(ecg, mcg, sfreq=args.sfreq)
    groups = data.groups[:n_records][beats.groups]
    mcg_beats = beats.y.astype(np.float32) if with_mcg else None
    return beats.X.astype(np.float32), mcg_beats, groups


# ---------------------------------------------------------------- methods
# Linear towers: 8 virtual leads per modality, linear heads (tuned on fold 1, shielded:
# 4 leads / embedding 32 / MLP head / T = 0.1 were worse).
SPATIAL = {
    "ecg_encoder": "spatial", "mcg_encoder": "spatial", "projection_head": "linear",
    "ecg_encoder_params": {"n_components": 8}, "mcg_encoder_params": {"n_components": 8},
    "embedding_dim": 128, "temperature": 0.02,
}


# CrossModalAligner's configuration before issue 19 (its defaults are now the
# "conditioned" time-resolved towers): ResNet towers, MLP heads, the pooled latent.
RESNET_TOWERS = {
    "ecg_encoder": "resnet1d", "mcg_encoder": "resnet1d", "projection_head": "mlp",
    "latent": "pooled", "reconstruction_weight": 0.0,
}


def aligner(args, **params):
    settings = {
        **RESNET_TOWERS,
        "ecg_encoder_params": ENCODER, "mcg_encoder_params": ENCODER,
        "embedding_dim": args.embedding_dim, "max_epochs": args.epochs,
        "batch_size": args.batch_size, "lr": args.lr, "sfreq": float(args.sfreq),
        "device": "cpu", "random_state": args.seed,
    }
    return CrossModalAligner(**{**settings, **params})


def pretrainer(args):
    return ContrastivePretrainer(
        encoder_params=ENCODER, embedding_dim=args.embedding_dim,
        max_epochs=args.pretrain_epochs, batch_size=128, device="cpu", random_state=args.seed,
    )


def flat(signals):
    return signals.reshape(len(signals), -1)


class LinearPair:
    """Scaler (+ PCA) per modality, then a sklearn cross-decomposition model."""

    def __init__(self, model, pca=None):
        self.model, self.pca = model, pca

    def _prep(self, n_components):
        steps = [StandardScaler()]
        if n_components:
            steps.append(PCA(n_components, whiten=True, random_state=0))
        return make_pipeline(*steps)

    def fit(self, X, y):
        self.x_, self.y_ = self._prep(self.pca), self._prep(self.pca)
        self.model.fit(self.x_.fit_transform(flat(X)), self.y_.fit_transform(flat(y)))
        return self

    def transform(self, X, y):
        return self.model.transform(self.x_.transform(flat(X)), self.y_.transform(flat(y)))


def methods(args, stage1):
    k = args.n_components
    table = {
        "CCA": lambda: LinearPair(CCA(k, max_iter=1000)),
        f"PCA({args.pca})+CCA": lambda: LinearPair(CCA(k, max_iter=1000), args.pca),
        "PLSCanonical": lambda: LinearPair(PLSCanonical(k, max_iter=1000)),
        "aligner untrained": lambda: aligner(args, max_epochs=0),
        "aligner": lambda: aligner(args),
        "aligner + local": lambda: aligner(args, local_weight=1.0),
        "aligner + stage 1": lambda: aligner(args, ecg_encoder=stage1()),
        "aligner + stage 1 + local": lambda: aligner(args, ecg_encoder=stage1(), local_weight=1.0),
        "aligner + stage 1 frozen": lambda: aligner(args, ecg_encoder=stage1(), freeze_ecg=True),
        "aligner (spatial towers)": lambda: aligner(args, **SPATIAL),
    }
    # The frozen stage-1 tower is a variant; on request only.
    optional = ("aligner + stage 1 frozen",)
    chosen = args.methods.split(",") if args.methods else [m for m in table if m not in optional]
    return {name: table[name] for name in chosen}


def retrieval(args, X, Y, groups, stage1):
    folds = list(GroupKFold(args.folds).split(X, Y, groups))
    rows, seconds = {}, {}
    for name, make in methods(args, stage1).items():
        reports, start = [], time.perf_counter()
        for train, test in folds:
            z_ecg, z_mcg = make().fit(X[train], Y[train]).transform(X[test], Y[test])
            reports.append(retrieval_report(z_ecg, z_mcg, groups[test], ks=(1, 5)))
        seconds[name] = (time.perf_counter() - start) / len(folds)
        rows[name] = {key: [r[key] for r in reports] for key, _ in COLUMNS}
        print(f"{name:28s}", "  ".join(f"{np.mean(rows[name][key]):.3f}" for key, _ in COLUMNS),
              f"{seconds[name]:.0f}s/fold", flush=True)
    n_test = len(X) // args.folds
    lines = [
        f"{len(X)} pairs, {len(np.unique(groups))} subjects, ECG {X.shape[1:]}, MCG "
        f"{Y.shape[1:]}, {args.folds}-fold GroupKFold (~{n_test} test pairs: beat-level chance "
        f"top-1 ~{1 / n_test:.4f}).",
        "",
        "| method | " + " | ".join(title for _, title in COLUMNS) + " | fit s/fold |",
        "|---" * (len(COLUMNS) + 2) + "|",
    ]
    for name, row in rows.items():
        cells = [f"{np.mean(row[key]):.3f} ± {np.std(row[key]):.3f}" for key, _ in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {seconds[name]:.0f} |")
    return lines


# ------------------------------------------------------------------ speed
def plain_torch_fit(X, Y, args):
    """The reference loop: same towers, loss and optimizer, no skorch."""
    torch.manual_seed(args.seed)

    def tower(signals):
        mean, scale = _channel_stats(signals)
        encoder = make_encoder("resnet1d", signals.shape[1], signals.shape[2],
                               args.embedding_dim, ENCODER)
        head = ProjectionHead(args.embedding_dim, args.embedding_dim)
        return nn.Sequential(Standardize(mean, scale), encoder, head)

    ecg_tower, mcg_tower = tower(X), tower(Y)
    params = list(ecg_tower.parameters()) + list(mcg_tower.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)),
                        batch_size=args.batch_size, shuffle=True, drop_last=True)
    ecg_tower.train(), mcg_tower.train()
    for _ in range(args.epochs):
        for ecg, mcg in loader:
            optimizer.zero_grad()
            loss = clip_loss(ecg_tower(ecg), mcg_tower(mcg), 0.1)
            loss.backward()
            optimizer.step()


def speed(args, X, Y):
    times = {"CrossModalAligner.fit": [], "plain PyTorch loop": [], "skorch epochs only": []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        fitted = aligner(args).fit(X, Y)
        times["CrossModalAligner.fit"].append(time.perf_counter() - start)
        times["skorch epochs only"].append(sum(fitted.history_[:, "dur"]))
        start = time.perf_counter()
        plain_torch_fit(X, Y, args)
        times["plain PyTorch loop"].append(time.perf_counter() - start)
    n_pairs = args.epochs * (len(X) // args.batch_size) * args.batch_size
    rate = {name: n_pairs / np.median(t) for name, t in times.items()}
    reference = rate["plain PyTorch loop"]
    lines = [
        f"{len(X)} pairs, ECG {X.shape[1:]}, MCG {Y.shape[1:]}, ResNet1d width 8 towers, "
        f"batch {args.batch_size}, {args.epochs} epochs, median of {args.repeats}.",
        "",
        "| fit | pairs/s | ratio to plain loop |",
        "|---|---|---|",
    ]
    for name, value in rate.items():
        lines.append(f"| {name} | {value:.0f} | {value / reference:.2f} |")
        print(f"{name:24s} {value:8.0f} pairs/s  ratio {value / reference:.2f}", flush=True)
    return lines


# ---------------------------------------------------------------- output
def write_section(part, lines, args):
    header = [
        f"## {part}",
        "",
        f"{datetime.date.today()}, {platform.machine()} with 2 CPU cores (shared), torch "
        f"{torch.__version__} on {args.threads} thread(s). Simulated source: "
        f"{SOURCES[args.source]}. Command: "
        f"`python benchmarks/bench_alignment.py {' '.join(sys.argv[1:])}`",
        "",
    ]
    body = "\n".join(header + lines) + "\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# CrossModalAligner benchmarks\n\n"
    pattern = re.compile(rf"<!-- {part} -->.*?<!-- /{part} -->\n", re.S)
    block = f"<!-- {part} -->\n{body}<!-- /{part} -->\n"
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text + "\n" + block
    RESULTS.write_text(text)
    print(f"wrote {RESULTS}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", required=True,
                        choices=["sim-shielded", "sim-unshielded", "ptbxl", "speed"])
    parser.add_argument("--ptbxl", default=str(PTBXL))
    parser.add_argument("--subjects", type=int, default=30)
    parser.add_argument("--beats", type=int, default=20)
    parser.add_argument("--records", type=int, default=150)
    parser.add_argument("--sfreq", type=int, default=250)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--n-components", type=int, default=8)
    parser.add_argument("--pca", type=int, default=32)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--pretrain-epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", default="", help="comma-separated subset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--source", choices=list(SOURCES), default="double_layer",
                        help="simulated source (make_paired_beats, mcg_from_ecg)")
    parser.add_argument("--lowpass", type=float, default=None,
                        help="low-pass the simulated beats of every method at this many Hz "
                             "(results go to their own section)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if args.part == "speed":
        X, Y, _ = simulated("shielded", args)
        return write_section(args.part, speed(args, X, Y), args)
    if args.part == "ptbxl":
        X, Y, groups = ptbxl_beats(args, with_mcg=True)

        def stage1():  # unfitted: each fold pretrains on its own training ECG
            return pretrainer(args)
    else:
        X, Y, groups = simulated(args.part.split("-")[1], args)
        fitted_stage1 = []

        def stage1():  # fitted once on real PTB-XL ECG beats, reused by every fold
            if not fitted_stage1:
                ecg, _, _ = ptbxl_beats(args, with_mcg=False)
                fitted_stage1.append(pretrainer(args).fit(ecg))
            return FrozenEstimator(fitted_stage1[0])
    section = args.part + ("-dipole" if args.source == "dipole" else "")
    section += f"-lowpass{args.lowpass:g}" if args.lowpass else ""
    write_section(section, retrieval(args, X, Y, groups, stage1), args)


if __name__ == "__main__":
    main()
