"""ConditionedMapEncoder and TimeSharedDecoder: the default virtual-MCG tower's parts."""

import numpy as np
import pytest
import torch

from sklearn_ecgmcg.nn import ConditionedMapEncoder, TimeSharedDecoder, make_encoder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_feature_map_is_skip_gated_copies_and_context():
    torch.manual_seed(0)
    encoder = ConditionedMapEncoder(3, 40, 5, n_maps=4, width=6, baseline_edge=0.0).eval()
    x = torch.randn(7, 3, 40)
    features = encoder.forward_features(x)
    assert features.shape == (7, 3 * 5 + 6, 40) == (7, encoder.n_features, 40)
    torch.testing.assert_close(features[:, :3], x)  # the linear skip path, untouched
    gated = features[:, 3:15].reshape(7, 4, 3, 40)
    torch.testing.assert_close(gated.sum(dim=1), x, rtol=1e-5, atol=1e-5)  # softmax gates
    ratios = gated / x[:, None]
    torch.testing.assert_close(ratios, ratios[..., :1].expand_as(ratios), rtol=1e-3, atol=1e-4)
    assert encoder(x).shape == (7, 5)


def test_baseline_edge_removes_a_straight_baseline_only():
    encoder = ConditionedMapEncoder(2, 50, 4, n_maps=0, width=0, baseline_edge=0.1)
    t = torch.linspace(0, 1, 50)
    wave = torch.exp(-(((t - 0.5) / 0.05) ** 2))  # zero at the beat's ends
    x = torch.stack([wave + 0.3, 2.0 * t - 1.0])[None]
    skip = encoder.forward_features(x)[0]
    assert skip.shape == (2, 50)
    torch.testing.assert_close(skip[0], wave, atol=1e-4, rtol=0)  # the offset is gone
    assert skip[1].abs().max() < 0.1  # a tilted baseline is (nearly) gone
    kept = ConditionedMapEncoder(2, 50, 4, n_maps=0, width=0, baseline_edge=0.0)
    torch.testing.assert_close(kept.forward_features(x), x)


@pytest.mark.parametrize("params, match", [
    ({"kernel_size": 4}, "kernel_size"), ({"n_maps": -1}, "n_maps"),
    ({"baseline_edge": 0.5}, "baseline_edge"),
])
def test_bad_parameters_are_rejected(params, match):
    with pytest.raises(ValueError, match=match):
        ConditionedMapEncoder(3, 20, 4, **params)


def test_preset_builds_the_conditioned_encoder():
    encoder = make_encoder("conditioned", 12, 30, 8, params={"n_maps": 1, "width": 2})
    assert isinstance(encoder, ConditionedMapEncoder)
    assert encoder.n_features == 12 * 2 + 2


def test_time_shared_decoder_applies_one_map_at_every_time_step():
    torch.manual_seed(0)
    decoder = TimeSharedDecoder(5, 3, 20)
    with torch.no_grad():
        decoder.mean_beat.normal_()
    features = torch.randn(4, 5, 20)
    out = decoder(features)
    assert out.shape == (4, 3, 20)
    weight = decoder.map.weight[:, :, 0]
    expected = torch.einsum("cf,nft->nct", weight, features) + decoder.mean_beat
    torch.testing.assert_close(out, expected)
    shifted = decoder(torch.roll(features, 3, dims=-1)) - decoder.mean_beat
    torch.testing.assert_close(shifted, torch.roll(out - decoder.mean_beat, 3, dims=-1))
    np.testing.assert_array_equal(decoder(torch.zeros(1, 5, 20)).detach().numpy()[0],
                                  decoder.mean_beat.detach().numpy())
