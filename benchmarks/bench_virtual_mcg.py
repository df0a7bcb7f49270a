"""Virtual MCG from ECG on held-out subjects, and whether alignment helps ECG diagnosis.

Data: SIMULATED paired beats (``make_paired_beats``, shielded noise, the seven
conditions in turn), split by subject: the first ``--train`` subjects train, the
others test. Everything is fitted on the training subjects only.

Part 1, virtual MCG (noisy test ECG in, MCG out), scored against the test subjects'
*clean* MCG (the field a perfect model would give) and their measured (noisy) MCG:

The beats are low-passed at 40 Hz (``--l-freq`` adds a high-pass; single beats are
too short for one, which bends the waves) and each beat's baseline is removed
(``BaselineCorrector``), for every model below unless a row says otherwise.

- the time-resolved pipeline: ``Pipeline(BandpassFilter, BaselineCorrector,
  CrossModalAligner("spatial", "spatial", latent="temporal", --sources virtual
  leads), LatentProjector)``, whose projector decodes each time step with one map;
  and the same with untrained towers (``max_epochs=0``, random virtual leads);
- the pipeline with a stage-1 encoder: ``Pipeline(BandpassFilter, CrossModalAligner(ecg_encoder=
  FrozenEstimator(stage-1 ContrastivePretrainer)), LatentProjector)``, with the MLP
  decoder and the ridge decoder (the default, refitted on the same latents);
- the same pipeline with ``CrossModalAligner(reconstruction_weight=...)`` (an
  auxiliary linear decoder from the ECG latent to the standardised MCG, trained
  jointly with InfoNCE) and the ridge projector;
- the same with linear ``"spatial"`` towers (no stage 1; settings of
  ``bench_alignment.py``);
- ridge regression (``RidgeCV``) and PLS regression (``PLSRegression``) on the
  flattened filtered ECG -> flattened MCG: what a user would otherwise pick;
  ``RidgeCV`` picks alpha by leave-one-beat-out, which keeps the other beats of the
  held-out beat's subject in training, so ridge is also given with alpha picked by a
  subject-disjoint ``GroupKFold(5)`` on the training subjects (on the double layer
  the two differ by two decades of alpha);
- PCA to ``embedding_dim`` components then ``RidgeCV``: a linear bottleneck of the
  latent's size, which tells whether the latent's size or its content limits the
  pipeline;
- a time-shared channel map: one least-squares map from the ECG channels to the MCG
  channels for every training subject and time sample (the physics' form: both are
  linear in the heart dipole), with and without the baseline correction, and through
  the top ``--sources`` spatial principal components of the ECG (the linear
  counterpart of the time-resolved latent);
- the physics ceiling: for each test subject, a least-squares linear map from its
  clean ECG channels to its clean MCG channels over all its time samples, fitted and
  evaluated on those same clean signals (an oracle, not a model).

Metrics: R² over all channels and samples (variance-weighted against clean MCG, and
uniform against measured MCG, which is ``Pipeline.score``), and the field-map angle
error at the R and T peaks (``field_map_angle_error``, peaks found on the clean MCG).

Part 2, does alignment help ECG-only diagnosis? A linear probe
(``StandardScaler + LogisticRegression``) on ECG-only features of the training
subjects, one-vs-rest AUROC on the test subjects, for: the aligned ECG latent
(stage 1 + stage 2, with and without the reconstruction loss), the stage-1-only
latent (the same pretrainer, before alignment), the spatial towers' latent, and the
raw filtered ECG
(flattened).

Part 3: top-1 ECG -> MCG retrieval (``CrossModalAligner.score``) on the test pairs,
with and without the reconstruction loss, to check it does not undo the alignment.

Stage 1 is pretrained on the ECG of the training subjects plus ``--unpaired``
extra simulated subjects whose MCG is never used.

The simulator's default source, the equivalent double layer (physics v2), is what
is measured; ``--source dipole`` reruns the single moving dipole of physics v1.

Run ``python benchmarks/bench_virtual_mcg.py [--subjects 84] [--train 56] [--beats 8]
[--sfreq 125] [--epochs 30] [--embedding-dim 64] [--width 8] [--stages 2]
[--reconstruction-weight 1.0] [--source double_layer] [--threads 2] [--out virtual_mcg.md]``;
prints the tables and writes them to ``benchmarks/results/<out>``, keeping whatever
follows the line ``<!-- earlier results: kept by bench_virtual_mcg.py -->`` there.
"""

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ecgmcg import ContrastivePretrainer, CrossModalAligner, LatentProjector
from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.metrics import field_map_angle_error, virtual_mcg_r2
from sklearn_ecgmcg.preprocessing import BandpassFilter, BaselineCorrector

