"""The build-corpus and pretrain subcommands, end to end on a tiny corpus."""

import json
import subprocess
import sys

import numpy as np
import pytest
import wfdb

from sklearn_ecgmcg import ContrastivePretrainer, load_weights
from sklearn_ecgmcg.cli import main
from sklearn_ecgmcg.datasets import ECGCorpus


def _wfdb_folder(folder, n_records=12, sfreq=100, n_times=400):
    rng = np.random.default_rng(0)
    for k in range(n_records):
        patient = folder / f"patient{k // 2:02d}"
        patient.mkdir(parents=True, exist_ok=True)
        wfdb.wrsamp(f"r{k:02d}", fs=sfreq, units=["mV"] * 2, sig_name=["I", "II"],
                    p_signal=rng.standard_normal((n_times, 2)), fmt=["16"] * 2,
                    write_dir=str(patient))
    return folder


def test_build_corpus_then_pretrain_end_to_end(tmp_path, capsys):
    source = _wfdb_folder(tmp_path / "wfdb")
    assert main(["build-corpus", str(source), "--out", str(tmp_path / "corpus"),
                 "--n-times", "200", "--quiet"]) == 0
    corpus = ECGCorpus(tmp_path / "corpus")
    assert corpus.shape == (24, 2, 200) and len(set(corpus.groups)) == 6
    args = ["pretrain", "--corpus", str(tmp_path / "corpus"), "--out", str(tmp_path / "out"),
            "--objective", "patient", "--crop-length", "100", "--epochs", "2",
            "--batch-size", "8", "--embedding-dim", "8", "--device", "cpu",
            "--checkpoint-dir", str(tmp_path / "checkpoints")]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "saved to" in captured.out
    # not a terminal: one plain line per epoch, no progress bars or colour codes
    assert "epoch 2  train_loss" in captured.out
    assert "\x1b[" not in captured.out + captured.err
    pretrainer = load_weights(tmp_path / "out" / "pretrainer")
    assert isinstance(pretrainer, ContrastivePretrainer) and pretrainer.crop_length == 100
    assert pretrainer.transform(corpus).shape == (24, 8)
    summary = json.loads((tmp_path / "out" / "pretrain_summary.json").read_text())
    assert summary["epochs"] == 2 and summary["n_records"] == 24
    assert any((tmp_path / "checkpoints").iterdir())
    assert main(args) == 0  # a finished run is not trained again
    assert "already holds a fitted pretrainer" in capsys.readouterr().out


def test_pretrain_bad_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match=r"--corpus: Corpus path .*nowhere does not exist"):
        main(["pretrain", "--corpus", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="is not a corpus"):
        main(["pretrain", "--corpus", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()


def test_build_corpus_refuses_another_corpus(tmp_path):
    source = _wfdb_folder(tmp_path / "wfdb", n_records=2)
    main(["build-corpus", str(source), "--out", str(tmp_path / "c"), "--quiet"])
    with pytest.raises(SystemExit, match="holds another corpus"):
        main(["build-corpus", str(source), "--out", str(tmp_path / "c"), "--n-times", "100",
              "--quiet"])


def test_module_entry_point_lists_the_corpus_commands():
    result = subprocess.run([sys.executable, "-m", "sklearn_ecgmcg", "pretrain", "--help"],
                            capture_output=True, text=True, check=True)
    assert "--corpus" in result.stdout and "--checkpoint-dir" in result.stdout


def _weights(path):
    import torch

    return torch.load(path / "pretrainer" / "weights.pt", weights_only=True)["weights"]["module"]


def test_pretrain_stopped_then_rerun_ends_like_an_uninterrupted_run(tmp_path, monkeypatch,
                                                                   capsys):
    from sklearn_ecgmcg import _cli_corpus

    source = _wfdb_folder(tmp_path / "wfdb")
    main(["build-corpus", str(source), "--out", str(tmp_path / "corpus"), "--quiet"])

    def args(name):
        return ["pretrain", "--corpus", str(tmp_path / "corpus"), "--out", str(tmp_path / name),
                "--crop-length", "100", "--epochs", "3", "--batch-size", "8",
                "--embedding-dim", "8", "--device", "cpu",
                "--checkpoint-dir", str(tmp_path / f"{name}_checkpoints")]

    assert main(args("reference")) == 0

    class StopAfterTwoEpochs(_cli_corpus._PlainEpochLog):  # Ctrl-C after epoch 2's checkpoint
        def on_epoch_end(self, net, **kwargs):
            super().on_epoch_end(net, **kwargs)
            if len(net.history) == 2:
                raise KeyboardInterrupt

    monkeypatch.setattr(_cli_corpus, "_PlainEpochLog", StopAfterTwoEpochs)
    assert main(args("run")) == 130  # skorch ends the fit quietly: nothing may be saved
    assert not (tmp_path / "run" / "pretrainer").exists()
    monkeypatch.undo()
    capsys.readouterr()
    assert main(args("run")) == 0
    log = capsys.readouterr().out
    assert "epoch 3  train_loss" in log and "epoch 1 " not in log  # resumed after epoch 2
    reference, resumed = _weights(tmp_path / "reference"), _weights(tmp_path / "run")
    for key, value in reference.items():
        np.testing.assert_array_equal(resumed[key].numpy(), value.numpy())
