"""Data-parallel training (issue 18): 2 gloo processes on CPU against 1 process.

``_fit_worker.py`` fits three tiny estimators (a regression MLP, a SimCLR pretrainer, a
CLIP aligner with a learned temperature) and three objective variants under
``torchrun --nproc-per-node 2``, and the regression MLP alone on one process.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_ecgmcg import ContrastivePretrainer, LatentProjector
from sklearn_ecgmcg._distributed import DataParallel, ShardedBatchSampler

WORKER = Path(__file__).with_name("_fit_worker.py")
ESTIMATORS = ("projector", "pretrainer", "aligner", "variants")
# The regression loss is a mean over samples, so 2 ranks x 8 samples average the same
# gradient as 1 x 16; only the order of float32 sums differs (6e-8 seen).
PARAMETER_ATOL = 1e-6


def _run(command, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("WORLD_SIZE", None)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300,
                          check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    one, two = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    _run([sys.executable, str(WORKER), str(one), "--projector-only"], one)
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
          "2", str(WORKER), str(two)], two)
    return {"one": np.load(one / "rank0.npz"),
            "ranks": [np.load(two / f"rank{rank}.npz") for rank in (0, 1)]}


@pytest.mark.slow
@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_rank_holds_the_same_parameters(fits, name):
    rank0, rank1 = fits["ranks"]
    np.testing.assert_array_equal(rank0[name], rank1[name])


@pytest.mark.slow
def test_two_processes_match_one_with_the_same_global_batch(fits):
    two = fits["ranks"][0]
    np.testing.assert_allclose(two["projector"], fits["one"]["projector"], rtol=0,
                               atol=PARAMETER_ATOL)
    np.testing.assert_allclose(two["projector_loss"], fits["one"]["projector_loss"],
                               rtol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["projector", "aligner"])
def test_the_loss_decreases_and_is_the_same_on_every_rank(fits, name):
    rank0, rank1 = fits["ranks"]
    curve = rank0[f"{name}_loss"]
    assert curve[-1] < curve[0]
    np.testing.assert_array_equal(curve, rank1[f"{name}_loss"])


@pytest.mark.slow
def test_every_rank_resumes_from_the_checkpoint_rank_0_wrote(fits):
    for rank in fits["ranks"]:
        np.testing.assert_array_equal(rank["checkpoint_resumed_from"], [0, 6])
        np.testing.assert_array_equal(rank["checkpoint_resumed"], rank["projector"])


def test_each_rank_takes_its_share_of_every_batch():
    batches = [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert list(ShardedBatchSampler(batches, 0, 2)) == [[0, 2], [4, 6]]
    assert list(ShardedBatchSampler(batches, 1, 2)) == [[1, 3], [5, 7]]


def test_a_batch_that_does_not_split_evenly_is_refused():
    with pytest.raises(ValueError, match="multiple of 3"):
        DataParallel(0, 3, "cpu").check_batch_size(16)


def test_a_world_size_without_the_launcher_variables_is_refused(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    for key in ("RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ValueError, match="torchrun"):
        LatentProjector(decoder="mlp", max_epochs=1, device="cpu").fit(
            np.zeros((8, 2), np.float32), np.zeros((8, 3), np.float32))


def test_one_process_trains_without_a_process_group():
    assert DataParallel.from_environment("cpu") is None


def _regression(n=64):
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((n, 6)).astype(np.float32)
    return Z, np.tanh(Z @ rng.standard_normal((6, 10))).astype(np.float32)


def test_bf16_trains_under_autocast_and_keeps_float32_weights(one_torch_thread):
    seen = []
    Z, Y = _regression()
    projector = LatentProjector(decoder="mlp", hidden_dim=16, max_epochs=3, lr=1e-2,
                                batch_size=16, device="cpu", random_state=0,
                                precision="bf16")
    original = torch.nn.Linear.forward

    def recording_forward(self, x):
        out = original(self, x)
        seen.append(out.dtype)
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch.nn.Linear, "forward", recording_forward)
        projector.fit(Z, Y)
    assert torch.bfloat16 in seen
    assert all(p.dtype == torch.float32 for p in projector.net_.module_.parameters())
    assert projector.loss_curve_[-1] < projector.loss_curve_[0]
    reference = LatentProjector(decoder="mlp", hidden_dim=16, max_epochs=3, lr=1e-2,
                                batch_size=16, device="cpu", random_state=0).fit(Z, Y)
    # bf16 keeps 8 bits of mantissa: the loss moves by a few parts in a thousand.
    np.testing.assert_allclose(projector.loss_curve_, reference.loss_curve_, rtol=2e-2)
    assert projector.predict(Z).dtype == reference.predict(Z).dtype


@pytest.mark.slow
def test_compile_trains_the_same_module(one_torch_thread):
    pytest.importorskip("torch._inductor")
    Z, Y = _regression()
    params = {"decoder": "mlp", "hidden_dim": 16, "max_epochs": 2, "lr": 1e-2,
              "batch_size": 16, "device": "cpu", "random_state": 0}
    compiled = LatentProjector(compile=True, **params).fit(Z, Y)
    plain = LatentProjector(**params).fit(Z, Y)
    assert type(compiled.net_.module_) is type(plain.net_.module_)  # not the compiled wrapper
    np.testing.assert_allclose(compiled.loss_curve_, plain.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(compiled.predict(Z), plain.predict(Z), rtol=1e-3, atol=1e-4)


def test_the_new_parameters_are_validated():
    with pytest.raises(ValueError, match="precision"):
        ContrastivePretrainer(precision="fp16").fit(np.zeros((4, 1, 32), np.float32))
