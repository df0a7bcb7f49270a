"""skorch callbacks for long fits: atomic checkpoints and exact resumption.

Pass them to any estimator's ``callbacks=`` parameter.
"""

from ._checkpoint import TrainingCheckpoint

__all__ = ["TrainingCheckpoint"]
