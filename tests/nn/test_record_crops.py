"""Whole records in stage 1: random crops per view and the decimating encoder."""

import pytest
import torch

from sklearn_ecgmcg.nn import ECGAugment, ResNet1d, make_encoder, random_crop


def _find_window(window, record):
    """Start of ``window`` inside ``record`` (both (C, T)), or None."""
    length = window.shape[-1]
    for start in range(record.shape[-1] - length + 1):
        if torch.allclose(record[:, start : start + length], window, atol=1e-5):
            return start
    return None


def test_random_crop_cuts_a_contiguous_window_per_sample():
    x = torch.randn(6, 3, 40)
    generator = torch.Generator().manual_seed(0)
    crops = random_crop(x, 11, generator=generator)
    assert crops.shape == (6, 3, 11)
    starts = [_find_window(crops[i], x[i]) for i in range(6)]
    assert None not in starts
    assert len(set(starts)) > 1  # drawn per sample
    again = random_crop(x, 11, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(again, crops)


def test_random_crop_keeps_short_inputs_whole_and_never_aliases_them():
    x = torch.randn(2, 1, 5)
    out = random_crop(x, 8)
    torch.testing.assert_close(out, x)
    assert out.data_ptr() != x.data_ptr()


def test_ecg_augment_crop_length_gives_two_different_stretches_of_a_record():
    x = torch.randn(4, 2, 200)
    augment = ECGAugment(strength=0.0, crop_length=50)  # strength 0: only the cut
    generator = torch.Generator().manual_seed(1)
    view_a, view_b = augment(x, generator), augment(x, generator)
    assert view_a.shape == view_b.shape == (4, 2, 50)
    starts_a = [_find_window(view_a[i], x[i]) for i in range(4)]
    starts_b = [_find_window(view_b[i], x[i]) for i in range(4)]
    assert None not in starts_a and None not in starts_b
    assert starts_a != starts_b
    assert ECGAugment(strength=1.0, crop_length=50)(x).shape == (4, 2, 50)


def test_resnet_downsample_is_the_plain_network_on_the_block_mean():
    torch.manual_seed(0)
    decimating = ResNet1d(3, 100, 6, width=4, downsample=5).eval()
    plain = ResNet1d(3, 20, 6, width=4).eval()
    plain.load_state_dict(decimating.state_dict())
    x = torch.randn(2, 3, 100)
    block_mean = x.reshape(2, 3, 20, 5).mean(-1)
    torch.testing.assert_close(decimating(x), plain(block_mean))


@pytest.mark.parametrize("n_times", [1, 3, 37, 1250])
def test_resnet_downsample_accepts_any_length(n_times):
    encoder = make_encoder("resnet1d_500hz", 12, n_times, 5, params={"width": 4})
    assert encoder.downsample == 5
    assert encoder(torch.randn(2, 12, n_times)).shape == (2, 5)


@pytest.mark.parametrize("bad", [0, -2, 2.5, "5"])
def test_resnet_downsample_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="downsample"):
        ResNet1d(3, 100, 6, downsample=bad)
