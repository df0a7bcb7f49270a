"""Figures for ECG, MCG, field maps, retrieval and training.

Every function takes plain arrays (or a fitted estimator for
:func:`plot_training_curves`) and returns the :class:`matplotlib.figure.Figure`
it drew on. Single-panel functions draw into ``ax`` when one is given;
multi-panel functions draw into ``fig`` (a figure or sub-figure).

Spatial plots use the anterior view of the Frank / Dower axes (see
``docs/user_guide``): the viewer faces the chest, so ``x`` (the subject's left)
grows to the right and ``y`` (toward the feet) grows downward.

matplotlib is an optional dependency: ``pip install "sklearn_ecgmcg[plot]"``.
"""

from numbers import Integral, Real

import numpy as np

from .metrics import field_map_poles, retrieval_accuracy
from .preprocessing import find_rt_peaks
from .utils import check_positive_int, check_sfreq, check_signals

__all__ = [
    "plot_field_map",
    "plot_butterfly",
    "plot_ecg_12lead",
    "plot_virtual_mcg",
    "plot_similarity_matrix",
    "plot_latent",
    "plot_training_curves",
]

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


# --------------------------------------------------------------------------
# Field map
# --------------------------------------------------------------------------


def _map_at_latency(record, latency, times, sfreq):
    """The field map (n_channels,) of one record and the time it was taken at."""
    n_times = record.shape[1]
    if n_times == 1:  # already a map: latency does not apply
        return record[:, 0], None
    time_values = None
    if times is not None or sfreq is not None:
        time_values = _time_axis(n_times, times, sfreq)[0]
    if latency is None or isinstance(latency, str):
        index = _peak_index(record, latency or "r_peak", time_values, sfreq)
    elif isinstance(latency, Real) and not isinstance(latency, bool):
        if time_values is None:
            raise ValueError("A latency in seconds needs times or sfreq to locate it.")
        if not time_values[0] <= latency <= time_values[-1]:
            raise ValueError(
                f"latency={latency!r} s lies outside the signal's time range "
                f"[{time_values[0]:.3f}, {time_values[-1]:.3f}] s."
            )
        index = int(np.argmin(np.abs(time_values - latency)))
    else:
        raise TypeError(
            f"latency must be None, 'r_peak', 't_peak' or a time in seconds; got {latency!r}."
        )
    return record[:, index], (None if time_values is None else time_values[index])


def _peak_index(record, which, time_values, sfreq):
    if which not in ("r_peak", "t_peak"):
        raise ValueError(f"latency must be 'r_peak', 't_peak' or seconds; got {which!r}.")
    if which == "t_peak" and sfreq is None:
        if time_values is None or len(time_values) < 2:
            raise ValueError("latency='t_peak' needs times or sfreq to place the T-wave window.")
        sfreq = 1.0 / float(np.median(np.diff(time_values)))
    r_peaks, t_peaks = find_rt_peaks(record[np.newaxis], sfreq=sfreq or 1.0)
    return int((r_peaks if which == "r_peak" else t_peaks)[0])


def _interpolate_map(values, positions_cm, resolution):
    """Thin-plate-spline interpolation of a map inside the sensors' convex hull."""
    from scipy.interpolate import RBFInterpolator
    from scipy.spatial import Delaunay

    low, high = positions_cm.min(axis=0), positions_cm.max(axis=0)
    gx, gy = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    points = np.column_stack([gx.ravel(), gy.ravel()])
    interpolated = RBFInterpolator(positions_cm, values, kernel="thin_plate_spline")(points)
    outside = Delaunay(positions_cm).find_simplex(points) < 0  # positions checked to span 2-D
    interpolated[outside] = np.nan
    return gx, gy, interpolated.reshape(gx.shape)


