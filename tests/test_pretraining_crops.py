"""Stage 1 on whole records and on data read from disk: random crops, crop-mean
embedding, memory maps and on-disk corpora streamed, not copied."""

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import sklearn_ecgmcg._base as base
from sklearn_ecgmcg import ContrastivePretrainer
from sklearn_ecgmcg._streaming import SignalDataset, crop_starts
from sklearn_ecgmcg.datasets import write_corpus
from sklearn_ecgmcg.utils import check_signals

SMALL = {"embedding_dim": 8, "max_epochs": 2, "batch_size": 16, "device": "cpu",
         "random_state": 0, "encoder_params": {"width": 4, "blocks": (1, 1)}}


def _signals(n=40, n_channels=2, n_times=200, seed=0):
    return np.random.default_rng(seed).standard_normal((n, n_channels, n_times)).astype("f4")


def test_without_crop_length_the_in_memory_path_is_kept(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an in-memory array without crops must not be streamed")

    monkeypatch.setattr(base, "SignalDataset", refuse)
    X = _signals(n_times=64)
    pretrainer = ContrastivePretrainer(**SMALL).fit(X)
    assert pretrainer.n_times_in_ == 64 and pretrainer.transform(X).shape == (40, 8)


def test_memmap_trains_exactly_like_the_array(tmp_path):
    X = _signals(n_times=64)
    np.save(tmp_path / "x.npy", X)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    in_memory = ContrastivePretrainer(**SMALL).fit(X)
    streamed = ContrastivePretrainer(**SMALL).fit(mapped)
    assert streamed.loss_curve_ == in_memory.loss_curve_
    np.testing.assert_array_equal(streamed.transform(mapped), in_memory.transform(X))


def test_crops_are_random_windows_of_their_record():
    X = _signals(n=3, n_times=50)
    dataset = SignalDataset(X, crop_length=20)
    torch.manual_seed(0)
    starts = set()
    for _ in range(10):
        window, _ = dataset[1]
        assert window.shape == (2, 20) and window.dtype == torch.float32
        start = next(s for s in range(31) if np.array_equal(X[1, :, s : s + 20], window.numpy()))
        starts.add(start)
    assert len(starts) > 3  # drawn anew at every access
    assert crop_starts(50, 20).tolist() == [0, 15, 30]
    assert crop_starts(60, 20).tolist() == [0, 20, 40]


def test_long_record_embeds_as_the_mean_of_its_crops():
    X = _signals(n_times=200)
    pretrainer = ContrastivePretrainer(crop_length=60, **SMALL).fit(X)
    assert pretrainer.n_times_in_ == 60
    again = ContrastivePretrainer(crop_length=60, **SMALL).fit(X)
    np.testing.assert_array_equal(again.transform(X), pretrainer.transform(X))
    long = _signals(n=5, n_times=170, seed=1)
    crops = [pretrainer.transform(long[..., s : s + 60]) for s in crop_starts(170, 60)]
    np.testing.assert_allclose(pretrainer.transform(long), np.mean(crops, axis=0), atol=1e-5)
    np.testing.assert_allclose(pretrainer.transform(long[..., :60]), crops[0], atol=1e-6)
    with pytest.raises(ValueError, match="at least 60 samples"):
        pretrainer.transform(long[..., :59])
    short = ContrastivePretrainer(crop_length=300, **SMALL).fit(X)  # shorter records: whole
    assert short.crop_length_ is None and short.n_times_in_ == 200
    assert short.transform(X).shape == (40, 8)


def test_each_view_of_a_record_is_its_own_crop():
    X = _signals(n_times=200)
    pretrainer = ContrastivePretrainer(crop_length=60, **SMALL).fit(X)
    augment = pretrainer.net_.module_.augment
    assert augment.crop_length == 60  # each call cuts its own window of the whole record
    torch.manual_seed(0)
    view_a, view_b = augment(torch.from_numpy(X)), augment(torch.from_numpy(X))
    assert view_a.shape == view_b.shape == (40, 2, 60)
    assert not torch.allclose(view_a, view_b)


def test_crops_work_with_every_objective():
    X = _signals(n_times=120)
    for objective in ("patient", "masked"):
        pretrainer = ContrastivePretrainer(objective, crop_length=40, **SMALL)
        pretrainer.fit(X, groups=np.arange(40) // 4)
        assert np.isfinite(pretrainer.loss_curve_).all()
        assert pretrainer.transform(X).shape == (40, 8)


def test_corpus_in_place_of_an_array(tmp_path):
    X = _signals(n_times=96)
    batches = [{"ecg": X[i : i + 10], "sfreq": 100.0, "ch_names": ["a", "b"],
                "groups": np.arange(i, i + 10) // 5} for i in range(0, 40, 10)]
    corpus = write_corpus(batches, tmp_path / "c", chunk_records=15, verbose=0)
    from_array = ContrastivePretrainer(crop_length=48, **SMALL).fit(X)
    from_corpus = ContrastivePretrainer(crop_length=48, **SMALL).fit(corpus)
    assert from_corpus.loss_curve_ == from_array.loss_curve_
    np.testing.assert_array_equal(from_corpus.transform(corpus), from_array.transform(X))
    # the corpus carries the patient ids objective="patient" needs
    patient = ContrastivePretrainer("patient", **SMALL).fit(corpus)
    expected = ContrastivePretrainer("patient", **SMALL).fit(X, groups=np.arange(40) // 5)
    assert patient.loss_curve_ == expected.loss_curve_
    workers = ContrastivePretrainer(num_workers=1, **{**SMALL, "max_epochs": 1}).fit(corpus)
    assert np.isfinite(workers.loss_curve_).all()


def _anon_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    return None


class _PeakAnon(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.start_kb = self.peak_kb = _anon_kb()
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.001):
            self.peak_kb = max(self.peak_kb, _anon_kb())

    def growth_mb(self):
        self.done.set()
        self.join()
        return (max(self.peak_kb, _anon_kb()) - self.start_kb) / 1024


@pytest.mark.slow
@pytest.mark.skipif(_anon_kb() is None, reason="needs Linux /proc/self/status")
def test_memmap_is_streamed_not_copied(tmp_path):
    shape = (1000, 16, 1000)  # 64 MB of float32, 128 MB as float64
    data = np.lib.format.open_memmap(tmp_path / "x.npy", "w+", np.float64, shape)
    for start in range(0, shape[0], 100):
        data[start : start + 100] = np.random.default_rng(start).standard_normal((100, *shape[1:]))
    data.flush()
    del data
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    params = {**SMALL, "max_epochs": 1, "batch_size": 50}
    ContrastivePretrainer(**params).fit(_signals(n=60, n_channels=16, n_times=1000))  # warm-up
    float32_mb = mapped.nbytes / 2 / 2**20
    peak = _PeakAnon()
    peak.start()
    checked = check_signals(mapped, ensure_3d=True, dtype=np.float32, lazy=True)
    pretrainer = ContrastivePretrainer(**params).fit(mapped)
    embedding = pretrainer.transform(mapped)
    growth = peak.growth_mb()
    assert checked is mapped  # checked in blocks, handed back as it is
    assert embedding.shape == (1000, 8) and np.isfinite(embedding).all()
    # a float32 copy alone would add float32_mb; training a batch of 50 needs ~20 MB
    assert growth < 0.75 * float32_mb, f"anonymous memory grew by {growth:.0f} MB"


def test_aligner_trains_on_memory_maps_like_on_arrays(tmp_path):
    from sklearn_ecgmcg import CrossModalAligner

    rng = np.random.default_rng(0)
    ecg, mcg = _signals(n_times=32), rng.standard_normal((40, 3, 32)).astype("f4")
    np.save(tmp_path / "ecg.npy", ecg.astype(np.float64))  # converted batch by batch
    np.save(tmp_path / "mcg.npy", mcg)
    tower = {"width": 4, "blocks": (1, 1)}
    params = {"ecg_encoder": "resnet1d", "mcg_encoder": "resnet1d", "ecg_encoder_params": tower,
              "mcg_encoder_params": tower, "embedding_dim": 4, "max_epochs": 2,
              "batch_size": 16, "sfreq": 100.0, "device": "cpu", "random_state": 0}
    in_memory = CrossModalAligner(**params).fit(ecg, mcg)
    mapped = [np.load(tmp_path / name, mmap_mode="r") for name in ("ecg.npy", "mcg.npy")]
    streamed = CrossModalAligner(**params).fit(*mapped)
    assert streamed.loss_curve_ == in_memory.loss_curve_
    np.testing.assert_array_equal(streamed.transform(mapped[0]), in_memory.transform(ecg))
    np.testing.assert_array_equal(streamed.encode(mcg=mapped[1]), in_memory.encode(mcg=mcg))


def test_channel_stats_in_blocks_equal_numpy(monkeypatch):
    from sklearn_ecgmcg.alignment import _inputs

    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3, 20)) * [[1.0], [5.0], [0.0]] + [[3.0], [0.0], [2.0]]
    monkeypatch.setattr(_inputs, "_STATS_BLOCK_BYTES", 7 * 3 * 20 * 8)  # 7 rows a block
    mean, scale = _inputs.channel_stats(x)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2)), atol=1e-12)
    np.testing.assert_allclose(scale, [*x.std(axis=(0, 2))[:2], 1.0], atol=1e-12)


