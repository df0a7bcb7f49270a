"""Settings shared by the test files: tiny networks and fast, seeded CPU training.

The tests check behaviour, not learning quality, so their networks are as small as
an encoder allows. Import as ``from _settings import TINY, FAST`` (pytest puts
``tests/`` on ``sys.path`` through its ``conftest.py``).
"""

TINY = {"width": 4, "blocks": (1,)}  # ResNet1d encoder: 4 channels, one block
FAST = {"batch_size": 8, "device": "cpu", "random_state": 0}

# CrossModalAligner's configuration before issue 19 made the "conditioned" time-resolved
# towers the default: the tests written for ResNet towers and pooled latents name it.
RESNET_TOWERS = {
    "ecg_encoder": "resnet1d", "mcg_encoder": "resnet1d", "projection_head": "mlp",
    "latent": "pooled", "reconstruction_weight": 0.0,
}