def plot_field_map(
    map_or_signal,
    sensor_positions,
    *,
    latency=None,
    times=None,
    sfreq=None,
    ax=None,
    vmax=None,
    n_levels=16,
    cmap="RdBu_r",
    unit="pT",
    show_sensors=True,
    show_poles=True,
    pole_fraction=0.5,
    colorbar=True,
    resolution=120,
    title=None,
):
    """Plot an MCG field map on the sensor grid at one latency.

    The map is interpolated between the sensors (thin-plate spline, inside the
    sensors' convex hull) and drawn as filled contours with a diverging colour
    scale symmetric around 0 (red: field out of the chest, blue: into it),
    isolines (negative ones dashed), the sensor sites and the positive and
    negative poles found by :func:`sklearn_ecgmcg.metrics.field_map_poles`,
    joined by the main vector (from the positive to the negative pole).

    The view is anterior: the viewer faces the chest, ``x`` (the subject's
    left) grows to the right and ``y`` (toward the feet) grows downward, so the
    head is at the top and the subject's left on the viewer's right.

    Parameters
    ----------
    map_or_signal : array-like of shape (n_channels,) or (n_channels, n_times)
        A field map (one value per sensor) or one multichannel beat, e.g. MCG in
        pT, from which the map at ``latency`` is taken.
    sensor_positions : array-like of shape (n_channels, 2) or (n_channels, 3)
        Sensor positions in metres (``x``, ``y`` used), e.g. the
        ``sensor_positions`` of :func:`~sklearn_ecgmcg.datasets.make_paired_beats`.
    latency : None, {"r_peak", "t_peak"} or float, default=None
        For a beat: the time in seconds (needs ``times`` or ``sfreq``), or the R
        or T peak found by :func:`~sklearn_ecgmcg.preprocessing.find_rt_peaks`
        (``"t_peak"`` needs ``times`` or ``sfreq``). ``None`` takes the R peak.
        Ignored for a map.
    times : array-like of shape (n_times,), default=None
        Time of each sample in seconds (e.g. relative to the R peak).
    sfreq : float, default=None
        Sampling rate in Hz, used when ``times`` is not given.
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure is made when None.
    vmax : float, default=None
        Colour scale limit (the scale is ``[-vmax, vmax]``); defaults to the
        map's largest absolute value. Pass the same value to compare maps.
    n_levels : int, default=16
        Number of contour bands.
    cmap : str or Colormap, default="RdBu_r"
        Diverging colour map.
    unit : str, default="pT"
        Unit of the map, shown on the colour bar.
    show_sensors, show_poles, colorbar : bool, default=True
        Draw the sensor sites, the poles with the main vector, the colour bar.
    pole_fraction : float in [0, 1), default=0.5
        Pole definition, see :func:`~sklearn_ecgmcg.metrics.field_map_poles`.
    resolution : int, default=120
        Interpolation grid points per side.
    title : str, default=None
        Axes title; by default the latency in ms when it is known.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the map.
    """
    if np.ndim(map_or_signal) == 1:  # one map: each sensor's value is a 1-sample signal
        map_or_signal = np.reshape(map_or_signal, (-1, 1))
    record = _check_record(map_or_signal, "map_or_signal")
    positions = _check_positions(sensor_positions, record.shape[0])
    _check_map_sensors(positions)
    n_levels = check_positive_int(n_levels, name="n_levels")
    resolution = check_positive_int(resolution, name="resolution")
    if vmax is not None and not (isinstance(vmax, Real) and np.isfinite(vmax) and vmax > 0):
        raise ValueError(f"vmax must be a positive number or None; got {vmax!r}.")
    values, at_time = _map_at_latency(record, latency, times, sfreq)
    positions_cm = positions * M_TO_CM
    gx, gy, grid = _interpolate_map(values, positions_cm, resolution)
    limit = float(vmax) if vmax is not None else float(np.nanmax(np.abs(grid)))
    limit = limit if limit > 0 else 1.0
    levels = np.linspace(-limit, limit, n_levels + 1)

    ax = _single_axes(ax, (5.2, 4.4))
    filled = ax.contourf(gx, gy, np.clip(grid, -limit, limit), levels=levels, cmap=cmap)
    ax.contour(gx, gy, grid, levels=levels, colors="k", linewidths=0.5, alpha=0.6)
    if show_sensors:
        ax.plot(*positions_cm.T, "o", color="k", markersize=2.5, label="sensors")
    if show_poles:
        _draw_poles(ax, values, positions_cm, pole_fraction)
    if colorbar:
        from matplotlib.ticker import MaxNLocator

        ticks = MaxNLocator(nbins=6, symmetric=True)
        _root_figure(ax).colorbar(filled, ax=ax, label=f"Bz ({unit})", ticks=ticks)
    pad = 0.04 * np.ptp(positions_cm, axis=0).max()  # edge sensors fully visible
    (x_low, y_low), (x_high, y_high) = positions_cm.min(axis=0), positions_cm.max(axis=0)
    ax.set_xlim(x_low - pad, x_high + pad)
    ax.set_ylim(y_high + pad, y_low - pad)  # inverted: the head at the top
    ax.set_aspect("equal")
    ax.set_xlabel(ANTERIOR_X_LABEL)
    ax.set_ylabel(ANTERIOR_Y_LABEL)
    if title is None and at_time is not None:
        title = f"field map at {1e3 * at_time:+.0f} ms"
    if title:
        ax.set_title(title)
    return _root_figure(ax)


