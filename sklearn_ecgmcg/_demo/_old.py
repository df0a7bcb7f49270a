"""The three-stage demo behind ``python -m sklearn_ecgmcg demo``.

Stage 1 runs on real ECG (the PTB-XL sample shipped with the package, or PTB-XL);
stages 2 and 3 run on simulated paired ECG + MCG beats, split by subject. Every
number is printed beside the baseline a user would otherwise pick.
"""

import base64
import html
import io
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.cross_decomposition import CCA
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import roc_auc_score
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from .alignment import CrossModalAligner
from .datasets import load_ptbxl, load_sample_ecg, make_paired_beats
from .metrics import field_map_angle_error, retrieval_report, virtual_mcg_r2
from .nn import make_encoder
from .preprocessing import BandpassFilter, segment_beats
from .projection import LatentProjector
from .pretraining import ContrastivePretrainer

SFREQ = 500.0
TMIN, TMAX = -0.25, 0.45  # beat window around the R peak, the simulator's default
CONDITIONS = ["normal", "ischemia", "anterior_mi", "lbbb"]
ENCODER_PARAMS = {"width": 8}  # a ResNet1d small enough for the demo's two-core budget
ALIGN_EPOCHS = 100


class _Log:
    def __init__(self, stream):
        self.stream = stream
        self.start = time.perf_counter()

    def __call__(self, message):
        if self.stream is not None:
            elapsed = time.perf_counter() - self.start
            print(f"[{elapsed:6.1f} s] {message}", file=self.stream, flush=True)


def _record_mean(values, groups, n_records):
    """Average per-beat rows into per-record rows (records without beats stay NaN)."""
    sums = np.zeros((n_records, values.shape[1]))
    np.add.at(sums, groups, values)
    counts = np.bincount(groups, minlength=n_records)[:, None]
    with np.errstate(invalid="ignore"):
        return sums / counts


def _probe_auroc(train_features, train_target, test_features, test_target):
    """Macro AUROC of a standardised logistic-regression probe, one class at a time."""
    scores = []
    for k in range(train_target.shape[1]):
        if len(np.unique(train_target[:, k])) < 2 or len(np.unique(test_target[:, k])) < 2:
            continue
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
        probe.fit(train_features, train_target[:, k])
        scores.append(roc_auc_score(test_target[:, k], probe.decision_function(test_features)))
    return float(np.mean(scores))


def _random_encoder_embed(config, X, seed):
    torch.manual_seed(seed)
    encoder = make_encoder(**config).eval()
    with torch.inference_mode():
        return np.concatenate(
            [encoder(torch.from_numpy(X[i : i + 256])).numpy() for i in range(0, len(X), 256)]
        )


def _stage1(ptbxl, device, random_state, verbose, log):
    """Pretrain on real ECG beats; linear probe of the 5 superclasses on held-out records."""
    data = load_ptbxl(ptbxl, sampling_rate=500) if ptbxl is not None else load_sample_ecg()
    source = "PTB-XL at " + str(ptbxl) if ptbxl is not None else "PTB-XL sample (shipped)"
    ecg = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=data.sfreq).fit_transform(data.ecg)
    beats = segment_beats(ecg, sfreq=data.sfreq, tmin=TMIN, tmax=TMAX, on_empty="warn")
    X = beats.X.astype(np.float32)
    record = beats.groups
    test_records = data.strat_fold == 9
    train = ~test_records[record]
    log(f"stage 1: {len(data.ecg)} real records from {source}, {len(X)} beats; "
        f"train folds 1-8 ({train.sum()} beats), test fold 9 ({(~train).sum()} beats)")

    pretrainer = ContrastivePretrainer(
        objective="simclr", encoder_params=ENCODER_PARAMS, embedding_dim=64, max_epochs=20, batch_size=64, lr=3e-3,
        device=device, random_state=random_state, verbose=verbose,
    )
    pretrainer.fit(X[train])
    log(f"stage 1: pretrained in {pretrainer.n_epochs_} epochs, "
        f"loss {pretrainer.loss_curve_[0]:.3f} -> {pretrainer.loss_curve_[-1]:.3f}")

    n = len(data.ecg)
    features = {
        "pretrained encoder": pretrainer.transform(X),
        "random-init encoder": _random_encoder_embed(pretrainer.encoder_config_, X, random_state),
        "PCA (32) on raw beats": PCA(32, random_state=random_state).fit(
            X[train].reshape(train.sum(), -1)).transform(X.reshape(len(X), -1)),
    }
    has_beats = np.bincount(record, minlength=n) > 0
    fit_rows = ~test_records & has_beats
    test_rows = test_records & has_beats
    auroc = {}
    for name, values in features.items():
        per_record = _record_mean(values, record, n)
        auroc[name] = _probe_auroc(per_record[fit_rows], data.target[fit_rows],
                                   per_record[test_rows], data.target[test_rows])
    return pretrainer, {"stage1_auroc": auroc, "stage1_source": source,
                        "stage1_n_test": int(test_rows.sum())}


