"""Cross-modal ECG <-> magnetocardiography representation learning.

Learn one shared latent heartbeat from the electrical (ECG) and magnetic (MCG)
views of the heart with scikit-learn estimators backed by PyTorch via skorch.
"""

__version__ = "0.1.0.dev0"

from ._persistence import load_weights, save_weights
from .alignment import CrossModalAligner
from .pretraining import ContrastivePretrainer
from .projection import LatentEncoder, LatentProjector

__all__ = [
    "__version__",
    "ContrastivePretrainer",
    "CrossModalAligner",
    "LatentEncoder",
    "LatentProjector",
    "load_weights",
    "save_weights",
]
