"""Optuna studies shared by worker processes: a journal file and PostgreSQL (issue 18).

The PostgreSQL tests start a throwaway server (``tests/_postgres.py``) and skip, saying
why, where no server binary exists.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from sklearn_ecgmcg.model_selection import open_study
from _postgres import throwaway_postgres, why_no_server
from _search_worker import FINISHED, make_pruner, objective

WORKER = Path(__file__).with_name("_search_worker.py")


def start_workers(storage, study, n_finished, n_workers=2, heartbeat=60):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, str(WORKER), storage, study, str(n_finished),
               "--heartbeat", str(heartbeat)]
    return [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for _ in range(n_workers)]


def wait(workers):
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr[-3000:]


def finished(study):
    return [trial for trial in study.get_trials(deepcopy=False) if trial.state in FINISHED]


@pytest.fixture(scope="module")
def postgres_url():
    reason = why_no_server()
    if reason:
        pytest.skip(f"no throwaway PostgreSQL server: {reason}")
    # Not under pytest's tmp_path: the server's user must be able to enter it.
    with tempfile.TemporaryDirectory(prefix="sklearn-ecgmcg-pg-") as directory, \
            throwaway_postgres(directory) as url:
        yield url


@pytest.mark.slow
def test_workers_share_one_study_on_postgresql_and_prune(postgres_url):
    study = open_study("shared", postgres_url, pruner=make_pruner())
    # Learning rates that move the loss, so the median the pruner compares with is known
    # to be low (sampled ones can all be tiny, and then nothing is worse than the median).
    for lr in (3e-3, 5e-3, 1e-2, 2e-2):
        study.enqueue_trial({"lr": lr})
    wait(start_workers(postgres_url, "shared", n_finished=4))
    assert len(finished(study)) >= 4
    assert len({trial.user_attrs["pid"] for trial in study.trials}) == 2  # both workers
    # A learning rate too small to move the loss, once trained trials exist: pruned.
    study.enqueue_trial({"lr": 1e-7})
    study.optimize(objective, n_trials=1)
    assert study.trials[-1].state == TrialState.PRUNED


@pytest.mark.slow
def test_a_study_whose_workers_were_killed_is_resumed(postgres_url):
    workers = start_workers(postgres_url, "killed", n_finished=1000, n_workers=1,
                            heartbeat=1)
    study = open_study("killed", postgres_url)
    deadline = time.monotonic() + 120
    while len(finished(study)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    for worker in workers:
        worker.send_signal(signal.SIGKILL)
        worker.communicate()
    before = len(finished(study))
    assert before >= 2
    time.sleep(2.5)  # past the heartbeat's grace period (2 intervals)
    wait(start_workers(postgres_url, "killed", n_finished=before + 2, n_workers=1,
                       heartbeat=1))
    states = [trial.state for trial in open_study("killed", postgres_url).trials]
    assert states.count(TrialState.COMPLETE) + states.count(TrialState.PRUNED) >= before + 2
    assert TrialState.RUNNING not in states  # the killed workers' trials were failed


def test_an_unreachable_database_is_named_with_its_password_hidden():
    url = "postgresql://alice:s3cret@127.0.0.1:1/optuna"
    with pytest.raises(ConnectionError, match=r"postgresql://alice:\*\*\*@127\.0\.0\.1:1/optuna"
                       ) as caught:
        open_study("study", url)
    assert "s3cret" not in str(caught.value)


def test_a_malformed_url_is_refused_with_its_password_hidden():
    with pytest.raises(ValueError, match="Cannot parse") as caught:
        open_study("study", "postgresql+://alice:s3cret@host:port/db")
    assert "s3cret" not in str(caught.value)


def test_a_journal_file_in_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="missing"):
        open_study("study", tmp_path / "missing" / "study.log")


def test_the_default_storage_is_a_journal_file_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = open_study("laptop")
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    assert (tmp_path / "laptop.optuna.log").is_file()
    assert len(optuna.load_study(study_name="laptop", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend("laptop.optuna.log"))).trials) == 2


def test_a_study_name_must_be_a_string():
    with pytest.raises(TypeError, match="study_name"):
        open_study(None)
