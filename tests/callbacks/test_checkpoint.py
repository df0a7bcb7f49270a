"""TrainingCheckpoint: atomic checkpoints, exact resumption after SIGKILL (issue 18)."""

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_ecgmcg.callbacks import TrainingCheckpoint
from _checkpoint_worker import MAX_EPOCHS, make_data, make_pretrainer

WORKER = Path(__file__).with_name("_checkpoint_worker.py")

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def run_worker(dirname, out, *options):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, str(WORKER), str(dirname), str(out), *options],
                          env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def uninterrupted():
    """Weights and losses of the same fit, never stopped and never checkpointed."""
    pretrainer = make_pretrainer(callbacks=None).fit(make_data())
    return pretrainer


def assert_same_fit(out, reference):
    saved = np.load(out)
    for key, value in reference.net_.module_.state_dict().items():
        np.testing.assert_array_equal(saved[key], value.numpy(), err_msg=key)
    np.testing.assert_array_equal(saved["loss_curve"], reference.loss_curve_)
    return saved


def tree_digest(dirname):
    digest = hashlib.sha256()
    for path in sorted(Path(dirname).rglob("*")):
        digest.update(str(path.relative_to(dirname)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.slow
def test_a_fit_killed_mid_epoch_resumes_to_the_uninterrupted_weights(tmp_path, uninterrupted):
    dirname, out = tmp_path / "checkpoints", tmp_path / "weights.npz"
    killed = run_worker(dirname, out, "--kill-in-epoch", "3")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert sorted(p.name for p in dirname.iterdir()) == ["epoch-0001", "epoch-0002"]
    resumed = run_worker(dirname, out)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert int(assert_same_fit(out, uninterrupted)["resumed_from"]) == 2
    # The two newest checkpoints are kept.
    assert sorted(p.name for p in dirname.iterdir()) == ["epoch-0003", "epoch-0004"]


@pytest.mark.slow
def test_a_half_written_checkpoint_is_never_loaded(tmp_path, uninterrupted):
    dirname, out = tmp_path / "checkpoints", tmp_path / "weights.npz"
    killed = run_worker(dirname, out, "--kill-while-saving", "3")
    assert killed.returncode == -signal.SIGKILL
    names = sorted(p.name for p in dirname.iterdir())
    assert len(names) == 3 and names[0].startswith(".tmp-epoch-")  # epoch 3, half written
    assert names[1:] == ["epoch-0001", "epoch-0002"]
    resumed = run_worker(dirname, out)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert int(assert_same_fit(out, uninterrupted)["resumed_from"]) == 2
    assert not [p for p in dirname.iterdir() if p.name.startswith(".tmp")]


def fit_with_checkpoints(dirname, **params):
    pretrainer = make_pretrainer([TrainingCheckpoint(dirname)])
    return pretrainer.set_params(**params).fit(make_data())


def test_a_finished_fit_restarted_loads_its_last_checkpoint_and_trains_no_more(
        tmp_path, uninterrupted):
    fit_with_checkpoints(tmp_path)
    again = fit_with_checkpoints(tmp_path)
    checkpoint = next(
        cb for _, cb in again.net_.callbacks_ if isinstance(cb, TrainingCheckpoint))
    assert checkpoint.resumed_from_ == MAX_EPOCHS
    assert again.n_epochs_ == MAX_EPOCHS
    assert again.net_.max_epochs == MAX_EPOCHS  # restored after the (empty) resumed fit
    np.testing.assert_array_equal(again.transform(make_data()),
                                  uninterrupted.transform(make_data()))


def test_a_damaged_checkpoint_is_refused_by_name_and_left_alone(tmp_path):
    fit_with_checkpoints(tmp_path, max_epochs=2)
    params = tmp_path / "epoch-0002" / "params.pt"
    params.write_bytes(params.read_bytes()[:100])  # truncated
    before = tree_digest(tmp_path)
    with pytest.raises(ValueError, match=r"epoch-0002 is damaged: params\.pt"):
        fit_with_checkpoints(tmp_path, max_epochs=2)
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize(("change", "named"), [
    ({"lr": 1e-2}, "optimizer"),
    ({"random_state": 1}, "initial weights"),
    ({"max_epochs": 3}, "max_epochs"),
    ({"embedding_dim": 8}, "architecture"),
])
def test_other_arguments_than_the_checkpoint_are_refused(tmp_path, change, named):
    fit_with_checkpoints(tmp_path, max_epochs=2)
    before = tree_digest(tmp_path)
    with pytest.raises(ValueError, match=f"other .*{named}.*nothing was loaded or overwritten"):
        fit_with_checkpoints(tmp_path, **{"max_epochs": 2, **change})
    assert tree_digest(tmp_path) == before


def test_other_data_than_the_checkpoint_is_refused(tmp_path):
    fit_with_checkpoints(tmp_path, max_epochs=1)
    with pytest.raises(ValueError, match="other data"):
        make_pretrainer([TrainingCheckpoint(tmp_path)]).set_params(max_epochs=1).fit(
            make_data() * 2)


@pytest.mark.parametrize(("params", "error", "match"), [
    ({"dirname": 3}, TypeError, "dirname must be a str or path-like"),
    ({"every": 0}, ValueError, "every must be an integer >= 1"),
])
def test_bad_parameters_are_refused_before_training(tmp_path, params, error, match):
    callback = TrainingCheckpoint(**{"dirname": tmp_path, **params})
    with pytest.raises(error, match=match):
        make_pretrainer([callback]).fit(make_data())


def test_another_alignment_loss_than_the_checkpoint_is_refused(tmp_path):
    """The loss's weights are part of what a checkpoint continues (its architecture)."""
    from sklearn_ecgmcg import CrossModalAligner

    rng = np.random.default_rng(0)
    ecg = rng.standard_normal((32, 2, 40)).astype(np.float32)
    mcg = 20 * rng.standard_normal((32, 4, 40)).astype(np.float32)

    def fit(**params):
        return CrossModalAligner(sfreq=100.0, max_epochs=1, batch_size=16, device="cpu",
                                 random_state=0, callbacks=[TrainingCheckpoint(tmp_path)],
                                 **params).fit(ecg, mcg)

    fit()
    with pytest.raises(ValueError, match="other .*architecture.*nothing was loaded"):
        fit(dual_weight=1.0)
    with pytest.raises(ValueError, match="other .*architecture.*nothing was loaded"):
        fit(reconstruction_weight=2.0)
