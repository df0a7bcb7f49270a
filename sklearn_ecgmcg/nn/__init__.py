"""PyTorch building blocks: encoders, heads, losses, augmentations."""

from ._augment import (
    ECGAugment,
    amplitude_scale,
    baseline_wander,
    gaussian_noise,
    lead_dropout,
    random_crop_resize,
    random_shift,
    time_mask,
)
from ._encoders import (
    ENCODER_PRESETS,
    MLPEncoder,
    ResNet1d,
    SpatialFilterEncoder,
    TransformerEncoder1d,
    make_encoder,
)
from ._heads import ProjectionHead, ReconstructionDecoder
from ._losses import (
    CLIPLoss,
    NTXentLoss,
    clip_loss,
    group_contrastive_loss,
    info_nce_loss,
    local_clip_loss,
    masked_reconstruction_loss,
    nt_xent_loss,
)

__all__ = [
    "ECGAugment",
    "amplitude_scale",
    "baseline_wander",
    "gaussian_noise",
    "lead_dropout",
    "random_crop_resize",
    "random_shift",
    "time_mask",
    "ENCODER_PRESETS",
    "MLPEncoder",
    "ResNet1d",
    "SpatialFilterEncoder",
    "TransformerEncoder1d",
    "make_encoder",
    "ProjectionHead",
    "ReconstructionDecoder",
    "CLIPLoss",
    "NTXentLoss",
    "clip_loss",
    "group_contrastive_loss",
    "info_nce_loss",
    "local_clip_loss",
    "masked_reconstruction_loss",
    "nt_xent_loss",
]