from bench_alignment import RESNET_TOWERS
from bench_alignment import SPATIAL as SPATIAL_TOWERS  # the retrieval benchmark's settings

CONDITIONS = ["normal", "anterior_mi", "inferior_mi", "lbbb", "rbbb", "lvh", "ischemia"]
SOURCES = {
    "double_layer": "equivalent double layer, physics v2 (the default)",
    "dipole": "one moving dipole, physics v1",
}
KEEP = "<!-- earlier results: kept by bench_virtual_mcg.py -->"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=84)
    parser.add_argument("--train", type=int, default=56, help="training subjects")
    parser.add_argument("--unpaired", type=int, default=56, help="extra ECG-only subjects")
    parser.add_argument("--beats", type=int, default=8, help="beats per subject")
    parser.add_argument("--sfreq", type=float, default=125.0)
    parser.add_argument("--epochs", type=int, default=30, help="stage 1 and 2 epochs")
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--width", type=int, default=8, help="ResNet1d width (both towers)")
    parser.add_argument("--stages", type=int, default=2, help="ResNet1d stages of one block")
    parser.add_argument("--pls-components", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--reconstruction-weight", type=float, default=1.0,
                        help="reconstruction_weight of the second pipeline's aligner")
    parser.add_argument("--l-freq", type=float, default=None,
                        help="high-pass cut-off of the beat filter; none by default: single "
                             "beats are too short for a high-pass (BandpassFilter warns)")
    parser.add_argument("--sources", type=int, default=3,
                        help="virtual leads of the time-resolved (latent='temporal') pipeline")
    parser.add_argument("--source", choices=list(SOURCES), default="double_layer",
                        help="make_paired_beats source")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--out", default="virtual_mcg.md", help="file name in results/")
    return parser.parse_args()


class Timer:
    """Wall and process CPU time of each step (CPU time is what an idle machine would see)."""

    def __init__(self):
        self.times = {}
        self.cpu_times = {}

    def run(self, name, func):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = func()
        self.times[name] = time.perf_counter() - start
        self.cpu_times[name] = time.process_time() - cpu_start
        wall, cpu = self.times[name], self.cpu_times[name]
        print(f"  {name}: {wall:.0f} s wall, {cpu:.0f} s CPU", flush=True)
        return result


class TimeSharedChannelMap:
    """Least-squares map from ECG channels to MCG channels, one for all subjects and
    time samples, around the mean training beats: the physics' form (both are linear
    in the dipole) with the subjects' geometry averaged out. With ``n_components``,
    through the top spatial principal components of the training ECG only (a linear
    bottleneck the size of the aligner's virtual leads)."""

    def __init__(self, n_components=None):
        self.n_components = n_components

    def fit(self, ecg, mcg):
        self.ecg_mean_, self.mcg_mean_ = ecg.mean(axis=0), mcg.mean(axis=0)
        rows = _by_sample(ecg - self.ecg_mean_)
        self.spatial_ = np.eye(rows.shape[1])
        if self.n_components is not None:
            self.spatial_ = np.linalg.svd(rows, full_matrices=False)[2][: self.n_components].T
        self.weights_ = np.linalg.lstsq(
            rows @ self.spatial_, _by_sample(mcg - self.mcg_mean_), rcond=None
        )[0]
        return self

    def predict(self, ecg):
        rows = _by_sample(ecg - self.ecg_mean_) @ self.spatial_ @ self.weights_
        return rows.reshape(len(ecg), -1, rows.shape[1]).transpose(0, 2, 1) + self.mcg_mean_


def _by_sample(signals):
    """(n, channels, times) -> (n * times, channels)."""
    return signals.transpose(0, 2, 1).reshape(-1, signals.shape[1])