def _check_map_sensors(positions):
    """A map needs distinct sensors spanning an area, not a line."""
    if len(positions) < 4:
        raise ValueError(f"A field map needs at least 4 sensors; got {len(positions)}.")
    if len(np.unique(positions, axis=0)) < len(positions):
        raise ValueError("sensor_positions has sensors at the same (x, y) position.")
    if np.linalg.matrix_rank(positions - positions.mean(axis=0), tol=1e-9) < 2:
        raise ValueError(
            "sensor_positions lie on one line in the (x, y) plane; a field map needs "
            "sensors spread over an area."
        )


def _draw_poles(ax, values, positions_cm, pole_fraction):
    positive, negative = field_map_poles(values, positions_cm, pole_fraction=pole_fraction)
    if np.isnan(positive).any():
        return  # a flat map has no poles
    ax.annotate(
        "", xy=negative, xytext=positive,
        arrowprops={
            "arrowstyle": "-|>", "color": "k", "linewidth": 1.5, "shrinkA": 6, "shrinkB": 6
        },
    )
    for pole, sign, color in ((positive, "+", "darkred"), (negative, "−", "navy")):
        ax.plot(*pole, "o", markersize=15, markerfacecolor="white", markeredgecolor=color,
                markeredgewidth=1.5, label=f"{'positive' if sign == '+' else 'negative'} pole")
        ax.text(*pole, sign, color=color, ha="center", va="center_baseline",
                fontsize=13, fontweight="bold")


# --------------------------------------------------------------------------
# Time courses
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Virtual vs measured MCG
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Latent space
# --------------------------------------------------------------------------


def _check_embeddings(z, name):
    from sklearn.utils import check_array

    return check_array(z, dtype=np.float64, input_name=name)


def _sorted_by_group(groups, n_samples):
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.shape[0] != n_samples:
        raise ValueError(
            f"groups must be a 1-D array with one subject id per sample ({n_samples}); "
            f"got shape {groups.shape}."
        )
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    boundaries = np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1
    return order, boundaries


