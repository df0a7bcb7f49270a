"""Tests for sklearn_ecgmcg.plotting: what each figure shows, not its pixels."""

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.metrics.pairwise import cosine_similarity  # noqa: E402

from sklearn_ecgmcg import ContrastivePretrainer, plotting  # noqa: E402
from sklearn_ecgmcg.metrics import field_map_poles, find_rt_peaks, retrieval_accuracy  # noqa: E402
from sklearn_ecgmcg.plotting import (  # noqa: E402
    plot_butterfly,
    plot_ecg_12lead,
    plot_field_map,
    plot_latent,
    plot_similarity_matrix,
    plot_training_curves,
    plot_virtual_mcg,
)

LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
SFREQ = 250.0


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def grid():
    """6 x 6 sensors at 4 cm pitch in metres, row-major from head to feet."""
    offsets = (np.arange(6) - 2.5) * 0.04
    yy, xx = np.meshgrid(offsets, offsets, indexing="ij")
    return np.column_stack([xx.ravel(), yy.ravel(), np.full(36, -0.13)])


def _dipole_map(positions, moment=(1.0, 0.0), depth=0.09):
    """Bz (pT) of a tangential dipole at the origin, ``depth`` below the sensors."""
    a = np.column_stack([positions[:, 0], positions[:, 1], np.full(len(positions), -depth)])
    cross_z = moment[0] * a[:, 1] - moment[1] * a[:, 0]
    return 50.0 * cross_z / np.linalg.norm(a, axis=1) ** 3 * depth**2 / 0.3


@pytest.fixture
def beat(grid):
    """One MCG beat (36, 176) in pT: a QRS at t=0 and a rotated, weaker T wave."""
    times = np.arange(-0.2, 0.5, 1 / SFREQ)
    qrs = np.exp(-0.5 * (times / 0.012) ** 2)
    t_wave = 0.35 * np.exp(-0.5 * ((times - 0.28) / 0.04) ** 2)
    signal = np.outer(_dipole_map(grid), qrs) + np.outer(_dipole_map(grid, (0.0, 1.0)), t_wave)
    return signal, times


def _lines(ax, label):
    return [line for line in ax.get_lines() if line.get_label() == label]


# --------------------------------------------------------------------------
# plot_field_map
# --------------------------------------------------------------------------


def test_field_map_draws_symmetric_contours_sensors_and_poles(grid):
    values = _dipole_map(grid)
    fig = plot_field_map(values, grid)
    ax, cbar_ax = fig.axes
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 2  # filled bands and isolines
    levels = contours[0].levels
    assert levels[0] == pytest.approx(-levels[-1])
    assert levels[-1] == pytest.approx(np.abs(values).max(), rel=0.05)
    assert cbar_ax.get_ylabel() == "Bz (pT)"
    np.testing.assert_allclose(_lines(ax, "sensors")[0].get_xydata(), grid[:, :2] * 100)
    positive, negative = field_map_poles(values, grid[:, :2] * 100)
    np.testing.assert_allclose(_lines(ax, "positive pole")[0].get_xydata()[0], positive)
    np.testing.assert_allclose(_lines(ax, "negative pole")[0].get_xydata()[0], negative)
    assert values[np.argmin(np.linalg.norm(grid[:, :2] * 100 - positive, axis=1))] > 0


def test_field_map_uses_the_anterior_view(grid):
    ax = plot_field_map(_dipole_map(grid), grid).axes[0]
    assert ax.yaxis_inverted() and not ax.xaxis_inverted()
    assert "subject's left" in ax.get_xlabel() and "cm" in ax.get_xlabel()
    assert "feet" in ax.get_ylabel()
    x_low, x_high = sorted(ax.get_xlim())
    assert x_low == pytest.approx(-10.8) and x_high == pytest.approx(10.8)  # 4 % padding


def test_field_map_takes_the_map_at_the_requested_latency(beat, grid):
    signal, times = beat
    ax = plot_field_map(signal, grid, latency=0.28, times=times).axes[0]
    index = np.argmin(np.abs(times - 0.28))
    assert ax.get_title() == "field map at +280 ms"
    positive, _ = field_map_poles(signal[:, index], grid[:, :2] * 100)
    np.testing.assert_allclose(_lines(ax, "positive pole")[0].get_xydata()[0], positive)


