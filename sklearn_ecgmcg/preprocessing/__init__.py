"""Preprocessing transformers for ECG and MCG signals."""