def _subject_split(groups, target, random_state):
    """One subject-disjoint split, stratified by condition (a third of the subjects held out)."""
    splitter = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=random_state)
    return next(splitter.split(np.zeros(len(groups)), target, groups))


def _flat(X):
    return X.reshape(len(X), -1)


def _virtual_mcg_scores(measured, predicted, sim):
    """R² and the field-map angle errors at the R and T peaks."""
    angles = {
        f"angle_{peak[0]}": field_map_angle_error(measured, predicted, sim.sensor_positions,
                                                   latency=peak, sfreq=sim.sfreq)
        for peak in ("r_peak", "t_peak")
    }
    return {"r2": virtual_mcg_r2(measured, predicted), **angles}


def _stage2_and_3(pretrainer, device, random_state, verbose, log):
    """Align ECG and MCG on simulated pairs; retrieval, virtual MCG and diagnosis on held-out subjects."""
    sim = make_paired_beats(n_subjects=40, beats_per_subject=30, conditions=CONDITIONS,
                            noise="shielded", random_state=random_state)
    train, test = _subject_split(sim.groups, sim.target, random_state)
    ecg, mcg = sim.ecg.astype(np.float32), sim.mcg.astype(np.float32)
    log(f"stages 2-3: {len(ecg)} SIMULATED paired beats of {len(np.unique(sim.groups))} "
        f"subjects ({', '.join(CONDITIONS)}); 12-lead ECG + {mcg.shape[1]}-channel MCG; "
        f"{len(np.unique(sim.groups[test]))} subjects held out")

    pipe = Pipeline([
        ("lowpass", BandpassFilter(l_freq=None, h_freq=40.0, sfreq=sim.sfreq)),
        # Settings from benchmarks/bench_alignment.py: small paired sets need many epochs,
        # and the P / QRS / ST-T window loss helps on simulated pairs.
        ("align", CrossModalAligner(
            ecg_encoder=FrozenEstimator(pretrainer), mcg_encoder_params=ENCODER_PARAMS,
            embedding_dim=32, temperature=0.1, local_weight=1.0, max_epochs=ALIGN_EPOCHS,
            batch_size=64, lr=3e-3, sfreq=sim.sfreq, tmin=TMIN,
            device=device, random_state=random_state, verbose=verbose)),
        ("project", LatentProjector(decoder="linear")),
    ])
    pipe.fit(ecg[train], mcg[train], align__groups=sim.groups[train])
    aligner = pipe.named_steps["align"]
    log(f"stage 2: aligned in {aligner.n_epochs_} epochs, "
        f"loss {aligner.loss_curve_[0]:.3f} -> {aligner.loss_curve_[-1]:.3f}")

    ecg_test = pipe.named_steps["lowpass"].transform(ecg[test])
    z_ecg, z_mcg = aligner.transform(ecg_test, mcg[test])
    # CCA on thousands of raw samples overfits and crawls: reduce each block by PCA first.
    pca_ecg = PCA(32, random_state=random_state).fit(_flat(ecg[train]))
    pca_mcg = PCA(32, random_state=random_state).fit(_flat(mcg[train]))
    cca = CCA(n_components=8, max_iter=1000).fit(
        pca_ecg.transform(_flat(ecg[train])), pca_mcg.transform(_flat(mcg[train])))
    c_ecg, c_mcg = cca.transform(pca_ecg.transform(_flat(ecg[test])),
                                 pca_mcg.transform(_flat(mcg[test])))
    groups_test = sim.groups[test]
    retrieval = {
        "aligner": retrieval_report(z_ecg, z_mcg, groups=groups_test),
        "PCA (32) + CCA (8)": retrieval_report(c_ecg, c_mcg, groups=groups_test),
    }

    virtual = pipe.predict(ecg[test])
    ridge = RidgeCV(alphas=np.logspace(-1, 5, 7)).fit(_flat(ecg[train]), _flat(mcg[train]))
    ridge_virtual = ridge.predict(_flat(ecg[test])).reshape(virtual.shape)
    virtual_mcg = {
        name: _virtual_mcg_scores(mcg[test], pred, sim)
        for name, pred in [("pipeline", virtual), ("ridge on flattened ECG", ridge_virtual)]
    }

    diagnosis = {}
    z_train = aligner.transform(pipe.named_steps["lowpass"].transform(ecg[train]))
    candidates = {
        "aligned ECG latent": (z_train, z_ecg),
        "stage-1 ECG embedding": (pretrainer.transform(ecg[train]), pretrainer.transform(ecg[test])),
        "raw ECG (flattened)": (_flat(ecg[train]), _flat(ecg[test])),
    }
    for name, (f_train, f_test) in candidates.items():
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
        clf.fit(f_train, sim.target[train])
        diagnosis[name] = roc_auc_score(sim.target[test], clf.predict_proba(f_test),
                                        multi_class="ovr", average="macro")
    results = {"retrieval": retrieval, "virtual_mcg": virtual_mcg, "diagnosis": diagnosis,
               "n_test_beats": int(len(test))}
    figures_input = {"sim": sim, "test": test, "virtual": virtual, "z_ecg": z_ecg,
                     "z_mcg": z_mcg, "aligner": aligner}
    return results, figures_input


