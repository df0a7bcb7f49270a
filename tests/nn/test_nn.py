"""Encoders, heads, losses and augmentations of sklearn_ecgmcg.nn."""

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from sklearn_ecgmcg.nn import (
    ENCODER_PRESETS,
    AlignmentOutput,
    CrossModalCriterion,
    ECGAugment,
    Encoder,
    FeatureMapEncoder,
    ProjectionHead,
    ReconstructionDecoder,
    amplitude_scale,
    baseline_wander,
    clip_loss,
    gaussian_noise,
    group_contrastive_loss,
    info_nce_loss,
    lead_dropout,
    local_clip_loss,
    make_encoder,
    masked_reconstruction_loss,
    nt_xent_loss,
    random_crop_resize,
    random_shift,
    sigmoid_pair_loss,
    time_mask,
)

SMALL = {
    "resnet1d": {"width": 4},
    "resnet1d_500hz": {"width": 4},
    "resnet1d_large": {"width": 4, "blocks": (1, 1)},
    "transformer": {"d_model": 8, "n_heads": 2, "depth": 1},
    "mlp": {"hidden_dims": (8,)},
    "spatial": {"n_components": 2},
    "conditioned": {"n_maps": 2, "width": 3, "dropout": 0.0},  # deterministic in train mode
}


@pytest.mark.parametrize("name", sorted(ENCODER_PRESETS))
@pytest.mark.parametrize("n_channels, n_times", [(12, 500), (1, 2), (3, 1), (2, 37)])
def test_encoder_shapes(name, n_channels, n_times):
    encoder = make_encoder(name, n_channels, n_times, 5, params=SMALL[name])
    x = torch.randn(3, n_channels, n_times)
    z = encoder(x)
    assert z.shape == (3, 5)
    assert torch.isfinite(z).all()
    features = encoder.forward_features(x)
    assert features.shape[:2] == (3, encoder.n_features)
    torch.testing.assert_close(encoder.pool(features), z)


def test_spatial_encoder_is_one_channel_mix_at_every_sample_then_affine():
    torch.manual_seed(0)
    encoder = make_encoder("spatial", 5, 20, 3)
    x, other = torch.randn(4, 5, 20), torch.randn(4, 5, 20)
    order = torch.randperm(20)
    features = encoder.forward_features(x)
    assert features.shape == (4, 4, 20)  # four virtual leads by default
    torch.testing.assert_close(encoder.forward_features(x[..., order]), features[..., order])
    zero = encoder(torch.zeros(1, 5, 20))
    torch.testing.assert_close(encoder(x + other) + zero, encoder(x) + encoder(other))


def test_make_encoder_accepts_a_factory_and_rejects_bad_ones():
    encoder = make_encoder(
        lambda c, t, d: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(c * t, d)),
        2,
        10,
        3,
    )
    assert encoder(torch.randn(4, 2, 10)).shape == (4, 3)
    with pytest.raises(ValueError, match="Unknown encoder 'resnet'"):
        make_encoder("resnet", 2, 10, 3)
    with pytest.raises(TypeError, match="not a torch.nn.Module"):
        make_encoder(lambda c, t, d: None, 2, 10, 3)


def test_transformer_rejects_longer_input_than_built_for():
    encoder = make_encoder("transformer", 2, 32, 4, params=SMALL["transformer"])
    with pytest.raises(ValueError, match="built for 32 time samples; got 64"):
        encoder(torch.randn(1, 2, 64))


def test_heads_shapes():
    assert ProjectionHead(6, 3)(torch.randn(1, 6)).shape == (1, 3)
    assert ProjectionHead(6, 3, n_layers=1)(torch.randn(2, 6)).shape == (2, 3)
    decoder = ReconstructionDecoder(n_features=5, embedding_dim=4, n_channels=2, hidden_dim=8)
    assert decoder(torch.randn(3, 5, 7), torch.randn(3, 4), 50).shape == (3, 2, 50)


