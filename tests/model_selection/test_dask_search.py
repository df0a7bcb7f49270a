"""scikit-learn's GridSearchCV over the pipeline on a Dask cluster through joblib.

No code of this package is involved beyond the estimators: joblib's ``"dask"`` backend
(registered by ``dask.distributed``) sends the fits to the cluster's workers.
"""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline

from sklearn_ecgmcg import CrossModalAligner, LatentProjector
from sklearn_ecgmcg.metrics import make_virtual_mcg_scorer
from sklearn_ecgmcg.preprocessing import BandpassFilter

distributed = pytest.importorskip("distributed")

SFREQ = 100.0
TINY = {"width": 4, "blocks": (1,)}
GRID = {"align__temperature": [0.05, 0.2]}


def make_search(n_jobs):
    pipe = Pipeline([
        ("lowpass", BandpassFilter(l_freq=None, h_freq=30.0, sfreq=SFREQ)),
        ("align", CrossModalAligner("resnet1d", "resnet1d", ecg_encoder_params=TINY,
                                    mcg_encoder_params=TINY, sfreq=SFREQ, max_epochs=2,
                                    batch_size=16, device="cpu", random_state=0)),
        ("project", LatentProjector()),
    ])
    return GridSearchCV(pipe, GRID, cv=GroupKFold(2), n_jobs=n_jobs,
                        scoring=make_virtual_mcg_scorer("r2"))


@pytest.mark.slow
def test_grid_search_runs_on_a_dask_cluster_with_the_results_of_one_process():
    rng = np.random.default_rng(0)
    ecg = rng.standard_normal((32, 2, 50)).astype(np.float32)
    mcg = np.einsum("ct,nct->nct", rng.standard_normal((2, 50)), ecg).astype(np.float32)
    groups = np.repeat(np.arange(8), 4)
    local = make_search(n_jobs=None).fit(ecg, mcg, groups=groups)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, parallel_backend("dask"), \
            distributed.get_task_stream(client) as tasks:
        on_dask = make_search(n_jobs=-1).fit(ecg, mcg, groups=groups)
        cluster_workers = set(client.scheduler_info()["workers"])
    # The cross-validation fits ran as tasks on the cluster's worker processes.
    assert tasks.data and {task["worker"] for task in tasks.data} <= cluster_workers
    np.testing.assert_allclose(on_dask.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=1e-5)
    assert on_dask.best_params_ == local.best_params_
