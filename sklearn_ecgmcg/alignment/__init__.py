"""Stage 2: contrastive ECG <-> MCG alignment into a shared latent.

:class:`CrossModalAligner` learns the shared latent from paired beats;
:class:`LatentEncoder` embeds ECG alone, MCG alone or both with a fitted aligner,
as a pipeline step.
"""

from ._aligner import CrossModalAligner
from ._latent_encoder import LatentEncoder

__all__ = ["CrossModalAligner", "LatentEncoder"]
