"""Validation helpers shared across the package."""

from ._validation import check_paired_signals, check_positive_int, check_sfreq, check_signals

__all__ = ["check_signals", "check_paired_signals", "check_sfreq", "check_positive_int"]