def plot_similarity_matrix(
    z_query,
    z_gallery,
    groups=None,
    *,
    ax=None,
    query_label="ECG",
    gallery_label="MCG",
    show_top1=True,
    title=None,
):
    """Plot the cosine similarity of every query to every gallery embedding.

    Row ``i`` and column ``i`` are the same heartbeat, so the true pairs lie on
    the diagonal; with ``groups`` the beats are sorted by subject and the
    subject blocks outlined, which shows whether mistakes stay within a
    subject. Each query's best match is marked; the title gives the top-1
    retrieval accuracy (:func:`~sklearn_ecgmcg.metrics.retrieval_accuracy`).

    Parameters
    ----------
    z_query : array-like of shape (n_samples, n_components)
        Query embeddings (rows), e.g. ECG latents.
    z_gallery : array-like of shape (n_samples, n_components)
        Gallery embeddings (columns), paired with ``z_query`` by row.
    groups : array-like of shape (n_samples,), default=None
        Subject id of each pair.
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure is made when None.
    query_label, gallery_label : str, default="ECG", "MCG"
        Names of the two modalities for the axis labels.
    show_top1 : bool, default=True
        Mark each query's most similar gallery item.
    title : str, default=None
        Axes title; the top-1 accuracy is always appended.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the matrix.
    """
    from sklearn.metrics.pairwise import cosine_similarity

    query = _check_embeddings(z_query, "z_query")
    gallery = _check_embeddings(z_gallery, "z_gallery")
    if query.shape != gallery.shape:
        raise ValueError(
            "z_query and z_gallery must be paired embeddings of the same shape; "
            f"got {query.shape} and {gallery.shape}."
        )
    order, boundaries = (np.arange(len(query)), np.array([], dtype=int))
    if groups is not None:
        order, boundaries = _sorted_by_group(groups, len(query))
    similarity = cosine_similarity(query[order], gallery[order])
    ax = _single_axes(ax, (5.6, 4.8))
    image = ax.imshow(similarity, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    _root_figure(ax).colorbar(image, ax=ax, label="cosine similarity")
    for edge in boundaries - 0.5:
        ax.axhline(edge, color="k", linewidth=0.6)
        ax.axvline(edge, color="k", linewidth=0.6)
    if show_top1:
        best = similarity.argmax(axis=1)
        hit = best == np.arange(len(best))
        ax.scatter(best[hit], np.flatnonzero(hit), s=8, marker="o", facecolors="none",
                   edgecolors="lime", linewidths=0.8, label="top-1 correct")
        ax.scatter(best[~hit], np.flatnonzero(~hit), s=10, marker="x", color="k",
                   linewidths=0.8, label="top-1 wrong")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)
    ax.set_xlabel(f"{gallery_label} embedding (gallery)")
    ax.set_ylabel(f"{query_label} embedding (query)")
    accuracy = retrieval_accuracy(query, gallery, k=1)
    heading = f"{query_label} → {gallery_label} top-1 = {accuracy:.2f}"
    ax.set_title(f"{title}\n{heading}" if title else heading)
    return _root_figure(ax)


def _reduce_2d(z, method, random_state, method_params):
    if z.shape[1] == 2 and method != "tsne":
        return z, ("dim 1", "dim 2")
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=random_state, **method_params).fit(z)
        ratio = pca.explained_variance_ratio_
        return pca.transform(z), (f"PC 1 ({ratio[0]:.0%})", f"PC 2 ({ratio[1]:.0%})")
    if method == "tsne":
        from sklearn.manifold import TSNE

        params = {"init": "pca", "perplexity": min(30.0, (len(z) - 1) / 3.0), **method_params}
        reducer = TSNE(n_components=2, random_state=random_state, **params)
        return reducer.fit_transform(z), ("t-SNE 1", "t-SNE 2")
    raise ValueError(f"method must be 'pca' or 'tsne'; got {method!r}.")


