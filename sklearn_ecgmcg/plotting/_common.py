"""Shared private helpers and styles of :mod:`sklearn_ecgmcg.plotting`."""

import numpy as np

from ..utils import check_sfreq, check_signals

M_TO_CM = 100.0
ANTERIOR_X_LABEL = "x (cm), subject's left →"
ANTERIOR_Y_LABEL = "y (cm), toward the feet ↓"
STANDARD_12_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
# Printed 12-lead layout: 3 rows x 4 columns, read down each column.
LEAD_GRID = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
RHYTHM_LEAD = "II"
# ECG paper at 25 mm/s and 10 mm/mV: minor 1 mm = 0.04 s / 0.1 mV, major 5 mm.
PAPER_MINOR = (0.04, 0.1)
PAPER_MAJOR = (0.2, 0.5)
PAPER_ASPECT = 10.0 / 25.0  # display length of 1 mV over that of 1 s
SPLIT_MIN_DURATION_S = 4.0  # records at least this long are printed in 4 time segments
MEASURED_STYLE = {"color": "black", "linewidth": 1.2, "label": "measured"}
VIRTUAL_STYLE = {
    "color": "tab:red", "linewidth": 1.2, "linestyle": "--", "label": "virtual (from ECG)"
}


def _pyplot():
    """Import pyplot, or say which extra installs it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "sklearn_ecgmcg.plotting needs matplotlib, an optional dependency; "
            'install it with: pip install "sklearn_ecgmcg[plot]"'
        ) from exc
    return plt


def _single_axes(ax, figsize):
    if ax is None:
        return _pyplot().subplots(figsize=figsize, layout="constrained")[1]
    if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}.")
    return ax


def _target_figure(fig, figsize):
    if fig is None:
        return _pyplot().figure(figsize=figsize, layout="constrained")
    if not hasattr(fig, "subplots"):
        raise TypeError(
            f"fig must be a matplotlib Figure, SubFigure or None; got {type(fig).__name__}."
        )
    return fig


def _root_figure(artist):
    """The top-level Figure of an Axes, a SubFigure or a Figure."""
    figure = artist
    while getattr(figure, "figure", None) is not None and figure.figure is not figure:
        figure = figure.figure
    return figure


def _check_record(signals, name):
    """One multichannel record ``(n_channels, n_times)``; a 1-D array is one channel."""
    array = np.asarray(signals)
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be one record of shape (n_channels, n_times) (or (n_times,) "
            f"for one channel); got {array.ndim}-D array of shape {array.shape}. "
            f"Index one sample first, e.g. {name}[0]."
        )
    return check_signals(np.atleast_2d(array), name=name, dtype=np.float64)


def _time_axis(n_times, times, sfreq, name="times"):
    """Time values and axis label for ``n_times`` samples."""
    if times is not None:
        times = np.asarray(times, dtype=np.float64)
        if times.shape != (n_times,) or not np.isfinite(times).all():
            raise ValueError(
                f"{name} must be a finite 1-D array of {n_times} values in seconds; "
                f"got shape {times.shape}."
            )
        return times, "time (s)"
    if sfreq is not None:
        return np.arange(n_times) / check_sfreq(sfreq), "time (s)"
    return np.arange(n_times, dtype=np.float64), "sample"


def _check_channel_names(ch_names, n_channels):
    if ch_names is None:
        return [f"ch{i + 1}" for i in range(n_channels)]
    names = [str(name) for name in ch_names]
    if len(names) != n_channels:
        raise ValueError(
            f"ch_names has {len(names)} names but the signals have {n_channels} channels."
        )
    return names


def _check_positions(sensor_positions, n_channels):
    positions = np.asarray(sensor_positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[0] != n_channels or positions.shape[1] not in (2, 3):
        raise ValueError(
            "sensor_positions must have shape (n_channels, 2) or (n_channels, 3) in metres "
            f"with n_channels={n_channels}; got {positions.shape}."
        )
    if not np.isfinite(positions).all():
        raise ValueError("sensor_positions contains NaN or infinite values.")
    return positions[:, :2]
