"""
==================================================
Model selection: GridSearchCV and Optuna
==================================================

The estimators are plain scikit-learn estimators, so their hyper-parameters
are tuned with the usual tools. Here we search the InfoNCE **temperature** and
the **embedding size** of :class:`~sklearn_ecgmcg.CrossModalAligner` with
:class:`~sklearn.model_selection.GridSearchCV`, with Optuna's
``OptunaSearchCV``, and with a plain Optuna study that prunes bad trials
through a skorch callback. Every split is **subject-disjoint**
(:class:`~sklearn.model_selection.GroupKFold` on the subject ids), and the
score is top-5 ECG → MCG retrieval accuracy
(:func:`~sklearn_ecgmcg.metrics.make_retrieval_scorer`).

The data are **simulated** (:ref:`simulator`). To keep the example well under a
minute on a CPU, the towers are small MLPs (``"mlp"``) trained for a few
epochs on few subjects: the winning values here say nothing about real data.
"""

# %%
# Data
# ----
import warnings

import matplotlib.pyplot as plt
import numpy as np
import optuna
import pandas as pd
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna_integration import OptunaSearchCV, SkorchPruningCallback
from sklearn.model_selection import GridSearchCV, GroupKFold, GroupShuffleSplit

from sklearn_ecgmcg import CrossModalAligner
from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.metrics import make_retrieval_scorer
from sklearn_ecgmcg.preprocessing import BandpassFilter

data = make_paired_beats(n_subjects=24, beats_per_subject=6, sfreq=125, random_state=0)
# Single beats are too short for a 0.5 Hz high-pass: low-pass them only.
bandpass = BandpassFilter(l_freq=None, h_freq=40, sfreq=data.sfreq)
ecg, mcg = bandpass.fit_transform(data.ecg), bandpass.fit_transform(data.mcg)
subjects = data.groups

aligner = CrossModalAligner(ecg_encoder="mlp", mcg_encoder="mlp", max_epochs=8, batch_size=32,
                            projection_head="mlp", latent="pooled", reconstruction_weight=0.0,
                            lr=1e-3, sfreq=data.sfreq, device="cpu", random_state=0)
top5 = make_retrieval_scorer(k=5)
cv = GroupKFold(n_splits=3)

# %%
# Grid search
# -----------
# ``groups`` goes to the splitter, so no subject is split across folds.
grid = GridSearchCV(aligner, {"temperature": [0.05, 0.2], "embedding_dim": [16, 32]},
                    scoring=top5, cv=cv)
grid.fit(ecg, mcg, groups=subjects)
results = pd.DataFrame(grid.cv_results_)
print(results[["param_temperature", "param_embedding_dim", "mean_test_score", "std_test_score"]])
print("best:", grid.best_params_, f"top-5 {grid.best_score_:.2f}")

table = results.pivot(index="param_temperature", columns="param_embedding_dim",
                      values="mean_test_score")
fig, ax = plt.subplots(figsize=(4.5, 3.5), layout="constrained")
image = ax.imshow(table.to_numpy(), cmap="viridis")
ax.set_xticks(range(table.shape[1]), table.columns)
ax.set_yticks(range(table.shape[0]), table.index)
for (i, j), value in np.ndenumerate(table.to_numpy()):
    ax.text(j, i, f"{value:.2f}", ha="center", va="center",
            color="k" if image.norm(value) > 0.5 else "w")
ax.set(xlabel="embedding_dim", ylabel="temperature", title="top-5 retrieval, 3 group folds")
fig.colorbar(image, ax=ax)

# %%
# OptunaSearchCV
# --------------
# The same search with Optuna's sampler over a continuous (log-uniform)
# temperature and a categorical embedding size.
optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", category=FutureWarning, module="optuna")
search = OptunaSearchCV(
    aligner,
    {"temperature": FloatDistribution(0.02, 0.5, log=True),
     "embedding_dim": CategoricalDistribution([16, 32, 64])},
    cv=cv, scoring=top5, n_trials=4, random_state=0, verbose=0,
)
search.fit(ecg, mcg, groups=subjects)
print("Optuna best:", search.best_params_, f"top-5 {search.best_score_:.2f}")

# %%
# A plain Optuna study with pruning
# ---------------------------------
# For full control write the objective yourself. The aligner's ``callbacks``
# take any skorch callback; ``SkorchPruningCallback`` reports the training loss
# after every epoch and stops trials that the median pruner finds hopeless.
train, valid = next(GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0)
                    .split(ecg, mcg, groups=subjects))


def objective(trial):
    model = aligner.set_params(
        temperature=trial.suggest_float("temperature", 0.02, 0.5, log=True),
        embedding_dim=trial.suggest_categorical("embedding_dim", [16, 32, 64]),
        callbacks=[SkorchPruningCallback(trial, "train_loss")],
    )
    model.fit(ecg[train], mcg[train])
    return top5(model, ecg[valid], mcg[valid])


study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0),
                            pruner=optuna.pruners.MedianPruner(n_startup_trials=2))
study.optimize(objective, n_trials=4)
print("study best:", study.best_params, f"top-5 {study.best_value:.2f}")
for trial in study.trials:
    score = f"top-5 {trial.value:.2f}" if trial.state.name == "COMPLETE" else "pruned"
    print(f"trial {trial.number}: {trial.params} -> {score}")
plt.show()
