"""Paired subject bootstrap and the one-line verdicts of the demo.

Each comparison resamples whole subjects (or records) with replacement and scores
the method and its baseline on the same resample, so the interval of their
difference says whether the method wins, loses or cannot be told apart.
"""

import numpy as np
from scipy.stats import rankdata

N_BOOT = 500


def paired_bootstrap(metric_a, metric_b, groups, random_state, n_boot=N_BOOT):
    """Scores of two methods and of their difference, with 95 % subject-bootstrap intervals.

    Parameters
    ----------
    metric_a, metric_b : callable
        ``metric(rows) -> float`` on an array of row indices (with repeats).
    groups : ndarray of shape (n_rows,)
        Subject (or record) of each row: the unit resampled.
    random_state : int
        Seed of the resampling.
    n_boot : int, default=N_BOOT
        Resamples; those where a metric is undefined (ValueError, NaN) are skipped.

    Returns
    -------
    result : dict
        ``a``, ``b``, ``diff`` (a - b) on all rows, ``a_ci``, ``b_ci``, ``diff_ci``
        (2.5 and 97.5 percentiles) and ``n`` (number of subjects).
    """
    rng = np.random.default_rng(random_state)
    subjects, inverse = np.unique(groups, return_inverse=True)
    rows_of = [np.flatnonzero(inverse == s) for s in range(len(subjects))]
    everything = np.arange(len(groups))
    a, b = metric_a(everything), metric_b(everything)
    boots = []
    for _ in range(n_boot):
        pick = np.concatenate([rows_of[s] for s in rng.integers(0, len(subjects), len(subjects))])
        try:
            pair = (metric_a(pick), metric_b(pick))
        except ValueError:
            continue
        if np.all(np.isfinite(pair)):
            boots.append(pair)
    boots = np.array(boots).reshape(-1, 2)

    def ci(values):  # NaN when no resample had the metric defined (tiny test sets)
        return tuple(np.percentile(values, [2.5, 97.5])) if len(values) else (np.nan, np.nan)

    return {"a": a, "b": b, "diff": a - b, "a_ci": ci(boots[:, 0]), "b_ci": ci(boots[:, 1]),
            "diff_ci": ci(boots[:, 0] - boots[:, 1]), "n": len(subjects)}


def r2_metric(y_true, y_pred):
    """Variance-weighted R² on bootstrap rows, from per-beat sums (fast on many resamples).

    Equal to ``virtual_mcg_r2(y_true[rows], y_pred[rows])``: ``1 - SS_res / SS_tot``
    over all channels and time samples.
    """
    flat = y_true.reshape(len(y_true), -1).astype(np.float64)
    squares = np.einsum("ij,ij->i", flat, flat)
    residual = flat - y_pred.reshape(len(y_pred), -1)
    residuals = np.einsum("ij,ij->i", residual, residual)

    def metric(rows):
        weights = np.bincount(rows, minlength=len(flat)).astype(np.float64)
        sums = weights @ flat
        total = weights @ squares - sums @ sums / weights.sum()
        return float(1.0 - (weights @ residuals) / total)

    return metric


def mean_metric(values):
    """The mean of per-row values (hits, coverage fractions) on bootstrap rows."""
    return lambda rows: float(np.mean(values[rows]))


def binary_auroc(positive, scores):
    """ROC AUC from the rank-sum (Mann-Whitney) statistic, ties counted half.

    The same value as :func:`sklearn.metrics.roc_auc_score`, without its input
    checks, which dominate the cost over hundreds of bootstrap resamples.
    """
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUROC needs both classes")
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auroc_metric(target, scores, classes):
    """Macro one-vs-rest AUROC of per-row scores of ``classes``; ValueError when one is absent."""
    def metric(rows):
        return float(np.mean([binary_auroc(target[rows] == label, scores[rows, k])
                              for k, label in enumerate(classes)]))
    return metric


def multilabel_auroc_metric(target, scores):
    """Macro AUROC over the labels that have both classes in the rows (PTB-XL superclasses)."""
    def metric(rows):
        labels = target[rows].astype(bool)
        aurocs = [binary_auroc(labels[:, k], scores[rows, k]) for k in range(target.shape[1])
                  if 0 < labels[:, k].sum() < len(rows)]
        if not aurocs:
            raise ValueError("no label has both classes in this resample")
        return float(np.mean(aurocs))
    return metric


def _interval(ci):
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def verdict(stage, method, baseline, metric_name, comparison, unit, higher_is_better=True):
    """One line: both scores with intervals, and whether the method wins, loses or ties."""
    c = comparison
    diff, (low, high) = c["diff"], c["diff_ci"]
    if not higher_is_better:
        diff, low, high = -diff, -high, -low
    margin = f"{abs(diff):.2f} {_interval((low, high) if diff >= 0 else (-high, -low))}"
    if low > 0:
        outcome = f"the method WINS by {margin}"
    elif high < 0:
        outcome = f"the method LOSES by {margin}"
    else:
        side = "ahead" if diff >= 0 else "behind"
        outcome = (f"NO CLEAR WINNER: the method is {side} by {margin}, an interval that "
                   "includes 0")
    return (f"VERDICT {stage}: {method} {metric_name} {c['a']:.2f} {_interval(c['a_ci'])} vs "
            f"{baseline} {c['b']:.2f} {_interval(c['b_ci'])} on {c['n']} {unit} - {outcome}.")


def coverage_verdict(coverage, nominal, width, n_subjects, tolerance=0.03):
    """One line for the conformal intervals: empirical coverage against nominal."""
    value, (low, high) = coverage["a"], coverage["a_ci"]
    if abs(value - nominal) <= tolerance:
        outcome = f"CALIBRATED (within {tolerance:.2f} of nominal)"
    else:
        off = (f"UNDER-COVERS by {nominal - value:.2f}" if value < nominal
               else f"OVER-COVERS by {value - nominal:.2f} (wider than needed)")
        noise = ("nominal is inside the interval: few calibration subjects" if low <= nominal
                 <= high else "nominal is outside the interval")
        outcome = f"{off}; {noise}"
    return (f"VERDICT stage 3 intervals: {nominal:.0%} conformal intervals cover {value:.2f} "
            f"{_interval((low, high))} of the measured MCG values of {n_subjects} held-out "
            f"simulated subjects, mean width {width:.1f} pT - {outcome}.")
