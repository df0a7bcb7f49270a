"""The training skeleton every torch estimator shares (``sklearn_ecgmcg._base``).

Nested encoder parameters routed as skorch routes ``module__<name>``, the steps an
estimator overrides, and ``max_epochs=0``. Tiny random data: behaviour, not quality.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline

from sklearn_ecgmcg import ContrastivePretrainer, CrossModalAligner, LatentProjector
from _settings import FAST, RESNET_TOWERS

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FAST = {**FAST, "max_epochs": 1}


@pytest.fixture(scope="module")
def pairs():
    rng = np.random.default_rng(0)
    ecg = rng.standard_normal((24, 3, 40)).astype(np.float32)
    mcg = rng.standard_normal((24, 4, 40)).astype(np.float32)
    return ecg, mcg


def test_routed_encoder_parameters_reach_the_encoder(pairs):
    ecg, mcg = pairs
    aligner = CrossModalAligner(
        ecg_encoder__width=4, ecg_encoder__blocks=(1,), mcg_encoder__width=6,
        mcg_encoder__blocks=(1,), embedding_dim=4, **FAST, **RESNET_TOWERS,
    ).fit(ecg, mcg)
    module = aligner.net_.module_
    assert module.ecg_tower.encoder.n_features == 4
    assert module.mcg_tower.encoder.n_features == 6
    assert aligner.ecg_encoder_config_["params"] == {"width": 4, "blocks": (1,)}


def test_routed_parameters_override_the_params_dict():
    pretrainer = ContrastivePretrainer(encoder_params={"width": 4, "blocks": (1,)},
                                       encoder__width=8, embedding_dim=4, **FAST)
    X = np.random.default_rng(1).standard_normal((16, 2, 32)).astype(np.float32)
    pretrainer.fit(X)
    assert pretrainer.encoder_config_["params"] == {"width": 8, "blocks": (1,)}
    assert pretrainer.encoder_.n_features == 8


def test_routed_parameters_behave_as_parameters():
    pretrainer = ContrastivePretrainer(encoder__width=8)
    assert pretrainer.get_params()["encoder__width"] == 8
    assert pretrainer.get_params(deep=False)["encoder__width"] == 8
    assert "encoder__width=8" in repr(pretrainer)
    copy = clone(pretrainer)
    assert copy.get_params()["encoder__width"] == 8
    copy.set_params(encoder__width=16, encoder__blocks=(1,), lr=0.01)
    assert (copy.encoder__width, copy.encoder__blocks, copy.lr) == (16, (1,), 0.01)
    assert pretrainer.encoder__width == 8  # the clone is independent


def test_grid_search_reaches_nested_encoder_parameters(pairs):
    ecg, mcg = pairs
    pipe = Pipeline([
        ("align", CrossModalAligner(ecg_encoder__blocks=(1,), mcg_encoder__blocks=(1,),
                                    embedding_dim=4, **FAST, **RESNET_TOWERS)),
        ("project", LatentProjector()),
    ])
    search = GridSearchCV(pipe, {"align__ecg_encoder__width": [2, 4]}, cv=GroupKFold(2))
    search.fit(ecg, mcg, groups=np.repeat([0, 1, 2, 3], 6))
    assert search.cv_results_["param_align__ecg_encoder__width"].tolist() == [2, 4]
    best = search.best_estimator_["align"]
    assert best.net_.module_.ecg_tower.encoder.n_features == search.best_params_[
        "align__ecg_encoder__width"
    ]


def test_a_pretrainer_encoder_keeps_scikit_learns_nested_routing():
    pretrainer = ContrastivePretrainer(lr=0.1)
    aligner = CrossModalAligner(ecg_encoder=pretrainer)
    assert aligner.get_params()["ecg_encoder__lr"] == 0.1
    aligner.set_params(ecg_encoder__lr=0.5)
    assert pretrainer.lr == 0.5 and "ecg_encoder__lr" not in vars(aligner)


def test_unknown_keywords_fail_at_fit_not_at_construction(pairs):
    ecg, mcg = pairs
    aligner = CrossModalAligner(encoder__width=4, **FAST)  # no "encoder" in the aligner
    with pytest.raises(TypeError, match="unexpected keyword argument 'encoder__width'"):
        aligner.fit(ecg, mcg)
    with pytest.raises(TypeError, match=r"has no parameter\(s\) \['widht'\]"):
        CrossModalAligner(ecg_encoder__widht=4, **FAST, **RESNET_TOWERS).fit(ecg, mcg)
    frozen = FrozenEstimator(ContrastivePretrainer())
    with pytest.raises(TypeError, match="unexpected keyword argument 'ecg_encoder__width'"):
        CrossModalAligner(ecg_encoder=frozen, ecg_encoder__width=4, **FAST).fit(ecg, mcg)
    with pytest.raises(ValueError, match="Invalid parameter"):
        CrossModalAligner().set_params(nothing=1)


def test_module_is_built_from_fitted_attributes_only(pairs):
    """Rebuilding the training module needs no data: what load_weights relies on."""
    ecg, mcg = pairs
    aligner = CrossModalAligner(ecg_encoder__blocks=(1,), mcg_encoder__blocks=(1,),
                                embedding_dim=4, **FAST, **RESNET_TOWERS).fit(ecg, mcg)
    rebuilt = aligner._initialized_net("cpu")
    trained = aligner.net_.module_.state_dict()
    assert rebuilt.module_.state_dict().keys() == trained.keys()
    assert all(rebuilt.module_.state_dict()[k].shape == v.shape for k, v in trained.items())


def test_zero_epochs_initialises_without_training(pairs):
    ecg, mcg = pairs
    params = {"ecg_encoder__blocks": (1,), "mcg_encoder__blocks": (1,), "embedding_dim": 4,
              **FAST, **RESNET_TOWERS}
    untrained = CrossModalAligner(**{**params, "max_epochs": 0}).fit(ecg, mcg)
    assert untrained.n_epochs_ == 0 and untrained.loss_curve_ == []
    again = CrossModalAligner(**{**params, "max_epochs": 0}).fit(ecg, mcg)
    np.testing.assert_array_equal(untrained.transform(ecg), again.transform(ecg))
    trained = CrossModalAligner(**params).fit(ecg, mcg)
    assert not np.allclose(untrained.transform(ecg), trained.transform(ecg))