def plot_latent(z, labels, *, label_names=None, method="pca", method_params=None, ax=None,
                legend_title=None, random_state=0, title=None):
    """Scatter the latent embeddings in 2-D, coloured by subject or condition.

    Parameters
    ----------
    z : array-like of shape (n_samples, n_components)
        Embeddings, e.g. the output of
        :meth:`~sklearn_ecgmcg.CrossModalAligner.transform`.
    labels : array-like of shape (n_samples,)
        Category of each sample (subject id, condition code or name).
    label_names : sequence of str, default=None
        Names of integer labels ``0, 1, ...`` (e.g. a bunch's ``target_names``).
    method : {"pca", "tsne"}, default="pca"
        2-D projection: :class:`~sklearn.decomposition.PCA` or
        :class:`~sklearn.manifold.TSNE`. A 2-D ``z`` is shown as is with "pca".
    method_params : dict, default=None
        Extra arguments of the projection, e.g. ``{"max_iter": 250}`` for a faster
        t-SNE (whose perplexity defaults to ``min(30, (n_samples - 1) / 3)``).
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure is made when None.
    legend_title : str, default=None
        Title of the legend (shown for up to 20 categories).
    random_state : int, default=0
        Seed of the projection.
    title : str, default=None
        Axes title.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the scatter.
    """
    z = _check_embeddings(z, "z")
    if len(z) < 3:
        raise ValueError(f"plot_latent needs at least 3 samples; got {len(z)}.")
    labels = np.asarray(labels)
    if labels.shape != (len(z),):
        raise ValueError(
            f"labels must be 1-D with one label per sample ({len(z)}); got shape {labels.shape}."
        )
    points, (xlabel, ylabel) = _reduce_2d(z, method, random_state, method_params or {})
    categories = np.unique(labels)
    cmap = _pyplot().get_cmap("tab10" if len(categories) <= 10 else "tab20")
    ax = _single_axes(ax, (5.5, 4.5))
    for i, category in enumerate(categories):
        inside = labels == category
        name = category
        if label_names is not None and isinstance(category, Integral):
            name = label_names[int(category)]
        ax.scatter(*points[inside].T, s=14, color=cmap(i % cmap.N), alpha=0.8,
                   label=str(name), edgecolors="none")
    if len(categories) <= 20:
        ax.legend(title=legend_title, fontsize=8, title_fontsize=8, markerscale=1.5,
                  loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return _root_figure(ax)


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def _history_of(estimator_or_history):
    """The skorch History of a fitted estimator, a skorch net, or a History."""
    source = estimator_or_history
    if hasattr(type(source), "history_"):
        source = source.history_  # raises NotFittedError before fit
    elif hasattr(source, "history") and not isinstance(source, list):
        source = source.history
    if not isinstance(source, list) or not all(isinstance(epoch, dict) for epoch in source):
        raise TypeError(
            "plot_training_curves needs a fitted sklearn_ecgmcg estimator (history_), a "
            f"skorch net (history) or a skorch History; got {type(estimator_or_history).__name__}."
        )
    if not source:
        raise ValueError("The training history is empty: fit the estimator first.")
    return source


def plot_training_curves(estimator_or_history, *, keys=None, ax=None, log_scale=False,
                         title=None):
    """Plot the per-epoch losses of a fitted network.

    Parameters
    ----------
    estimator_or_history : estimator, skorch NeuralNet or skorch History
        A fitted :class:`~sklearn_ecgmcg.ContrastivePretrainer`,
        :class:`~sklearn_ecgmcg.CrossModalAligner` or
        :class:`~sklearn_ecgmcg.LatentProjector` (its ``history_``), a fitted
        skorch net (its ``history``), or the history itself.
    keys : list of str, default=None
        History columns to plot; by default every per-epoch ``*_loss`` column
        (``train_loss`` and, with a validation split, ``valid_loss``).
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure is made when None.
    log_scale : bool, default=False
        Logarithmic loss axis (only for positive losses).
    title : str, default=None
        Axes title.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the curves.
    """
    history = _history_of(estimator_or_history)
    if keys is None:
        keys = [key for key in history[0] if key.endswith("_loss")]
    else:
        keys = [keys] if isinstance(keys, str) else list(keys)
    missing = [key for key in keys if any(key not in epoch for epoch in history)]
    if missing or not keys:
        raise ValueError(
            f"History has no per-epoch column(s) {missing or keys}; "
            f"available: {sorted(history[0])}."
        )
    epochs = [epoch.get("epoch", i + 1) for i, epoch in enumerate(history)]
    ax = _single_axes(ax, (5.5, 3.5))
    for key in keys:
        values = np.array([epoch[key] for epoch in history], dtype=np.float64)
        (line,) = ax.plot(epochs, values, marker="o", markersize=3, label=key)
        best_key = f"{key}_best"
        best = [e for e, epoch in zip(epochs, history) if epoch.get(best_key)]
        if best:
            ax.plot(best[-1], values[epochs.index(best[-1])], "*", markersize=12,
                    color=line.get_color(), label=f"best {key}")
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return _root_figure(ax)