def physics_ceiling(ecg_clean, mcg_clean, groups):
    """Per-subject least-squares ECG-channels -> MCG-channels map, on its own clean data."""
    predicted = np.empty_like(mcg_clean)
    for subject in np.unique(groups):
        rows = groups == subject
        ecg, mcg = _by_sample(ecg_clean[rows]), _by_sample(mcg_clean[rows])
        design = np.column_stack([ecg, np.ones(len(ecg))])
        weights = np.linalg.lstsq(design, mcg, rcond=None)[0]
        fitted = (design @ weights).reshape(rows.sum(), -1, mcg_clean.shape[1])
        predicted[rows] = fitted.transpose(0, 2, 1)
    return predicted


def virtual_mcg_row(name, predicted, test, data, fit_time):
    clean, measured = data.mcg_clean[test], data.mcg[test]
    positions, sfreq = data.sensor_positions, data.sfreq
    angle_t = field_map_angle_error(clean, predicted, positions, latency="t_peak", sfreq=sfreq)
    return (
        f"| {name} | {virtual_mcg_r2(clean, predicted, multioutput='variance_weighted'):.3f} | "
        + (f"{virtual_mcg_r2(measured, predicted):.3f}" if fit_time is not None else "–")
        + f" | {field_map_angle_error(clean, predicted, positions, latency='r_peak'):.1f} | "
        f"{angle_t:.1f} | "
        + (f"{fit_time:.0f}" if fit_time is not None else "–")
        + " |"
    )


