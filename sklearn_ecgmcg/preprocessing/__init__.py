"""Preprocessing transformers for ECG and MCG signals."""

from ._baseline import BaselineCorrector
from ._filter import BandpassFilter
from ._segment import BeatSegmenter, detect_r_peaks, segment_beats

__all__ = ["BandpassFilter", "BaselineCorrector", "BeatSegmenter", "detect_r_peaks", "segment_beats"]
