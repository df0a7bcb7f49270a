"""Validation helpers shared across the package."""

from ._validation import (
    UnitsWarning,
    check_amplitude,
    check_paired_signals,
    check_positive_int,
    check_sfreq,
    check_signals,
    is_lazy_signals,
)

__all__ = [
    "UnitsWarning",
    "check_amplitude",
    "check_signals",
    "check_paired_signals",
    "check_sfreq",
    "check_positive_int",
    "is_lazy_signals",
]
