"""Issue 15's must-show facts of the simulator, measured (used by bench_simulate.py).

Every fact is measured on clean (noise-free) signals unless a row says otherwise,
on subjects that a fit never saw, for the default double-layer source beside the
v1 dipole. Intervals are 95 % bootstrap intervals over subjects (1,000 resamples).
"""

import datetime
import platform

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.datasets._physics import _activation

CONDITIONS = ["normal", "anterior_mi", "inferior_mi", "lbbb", "rbbb", "lvh", "ischemia"]
CLEAN = dict(noise="none", dtype=np.float64)


def _per_sample(x):
    return x.transpose(0, 2, 1).reshape(-1, x.shape[1])


def _interval(values, rng=None, n_boot=1000):
    values = np.asarray(values, dtype=float)
    rng = rng or np.random.default_rng(0)
    boots = [np.median(rng.choice(values, len(values))) for _ in range(n_boot)]
    return f"{np.median(values):.3f} [{np.percentile(boots, 2.5):.3f}, {np.percentile(boots, 97.5):.3f}]"


def _r2_by_subject(y_true, y_pred, groups):
    return [r2_score(_per_sample(y_true[groups == s]), _per_sample(y_pred[groups == s]),
                     multioutput="variance_weighted") for s in np.unique(groups)]


def _ceiling(ecg, mcg, groups):
    """Per-subject least-squares R^2 of MCG(t) from ECG(t) (in sample: an upper bound)."""
    scores = []
    for s in np.unique(groups):
        x = np.column_stack([_per_sample(ecg[groups == s]), np.ones(int((groups == s).sum()) * ecg.shape[-1])])
        y = _per_sample(mcg[groups == s])
        w, *_ = np.linalg.lstsq(x, y, rcond=None)
        scores.append(r2_score(y, x @ w, multioutput="variance_weighted"))
    return np.array(scores)


def linearity(source, n_subjects, n_train):
    """Facts 1, 2, 8: pooled and flattened ridge, per-subject ceiling, one-subject maps."""
    data = make_paired_beats(n_subjects=n_subjects, beats_per_subject=4, conditions=CONDITIONS,
                             random_state=0, source=source, **CLEAN)
    train, test = data.groups < n_train, data.groups >= n_train
    ecg, mcg = data.ecg_clean, data.mcg_clean
    pooled = Ridge(alpha=1e-6).fit(_per_sample(ecg[train]), _per_sample(mcg[train]))
    predicted = pooled.predict(_per_sample(ecg[test])).reshape(
        test.sum(), ecg.shape[-1], -1).transpose(0, 2, 1)
    flat = RidgeCV(alphas=np.logspace(-4, 3, 8)).fit(ecg[train].reshape(train.sum(), -1),
                                                     mcg[train].reshape(train.sum(), -1))
    flat_pred = flat.predict(ecg[test].reshape(test.sum(), -1)).reshape(mcg[test].shape)
    ceiling = _ceiling(ecg[test], mcg[test], data.groups[test])
    first = data.groups == n_train
    w, *_ = np.linalg.lstsq(_per_sample(ecg[first]), _per_sample(mcg[first]), rcond=None)
    transfer = [ceiling[i] - r2_score(_per_sample(mcg[data.groups == s]),
                                      _per_sample(ecg[data.groups == s]) @ w,
                                      multioutput="variance_weighted")
                for i, s in enumerate(np.unique(data.groups[test])) if s != n_train]
    return {
        "pooled ECG(t)->MCG(t) ridge R2": _interval(_r2_by_subject(mcg[test], predicted,
                                                                    data.groups[test])),
        f"ridge on flattened beats ({n_train} training subjects) R2":
            _interval(_r2_by_subject(mcg[test], flat_pred, data.groups[test])),
        "per-subject least-squares ceiling R2": _interval(ceiling),
        "R2 lost by a map fitted on another subject": _interval(transfer),
    }