@pytest.mark.parametrize("latency", ["r_peak", "t_peak", None])
def test_field_map_finds_r_and_t_peaks(beat, grid, latency):
    signal, times = beat
    ax = plot_field_map(signal, grid, latency=latency, sfreq=SFREQ).axes[0]
    r_peak, t_peak = find_rt_peaks(signal[np.newaxis], sfreq=SFREQ)
    index = (t_peak if latency == "t_peak" else r_peak)[0]
    assert ax.get_title() == f"field map at {1e3 * index / SFREQ:+.0f} ms"


def test_field_map_draws_into_given_axes_with_shared_scale(grid):
    fig, (left, right) = plt.subplots(1, 2)
    values = _dipole_map(grid)
    returned = plot_field_map(values, grid, ax=right, vmax=100.0, colorbar=False, show_poles=False)
    assert returned is fig
    assert not left.collections and right.collections
    levels = right.collections[0].levels
    assert (levels[0], levels[-1]) == (-100.0, 100.0)
    assert not _lines(right, "positive pole")


def test_field_map_leaves_input_untouched(beat, grid):
    signal, times = beat
    signal_copy, grid_copy = signal.copy(), grid.copy()
    plot_field_map(signal, grid, times=times)
    np.testing.assert_array_equal(signal, signal_copy)
    np.testing.assert_array_equal(grid, grid_copy)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"latency": 0.1}, ValueError, "needs times or sfreq"),
        ({"latency": 0.9, "sfreq": SFREQ}, ValueError, "outside the signal's time range"),
        ({"latency": [0.1]}, TypeError, "latency must be"),
        ({"latency": "s_peak", "sfreq": SFREQ}, ValueError, "'r_peak', 't_peak'"),
        ({"latency": "t_peak"}, ValueError, "needs times or sfreq"),
    ],
)
def test_field_map_rejects_bad_latency(beat, grid, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_field_map(beat[0], grid, **kwargs)


def test_field_map_rejects_bad_sensor_layouts_and_settings(grid):
    values = _dipole_map(grid)
    line = grid.copy()
    line[:, 0] = np.linspace(-0.1, 0.1, 36)
    line[:, 1] = 0.5 * line[:, 0]  # distinct sensors, all on one line
    with pytest.raises(ValueError, match="lie on one line"):
        plot_field_map(values, line)
    twice = grid.copy()
    twice[1] = twice[0]
    with pytest.raises(ValueError, match="same \\(x, y\\) position"):
        plot_field_map(values, twice)
    with pytest.raises(ValueError, match="at least 4 sensors"):
        plot_field_map(values[:3], grid[:3])
    with pytest.raises(ValueError, match="vmax must be a positive"):
        plot_field_map(values, grid, vmax=0)
    with pytest.raises(ValueError, match="n_levels must be a positive integer"):
        plot_field_map(values, grid, n_levels=0)


def test_field_map_of_a_map_ignores_latency(grid):
    values = _dipole_map(grid)
    ax = plot_field_map(values, grid, latency=0.3).axes[0]
    assert ax.get_title() == ""
    positive, _ = field_map_poles(values, grid[:, :2] * 100)
    np.testing.assert_allclose(_lines(ax, "positive pole")[0].get_xydata()[0], positive)


def test_field_map_rejects_bad_shapes(beat, grid):
    signal, _ = beat
    with pytest.raises(ValueError, match=r"Index one sample first"):
        plot_field_map(signal[np.newaxis], grid)
    with pytest.raises(ValueError, match="sensor_positions must have shape"):
        plot_field_map(signal, grid[:30])
    bad = signal.copy()
    bad[3, 5] = np.nan
    with pytest.raises(ValueError, match="map_or_signal contains NaN"):
        plot_field_map(bad, grid)


# --------------------------------------------------------------------------
# plot_butterfly
# --------------------------------------------------------------------------


def test_butterfly_overlays_every_channel_and_their_rms(beat):
    signal, times = beat
    fig = plot_butterfly(signal[:5], times=times, ch_names=list("abcde"), mark_times={"R": 0.0})
    ax = fig.axes[0]
    for name, channel in zip("abcde", signal[:5]):
        line = _lines(ax, name)[0]
        np.testing.assert_array_equal(line.get_xdata(), times)
        np.testing.assert_array_equal(line.get_ydata(), channel)
    rms = _lines(ax, "RMS")[0].get_ydata()
    np.testing.assert_allclose(rms, np.sqrt(np.mean(signal[:5] ** 2, axis=0)))
    assert ax.get_ylabel() == "amplitude (pT)"
    assert [text.get_text() for text in ax.texts] == ["R"]


def test_butterfly_time_axis_from_sfreq_or_samples(beat):
    signal, _ = beat
    ax = plot_butterfly(signal, sfreq=SFREQ, unit="mV").axes[0]
    assert _lines(ax, "RMS")[0].get_xdata()[-1] == pytest.approx((signal.shape[1] - 1) / SFREQ)
    assert ax.get_xlabel() == "time (s)" and ax.get_ylabel() == "amplitude (mV)"
    ax = plot_butterfly(signal[0]).axes[0]
    assert ax.get_xlabel() == "sample"
    assert len(ax.get_lines()) == 3  # one channel, RMS, zero line


def test_butterfly_rejects_mismatched_names_and_times(beat):
    signal, times = beat
    with pytest.raises(ValueError, match="ch_names has 2 names"):
        plot_butterfly(signal, ch_names=["a", "b"])
    with pytest.raises(ValueError, match="times must be a finite 1-D array"):
        plot_butterfly(signal, times=times[:-1])


# --------------------------------------------------------------------------
# plot_ecg_12lead
# --------------------------------------------------------------------------


def _panel(fig, name):
    return next(ax for ax in fig.axes if ax.texts and ax.texts[0].get_text() == name)


def test_ecg_12lead_places_each_lead_in_the_printed_layout():
    rng = np.random.default_rng(0)
    ecg = rng.standard_normal((12, 500)) * 0.2  # a 2 s beat-length record
    fig = plot_ecg_12lead(ecg, SFREQ)
    assert len(fig.axes) == 12
    for row, leads in enumerate(plotting._common.LEAD_GRID):
        for col, lead in enumerate(leads):
            spec = _panel(fig, lead).get_subplotspec()
            assert (spec.rowspan.start, spec.colspan.start) == (row, col)
            np.testing.assert_array_equal(_panel(fig, lead).get_lines()[0].get_ydata(),
                                          ecg[LEADS.index(lead)])


def test_ecg_12lead_prints_long_records_in_quarters_with_a_rhythm_strip():
    rng = np.random.default_rng(0)
    ecg = rng.standard_normal((12, 2500)) * 0.3  # 10 s at 250 Hz
    names = [name.upper() for name in LEADS]  # PTB-XL spells AVR, AVL, AVF
    fig = plot_ecg_12lead(ecg, SFREQ, names)
    assert len(fig.axes) == 13
    assert _panel(fig, "AVL").get_xlim() == pytest.approx((2.5, 5.0), abs=0.01)
    assert _panel(fig, "V6").get_xlim() == pytest.approx((7.5, 9.996), abs=0.01)
    strip = _panel(fig, "II (rhythm)")
    np.testing.assert_array_equal(strip.get_lines()[0].get_ydata(), ecg[1])


def test_ecg_12lead_draws_ecg_paper():
    ecg = np.zeros((12, 250))
    ecg[:, 100] = 1.3
    ax = plot_ecg_12lead(ecg, SFREQ).axes[0]
    assert np.diff(ax.xaxis.get_majorticklocs())[0] == pytest.approx(0.2)
    ticks = np.sort(np.concatenate([ax.xaxis.get_majorticklocs(), ax.xaxis.get_minorticklocs()]))
    ticks = ticks[(ticks >= 0) & (ticks <= ax.get_xlim()[1])]
    np.testing.assert_allclose(np.diff(ticks), 0.04)
    assert np.diff(ax.yaxis.get_majorticklocs())[0] == pytest.approx(0.5)
    low, high = ax.get_ylim()
    assert (low, high) == (-0.5, 1.5)  # whole large squares around the signal
    assert ax.get_aspect() == pytest.approx(0.4)  # 10 mm/mV over 25 mm/s


def test_ecg_12lead_rows_layout_and_errors():
    ecg = np.zeros((3, 300))
    fig = plot_ecg_12lead(ecg, SFREQ, ["X", "Y", "Z"], layout="rows")
    assert [ax.get_subplotspec().rowspan.start for ax in fig.axes] == [0, 1, 2]
    with pytest.raises(ValueError, match="needs the 12 standard leads"):
        plot_ecg_12lead(ecg, SFREQ, ["X", "Y", "Z"])
    with pytest.raises(ValueError, match="layout must be"):
        plot_ecg_12lead(ecg, SFREQ, ["X", "Y", "Z"], layout="4x3")
    with pytest.raises(ValueError, match="sfreq must be a positive"):
        plot_ecg_12lead(ecg, -1.0, layout="rows")


# --------------------------------------------------------------------------
# plot_virtual_mcg
# --------------------------------------------------------------------------


def test_virtual_mcg_puts_each_channel_at_its_sensor(beat, grid):
    measured, times = beat
    virtual = 0.8 * measured
    names = [f"s{i}" for i in range(36)]
    order = np.random.default_rng(0).permutation(36)  # channel order must not matter
    fig = plot_virtual_mcg(measured[order], virtual[order], grid[order], times,
                           ch_names=[names[i] for i in order])
    assert len(fig.axes) == 36
    top_left = _panel(fig, "s0")  # sensor 0: most cranial row, subject's right column
    spec = top_left.get_subplotspec()
    assert (spec.rowspan.start, spec.colspan.start) == (0, 0)
    spec = _panel(fig, "s11").get_subplotspec()  # row 2, column 6
    assert (spec.rowspan.start, spec.colspan.start) == (1, 5)
    np.testing.assert_array_equal(_lines(top_left, "measured")[0].get_ydata(), measured[0])
    virtual_line = _lines(top_left, "virtual (from ECG)")[0]
    np.testing.assert_array_equal(virtual_line.get_ydata(), virtual[0])
    r2 = r2_score(measured.ravel(), virtual.ravel())
    assert f"R² = {r2:.2f}" in fig.get_suptitle()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["measured", "virtual (from ECG)"]


def test_virtual_mcg_shares_axes_and_selects_channels(beat, grid):
    measured, times = beat
    fig = plot_virtual_mcg(measured, measured + 1.0, grid, times, channels=[0, 1, 6, 7])
    assert len(fig.axes) == 4  # a 2 x 2 block of the grid
    limits = {ax.get_ylim() for ax in fig.axes}
    assert len(limits) == 1


def test_virtual_mcg_without_positions_fills_a_square(beat):
    measured, _ = beat
    fig = plot_virtual_mcg(measured[:5], measured[:5], sfreq=SFREQ)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == 6 and len(visible) == 5  # 2 rows x 3 columns
    assert "R² = 1.00" in fig.get_suptitle()


def test_virtual_mcg_rejects_bad_input(beat, grid):
    measured, _ = beat
    with pytest.raises(ValueError, match="same shape"):
        plot_virtual_mcg(measured, measured[:, :-1])
    with pytest.raises(ValueError, match="distinct indices"):
        plot_virtual_mcg(measured, measured, grid, channels=[0, 36])
    with pytest.raises(TypeError, match="channel indices"):
        plot_virtual_mcg(measured, measured, grid, channels=[0.5])


# --------------------------------------------------------------------------
# Latent space
# --------------------------------------------------------------------------


@pytest.fixture
def paired_latents():
    rng = np.random.default_rng(0)
    groups = np.repeat([2, 0, 1], 8)
    centres = rng.standard_normal((3, 16)) * 3
    z_ecg = centres[groups] + rng.standard_normal((24, 16))
    z_mcg = z_ecg + 0.3 * rng.standard_normal((24, 16))
    return z_ecg, z_mcg, groups


def test_similarity_matrix_sorts_by_subject_and_outlines_blocks(paired_latents):
    z_ecg, z_mcg, groups = paired_latents
    ax = plot_similarity_matrix(z_ecg, z_mcg, groups).axes[0]
    order = np.argsort(groups, kind="stable")
    image = ax.get_images()[0]
    np.testing.assert_allclose(image.get_array(), cosine_similarity(z_ecg[order], z_mcg[order]))
    assert image.get_clim() == (-1, 1)
    horizontal = [line for line in ax.get_lines() if line.get_xdata()[0] == 0]  # axhline
    boundaries = sorted(line.get_ydata()[0] for line in horizontal)
    assert boundaries == [7.5, 15.5]
    assert f"top-1 = {retrieval_accuracy(z_ecg, z_mcg):.2f}" in ax.get_title()


def test_similarity_matrix_marks_each_query_best_match(paired_latents):
    z_ecg, z_mcg, _ = paired_latents
    z_mcg = z_mcg.copy()
    z_mcg[[0, 1]] = z_mcg[[1, 0]]  # two swapped pairs are wrong matches
    ax = plot_similarity_matrix(z_ecg, z_mcg, query_label="MCG", gallery_label="ECG").axes[0]
    correct, wrong = ax.collections
    best = cosine_similarity(z_ecg, z_mcg).argmax(axis=1)
    assert len(wrong.get_offsets()) == np.sum(best != np.arange(24)) >= 2
    assert len(correct.get_offsets()) + len(wrong.get_offsets()) == 24
    assert ax.get_ylabel().startswith("MCG")


def test_similarity_matrix_rejects_unpaired(paired_latents):
    z_ecg, z_mcg, groups = paired_latents
    with pytest.raises(ValueError, match="same shape"):
        plot_similarity_matrix(z_ecg, z_mcg[:-1])
    with pytest.raises(ValueError, match="one subject id per sample"):
        plot_similarity_matrix(z_ecg, z_mcg, groups[:-1])


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_latent_scatter_one_colour_per_category(paired_latents, method):
    z_ecg, _, groups = paired_latents
    params = {"max_iter": 250} if method == "tsne" else {}
    ax = plot_latent(z_ecg, groups, label_names=["a", "b", "c"], method=method,
                     method_params=params, legend_title="subject").axes[0]
    assert len(ax.collections) == 3
    assert sorted(len(c.get_offsets()) for c in ax.collections) == [8, 8, 8]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    colours = {tuple(c.get_facecolor()[0]) for c in ax.collections}
    assert len(colours) == 3
    assert ax.get_xlabel().startswith("PC 1" if method == "pca" else "t-SNE")


def test_latent_pca_separates_subjects(paired_latents):
    z_ecg, _, groups = paired_latents
    ax = plot_latent(z_ecg, groups).axes[0]
    means = np.array([c.get_offsets().mean(axis=0) for c in ax.collections])
    spreads = np.array([c.get_offsets().std(axis=0).max() for c in ax.collections])
    assert np.linalg.norm(means[0] - means[1]) > spreads.max()


def test_latent_rejects_bad_input(paired_latents):
    z_ecg, _, groups = paired_latents
    with pytest.raises(ValueError, match="one label per sample"):
        plot_latent(z_ecg, groups[:-1])
    with pytest.raises(ValueError, match="method must be"):
        plot_latent(z_ecg, groups, method="umap")


# --------------------------------------------------------------------------
# plot_training_curves
# --------------------------------------------------------------------------


def _history():
    from skorch.history import History

    history = History()
    for epoch, (train, valid) in enumerate([(3.0, 3.2), (2.0, 2.5), (1.5, 2.6)], start=1):
        history.new_epoch()
        history.record("epoch", epoch)
        history.record("train_loss", train)
        history.record("valid_loss", valid)
        history.record("valid_loss_best", epoch == 2)
        history.record("dur", 0.1)
    return history


def test_training_curves_from_history_marks_best_epoch():
    ax = plot_training_curves(_history()).axes[0]
    np.testing.assert_array_equal(_lines(ax, "train_loss")[0].get_ydata(), [3.0, 2.0, 1.5])
    np.testing.assert_array_equal(_lines(ax, "valid_loss")[0].get_xydata(),
                                  [[1, 3.2], [2, 2.5], [3, 2.6]])
    np.testing.assert_array_equal(_lines(ax, "best valid_loss")[0].get_xydata(), [[2, 2.5]])
    with pytest.raises(ValueError, match="no per-epoch column"):
        plot_training_curves(_history(), keys=["auroc"])


def test_training_curves_from_a_fitted_estimator():
    X = np.random.default_rng(0).standard_normal((16, 2, 64)).astype(np.float32)
    pretrainer = ContrastivePretrainer(encoder="mlp", embedding_dim=4, max_epochs=2,
                                       batch_size=8, device="cpu", random_state=0)
    with pytest.raises(NotFittedError):
        plot_training_curves(pretrainer)
    pretrainer.fit(X)
    ax = plot_training_curves(pretrainer, log_scale=True).axes[0]
    np.testing.assert_allclose(_lines(ax, "train_loss")[0].get_ydata(),
                               pretrainer.history_[:, "train_loss"])
    assert ax.get_yscale() == "log"
    plot_training_curves(pretrainer.net_)  # the skorch net works too
    with pytest.raises(TypeError, match="needs a fitted sklearn_ecgmcg estimator"):
        plot_training_curves({"train_loss": [1.0]})


def test_missing_matplotlib_names_the_extra(monkeypatch, grid):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install \"sklearn_ecgmcg\[plot\]\""):
        plot_field_map(_dipole_map(grid), grid)
