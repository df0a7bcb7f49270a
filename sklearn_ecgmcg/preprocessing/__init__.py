"""Preprocessing transformers for ECG and MCG signals, and peak finding in beats."""

from ._averaging import average_beats
from ._baseline import BaselineCorrector
from ._filter import BandpassFilter
from ._flatten import Flattener
from ._mains import detect_mains_frequency
from ._peaks import find_rt_peaks
from ._rpeaks import detect_r_peaks
from ._segment import BeatSegmenter, segment_beats

__all__ = [
    "average_beats",
    "BandpassFilter",
    "BaselineCorrector",
    "BeatSegmenter",
    "detect_mains_frequency",
    "detect_r_peaks",
    "Flattener",
    "find_rt_peaks",
    "segment_beats",
]
