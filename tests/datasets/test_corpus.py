"""On-disk corpus: write_corpus and ECGCorpus (round trip, resume, bad input)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from sklearn_ecgmcg.datasets import ECGCorpus, write_corpus

PTBXL = Path(__file__).resolve().parents[3] / "shared" / "data" / "ptbxl"


def _batches(n_batches=5, n=3, n_channels=2, n_times=40, sfreq=100.0, seed=0):
    rng = np.random.default_rng(seed)
    return [
        {"ecg": rng.standard_normal((n, n_channels, n_times)).astype(np.float32),
         "sfreq": sfreq, "ch_names": [f"c{k}" for k in range(n_channels)],
         "groups": np.arange(n) + 10 * b, "target": np.arange(n) % 2,
         "target_names": ["a", "b"]}
        for b in range(n_batches)
    ]


def _interrupted(batches, after):
    for number, batch in enumerate(batches):
        if number == after:
            raise KeyboardInterrupt("killed")
        yield batch


def test_stream_round_trip(tmp_path):
    batches = _batches()
    corpus = write_corpus(batches, tmp_path / "c", chunk_records=4, verbose=0)
    expected = np.concatenate([b["ecg"] for b in batches])
    assert corpus.shape == expected.shape and len(corpus) == 15
    assert corpus.sfreq == 100.0 and corpus.ch_names == ["c0", "c1"]
    np.testing.assert_array_equal(corpus[:], expected)
    np.testing.assert_array_equal(corpus[3:11], expected[3:11])  # across chunks
    np.testing.assert_array_equal(corpus[[14, 0, 7]], expected[[14, 0, 7]])
    np.testing.assert_array_equal(corpus[::4], expected[::4])
    np.testing.assert_array_equal(corpus[-1], expected[-1])
    np.testing.assert_array_equal(corpus[2, 1, 5:9], expected[2, 1, 5:9])
    np.testing.assert_array_equal(corpus.groups, np.concatenate([b["groups"] for b in batches]))
    np.testing.assert_array_equal(corpus.target, np.tile([0, 1, 0], 5))
    assert corpus.target_names == ["a", "b"] and corpus.record_ids[4] == "1-1"
    reopened = ECGCorpus(tmp_path / "c", verify=True)
    np.testing.assert_array_equal(reopened[:], expected)


def test_long_records_are_cut_into_windows(tmp_path):
    batches = _batches(n_batches=1, n=2, n_times=100)
    corpus = write_corpus(batches, tmp_path / "c", n_times=30, verbose=0)
    assert corpus.shape == (6, 2, 30)
    np.testing.assert_array_equal(corpus[4], batches[0]["ecg"][1, :, 30:60])
    assert list(corpus.record_ids[:3]) == ["0-0:0", "0-0:1", "0-0:2"]
    np.testing.assert_array_equal(corpus.groups, [0, 0, 0, 1, 1, 1])


def test_interrupted_write_resumes_to_the_same_corpus(tmp_path):
    batches = _batches(n_batches=6)
    whole = write_corpus(batches, tmp_path / "whole", chunk_records=3, verbose=0)
    with pytest.raises(KeyboardInterrupt):
        write_corpus(_interrupted(batches, after=4), tmp_path / "c", chunk_records=3, verbose=0)
    with pytest.raises(ValueError, match="was not finished"):
        ECGCorpus(tmp_path / "c")
    index = json.loads((tmp_path / "c" / "corpus.json").read_text())
    assert index["n_source_done"] == 4 and not index["complete"]
    seen = []

    def counted():
        for batch in batches:
            seen.append(batch)
            yield batch

    resumed = write_corpus(counted(), tmp_path / "c", chunk_records=3, verbose=0)
    np.testing.assert_array_equal(resumed[:], whole[:])
    np.testing.assert_array_equal(resumed.groups, whole.groups)
    # a sequence is indexed past the finished batches
    with pytest.raises(KeyboardInterrupt):
        write_corpus(_interrupted(batches, after=2), tmp_path / "s", chunk_records=3, verbose=0)

    class Batches:
        def __init__(self):
            self.asked = []

        def __len__(self):
            return len(batches)

        def __getitem__(self, i):
            self.asked.append(i)
            return batches[i]

    source = Batches()
    np.testing.assert_array_equal(write_corpus(source, tmp_path / "s", verbose=0)[:], whole[:])
    assert source.asked == [2, 3, 4, 5]


def test_other_corpus_or_folder_is_never_overwritten(tmp_path):
    write_corpus(_batches(), tmp_path / "c", verbose=0)
    before = {p.name: p.read_bytes() for p in (tmp_path / "c").iterdir()}
    with pytest.raises(ValueError, match="holds another corpus"):
        write_corpus(_batches(), tmp_path / "c", n_times=20, verbose=0)
    assert {p.name: p.read_bytes() for p in (tmp_path / "c").iterdir()} == before
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty and holds no corpus"):
        write_corpus(_batches(), tmp_path / "other", verbose=0)
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    "change, match",
    [({"sfreq": 250.0}, "Record 2-0 is sampled at 250 Hz, but the corpus is at 100 Hz"),
     ({"ch_names": ["c1", "c0"]}, r"Record 2-0 has channels \['c1', 'c0'\]"),
     ({"ecg": np.full((3, 2, 40), np.nan, np.float32)}, "Record 2-0 holds NaN")],
)
def test_mismatched_record_is_named_and_nothing_before_it_changes(tmp_path, change, match):
    batches = _batches()
    batches[2] = {**batches[2], **change}
    with pytest.raises(ValueError, match=match):
        write_corpus(batches, tmp_path / "c", chunk_records=3, verbose=0)
    index = json.loads((tmp_path / "c" / "corpus.json").read_text())
    assert [c["n_records"] for c in index["chunks"]] == [3, 3]  # batches 0 and 1, whole


def test_missing_truncated_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        ECGCorpus(tmp_path / "nowhere")
    path = tmp_path / "c"
    write_corpus(_batches(), path, chunk_records=6, verbose=0)
    chunk = path / "chunk_000001.npy"
    data = chunk.read_bytes()
    chunk.write_bytes(data[:-10])
    with pytest.raises(ValueError, match="chunk_000001.npy is truncated"):
        ECGCorpus(path)
    chunk.write_bytes(b"garbage" + data[7:])
    with pytest.raises(ValueError, match="chunk_000001.npy is corrupt"):
        ECGCorpus(path)
    flipped = bytearray(data)
    flipped[-1] ^= 0xFF
    chunk.write_bytes(bytes(flipped))
    ECGCorpus(path)  # same size and header: only the checksum sees it
    with pytest.raises(ValueError, match="chunk_000001.npy is corrupt: its SHA-256"):
        ECGCorpus(path, verify=True)
    chunk.unlink()
    with pytest.raises(FileNotFoundError, match="chunk_000001.npy is missing"):
        ECGCorpus(path)
    (path / "corpus.json").write_text("{not json")
    with pytest.raises(ValueError, match="corpus.json is corrupt"):
        ECGCorpus(path)


def _write_wfdb(folder, name, sfreq, ch_names, n_times=300):
    folder.mkdir(parents=True, exist_ok=True)
    signal = np.random.default_rng(len(name)).standard_normal((n_times, len(ch_names)))
    wfdb.wrsamp(name, fs=sfreq, units=["mV"] * len(ch_names), sig_name=list(ch_names),
                p_signal=signal, fmt=["16"] * len(ch_names), write_dir=str(folder))
    return signal


def test_wfdb_folder_round_trip_and_bad_header_before_any_write(tmp_path):
    source = tmp_path / "src"
    a = _write_wfdb(source / "p1", "r1", 250, ["I", "II"])
    _write_wfdb(source / "p1", "r2", 250, ["I", "II"])
    _write_wfdb(source / "p2", "r3", 250, ["I", "II"])
    corpus = write_corpus(source, tmp_path / "c", n_times=100, verbose=0)
    assert corpus.shape == (9, 2, 100) and corpus.sfreq == 250
    np.testing.assert_allclose(corpus[1], a[100:200].T, atol=1e-3)  # 16-bit WFDB rounding
    assert list(corpus.groups[:6]) == ["p1"] * 6 and corpus.record_ids[0] == "p1/r1:0"
    _write_wfdb(source / "p3", "r4", 500, ["I", "II"])
    with pytest.raises(ValueError, match="r4 is sampled at 500 Hz"):
        write_corpus(source, tmp_path / "d", verbose=0)
    assert not list((tmp_path / "d").glob("chunk_*"))  # headers checked first


@pytest.mark.skipif(not PTBXL.is_dir(), reason="shared PTB-XL subset not present")
def test_ptbxl_folder_matches_load_ptbxl(tmp_path):
    from sklearn_ecgmcg.datasets import load_ptbxl

    subset = tmp_path / "ptbxl"
    shutil.copytree(PTBXL / "records100" / "00000", subset / "records100" / "00000",
                    ignore=lambda d, names: [n for n in names if n[:5] > "00012"])
    shutil.copy(PTBXL / "scp_statements.csv", subset)
    import pandas as pd

    table = pd.read_csv(PTBXL / "ptbxl_database.csv", index_col="ecg_id")
    table[table.index <= 12].to_csv(subset / "ptbxl_database.csv")
    corpus = write_corpus(subset, tmp_path / "c", sampling_rate=100, verbose=0)
    data = load_ptbxl(subset, sampling_rate=100)
    np.testing.assert_array_equal(corpus[:], data.ecg)
    np.testing.assert_array_equal(corpus.groups, data.groups)
    np.testing.assert_array_equal(corpus.target, data.target)
    assert corpus.ch_names == data.ch_names and corpus.target_names == data.target_names


def test_corpus_pickles_for_worker_processes(tmp_path):
    import pickle

    corpus = write_corpus(_batches(), tmp_path / "c", chunk_records=4, verbose=0)
    first = corpus[5]  # opens a file descriptor, which must not travel
    copy = pickle.loads(pickle.dumps(corpus))
    np.testing.assert_array_equal(copy[5], first)
    np.testing.assert_array_equal(copy.groups, corpus.groups)
