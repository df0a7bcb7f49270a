"""Datasets: real ECG loaders and the paired ECG + MCG simulator."""

from ._clocks import align_streams
from ._corpus import ECGCorpus
from ._corpus_writer import write_corpus
from ._fetch import fetch_ptbxl, get_data_home
from ._physics._forward import mcg_sensor_positions
from ._ptbdb import load_ptbdb
from ._ptbxl import load_ptbxl
from ._sample import load_sample_ecg
from ._semi_synthetic import mcg_from_ecg
from ._simulate import make_paired_beats, simulate_paired_recordings
from ._text import read_recording
from ._wfdb import read_wfdb

__all__ = [
    "ECGCorpus",
    "align_streams",
    "fetch_ptbxl",
    "get_data_home",
    "load_ptbdb",
    "load_ptbxl",
    "load_sample_ecg",
    "make_paired_beats",
    "mcg_from_ecg",
    "mcg_sensor_positions",
    "read_recording",
    "read_wfdb",
    "simulate_paired_recordings",
    "write_corpus",
]
