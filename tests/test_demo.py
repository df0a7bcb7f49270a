"""The demo's verdicts, bootstrap and output (the full run is `make demo`)."""

import functools
import io
import json

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from sklearn_ecgmcg import cli
from sklearn_ecgmcg._demo import _stages, run_demo
from sklearn_ecgmcg._demo._verdicts import (
    auroc_metric,
    binary_auroc,
    coverage_verdict,
    mean_metric,
    paired_bootstrap,
    r2_metric,
    verdict,
)
from sklearn_ecgmcg.metrics import virtual_mcg_r2


def test_fast_metrics_equal_the_reference_ones():
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(30, 3, 20))
    y_pred = y_true + rng.normal(size=y_true.shape)
    rows = rng.integers(0, 30, 30)
    assert r2_metric(y_true, y_pred)(rows) == pytest.approx(
        virtual_mcg_r2(y_true[rows], y_pred[rows]))
    target = rng.integers(0, 3, 60) * 2  # labels 0, 2, 4: columns follow the classes
    scores = rng.random((60, 3))
    scores[:10] = scores[10]
    scores /= scores.sum(axis=1, keepdims=True)  # ties count half, as in roc_auc_score
    assert auroc_metric(target, scores, [0, 2, 4])(np.arange(60)) == pytest.approx(
        roc_auc_score(target, scores, multi_class="ovr", average="macro"))
    with pytest.raises(ValueError, match="both classes"):
        binary_auroc(np.ones(5, bool), np.arange(5.0))


def _comparison(a_values, b_values, n_subjects=20, seed=0):
    groups = np.repeat(np.arange(n_subjects), 5)
    return paired_bootstrap(mean_metric(a_values), mean_metric(b_values), groups, seed)


def test_verdict_says_wins_loses_or_no_clear_winner():
    rng = np.random.default_rng(0)
    base = rng.normal(size=100)
    win = verdict("stage 3", "pipeline", "ridge", "R²", _comparison(base + 1, base), "subjects")
    assert "the method WINS by 1.00" in win and "on 20 subjects" in win
    lose = verdict("stage 3", "pipeline", "ridge", "R²", _comparison(base, base + 1), "subjects")
    assert "the method LOSES by 1.00" in lose
    tie = verdict("stage 3", "pipeline", "ridge", "R²",
                  _comparison(base + rng.normal(scale=3, size=100), base), "subjects")
    assert "NO CLEAR WINNER" in tie and "includes 0" in tie


def test_paired_bootstrap_interval_brackets_the_estimate():
    values = np.random.default_rng(1).random(100)
    result = _comparison(values, values * 0.5)
    assert result["n"] == 20
    assert result["a_ci"][0] <= result["a"] <= result["a_ci"][1]
    assert result["diff_ci"][0] > 0


def test_coverage_verdict():
    groups = np.repeat(np.arange(20), 5)
    inside = np.full(100, 0.9)
    c = paired_bootstrap(mean_metric(inside), mean_metric(inside), groups, 0)
    assert "CALIBRATED" in coverage_verdict(c, 0.9, 10.0, 20)
    low = paired_bootstrap(mean_metric(inside - 0.2), mean_metric(inside), groups, 0)
    assert "UNDER-COVERS by 0.20; nominal is outside" in coverage_verdict(low, 0.9, 10.0, 20)


@pytest.mark.parametrize("quiet, tty, expected", [(False, True, 1), (True, True, 0),
                                                  (False, False, 0)])
def test_progress_bars_only_on_a_terminal_and_not_quiet(monkeypatch, quiet, tty, expected):
    monkeypatch.setattr(cli.sys.stdout, "isatty", lambda: tty, raising=False)
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: tty, raising=False)
    assert cli._progress_bars(quiet) == expected


def test_threads_below_one_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="--threads must be at least 1; got 0"):
        cli.main(["demo", "--out", str(tmp_path), "--threads", "0"])


@pytest.mark.slow
def test_run_demo_prints_a_verdict_per_stage_and_writes_the_report(tmp_path, monkeypatch):
    # The demo with its data and epochs shrunk: the estimators keep their defaults.
    monkeypatch.setattr(_stages, "N_SUBJECTS", 16)
    monkeypatch.setattr(_stages, "BEATS_PER_SUBJECT", 4)
    for name in ("ContrastivePretrainer", "CrossModalAligner"):
        monkeypatch.setattr(_stages, name,
                            functools.partial(getattr(_stages, name), max_epochs=2))
    stream = io.StringIO()
    threads = torch.get_num_threads()
    results = run_demo(tmp_path, device="cpu", verbose=0, stream=stream)
    assert torch.get_num_threads() == threads  # restored
    printed = stream.getvalue()
    assert "\x1b[" not in printed  # no ANSI codes in piped output
    verdicts = [line for line in printed.splitlines() if line.startswith("VERDICT")]
    assert verdicts == results["verdicts"] and len(verdicts) == 5
    assert all(any(word in line for word in ("WINS", "LOSES", "NO CLEAR WINNER",
                                              "COVERS", "CALIBRATED")) for line in verdicts)
    assert "R² (variance-weighted, vs measured MCG)" in verdicts[2]
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "SIMULATED" in report and report.count("<img") == 7
    saved = json.loads((tmp_path / "results.json").read_text())
    assert set(saved["comparisons"]) == {"stage1", "stage2", "stage3", "intervals", "diagnosis"}