# ---------------------------------------------------------------- losses
def test_info_nce_matches_hand_computed_cross_entropy():
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    k = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    t = 0.5
    cos = torch.tensor([[1.0, 1 / math.sqrt(2)], [0.0, 1 / math.sqrt(2)]]) / t
    expected = 0.5 * (
        -(cos[0, 0] - torch.logsumexp(cos[0], 0)) - (cos[1, 1] - torch.logsumexp(cos[1], 0))
    )
    torch.testing.assert_close(info_nce_loss(q, k, t), expected)


def test_clip_loss_is_mean_of_both_directions():
    a, b = torch.randn(6, 4), torch.randn(6, 4)
    both = 0.5 * (info_nce_loss(a, b, 0.2) + info_nce_loss(b, a, 0.2))
    torch.testing.assert_close(clip_loss(a, b, 0.2), both)
    # direction matters: the two one-way losses differ on random data
    assert not torch.isclose(info_nce_loss(a, b, 0.2), info_nce_loss(b, a, 0.2))


def test_nt_xent_hand_computed_and_alignment():
    z1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    t = 1.0
    # identical views: each anchor has similarity 1 to its positive, 0 to the other
    # sample's two views -> -log(e / (e + 1 + 1))
    expected = -math.log(math.e / (math.e + 2))
    assert nt_xent_loss(z1, z1.clone(), t).item() == pytest.approx(expected, rel=1e-6)
    z = torch.randn(16, 8)
    aligned = nt_xent_loss(z, z + 0.01 * torch.randn(16, 8), 0.1)
    shuffled = nt_xent_loss(z, z[torch.randperm(16)], 0.1)
    assert aligned < shuffled


def test_group_loss_reduces_to_two_view_loss_without_shared_groups():
    z1, z2 = torch.randn(5, 3), torch.randn(5, 3)
    groups = torch.arange(5).repeat(2)
    torch.testing.assert_close(
        group_contrastive_loss(torch.cat([z1, z2]), groups, 0.3), nt_xent_loss(z1, z2, 0.3)
    )
    lonely = group_contrastive_loss(torch.randn(4, 3, requires_grad=True), torch.arange(4), 0.1)
    assert lonely.item() == 0.0 and lonely.requires_grad


def test_masked_reconstruction_loss_counts_only_masked_steps():
    target = torch.zeros(1, 2, 4)
    reconstruction = torch.tensor([[[1.0, 2.0, 0.0, 0.0], [3.0, 0.0, 0.0, 5.0]]])
    mask = torch.tensor([[[True, False, False, True]]])
    assert masked_reconstruction_loss(reconstruction, target, mask).item() == pytest.approx(
        (1 + 9 + 0 + 25) / 4
    )


def test_contrastive_loss_decreases_on_an_easy_problem():
    torch.manual_seed(0)
    prototypes = torch.randn(8, 20)
    encoder = torch.nn.Linear(20, 4)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-2)

    def views():
        return prototypes + 0.1 * torch.randn(8, 20), prototypes + 0.1 * torch.randn(8, 20)

    with torch.no_grad():
        before = nt_xent_loss(*map(encoder, views()), 0.1).item()
    for _ in range(40):
        optimizer.zero_grad()
        loss = nt_xent_loss(*map(encoder, views()), 0.1)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        after = nt_xent_loss(*map(encoder, views()), 0.1).item()
    assert after < 0.5 * before


# --------------------------------------------------------- augmentations
AUGMENTATIONS = [
    random_crop_resize,
    random_shift,
    amplitude_scale,
    gaussian_noise,
    baseline_wander,
    lead_dropout,
    time_mask,
    ECGAugment(),
]