def silent_loss(n_subjects, fraction=0.07):
    """Fact 2: the ceiling without and with the silent currents."""
    kwargs = dict(n_subjects=n_subjects, beats_per_subject=4, random_state=1, **CLEAN)
    without = make_paired_beats(silent_fraction=0.0, **kwargs)
    with_silent = make_paired_beats(silent_fraction=fraction, **kwargs)
    base = _ceiling(without.ecg_clean, without.mcg_clean, without.groups)
    lowered = _ceiling(with_silent.ecg_clean, with_silent.mcg_clean, with_silent.groups)
    explained = _ceiling(with_silent.ecg_clean, with_silent.mcg_silent, with_silent.groups)
    return {
        "ceiling, silent_fraction=0": _interval(base),
        f"ceiling, silent_fraction={fraction}": _interval(lowered),
        f"ceiling loss (injected share {fraction})": _interval(base - lowered),
        "share of the silent MCG a per-subject ECG map explains": _interval(explained),
    }


def oracle(n_subjects, n_train):
    """Fact 3: true lead fields plus the pooled source covariance of the training subjects."""
    data = make_paired_beats(n_subjects=n_subjects, beats_per_subject=4, random_state=2,
                             silent_fraction=0.0, respiration=False, **CLEAN)
    s = data.groups
    voltage, _ = _activation.transmembrane(
        data.times, data.activation_times, data.repolarisation_times, data.patch_amplitude[s],
        data.patch_rest[s], data.repolarisation_slope[s], np.float64,
    )
    stacked = voltage[s < n_train].transpose(1, 0, 2).reshape(voltage.shape[1], -1)
    covariance = stacked @ stacked.T / stacked.shape[1]
    scores = []
    for subject in range(n_train, n_subjects):
        g_ecg, g_mcg = data.lead_matrices.ecg[subject], data.lead_matrices.mcg[subject]
        gram = g_ecg @ covariance @ g_ecg.T
        gram += 1e-9 * np.trace(gram) * np.eye(len(gram))
        w = g_mcg @ covariance @ g_ecg.T @ np.linalg.inv(gram)
        x, y = _per_sample(data.ecg_clean[s == subject]), _per_sample(data.mcg_clean[s == subject])
        scores.append(r2_score(y, x @ w.T, multioutput="variance_weighted"))
    return {"oracle (true lead fields, pooled source covariance) R2": _interval(scores)}


def richness(source, n_subjects):
    """Fact 4: effective rank of the 12-lead ECG, two-component share of the MCG."""
    data = make_paired_beats(n_subjects=n_subjects, beats_per_subject=2, random_state=3,
                             source=source, **CLEAN)
    singular = np.linalg.svd(data.ecg_clean, compute_uv=False)
    rank = (singular > 0.01 * singular[:, :1]).sum(axis=1)
    centred = data.mcg_clean - data.mcg_clean.mean(axis=-1, keepdims=True)
    power = np.linalg.svd(centred, compute_uv=False) ** 2
    share = power[:, :2].sum(axis=1) / power.sum(axis=1)
    return {
        "12-lead effective rank (singular values > 1 % of the first), median":
            f"{np.median(rank):.0f} (10th-90th pct {np.percentile(rank, 10):.0f}-"
            f"{np.percentile(rank, 90):.0f})",
        "6x6 MCG, share of the two leading spatial components":
            f"{np.median(share):.3f} (10th-90th pct {np.percentile(share, 10):.3f}-"
            f"{np.percentile(share, 90):.3f})",
    }


def amplitudes(n_subjects):
    """Fact 5, per condition: precordial R, R-peak Bz, MCG T/R, QRS, ST at the J point."""
    rows = {}
    for condition in CONDITIONS:
        data = make_paired_beats(n_subjects=n_subjects, beats_per_subject=2, random_state=4,
                                 conditions=condition, **CLEAN)
        t = data.times
        qrs = (t > -0.06) & (t < 0.08)
        r_wave = data.ecg_clean[:, 6:12][:, :, qrs].max(axis=(1, 2))
        field = np.abs(data.mcg_clean)
        bz = field[:, :, qrs].max(axis=(1, 2))
        t_ratio = field[:, :, (t > 0.12) & (t < 0.42)].max(axis=(1, 2)) / bz
        span = data.activation_times.max(axis=1) - data.activation_times.min(axis=1)
        qrs_ms = 1e3 * (span + 4.4 * _activation.UPSTROKE)
        j_point = data.activation_times.max(axis=1) + 4.4 * _activation.UPSTROKE
        base = data.ecg_clean[:, :, t < -0.2].mean(axis=-1)
        st = np.array([np.abs(data.ecg_clean[i][:, (t >= j) & (t <= j + 0.02)].mean(axis=-1)
                              - base[i]).max() for i, j in enumerate(j_point)])
        rows[condition] = (np.median(r_wave), np.median(bz), np.median(t_ratio),
                           np.median(qrs_ms), 1e3 * np.median(st))
    return rows


