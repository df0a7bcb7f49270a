"""Cross-modal ECG <-> magnetocardiography representation learning.

Learn one shared latent heartbeat from the electrical (ECG) and magnetic (MCG)
views of the heart with scikit-learn estimators backed by PyTorch via skorch.
"""

from ._persistence import load_weights, save_weights
from ._version import __version__
from .alignment import CrossModalAligner, LatentEncoder
from .pretraining import ContrastivePretrainer
from .projection import LatentProjector

__all__ = [
    "__version__",
    "ContrastivePretrainer",
    "CrossModalAligner",
    "LatentEncoder",
    "LatentProjector",
    "load_weights",
    "save_weights",
]