def probe_rows(features, target, train, test, target_names):
    """One-vs-rest AUROC of a logistic probe, per feature set: ischemia and macro mean."""
    ischemia = list(target_names).index("ischemia")
    rows = []
    for name, X in features.items():
        X = X.reshape(len(X), -1)
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        proba = probe.fit(X[train], target[train]).predict_proba(X[test])
        classes = list(probe.classes_)
        aucs = [
            roc_auc_score(target[test] == c, proba[:, classes.index(c)]) for c in classes
        ]
        rows.append(
            f"| {name} | {X.shape[1]} | {aucs[classes.index(ischemia)]:.3f} | "
            f"{np.mean(aucs):.3f} | "
            + ", ".join(f"{target_names[c]} {a:.2f}" for c, a in zip(classes, aucs))
            + " |"
        )
    return rows


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    timer = Timer()
    data = make_paired_beats(
        n_subjects=args.subjects, beats_per_subject=args.beats, sfreq=args.sfreq,
        noise="shielded", conditions=CONDITIONS, source=args.source, random_state=0,
    )
    unpaired = make_paired_beats(
        n_subjects=args.unpaired, beats_per_subject=args.beats, sfreq=args.sfreq,
        noise="shielded", conditions=CONDITIONS, source=args.source, random_state=1,
    ).ecg
    train = data.groups < args.train
    test = ~train
    bandpass = BandpassFilter(l_freq=args.l_freq, h_freq=40.0, sfreq=args.sfreq)
    baseline = BaselineCorrector(sfreq=args.sfreq)
    lowpassed = bandpass.fit_transform(data.ecg)
    ecg = baseline.fit_transform(lowpassed)
    n_train, n_test = int(train.sum()), int(test.sum())
    print(f"{n_train} training beats, {n_test} test beats, ECG {data.ecg.shape[1:]}, "
          f"MCG {data.mcg.shape[1:]}", flush=True)

    common = {"batch_size": 32, "device": "cpu", "random_state": 0}
    encoder = {"width": args.width, "blocks": (1,) * args.stages}
    pretrainer = ContrastivePretrainer(
        encoder_params=encoder, embedding_dim=args.embedding_dim, max_epochs=args.epochs,
        **common,
    )
    stage1_ecg = np.concatenate([ecg[train], baseline.transform(bandpass.transform(unpaired))])
    timer.run("stage 1 (ContrastivePretrainer)", lambda: pretrainer.fit(stage1_ecg))
    def aligner(**params):
        return CrossModalAligner(**{
            **RESNET_TOWERS, "lr": 1e-3,
            "ecg_encoder": FrozenEstimator(pretrainer), "mcg_encoder_params": encoder,
            "embedding_dim": args.embedding_dim, "max_epochs": args.epochs,
            "sfreq": args.sfreq, **common, **params,
        })

    pipe = Pipeline([
        ("bandpass", bandpass),
        ("baseline", baseline),
        ("align", aligner()),
        ("project", LatentProjector(decoder="mlp", random_state=0)),
    ])
    timer.run("stages 2+3 (pipeline fit)", lambda: pipe.fit(data.ecg[train], data.mcg[train]))
    weight = args.reconstruction_weight
    recon_pipe = Pipeline([
        ("bandpass", bandpass),
        ("baseline", baseline),
        ("align", aligner(reconstruction_weight=weight)),
        ("project", LatentProjector(decoder="linear")),
    ])
    timer.run(
        "stages 2+3 with reconstruction loss (pipeline fit)",
        lambda: recon_pipe.fit(data.ecg[train], data.mcg[train]),
    )
    spatial_pipe = Pipeline([
        ("bandpass", bandpass),
        ("baseline", baseline),
        ("align", CrossModalAligner(
            **SPATIAL_TOWERS, max_epochs=100, lr=3e-3, sfreq=args.sfreq, latent="pooled",
            reconstruction_weight=weight, **common,
        )),
        ("project", LatentProjector(decoder="linear")),
    ])
    timer.run(
        "spatial towers, stages 2+3 (pipeline fit)",
        lambda: spatial_pipe.fit(data.ecg[train], data.mcg[train]),
    )
    sources = {"n_components": args.sources}

    def temporal_pipe(**params):
        aligner_params = {
            **SPATIAL_TOWERS, "ecg_encoder_params": sources, "mcg_encoder_params": sources,
            "latent": "temporal", "max_epochs": 100, "lr": 3e-3, "sfreq": args.sfreq,
            "reconstruction_weight": 0.0,
            **common, **params,
        }
        return Pipeline([
            ("bandpass", bandpass),
            ("baseline", baseline),
            ("align", CrossModalAligner(**aligner_params)),
            ("project", LatentProjector()),
        ])

    temporal = timer.run(
        "time-resolved latent, stages 2+3 (pipeline fit)",
        lambda: temporal_pipe().fit(data.ecg[train], data.mcg[train]),
    )
    untrained = timer.run(
        "time-resolved latent, untrained towers (pipeline fit)",
        lambda: temporal_pipe(max_epochs=0).fit(data.ecg[train], data.mcg[train]),
    )
    recon_time = (timer.times["stage 1 (ContrastivePretrainer)"]
                  + timer.times["stages 2+3 with reconstruction loss (pipeline fit)"])
    z_train, z_test = pipe[:-1].transform(data.ecg[train]), pipe[:-1].transform(data.ecg[test])
    method_time = sum(timer.times[k] for k in ("stage 1 (ContrastivePretrainer)",
                                               "stages 2+3 (pipeline fit)"))
    linear = timer.run(
        "ridge decoder on the latent",
        lambda: LatentProjector(decoder="linear").fit(z_train, data.mcg[train]),
    )

    flat_train, flat_test = ecg[train].reshape(n_train, -1), ecg[test].reshape(n_test, -1)
    mcg_train = data.mcg[train].reshape(n_train, -1)
    out_shape = data.mcg[test].shape
    ridge = timer.run(
        "RidgeCV", lambda: RidgeCV(alphas=np.logspace(-2, 5, 15)).fit(flat_train, mcg_train)
    )
    alphas = np.logspace(-2, 5, 15)
    ridge_groups = timer.run(
        "Ridge, alpha by GroupKFold",
        lambda: GridSearchCV(Ridge(), {"alpha": alphas}, cv=GroupKFold(5)).fit(
            flat_train, mcg_train, groups=data.groups[train]
        ),
    )
    lowpassed_train = lowpassed[train].reshape(n_train, -1)
    ridge_lowpassed = timer.run(
        "RidgeCV, no baseline correction",
        lambda: RidgeCV(alphas=np.logspace(-2, 5, 15)).fit(lowpassed_train, mcg_train),
    )
    n_sources = args.sources
    predictions = {
        f"**Pipeline, time-resolved latent: spatial towers ({n_sources} virtual leads), "
        "latent='temporal', time-shared ridge projector**": (
            temporal.predict(data.ecg[test]),
            timer.times["time-resolved latent, stages 2+3 (pipeline fit)"],
        ),
        f"Same pipeline, untrained towers (max_epochs=0: {n_sources} random virtual leads)": (
            untrained.predict(data.ecg[test]),
            timer.times["time-resolved latent, untrained towers (pipeline fit)"],
        ),
        "Pipeline (stage 1 + aligner + MLP projector)": (
            pipe.predict(data.ecg[test]), method_time,
        ),
        "Pipeline with ridge projector (decoder='linear', the default)": (
            linear.predict(z_test), method_time,
        ),
        f"Pipeline, aligner with reconstruction_weight={weight:g}, ridge projector": (
            recon_pipe.predict(data.ecg[test]), recon_time,
        ),
        f"RidgeCV, flattened ECG -> MCG (alpha={ridge.alpha_:g})": (
            ridge.predict(flat_test).reshape(out_shape), timer.times["RidgeCV"],
        ),
        "Ridge, flattened ECG -> MCG, alpha by subject-disjoint GroupKFold(5) "
        f"(alpha={ridge_groups.best_params_['alpha']:g})": (
            ridge_groups.predict(flat_test).reshape(out_shape),
            timer.times["Ridge, alpha by GroupKFold"],
        ),
        f"RidgeCV on low-passed ECG without baseline correction (alpha={ridge_lowpassed.alpha_:g})": (
            ridge_lowpassed.predict(lowpassed[test].reshape(n_test, -1)).reshape(out_shape),
            timer.times["RidgeCV, no baseline correction"],
        ),
    }
    bottleneck = timer.run(
        "PCA + RidgeCV",
        lambda: make_pipeline(
            PCA(args.embedding_dim, random_state=0), RidgeCV(alphas=np.logspace(-2, 5, 15))
        ).fit(flat_train, mcg_train),
    )
    predictions[f"PCA({args.embedding_dim}) + RidgeCV: a linear bottleneck the latent's size"] = (
        bottleneck.predict(flat_test).reshape(out_shape), timer.times["PCA + RidgeCV"],
    )
    for k in args.pls_components:
        pls = timer.run(
            f"PLS {k}",
            lambda: PLSRegression(n_components=k, scale=False).fit(flat_train, mcg_train),
        )
        predictions[f"PLSRegression({k}), flattened ECG -> MCG"] = (
            pls.predict(flat_test).reshape(out_shape), timer.times[f"PLS {k}"],
        )
    predictions[
        f"Pipeline, spatial towers (no stage 1), reconstruction_weight={weight:g}, ridge projector"
    ] = (
        spatial_pipe.predict(data.ecg[test]),
        timer.times["spatial towers, stages 2+3 (pipeline fit)"],
    )
    shared_map = timer.run(
        "time-shared channel map", lambda: TimeSharedChannelMap().fit(ecg[train], data.mcg[train])
    )
    predictions[
        "Time-shared channel map: one lstsq ECG-channels -> MCG-channels map for all training "
        "subjects and samples (a linear model with the physics' form)"
    ] = (shared_map.predict(ecg[test]), timer.times["time-shared channel map"])
    pca_map = timer.run(
        "spatial PCA + time-shared map",
        lambda: TimeSharedChannelMap(n_components=n_sources).fit(ecg[train], data.mcg[train]),
    )
    predictions[
        f"Spatial PCA ({n_sources} components of the ECG channels) + time-shared map: the linear "
        "counterpart of the time-resolved latent"
    ] = (pca_map.predict(ecg[test]), timer.times["spatial PCA + time-shared map"])
    without_correction = TimeSharedChannelMap().fit(lowpassed[train], data.mcg[train])
    predictions["Time-shared channel map without baseline correction"] = (
        without_correction.predict(lowpassed[test]), 0.0,
    )
    ceiling = physics_ceiling(data.ecg_clean[test], data.mcg_clean[test], data.groups[test])
    oracle = "Physics ceiling: per-subject lstsq on the clean test signals (oracle)"
    predictions[oracle] = (ceiling, None)

    mcg_rows = [
        "| model | R² vs clean MCG (variance-weighted) | R² vs measured MCG (uniform, = score) "
        "| angle error at R peak (°) | angle error at T peak (°) | fit time (s) |",
        "|---|---|---|---|---|---|",
    ] + [virtual_mcg_row(name, pred, test, data, t) for name, (pred, t) in predictions.items()]

    features = {
        "aligned ECG latent (stage 1 + 2)": np.concatenate([z_train, z_test]),
        f"aligned ECG latent, reconstruction_weight={weight:g}": recon_pipe[:-1].transform(
            np.concatenate([data.ecg[train], data.ecg[test]])
        ),
        "aligned ECG latent, spatial towers": spatial_pipe[:-1].transform(
            np.concatenate([data.ecg[train], data.ecg[test]])
        ),
        f"time-resolved latent ({n_sources} virtual leads x {ecg.shape[-1]} samples)": temporal[
            :-1
        ].transform(np.concatenate([data.ecg[train], data.ecg[test]])),
        "stage-1-only ECG latent": pretrainer.transform(np.concatenate([ecg[train], ecg[test]])),
        "raw filtered ECG (flattened)": np.concatenate([ecg[train], ecg[test]]),
    }
    order = np.concatenate([np.flatnonzero(train), np.flatnonzero(test)])
    target = data.target[order]
    is_train = np.arange(len(order)) < n_train
    probe = [
        "| ECG-only features | dim | ischemia AUROC (one-vs-rest) | mean AUROC (7 conditions) "
        "| per condition |",
        "|---|---|---|---|---|",
    ] + probe_rows(features, target, is_train, ~is_train, data.target_names)

    retrieval = [
        f"| aligner | top-1 ECG -> MCG retrieval on the {n_test} test pairs (chance "
        f"{1 / n_test:.3f}) |",
        "|---|---|",
    ] + [
        f"| {name} | {fitted['align'].score(ecg[test], data.mcg[test]):.3f} |"
        for name, fitted in [
            ("reconstruction_weight=0 (default)", pipe),
            (f"reconstruction_weight={weight:g}", recon_pipe),
            (f"spatial towers, reconstruction_weight={weight:g}", spatial_pipe),
            (f"spatial towers, {n_sources} virtual leads (time-resolved latent pipeline)", temporal),
        ]
    ]

    command = "python benchmarks/bench_virtual_mcg.py " + " ".join(
        f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in vars(args).items()
    )
    setup = (
        f"SIMULATED data (`make_paired_beats`, source: {SOURCES[args.source]}; shielded "
        f"noise, 7 conditions in turn): "
        f"{args.subjects} subjects x {args.beats} beats at {args.sfreq:g} Hz, ECG "
        f"{data.ecg.shape[1]} leads, MCG {data.mcg.shape[1]} channels, "
        f"{data.ecg.shape[2]} samples per beat. Subject-disjoint: subjects 0-{args.train - 1} "
        f"train ({n_train} beats), the other {args.subjects - args.train} test ({n_test} "
        f"beats). Stage 1 (SimCLR, ResNet1d width {args.width}, {args.stages} stages) on "
        f"the training ECG + "
        f"{args.unpaired} unpaired ECG-only subjects; stage 2 fine-tunes it on the "
        f"training pairs; embedding_dim={args.embedding_dim}, {args.epochs} epochs each; "
        f"projector: MLP 2x256, 100 epochs. torch threads = {args.threads}; load average "
        f"at the end {os.getloadavg()[0]:.1f}.\n\nStep times (wall / process CPU, s): "
        + ", ".join(f"{k} {timer.times[k]:.0f} / {timer.cpu_times[k]:.0f}" for k in timer.times)
        + ". Fit times in the table are wall times on the shared machine."
    )
    report = (
        f"# Virtual MCG and ECG-only diagnosis\n\n{datetime.date.today()}, "
        f"{platform.node() or 'machine'}, {os.cpu_count()} CPU cores (shared with other "
        f"jobs).\n\nCommand: `{command}`\n\n{setup}\n\n## Virtual MCG on held-out subjects\n\n"
        + "\n".join(mcg_rows)
        + "\n\n## Linear probe on ECG-only features (held-out subjects)\n\n"
        + "\n".join(probe)
        + "\n\n## Retrieval on held-out subjects\n\n"
        + "\n".join(retrieval)
        + "\n"
    )
    print(report)
    out = Path(__file__).parent / "results" / args.out
    kept = out.read_text().partition(KEEP) if out.exists() else ("", "", "")
    out.write_text(report + (f"\n{KEEP}{kept[2]}" if kept[1] else ""))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