@pytest.mark.parametrize(
    "augment", AUGMENTATIONS, ids=lambda f: getattr(f, "__name__", "ECGAugment")
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_augmentation_keeps_shape_dtype_device_and_input(augment, dtype):
    x = torch.randn(6, 3, 50, dtype=dtype)
    original = x.clone()
    out = augment(x, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == dtype and out.device == x.device
    assert torch.isfinite(out).all()
    assert not torch.equal(out, x), "augmentation left the batch unchanged"
    torch.testing.assert_close(x, original, rtol=0, atol=0)


@pytest.mark.parametrize(
    "augment", AUGMENTATIONS, ids=lambda f: getattr(f, "__name__", "ECGAugment")
)
def test_augmentation_is_random_per_sample_and_seeded(augment):
    x = torch.randn(1, 3, 80).repeat(4, 1, 1)
    a = augment(x, generator=torch.Generator().manual_seed(1))
    b = augment(x, generator=torch.Generator().manual_seed(1))
    c = augment(x, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, c)
    # identical inputs get different draws
    assert not all(torch.equal(a[0], a[i]) for i in range(1, 4))


def test_augmentations_handle_tiny_inputs():
    x = torch.randn(2, 1, 1)
    assert ECGAugment(strength=2.0)(x).shape == (2, 1, 1)
    torch.testing.assert_close(ECGAugment(strength=0.0)(x), x)


def test_lead_dropout_keeps_one_channel_and_time_mask_length():
    x = torch.ones(200, 3, 40)
    dropped = lead_dropout(x, p=0.9, generator=torch.Generator().manual_seed(0))
    assert (dropped.abs().sum(dim=-1) > 0).any(dim=1).all()
    masked = time_mask(x, ratio=0.25, generator=torch.Generator().manual_seed(0))
    assert ((masked == 0).all(dim=1).sum(dim=-1) == 10).all()


def test_shift_moves_signal_and_crop_is_interpolation():
    x = torch.arange(20.0).reshape(1, 1, 20).repeat(3, 1, 1)
    shifted = random_shift(x, max_shift=0.5, generator=torch.Generator().manual_seed(3))
    for row in shifted[:, 0]:
        nonzero = row[row != 0]
        # a contiguous run of the ramp, zeros elsewhere
        assert torch.all(torch.diff(nonzero) == 1)
    cropped = random_crop_resize(x, min_ratio=0.5, generator=torch.Generator().manual_seed(3))
    assert torch.all(torch.diff(cropped[:, 0], dim=-1) >= 0)
    assert cropped.min() >= 0 and cropped.max() <= 19


def test_gaussian_noise_scales_with_signal_amplitude():
    x = torch.randn(50, 2, 400)
    gen = torch.Generator().manual_seed(0)
    small = (gaussian_noise(x, std=0.1, generator=gen) - x).std()
    gen = torch.Generator().manual_seed(0)
    large = (gaussian_noise(1000 * x, std=0.1, generator=gen) - 1000 * x).std()
    assert large / small == pytest.approx(1000, rel=1e-3)
    assert small.item() == pytest.approx(0.1, rel=0.05)


def test_augment_is_differentiable_and_batched_on_input_device():
    x = torch.randn(4, 2, 30, requires_grad=True)
    ECGAugment()(x).sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


def test_f_linear_interpolation_agrees_with_crop_at_full_ratio():
    x = torch.randn(2, 3, 17)
    out = random_crop_resize(x, min_ratio=1.0)
    torch.testing.assert_close(out, F.interpolate(x, size=17, mode="linear", align_corners=True))


# ------------------------------------------------- encoder contract, criteria
@pytest.mark.parametrize("name", sorted(ENCODER_PRESETS))
def test_presets_state_the_encoder_contract(name):
    encoder = make_encoder(name, 3, 40, 5, SMALL[name])
    assert isinstance(encoder, Encoder) and isinstance(encoder, FeatureMapEncoder)
    x = torch.randn(2, 3, 40)
    features = encoder.eval().forward_features(x)
    assert features.shape[:2] == (2, encoder.n_features)
    torch.testing.assert_close(encoder.pool(features), encoder(x))
    assert encoder.temporal_features == (name != "mlp")


def test_feature_map_protocol_and_abstract_base():
    assert not isinstance(torch.nn.Linear(3, 4), FeatureMapEncoder)
    with pytest.raises(TypeError, match="abstract"):
        Encoder(3, 40, 5)


def test_make_encoder_names_unknown_preset_parameters():
    with pytest.raises(TypeError, match=r"has no parameter\(s\) \['depth'\].*'width'"):
        make_encoder("resnet1d", 3, 40, 5, {"depth": 2})


def test_sigmoid_pair_loss_matches_hand_computed_binary_cross_entropy():
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    b = torch.tensor([[3.0, 0.0], [1.0, 1.0]])
    t, bias = 0.5, -1.0
    cos = torch.tensor([[1.0, 1 / math.sqrt(2)], [0.0, 1 / math.sqrt(2)]])
    logits = cos / t + bias
    positive = -F.logsigmoid(logits.diagonal()).sum()
    negative = -F.logsigmoid(-logits[0, 1]) - F.logsigmoid(-logits[1, 0])
    torch.testing.assert_close(sigmoid_pair_loss(a, b, t, bias), (positive + negative) / 2)
    # Same-subject pairs other than the positive leave the loss.
    same = sigmoid_pair_loss(a, b, t, bias, groups=torch.tensor([7, 7]))
    torch.testing.assert_close(same, positive / 2)


def test_cross_modal_criterion_sigmoid_pairs_and_dual_targets():
    torch.manual_seed(2)
    z_ecg, z_mcg, phases = torch.randn(6, 4), torch.randn(6, 4), torch.randn(6, 2, 4)
    output = AlignmentOutput(z_ecg, z_mcg, phase_mcg=phases)
    sigmoid = CrossModalCriterion(0.1, pair_loss="sigmoid")
    assert sigmoid.logit_bias.item() == -10.0 and len(list(sigmoid.parameters())) == 1
    torch.testing.assert_close(sigmoid(AlignmentOutput(z_ecg, z_mcg)),
                               sigmoid_pair_loss(z_ecg, z_mcg, 0.1, -10.0))
    dual = CrossModalCriterion(0.1, dual_weight=0.5)
    expected = clip_loss(z_ecg, z_mcg, 0.1) + 0.5 * 0.5 * (
        clip_loss(z_ecg, phases[:, 0], 0.1) + clip_loss(z_ecg, phases[:, 1], 0.1))
    torch.testing.assert_close(dual(output), expected)
    with pytest.raises(ValueError, match="pair_loss"):
        CrossModalCriterion(0.1, pair_loss="siglip")


def test_cross_modal_criterion_holds_the_temperature():
    torch.manual_seed(0)
    z_ecg, z_mcg = torch.randn(6, 4), torch.randn(6, 4)
    output = AlignmentOutput(z_ecg, z_mcg)
    fixed = CrossModalCriterion(0.2)
    assert fixed.temperature() == 0.2 and not list(fixed.parameters())
    torch.testing.assert_close(fixed(output), clip_loss(z_ecg, z_mcg, 0.2))
    learnt = CrossModalCriterion(0.2, learn_temperature=True, bounds=(0.05, 1.0))
    torch.testing.assert_close(learnt.temperature(), torch.tensor(0.2))
    torch.testing.assert_close(learnt(output), clip_loss(z_ecg, z_mcg, 0.2))
    with torch.no_grad():
        learnt.temperature_logit.fill_(50.0)
    assert 0.05 < float(learnt.temperature()) <= 1.0


def test_cross_modal_criterion_groups_and_extra_terms():
    torch.manual_seed(1)
    z_ecg, z_mcg = torch.randn(6, 4), torch.randn(6, 4)
    local = torch.randn(6, 3, 4), torch.randn(6, 3, 4)
    decoded, target = torch.randn(6, 10), torch.randn(6, 10)
    output = AlignmentOutput(z_ecg, z_mcg, *local, decoded, target)
    criterion = CrossModalCriterion(0.1, local_weight=0.5, reconstruction_weight=2.0)
    expected = (clip_loss(z_ecg, z_mcg, 0.1) + 0.5 * local_clip_loss(*local, 0.1)
                + 2.0 * F.mse_loss(decoded, target))
    torch.testing.assert_close(criterion(output, torch.arange(6)), expected)
    groups = torch.tensor([0, 0, 0, 1, 1, 1])
    assert not torch.isclose(criterion(output, groups), expected)


def test_grid_shift_rotate_moves_a_dipole_map_and_keeps_shapes():
    from sklearn_ecgmcg.datasets import make_paired_beats
    from sklearn_ecgmcg.nn import grid_shift_rotate

    beats = torch.from_numpy(make_paired_beats(n_subjects=1, beats_per_subject=4,
                                               noise="none", random_state=0).mcg_clean)
    gen = torch.Generator().manual_seed(0)
    moved = grid_shift_rotate(beats, (6, 6), max_shift=0.0, max_degrees=0.0, generator=gen)
    torch.testing.assert_close(moved, beats)  # no move: the same maps
    moved = grid_shift_rotate(beats, (6, 6), max_shift=0.5, max_degrees=10.0, generator=gen)
    assert moved.shape == beats.shape and not torch.allclose(moved, beats)
    r_peak = beats.abs().sum(dim=1).argmax(dim=-1)
    i = torch.arange(len(beats))
    corr = torch.nn.functional.cosine_similarity(moved[i, :, r_peak], beats[i, :, r_peak], dim=1)
    assert bool((corr > 0.5).all())  # a small move of the grid, not a new map
    with pytest.raises(ValueError, match="does not hold 36 channels"):
        grid_shift_rotate(beats, (5, 5))


def test_mcg_augment_infers_the_square_grid_and_strength_zero_is_identity():
    from sklearn_ecgmcg.nn import MCGAugment

    x = torch.randn(3, 36, 50)
    torch.testing.assert_close(MCGAugment(strength=0.0)(x), x)
    assert MCGAugment()(x).shape == x.shape
    assert MCGAugment()(torch.randn(3, 7, 50)).shape == (3, 7, 50)  # no grid: no grid moves


def test_contrastive_pretrainer_learns_from_mcg_alone():
    from sklearn_ecgmcg import ContrastivePretrainer
    from sklearn_ecgmcg.datasets import make_paired_beats

    mcg = make_paired_beats(n_subjects=4, beats_per_subject=8, random_state=0).mcg
    model = ContrastivePretrainer(modality="mcg", max_epochs=2, batch_size=16, device="cpu",
                                  encoder_params={"width": 4, "blocks": (1,)}, embedding_dim=8,
                                  random_state=0).fit(mcg)
    assert type(model.net_.module_.augment).__name__ == "MCGAugment"
    assert model.transform(mcg).shape == (32, 8)


def test_an_untrained_pretrainer_is_the_random_init_baseline():
    from sklearn_ecgmcg import ContrastivePretrainer

    x = np.random.default_rng(0).normal(size=(16, 2, 64)).astype(np.float32)
    kwargs = dict(batch_size=8, device="cpu", encoder_params={"width": 4, "blocks": (1,)},
                  embedding_dim=4, random_state=0)
    untrained = ContrastivePretrainer(max_epochs=0, **kwargs).fit(x)
    again = ContrastivePretrainer(max_epochs=0, **kwargs).fit(x)
    np.testing.assert_array_equal(untrained.transform(x), again.transform(x))
    trained = ContrastivePretrainer(max_epochs=2, **kwargs).fit(x)
    assert not np.allclose(trained.transform(x), untrained.transform(x))
