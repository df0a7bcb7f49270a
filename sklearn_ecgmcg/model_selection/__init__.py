"""Hyperparameter search across processes and machines.

:func:`open_study` opens one Optuna study that many worker processes share, in a
journal file (the default, no server) or a PostgreSQL database. Optuna is needed
only here (``pip install sklearn_ecgmcg[search]``). scikit-learn's ``GridSearchCV``
spreads over a Dask cluster through joblib with no code from this package (see the
user guide's distributed page).
"""

from ._study import open_study

__all__ = ["open_study"]