def test_aligner_takes_an_ecg_corpus_and_an_mcg_corpus(tmp_path):
    from sklearn_ecgmcg import CrossModalAligner

    rng = np.random.default_rng(0)
    ecg, mcg = _signals(n=24, n_times=32), rng.standard_normal((24, 3, 32)).astype("f4")
    corpora = [
        write_corpus([{modality: signals, "sfreq": 100.0,
                       "ch_names": [f"{modality}{k}" for k in range(signals.shape[1])]}],
                     tmp_path / modality, modality=modality, verbose=0)
        for modality, signals in (("ecg", ecg), ("mcg", mcg))
    ]
    tower = {"width": 4, "blocks": (1, 1)}
    params = {"ecg_encoder": "resnet1d", "mcg_encoder": "resnet1d", "ecg_encoder_params": tower,
              "mcg_encoder_params": tower, "embedding_dim": 4, "max_epochs": 2,
              "batch_size": 8, "sfreq": 100.0, "device": "cpu", "random_state": 0}
    in_memory = CrossModalAligner(**params).fit(ecg, mcg)
    streamed = CrossModalAligner(**params).fit(*corpora)
    assert streamed.loss_curve_ == in_memory.loss_curve_
    np.testing.assert_array_equal(streamed.transform(corpora[0]), in_memory.transform(ecg))
    assert streamed.score(*corpora) == in_memory.score(ecg, mcg)


def test_crop_pretrainer_initialises_the_aligner_on_beats_of_its_crop_length():
    from sklearn.frozen import FrozenEstimator

    from sklearn_ecgmcg import CrossModalAligner

    rng = np.random.default_rng(0)
    pretrainer = ContrastivePretrainer(crop_length=50, **SMALL).fit(_signals(n_times=200))
    mcg = rng.standard_normal((40, 3, 50)).astype("f4")
    aligner = CrossModalAligner(
        ecg_encoder=FrozenEstimator(pretrainer), mcg_encoder="resnet1d",
        mcg_encoder_params={"width": 4, "blocks": (1, 1)}, embedding_dim=8, max_epochs=1,
        batch_size=16, latent="pooled", device="cpu", random_state=0,
    ).fit(_signals(n_times=50, seed=1), mcg)
    assert aligner.transform(_signals(n_times=50, seed=2)).shape == (40, 8)
    with pytest.raises(ValueError, match="pretrain with crop_length=60"):
        aligner.fit(_signals(n_times=60), rng.standard_normal((40, 3, 60)))
