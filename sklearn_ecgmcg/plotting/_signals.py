"""Signals: butterfly plots, the 12-lead ECG on paper, virtual against measured MCG."""

import numpy as np

from ..utils import check_sfreq
from ._common import (
    _check_channel_names,
    _check_positions,
    _check_record,
    _pyplot,
    _root_figure,
    _single_axes,
    _target_figure,
    _time_axis,
    LEAD_GRID,
    MEASURED_STYLE,
    PAPER_ASPECT,
    PAPER_MAJOR,
    PAPER_MINOR,
    RHYTHM_LEAD,
    SPLIT_MIN_DURATION_S,
    STANDARD_12_LEADS,
    VIRTUAL_STYLE,
)

__all__ = ["plot_butterfly", "plot_ecg_12lead", "plot_virtual_mcg"]


def plot_butterfly(
    signals,
    times=None,
    sfreq=None,
    ch_names=None,
    ax=None,
    unit="pT",
    *,
    show_rms=True,
    mark_times=None,
    title=None,
):
    """Plot all channels of one record overlaid, with their RMS curve.

    Parameters
    ----------
    signals : array-like of shape (n_channels, n_times) or (n_times,)
        One record or beat, e.g. MCG in pT or ECG in mV.
    times : array-like of shape (n_times,), default=None
        Time of each sample in seconds.
    sfreq : float, default=None
        Sampling rate in Hz, used when ``times`` is not given; with neither the
        x axis counts samples.
    ch_names : list of str, default=None
        Channel names (one line label each, shown in a legend for up to 12
        channels).
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure is made when None.
    unit : str, default="pT"
        Unit of the signals, for the y label.
    show_rms : bool, default=True
        Overlay the root mean square across channels (always non-negative).
    mark_times : dict of str to float, default=None
        Vertical lines at named times, e.g. ``{"R": 0.0, "T": 0.28}``, in the
        units of the x axis.
    title : str, default=None
        Axes title.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the plot.
    """
    record = _check_record(signals, "signals")
    names = _check_channel_names(ch_names, record.shape[0])
    t, xlabel = _time_axis(record.shape[1], times, sfreq)
    ax = _single_axes(ax, (7, 3.5))
    colors = _pyplot().get_cmap("viridis")(np.linspace(0, 0.9, record.shape[0]))
    for channel, name, color in zip(record, names, colors):
        ax.plot(t, channel, color=color, linewidth=0.8, alpha=0.8, label=name)
    if show_rms:
        ax.plot(t, np.sqrt(np.mean(record**2, axis=0)), color="k", linewidth=2, label="RMS")
    for label, when in (mark_times or {}).items():
        ax.axvline(when, color="0.4", linestyle=":", linewidth=1)
        ax.annotate(label, (when, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(2, -2), textcoords="offset points", va="top", fontsize=9)
    ax.axhline(0, color="0.7", linewidth=0.6, zorder=0)
    ax.set_xlim(t[0], t[-1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"amplitude ({unit})")
    if record.shape[0] <= 12:
        ax.legend(fontsize=7, ncol=2, loc="upper right")
    if title:
        ax.set_title(title)
    return _root_figure(ax)


def _lead_positions(names, layout):
    """(row, column) of each channel for ``layout``, in channel order."""
    if layout == "3x4":
        folded = [name.upper() for name in names]
        if sorted(folded) != sorted(lead.upper() for lead in STANDARD_12_LEADS):
            raise ValueError(
                "layout='3x4' needs the 12 standard leads named "
                f"{list(STANDARD_12_LEADS)} (any case); got {names}. Use layout='rows' otherwise."
            )
        where = {
            lead.upper(): (r, c) for r, row in enumerate(LEAD_GRID) for c, lead in enumerate(row)
        }
        return [where[name] for name in folded], (3, 4)
    if layout == "rows":
        return [(i, 0) for i in range(len(names))], (len(names), 1)
    raise ValueError(f"layout must be '3x4' or 'rows'; got {layout!r}.")


def _ecg_paper(ax):
    """Pink ECG-paper grid: 0.04 s / 0.1 mV minor, 0.2 s / 0.5 mV major squares."""
    from matplotlib.ticker import MultipleLocator

    ax.xaxis.set_major_locator(MultipleLocator(PAPER_MAJOR[0]))
    ax.xaxis.set_minor_locator(MultipleLocator(PAPER_MINOR[0]))
    ax.yaxis.set_major_locator(MultipleLocator(PAPER_MAJOR[1]))
    ax.yaxis.set_minor_locator(MultipleLocator(PAPER_MINOR[1]))
    ax.grid(which="major", color="#e8a0a0", linewidth=0.7)
    ax.grid(which="minor", color="#f6d8d8", linewidth=0.4)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_aspect(PAPER_ASPECT)
    for spine in ax.spines.values():
        spine.set_visible(False)


def plot_ecg_12lead(ecg, sfreq, ch_names=None, *, layout="3x4", rhythm_strip=True, fig=None,
                    title=None):
    """Plot an ECG in the printed 12-lead layout on ECG paper.

    The grid is that of ECG paper at 25 mm/s and 10 mm/mV: small squares of
    0.04 s x 0.1 mV and large squares of 0.2 s x 0.5 mV, drawn at the paper's
    aspect ratio. In the ``"3x4"`` layout, a record of 4 s or more is printed
    like a standard 12-lead ECG (each column shows the next quarter of the
    record: I-III, then aVR-aVF, V1-V3, V4-V6), with lead II over the whole
    record as a rhythm strip; shorter records (beats) show all of their time in
    every panel.

    Parameters
    ----------
    ecg : array-like of shape (n_channels, n_times)
        One ECG record or beat in mV.
    sfreq : float
        Sampling rate in Hz.
    ch_names : list of str, default=None
        Lead names; defaults to the standard order I, II, III, aVR, aVL, aVF,
        V1-V6 for 12 channels. Any order of the 12 standard names is placed
        correctly in the ``"3x4"`` layout.
    layout : {"3x4", "rows"}, default="3x4"
        The printed 3 x 4 layout (needs the 12 standard leads), or one row per
        channel (any number of channels).
    rhythm_strip : bool, default=True
        Add the lead II rhythm strip under a split ``"3x4"`` layout.
    fig : matplotlib Figure or SubFigure, default=None
        Where to draw; a new figure is made when None.
    title : str, default=None
        Figure title.

    Returns
    -------
    fig : matplotlib Figure
        The figure (the root figure when ``fig`` is a sub-figure).
    """
    record = _check_record(ecg, "ecg")
    sfreq = check_sfreq(sfreq)
    if ch_names is None and record.shape[0] == len(STANDARD_12_LEADS):
        ch_names = STANDARD_12_LEADS
    names = _check_channel_names(ch_names, record.shape[0])
    cells, (n_rows, n_cols) = _lead_positions(names, layout)
    t = np.arange(record.shape[1]) / sfreq
    split = layout == "3x4" and t[-1] >= SPLIT_MIN_DURATION_S
    strip = split and rhythm_strip
    duration = t[-1] / n_cols if split else t[-1]
    low, high = _paper_limits(record)
    fig = _target_figure(fig, _paper_figsize(duration, high - low, n_rows + strip, n_cols))
    grid = fig.add_gridspec(n_rows + strip, n_cols)
    for channel, name, (row, col) in zip(record, names, cells):
        ax = fig.add_subplot(grid[row, col])
        segment = slice(None)
        if split:
            start, stop = np.searchsorted(t, [col * duration, (col + 1) * duration])
            segment = slice(start, stop + 1)
        _draw_lead(ax, t[segment], channel[segment], name, low, high)
    if strip:
        ax = fig.add_subplot(grid[n_rows, :])
        rhythm = [name.upper() for name in names].index(RHYTHM_LEAD)
        _draw_lead(ax, t, record[rhythm], f"{names[rhythm]} (rhythm)", low, high)
    fig.suptitle(title or "ECG, 25 mm/s, 10 mm/mV (large squares 0.2 s x 0.5 mV)")
    return _root_figure(fig)


def _paper_figsize(duration, amplitude_range, n_rows, n_cols, max_width=10.0):
    """Figure size (inches) showing panels at the paper's scale, magnified up to 2.5x."""
    width = duration * 25.0 / 25.4  # 25 mm/s
    height = amplitude_range * 10.0 / 25.4  # 10 mm/mV
    scale = min(2.5, max_width / (n_cols * width))
    return scale * n_cols * width + 0.4, scale * n_rows * height + 0.7


def _paper_limits(record):
    """Shared amplitude range, rounded out to large squares, so panels compare."""
    step = PAPER_MAJOR[1]
    low = np.floor(min(record.min(), -step) / step) * step
    high = np.ceil(max(record.max(), step) / step) * step
    return low, high


def _draw_lead(ax, t, signal, name, low, high):
    ax.plot(t, signal, color="k", linewidth=0.8)
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(low, high)
    _ecg_paper(ax)
    ax.text(0.01, 0.97, name, transform=ax.transAxes, va="top", fontsize=9, fontweight="bold")




def _grid_cells(positions, n_channels):
    """(row, column) of each channel on the sensor grid, and the grid shape.

    Rows go from head to feet and columns from the subject's right to left
    (anterior view). Without a regular grid, channels fill a square in order.
    """
    if positions is not None:
        xs = np.unique(np.round(positions[:, 0], 4))
        ys = np.unique(np.round(positions[:, 1], 4))
        if len(xs) * len(ys) <= 2 * n_channels:
            cols = np.searchsorted(xs, np.round(positions[:, 0], 4))
            rows = np.searchsorted(ys, np.round(positions[:, 1], 4))
            cells = list(zip(rows.tolist(), cols.tolist()))
            if len(set(cells)) == n_channels:
                return cells, (len(ys), len(xs))
    n_cols = int(np.ceil(np.sqrt(n_channels)))
    n_rows = int(np.ceil(n_channels / n_cols))
    return [divmod(i, n_cols) for i in range(n_channels)], (n_rows, n_cols)


def _select_channels(channels, n_channels):
    if channels is None:
        return np.arange(n_channels)
    picks = np.asarray(channels)
    if picks.ndim != 1 or picks.size == 0 or picks.dtype.kind not in "iu":
        raise TypeError(
            f"channels must be a non-empty 1-D list of channel indices; got {channels!r}."
        )
    if (picks < 0).any() or (picks >= n_channels).any() or len(np.unique(picks)) != len(picks):
        raise ValueError(
            f"channels must be distinct indices in [0, {n_channels}); got {channels!r}."
        )
    return picks


def plot_virtual_mcg(
    y_true,
    y_pred,
    sensor_positions=None,
    times=None,
    channels=None,
    *,
    sfreq=None,
    ch_names=None,
    unit="pT",
    fig=None,
    title=None,
):
    """Overlay measured and virtual MCG of one beat, one panel per sensor.

    Panels sit at their sensors' places on the grid in the anterior view (head
    at the top, the subject's left on the right) and share both axes, so
    amplitudes compare across the chest. The title gives the fraction of this
    beat's variance, over all shown channels and samples, that the virtual MCG
    explains (R²).

    Parameters
    ----------
    y_true : array-like of shape (n_channels, n_times)
        Measured MCG of one beat, in pT.
    y_pred : array-like of shape (n_channels, n_times)
        Virtual MCG of the same beat (e.g. predicted from its ECG), in pT.
    sensor_positions : array-like of shape (n_channels, 2) or (n_channels, 3), default=None
        Sensor positions in metres; panels fill a square in channel order when None.
    times : array-like of shape (n_times,), default=None
        Time of each sample in seconds.
    channels : array-like of int, default=None
        Indices of the channels to show (all by default).
    sfreq : float, default=None
        Sampling rate in Hz, used when ``times`` is not given.
    ch_names : list of str, default=None
        Channel names, written in each panel.
    unit : str, default="pT"
        Signal unit, for the y label.
    fig : matplotlib Figure or SubFigure, default=None
        Where to draw; a new figure is made when None.
    title : str, default=None
        Figure title; the R² is always appended.

    Returns
    -------
    fig : matplotlib Figure
        The figure (the root figure when ``fig`` is a sub-figure).
    """
    measured = _check_record(y_true, "y_true")
    virtual = _check_record(y_pred, "y_pred")
    if measured.shape != virtual.shape:
        raise ValueError(
            "y_true and y_pred must have the same shape; got "
            f"{measured.shape} and {virtual.shape}."
        )
    n_channels = measured.shape[0]
    positions = None
    if sensor_positions is not None:
        positions = _check_positions(sensor_positions, n_channels)
    names = _check_channel_names(ch_names, n_channels) if ch_names is not None else None
    picks = _select_channels(channels, n_channels)
    t, xlabel = _time_axis(measured.shape[1], times, sfreq)
    picked_positions = None if positions is None else positions[picks]
    cells, (n_rows, n_cols) = _grid_cells(picked_positions, len(picks))

    fig = _target_figure(fig, (1.5 * n_cols + 0.8, 1.15 * n_rows + 1.0))
    axes = fig.subplots(n_rows, n_cols, sharex=True, sharey=True, squeeze=False)
    used = set(cells)
    for channel, (row, col) in zip(picks, cells):
        ax = axes[row, col]
        ax.axhline(0, color="0.8", linewidth=0.5)
        ax.plot(t, measured[channel], **MEASURED_STYLE)
        ax.plot(t, virtual[channel], **VIRTUAL_STYLE)
        label = names[channel] if names is not None else f"{channel}"
        ax.text(0.03, 0.95, label, transform=ax.transAxes, va="top", fontsize=7, color="0.3")
    for row in range(n_rows):
        for col in range(n_cols):
            if (row, col) not in used:
                axes[row, col].set_axis_off()
    from matplotlib.ticker import MaxNLocator

    axes[0, 0].set_xlim(t[0], t[-1])
    axes[0, 0].xaxis.set_major_locator(MaxNLocator(3))  # shared by every panel
    axes[0, 0].yaxis.set_major_locator(MaxNLocator(3))
    for ax in axes[-1, :]:
        ax.set_xlabel(xlabel, fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel(unit, fontsize=8)
    for ax in axes.flat:
        ax.tick_params(labelsize=7)
    handles, labels = axes[cells[0]].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=9)
    r2 = _explained_variance(measured[picks], virtual[picks])
    heading = f"R² = {r2:.2f} over the shown channels of this beat"
    fig.suptitle(f"{title}\n{heading}" if title else heading)
    return _root_figure(fig)


def _explained_variance(measured, virtual):
    """R² of one beat: 1 - SS_res / SS_tot around the beat's mean, all channels pooled."""
    from sklearn.metrics import r2_score

    return float(r2_score(measured.ravel(), virtual.ravel()))
