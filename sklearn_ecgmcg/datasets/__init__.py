"""Datasets: real ECG loaders and the paired ECG + MCG simulator."""