def _table_rows(results):
    """(section, method, metric, value) rows of the results table."""
    rows = []
    for method, auroc in results["stage1_auroc"].items():
        rows.append(("Stage 1: 5-superclass linear probe (real ECG, fold 9)", method,
                     "macro AUROC", auroc))
    for method, report in results["retrieval"].items():
        for key in ("ecg_to_mcg_top1", "ecg_to_mcg_top5", "mcg_to_ecg_top1",
                    "ecg_to_mcg_subject_top1"):
            rows.append(("Stage 2: ECG <-> MCG retrieval (held-out subjects)", method,
                         key.replace("_", " "), report[key]))
    for method, scores in results["virtual_mcg"].items():
        rows.append(("Stage 3: virtual MCG from ECG", method, "R2", scores["r2"]))
        rows.append(("Stage 3: virtual MCG from ECG", method, "angle error R peak (deg)",
                     scores["angle_r"]))
        rows.append(("Stage 3: virtual MCG from ECG", method, "angle error T peak (deg)",
                     scores["angle_t"]))
    for method, auroc in results["diagnosis"].items():
        rows.append(("Diagnosis from ECG alone (simulated conditions)", method,
                     "macro AUROC", auroc))
    return rows


def format_table(results):
    """The results table as plain text."""
    lines, section = [], None
    for sec, method, metric, value in _table_rows(results):
        if sec != section:
            lines += ["", sec]
            section = sec
        lines.append(f"  {method:<30} {metric:<26} {value:8.3f}")
    return "\n".join(lines[1:])


