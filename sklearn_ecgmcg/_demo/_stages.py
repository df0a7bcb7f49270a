"""The demo's computations: stage 1 on real ECG, stages 2-3 on simulated pairs.

Every estimator runs with the package's default parameters; the demo sets only
the data size, the epochs (the defaults), the device, the seed, the progress bar
and a callback that records a validation curve.
"""

import warnings

import numpy as np
from sklearn.cross_decomposition import CCA
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from ..alignment import CrossModalAligner
from ..datasets import load_ptbxl, load_sample_ecg, make_paired_beats
from ..metrics import retrieval_ranks
from ..preprocessing import BandpassFilter
from ..pretraining import ContrastivePretrainer
from ..projection import LatentProjector

CONDITIONS = ["normal", "ischemia", "anterior_mi", "lbbb"]
# Data size: what keeps the demo within about a minute on two CPU cores.
N_SUBJECTS, BEATS_PER_SUBJECT = 60, 10


class ValidationCurve(Callback):
    """Record ``score(estimator)`` on held-out data in the history after every epoch.

    The estimator's own methods need its net, which it stores only once ``fit``
    ends, so the net being trained is lent to it for the duration of the score.
    """

    def __init__(self, estimator, score, name):
        self.estimator = estimator
        self.score = score
        self.name = name

    def on_epoch_end(self, net, **kwargs):
        self.estimator.net_ = net
        net.history.record(self.name, float(self.score(self.estimator)))


def _fit_with_curve(estimator, score, name, *fit_args, **fit_params):
    """Fit with a :class:`ValidationCurve`, then drop the callback (it holds the estimator)."""
    estimator.set_params(callbacks=[ValidationCurve(estimator, score, name)])
    estimator.fit(*fit_args, **fit_params)
    estimator.set_params(callbacks=None)
    return estimator


def _probe_scores(train_features, train_target, test_features):
    """Per-label scores of a standardised logistic probe (labels with one class score 0)."""
    scores = np.zeros((len(test_features), train_target.shape[1]))
    for k in range(train_target.shape[1]):
        if len(np.unique(train_target[:, k])) == 2:
            probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
            probe.fit(train_features, train_target[:, k])
            scores[:, k] = probe.decision_function(test_features)
    return scores


def _macro_auroc(target, scores):
    return float(np.mean([roc_auc_score(target[:, k], scores[:, k])
                          for k in range(target.shape[1]) if len(np.unique(target[:, k])) == 2]))


def _stage1_data(ptbxl):
    data = load_ptbxl(ptbxl, sampling_rate=500) if ptbxl is not None else load_sample_ecg()
    source = "PTB-XL at " + str(ptbxl) if ptbxl is not None else "PTB-XL sample (shipped)"
    ecg = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=data.sfreq).fit_transform(data.ecg)
    test = data.strat_fold == 9
    return {"data": data, "source": source, "X": ecg.astype(np.float32),
            "train": ~test, "test": test}


def stage1(ptbxl, settings, log):
    """Pretrain on whole real records (folds 1-8; the default 2.5 s crops); probe the 5
    superclasses on fold 9 records."""
    d = _stage1_data(ptbxl)
    X, train, test, data = d["X"], d["train"], d["test"], d["data"]
    log(f"stage 1: {len(X)} real records from {d['source']}; train folds 1-8 "
        f"({train.sum()} records), test fold 9 ({test.sum()} records)")

    def probe(estimator):
        embedding = estimator.transform(X)  # mean of the crops' embeddings per record
        return _probe_scores(embedding[train], data.target[train], embedding[test])

    def validation_auroc(estimator):
        return _macro_auroc(data.target[test], probe(estimator))

    pretrainer = _fit_with_curve(ContrastivePretrainer(**settings), validation_auroc,
                                 "fold-9 probe AUROC", X[train])
    log(f"stage 1: pretrained in {pretrainer.n_epochs_} epochs, loss "
        f"{pretrainer.loss_curve_[0]:.3f} -> {pretrainer.loss_curve_[-1]:.3f}")
    random_init = ContrastivePretrainer(**{**settings, "max_epochs": 0}).fit(X[train])
    return pretrainer, {
        "source": d["source"], "target": data.target[test],
        "records": np.flatnonzero(test), "class_names": list(data.target_names),
        "scores": {"pretrained encoder": probe(pretrainer),
                   "random-init encoder (same architecture)": probe(random_init)},
    }


def _three_way_split(sim, random_state):
    """Subject-disjoint train / calibration / test rows, stratified by condition."""
    folds = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=random_state)
    rest, test = next(folds.split(sim.ecg, sim.target, sim.groups))
    inner = GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=random_state)
    train, cal = next(inner.split(rest, groups=sim.groups[rest]))
    return rest[train], rest[cal], test


def _flat(X):
    return X.reshape(len(X), -1)


def _fit_pipeline(sim, rows, settings):
    """The default pipeline; a validation curve on the calibration subjects.

    The aligner keeps its default ECG tower: a stage-1 encoder in its place (the
    ``ecg_encoder=FrozenEstimator(pretrainer)`` form) is an option, not the default.
    """
    train, cal = rows
    pipe = Pipeline([
        ("lowpass", BandpassFilter(l_freq=None, h_freq=40.0, sfreq=sim.sfreq)),
        ("align", CrossModalAligner(sfreq=sim.sfreq, **settings)),
        ("project", LatentProjector()),
    ])
    ecg_cal = pipe["lowpass"].transform(sim.ecg[cal])

    def validation_top1(aligner):
        return aligner.score(ecg_cal, sim.mcg[cal])

    curve = ValidationCurve(pipe["align"], validation_top1, "held-out top-1 retrieval")
    pipe["align"].set_params(callbacks=[curve])
    # The projector picks its penalty on held-out training subjects.
    pipe.fit(sim.ecg[train], sim.mcg[train], project__groups=sim.groups[train])
    pipe["align"].set_params(callbacks=None)  # the curve is in the history
    return pipe


