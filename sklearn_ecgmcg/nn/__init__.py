"""PyTorch building blocks: encoders, towers and training modules, heads, losses and
criteria, augmentations."""

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
from ._criteria import (
    AlignmentOutput,
    CrossModalCriterion,
    MaskedReconstructionCriterion,
    PatientContrastiveCriterion,
    TwoViewCriterion,
)
from ._encoders import (
    ENCODER_PRESETS,
    Encoder,
    FeatureMapEncoder,
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
    TemperatureLoss,
    clip_loss,
    group_contrastive_loss,
    info_nce_loss,
    local_clip_loss,
    masked_reconstruction_loss,
    nt_xent_loss,
)
from ._towers import (
    AlignmentModule,
    MaskedModelingModule,
    ModalityTower,
    Standardize,
    TwoViewModule,
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
    "AlignmentOutput",
    "CrossModalCriterion",
    "MaskedReconstructionCriterion",
    "PatientContrastiveCriterion",
    "TwoViewCriterion",
    "ENCODER_PRESETS",
    "Encoder",
    "FeatureMapEncoder",
    "MLPEncoder",
    "ResNet1d",
    "SpatialFilterEncoder",
    "TransformerEncoder1d",
    "make_encoder",
    "ProjectionHead",
    "ReconstructionDecoder",
    "CLIPLoss",
    "NTXentLoss",
    "TemperatureLoss",
    "clip_loss",
    "group_contrastive_loss",
    "info_nce_loss",
    "local_clip_loss",
    "masked_reconstruction_loss",
    "nt_xent_loss",
    "AlignmentModule",
    "MaskedModelingModule",
    "ModalityTower",
    "Standardize",
    "TwoViewModule",
]