def ischaemia(n_subjects):
    """Fact 7: ischaemia from ST/TQ levels, MCG vs AC- and DC-coupled ECG (noisy, shielded)."""
    out = {}
    for highpass in (0.05, None):
        data = make_paired_beats(n_subjects=n_subjects, beats_per_subject=6, random_state=5,
                                 conditions=["normal", "ischemia"], ecg_highpass=highpass)
        t, y = data.times, (data.target_names[data.target] == "ischemia").astype(int)
        for name, signal in (("MCG", data.mcg), ("ECG", data.ecg)):
            if name == "MCG" and highpass is None:
                continue
            levels = np.hstack([signal[:, :, (t >= 0.08) & (t <= 0.12)].mean(axis=-1),
                                signal[:, :, t <= -0.2].mean(axis=-1)])
            model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
            proba = cross_val_predict(model, levels, y, groups=data.groups, cv=GroupKFold(5),
                                      method="predict_proba")[:, 1]
            label = name if name == "MCG" else f"ECG, ecg_highpass={highpass}"
            out[label] = roc_auc_score(y, proba)
    return out


def physics_report(quick=False, command=""):
    n = 70 if quick else 280
    n_train = 50 if quick else 210
    lines = [
        "# Simulator physics (`benchmarks/bench_simulate.py --part physics`)",
        "",
        f"- date: {datetime.date.today().isoformat()}; command: `{command}`",
        f"- machine: {platform.machine()}, python {platform.python_version()}, numpy "
        f"{np.__version__}",
        "- clean signals, subjects held out from every fit; median over subjects with a 95 % "
        "bootstrap interval; the seven conditions in turn unless said",
        "",
        f"## Linearity (facts 1, 2, 8): {n} subjects x 4 beats, {n_train} train / "
        f"{n - n_train} test",
        "",
        "| fact | double layer (default) | dipole (v1) | issue's target |",
        "|---|---|---|---|",
    ]
    targets = ["0.40-0.85", "<= 0.90", ">= 0.98", ">= 0.1"]
    new, old = linearity("double_layer", n, n_train), linearity("dipole", n, n_train)
    lines += [f"| {k} | {new[k]} | {old[k]} | {t} |" for k, t in zip(new, targets)]
    n_small = 20 if quick else 60
    lines += ["", f"## Silent currents (fact 2): {n_small} normal subjects x 4 beats", "",
              "| fact | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in silent_loss(n_small).items()]
    lines += ["", f"## Oracle (fact 3): {n_small} normal subjects, {n_small * 2 // 3} for the "
              "source covariance", "", "| fact | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in oracle(n_small, n_small * 2 // 3).items()]
    new, old = richness("double_layer", n_small), richness("dipole", n_small)
    lines += ["", f"## Richness (fact 4): {n_small} normal subjects x 2 beats", "",
              "| fact | double layer | dipole (v1) |", "|---|---|---|"]
    lines += [f"| {k} | {new[k]} | {old[k]} |" for k in new]
    n_cond = 10 if quick else 30
    lines += ["", f"## Amplitudes and timing (fact 5): {n_cond} subjects x 2 beats per "
              "condition, medians", "",
              "| condition | precordial R (mV) | R-peak Bz (pT) | MCG T/R | QRS (ms) | "
              "max abs ST at J, 12 leads (uV) |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {c} | {r:.2f} | {b:.1f} | {tr:.2f} | {q:.0f} | {st:.0f} |"
              for c, (r, b, tr, q, st) in amplitudes(n_cond).items()]
    n_isch = 40 if quick else 160
    lines += ["", f"## Ischaemia (fact 7): {n_isch} subjects (half ischaemic) x 6 beats, "
              "shielded noise, logistic regression on the ST (80-120 ms) and TQ levels, "
              "5-fold GroupKFold", "", "| signal | AUROC |", "|---|---:|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in ischaemia(n_isch).items()]
    return "\n".join(lines) + "\n"