def _figure_png_base64(fig):
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _html_report(results, figures, elapsed):
    """A self-contained HTML page: the numbers, then the figures inlined as PNG."""
    rows = "\n".join(
        f"<tr><td>{html.escape(sec)}</td><td>{html.escape(method)}</td>"
        f"<td>{html.escape(metric)}</td><td>{value:.3f}</td></tr>"
        for sec, method, metric, value in _table_rows(results)
    )
    images = "\n".join(
        f"<figure><img src='data:image/png;base64,{_figure_png_base64(fig)}' "
        f"alt='{html.escape(title)}'><figcaption>{html.escape(title)}</figcaption></figure>"
        for title, fig in figures
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>sklearn_ecgmcg demo report</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #bbb; padding: 4px 8px; }}
td:last-child {{ text-align: right; font-family: monospace; }}
figure {{ margin: 2em 0; }} img {{ max-width: 100%; }} figcaption {{ color: #555; }}
.note {{ background: #fff6dd; padding: 0.6em 1em; border-left: 4px solid #e0a800; }}
</style></head><body>
<h1>sklearn_ecgmcg: three-stage demo</h1>
<p class="note">Stage 1 runs on real ECG ({html.escape(results["stage1_source"])}).
Stages 2 and 3 run on <b>simulated</b> paired ECG + MCG (dynamical dipole model, Dower
ECG, half-space magnetometer MCG, shielded-room noise): no real paired recordings are
public. All test sets are subject-disjoint from training. Run time {elapsed:.0f} s.</p>
<h2>Results</h2>
<table><tr><th>task</th><th>method</th><th>metric</th><th>value</th></tr>
{rows}
</table>
<h2>Figures</h2>
{images}
</body></html>
"""


def run_demo(out_dir, *, ptbxl=None, device="auto", random_state=0, verbose=1, stream=None):
    """Run the three stages, print the results table and write ``report.html``.

    Parameters
    ----------
    out_dir : path-like
        Existing, writable folder for ``report.html`` and ``results.json``.
    ptbxl : path-like or None, default=None
        PTB-XL folder for stage 1; None uses :func:`~sklearn_ecgmcg.datasets.load_sample_ecg`.
    device : str, default="auto"
        Torch device for training.
    random_state : int, default=0
        Seed of the simulation, the splits and the networks.
    verbose : int, default=1
        1 shows training progress bars.
    stream : file-like or None, default=None
        Where progress and the table are printed; None prints nothing.

    Returns
    -------
    results : dict
        Every number of the table.
    """
    out_dir = Path(out_dir)
    log = _Log(stream)
    pretrainer, results = _stage1(ptbxl, device, random_state, verbose, log)
    stage23, figure_input = _stage2_and_3(pretrainer, device, random_state, verbose, log)
    results.update(stage23)
    elapsed = time.perf_counter() - log.start
    table = format_table(results)
    if stream is not None:
        print("\n" + table + "\n", file=stream, flush=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2))
    figures = _figures(pretrainer, figure_input)
    (out_dir / "report.html").write_text(_html_report(results, figures, elapsed), encoding="utf-8")
    log(f"wrote {out_dir / 'report.html'} and {out_dir / 'results.json'}")
    return results


def _figures(pretrainer, fi):
    """(title, Figure) pairs for the report."""
    import matplotlib

    matplotlib.use("Agg")  # the demo writes files; never open windows
    import matplotlib.pyplot as plt

    from . import plotting
    from .preprocessing import find_rt_peaks

    sim, test = fi["sim"], fi["test"]
    beat = test[0]
    measured, virtual = sim.mcg[beat], fi["virtual"][0]
    r_index, t_index = (int(np.ravel(i)[0]) for i in find_rt_peaks(measured[None], sfreq=sim.sfreq))
    figures = []

    fig, axes = plt.subplots(2, 2, figsize=(12, 10), layout="constrained")
    for row, (index, wave) in enumerate([(r_index, "R peak"), (t_index, "T peak")]):
        vmax = np.abs(measured[:, index]).max()
        for col, (signal, kind) in enumerate([(measured, "measured"), (virtual, "virtual")]):
            plotting.plot_field_map(signal, sim.sensor_positions, latency=float(sim.times[index]),
                                    times=sim.times, ax=axes[row, col], vmax=vmax,
                                    title=f"{kind} MCG, {wave} ({1e3 * sim.times[index]:.0f} ms)")
    figures.append(("MCG field maps of one held-out beat at the R and T peaks: measured "
                    "(simulated) vs virtual MCG predicted from its ECG alone", fig))

    figures.append(("Virtual vs measured MCG of the same beat on the 6x6 sensor grid",
                    plotting.plot_virtual_mcg(measured, virtual, sim.sensor_positions,
                                              times=sim.times)))
    figures.append(("The beat's 12-lead ECG (simulated, Dower leads)",
                    plotting.plot_ecg_12lead(sim.ecg[beat], sim.sfreq, sim.ecg_ch_names)))

    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained")
    plotting.plot_similarity_matrix(fi["z_ecg"], fi["z_mcg"], sim.groups[test], ax=axes[0])
    plotting.plot_latent(fi["z_ecg"], sim.target[test], label_names=sim.target_names,
                         ax=axes[1], legend_title="condition",
                         title="ECG latent of held-out beats (PCA)")
    figures.append(("Cross-modal similarity of held-out beats (ECG rows, MCG columns) and the "
                    "ECG latent coloured by simulated condition", fig))

    fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
    plotting.plot_training_curves(pretrainer, ax=axes[0], title="stage 1: pretraining (real ECG)")
    plotting.plot_training_curves(fi["aligner"], ax=axes[1], title="stage 2: ECG <-> MCG alignment")
    figures.append(("Training curves", fig))
    return figures
