"""Field maps of MCG (or body-surface potential) at a latency, with their poles."""

from numbers import Real

import numpy as np

from ..metrics import field_map_poles
from ..preprocessing import find_rt_peaks
from ..utils import check_positive_int
from ._common import (
    _check_positions,
    _check_record,
    _root_figure,
    _single_axes,
    _time_axis,
    ANTERIOR_X_LABEL,
    ANTERIOR_Y_LABEL,
    M_TO_CM,
)

__all__ = ["plot_field_map"]


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
