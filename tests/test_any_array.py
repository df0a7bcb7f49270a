"""Any MCG array: one channel, or an irregular N-sensor layout, through metrics and plots."""

import numpy as np
import pytest

from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.metrics import field_map_angle_error, field_map_poles, virtual_mcg_r2


@pytest.fixture(scope="module")
def beats():
    return make_paired_beats(n_subjects=2, beats_per_subject=3, mcg_layout="8x8",
                             noise="none", random_state=0)


def test_an_irregular_twenty_sensor_layout_gives_field_maps_and_angles(beats):
    pick = np.random.default_rng(0).choice(64, 20, replace=False)
    mcg, positions = beats.mcg_clean[:, pick], beats.sensor_positions[pick]
    assert field_map_angle_error(mcg, mcg, positions) == pytest.approx(0.0, abs=1e-6)
    turned = field_map_angle_error(mcg, -mcg, positions)
    assert turned == pytest.approx(180.0, abs=1e-4)  # poles swapped: the vector reversed
    positive, negative = field_map_poles(mcg[0][:, beats.r_peak_index], positions)
    assert positive.shape == negative.shape == (3,)


def test_one_channel_signals_go_through_metrics_and_plots(beats):
    pytest.importorskip("matplotlib")
    from sklearn_ecgmcg.plotting import plot_butterfly, plot_field_map, plot_virtual_mcg

    one = beats.mcg_clean[:, 27]  # (n_beats, n_times): one channel
    assert virtual_mcg_r2(one, one) == pytest.approx(1.0)
    plot_butterfly(one[0][None], times=beats.times)
    plot_virtual_mcg(one[0][None], one[0][None], times=beats.times)
    pick = np.random.default_rng(1).choice(64, 20, replace=False)
    fig = plot_field_map(beats.mcg_clean[0, pick], beats.sensor_positions[pick], times=beats.times)
    assert fig is not None
