"""
===========================================
Stage 1: self-supervised ECG pretraining
===========================================

:class:`~sklearn_ecgmcg.ContrastivePretrainer` learns ECG features without
labels (here SimCLR-style: two augmented views of each beat are pulled
together, the other beats of the batch pushed apart). We pretrain on the real
PTB-XL sample shipped with the package, then check the features with a
**linear probe** (logistic regression: normal ECG or not) against PCA features
of the same size, on patient-disjoint folds.

The settings are tiny so that the example runs in well under a minute on a
CPU: 56 records, a narrow encoder, a few epochs. With the full PTB-XL
(:func:`~sklearn_ecgmcg.datasets.fetch_ptbxl`, 21 799 records), more epochs and a
GPU, the same code learns much better features; with 56 records the probe
scores below are noisy.
"""

# sphinx_gallery_thumbnail_number = 2

# %%
# Beats of real ECG
# -----------------
# Filter the 10 s records at 0.5-40 Hz, cut the beats around their R peaks and
# keep every fifth sample (100 Hz: the 40 Hz low-pass makes this alias-free).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ecgmcg import ContrastivePretrainer
from sklearn_ecgmcg.datasets import load_sample_ecg
from sklearn_ecgmcg.plotting import plot_latent, plot_training_curves
from sklearn_ecgmcg.preprocessing import BandpassFilter, segment_beats

data = load_sample_ecg()
ecg = BandpassFilter(l_freq=0.5, h_freq=40, sfreq=data.sfreq).fit_transform(data.ecg)
beats = segment_beats(ecg, sfreq=data.sfreq, tmin=-0.25, tmax=0.45)
X = np.ascontiguousarray(beats.X[:, :, ::5])
sfreq = data.sfreq / 5
patients = data.groups[beats.groups]  # beats.groups is the record of each beat
print(f"{len(X)} beats of {len(data.ecg)} records from {len(np.unique(patients))} patients, "
      f"shape {X.shape[1:]} at {sfreq:.0f} Hz")

# %%
# Pretraining
# -----------
# ``fit`` needs no labels. ``encoder_params`` narrows the default 1-D ResNet.
pretrainer = ContrastivePretrainer(
    objective="simclr", encoder="resnet1d", encoder_params={"width": 8},
    embedding_dim=32, temperature=0.1, max_epochs=6, batch_size=64, lr=3e-3,
    device="cpu", random_state=0,
)
pretrainer.fit(X)
plot_training_curves(pretrainer, title="NT-Xent loss during pretraining")

# %%
# Record features and a linear probe
# ----------------------------------
# A record's feature is the mean embedding of its beats. The probe predicts
# the PTB-XL label "NORM" (normal ECG) from the features, scored by ROC AUC
# with 4 folds that never split a patient.
def record_features(beat_features):
    return np.stack([beat_features[beats.groups == r].mean(axis=0)
                     for r in range(len(data.ecg))])


is_normal = data.target[:, data.target_names.index("NORM")].astype(int)
cv = GroupKFold(n_splits=4)
probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))

features = {
    "pretrained encoder": record_features(pretrainer.transform(X)),
    "PCA (32 components)": record_features(
        PCA(n_components=32, random_state=0).fit_transform(X.reshape(len(X), -1))
    ),
}
for name, Z in features.items():
    scores = cross_val_score(probe, Z, is_normal, groups=data.groups, cv=cv, scoring="roc_auc")
    print(f"{name:>20}: AUROC {scores.mean():.2f} ± {scores.std():.2f}")

# %%
# Compare the two lines: after 6 epochs on a few hundred beats the pretrained
# features need not beat PCA, a strong baseline at this size; this is why every
# result in this package is reported beside its baseline.
#
# .. note::
#    PCA is fitted here on all beats (it is unsupervised, like the
#    pretraining, which also saw all beats); the probe itself never sees the
#    test patients. Chance is an AUROC of 0.5.
#
# The learned space
# -----------------
# The beat embeddings projected on their two first principal components,
# coloured by the record's diagnostic superclass (first label of each record).
first_label = np.array(data.target_names)[data.target.argmax(axis=1)][beats.groups]
plot_latent(pretrainer.transform(X), first_label, legend_title="PTB-XL superclass",
            title="pretrained ECG embeddings (PCA)")
plt.show()