def _retrieval_hits(pipe, sim, train, test, random_state):
    """Per-query top-1 hits (ECG -> MCG among the test beats): aligner and PCA + CCA."""
    ecg_test = pipe["lowpass"].transform(sim.ecg[test])
    z_ecg, z_mcg = pipe["align"].retrieval_latents(ecg_test, sim.mcg[test])
    # CCA on thousands of raw samples overfits and crawls: reduce each block by PCA first.
    ecg_train = pipe["lowpass"].transform(sim.ecg[train])
    n_components = min(32, len(train) - 1)
    pca_ecg = PCA(n_components, random_state=random_state).fit(_flat(ecg_train))
    pca_mcg = PCA(n_components, random_state=random_state).fit(_flat(sim.mcg[train]))
    with warnings.catch_warnings():  # a baseline's inner NIPALS loop; its score is what counts
        warnings.simplefilter("ignore", ConvergenceWarning)
        cca = CCA(n_components=8, max_iter=1000).fit(
            pca_ecg.transform(_flat(ecg_train)), pca_mcg.transform(_flat(sim.mcg[train])))
    c_ecg, c_mcg = cca.transform(pca_ecg.transform(_flat(ecg_test)),
                                 pca_mcg.transform(_flat(sim.mcg[test])))
    return ({"aligner": retrieval_ranks(z_ecg, z_mcg) == 1,
             "PCA (32) + CCA (8)": retrieval_ranks(c_ecg, c_mcg) == 1},
            {"z_ecg": z_ecg, "z_mcg": z_mcg})


def _diagnosis_scores(pipe, sim, train, test):
    """Class probabilities of a logistic probe: aligned ECG latent and raw filtered ECG."""
    lowpass = pipe["lowpass"]
    candidates = {
        "aligned ECG latent": (pipe[:-1].transform(sim.ecg[train]),
                               pipe[:-1].transform(sim.ecg[test])),
        "raw filtered ECG (flattened)": (lowpass.transform(sim.ecg[train]),
                                         lowpass.transform(sim.ecg[test])),
    }
    scores = {}
    for name, (f_train, f_test) in candidates.items():
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
        clf.fit(_flat(f_train), sim.target[train])
        scores[name] = clf.predict_proba(_flat(f_test))
    return scores


def _linear_baselines(ecg, mcg, train, test):
    """Virtual MCG of two linear maps from the filtered ECG, fitted on the training subjects.

    Ridge on the flattened beats (what a user would pick first), and a sample-wise
    ridge: one 12-lead -> 36-channel map shared by all time samples around the mean
    training beats (the physics' form: both signals are linear in the heart's
    sources at each instant), which is a :class:`LatentProjector` given the ECG
    itself as a time-resolved latent.
    """
    ridge = RidgeCV(alphas=np.logspace(-1, 5, 7)).fit(_flat(ecg[train]), _flat(mcg[train]))
    sample_wise = LatentProjector().fit(ecg[train], mcg[train])
    return {
        "ridge on flattened ECG": ridge.predict(_flat(ecg[test])).reshape(mcg[test].shape),
        "sample-wise ridge (one 12 -> 36 channel map)": sample_wise.predict(ecg[test]),
    }


def stage23(settings, random_state, log):
    """Align and project on simulated pairs; everything scored on held-out subjects."""
    sim = make_paired_beats(n_subjects=N_SUBJECTS, beats_per_subject=BEATS_PER_SUBJECT,
                            conditions=CONDITIONS, noise="shielded", random_state=random_state)
    sim.ecg, sim.mcg = sim.ecg.astype(np.float32), sim.mcg.astype(np.float32)
    train, cal, test = _three_way_split(sim, random_state)
    n_subjects = [len(np.unique(sim.groups[rows])) for rows in (train, cal, test)]
    log(f"stages 2-3: {len(sim.ecg)} SIMULATED paired beats of {N_SUBJECTS} subjects "
        f"({', '.join(CONDITIONS)}); 12-lead ECG + {sim.mcg.shape[1]}-channel MCG; subjects: "
        f"{n_subjects[0]} train, {n_subjects[1]} calibration / validation, {n_subjects[2]} test")
    pipe = _fit_pipeline(sim, (train, cal), settings)
    aligner = pipe["align"]
    log(f"stage 2: aligned in {aligner.n_epochs_} epochs, loss {aligner.loss_curve_[0]:.3f} "
        f"-> {aligner.loss_curve_[-1]:.3f}")
    hits, latents = _retrieval_hits(pipe, sim, train, test, random_state)
    ecg_filtered = pipe["lowpass"].transform(sim.ecg)
    virtual = pipe.predict(sim.ecg[test])
    pipe["project"].calibrate(pipe[:-1].transform(sim.ecg[cal]), sim.mcg[cal])
    lower, upper = pipe["project"].predict_interval(pipe[:-1].transform(sim.ecg[test]), alpha=0.1)
    return {
        "sim": sim, "train": train, "test": test, "pipe": pipe, "hits": hits, "ecg_filtered": ecg_filtered,
        "virtual": {"pipeline": virtual,
                    **_linear_baselines(ecg_filtered, sim.mcg, train, test)},
        "interval": (lower, upper), "diagnosis": _diagnosis_scores(pipe, sim, train, test),
        **latents,
    }
