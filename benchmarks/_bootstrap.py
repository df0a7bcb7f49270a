"""A metric with a 95 % bootstrap interval over subjects (shared by the benchmark scripts)."""

import numpy as np


def subject_bootstrap(metric, y_true, y_pred, groups, rng, n_boot=1000):
    """``metric(y_true, y_pred)`` and its 95 % interval, resampling whole subjects.

    Resamples where the metric is undefined (one class only: an error or NaN) are skipped.
    """
    subjects = np.unique(groups)
    rows = {s: np.flatnonzero(groups == s) for s in subjects}
    boots = []
    for _ in range(n_boot):
        pick = np.concatenate([rows[s] for s in rng.choice(subjects, len(subjects))])
        try:
            value = metric(y_true[pick], y_pred[pick])
        except ValueError:
            continue
        if np.isfinite(value):
            boots.append(value)
    return metric(y_true, y_pred), np.percentile(boots, [2.5, 97.5])
