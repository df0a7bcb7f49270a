"""
=======================
Virtual MCG from ECG
=======================

The three stages in one scikit-learn :class:`~sklearn.pipeline.Pipeline`:
:class:`~sklearn_ecgmcg.preprocessing.BandpassFilter` →
:class:`~sklearn_ecgmcg.preprocessing.BaselineCorrector` →
:class:`~sklearn_ecgmcg.CrossModalAligner` (ECG → shared latent) →
:class:`~sklearn_ecgmcg.LatentProjector` (latent → MCG). Once fitted on paired
beats, ``predict`` turns the ECG of a new subject into a **virtual MCG**: 36
magnetic channels over the chest, in pT.

We compare it with the measured MCG channel by channel on the sensor grid and
with field maps, and score it against a ridge regression from the ECG samples
straight to the MCG samples, the linear baseline. The data are **simulated**
(:ref:`simulator`); the settings are tiny so the example runs on a CPU.
"""

# sphinx_gallery_thumbnail_number = 2

# %%
# Data
# ----
# As in the retrieval example: 40 simulated subjects, 10 of them held out.
# The measured MCG is band-passed like the ECG inside the pipeline.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import Pipeline

from sklearn_ecgmcg import CrossModalAligner, LatentProjector
from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.metrics import channel_correlation, field_map_angle_error, virtual_mcg_r2
from sklearn_ecgmcg.plotting import plot_field_map, plot_virtual_mcg
from sklearn_ecgmcg.preprocessing import BandpassFilter, BaselineCorrector, find_rt_peaks

data = make_paired_beats(n_subjects=40, beats_per_subject=8, sfreq=125, random_state=0)
ecg = data.ecg
# Single beats are too short for a 0.5 Hz high-pass: low-pass them only.
mcg = BandpassFilter(l_freq=None, h_freq=40, sfreq=data.sfreq).fit_transform(data.mcg)
train, test = next(
    GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0).split(ecg, mcg, data.groups)
)

# %%
# The pipeline
# ------------
# ``fit(ecg, mcg)`` low-passes the ECG, removes each beat's baseline (the line
# through its isoelectric ends: baseline wander is the ECG noise that matters
# most here), trains the aligner on the (ECG, MCG) pairs, then fits the
# projector from the ECG latents to the MCG.
#
# Both towers are ``"spatial"``: three learned channel mixtures ("virtual
# leads", as many as the heart dipole has components) applied at every
# sample. With ``latent="temporal"`` the aligner hands their time courses
# to the projector, a time-resolved shared latent heartbeat, and the
# projector decodes the MCG from it with one map shared by all time samples
# (``decoder="linear"``: closed-form ridge).
spatial = {"n_components": 3}
pipe = Pipeline([
    ("lowpass", BandpassFilter(l_freq=None, h_freq=40, sfreq=data.sfreq)),
    ("baseline", BaselineCorrector(sfreq=data.sfreq)),
    ("align", CrossModalAligner("spatial", "spatial", ecg_encoder_params=spatial,
                                mcg_encoder_params=spatial, projection_head="linear",
                                latent="temporal", embedding_dim=128, temperature=0.02,
                                max_epochs=100, lr=3e-3, batch_size=32, sfreq=data.sfreq,
                                device="cpu", random_state=0)),
    ("project", LatentProjector(decoder="linear")),
])
pipe.fit(ecg[train], mcg[train])
virtual = pipe.predict(ecg[test])  # MCG from the ECG alone
print("virtual MCG:", virtual.shape, "pT")

# %%
# Baselines: ridge regression on the same preprocessed ECG samples, and the
# mean training beat (which scores R² = 0 by construction on the training set).
ecg_filtered = pipe[:2].transform(ecg)
ridge = RidgeCV(alphas=np.logspace(-2, 3, 6)).fit(
    ecg_filtered[train].reshape(len(train), -1), mcg[train].reshape(len(train), -1)
)
predictions = {
    "pipeline (aligner + projector)": virtual,
    "ridge ECG -> MCG": ridge.predict(ecg_filtered[test].reshape(len(test), -1)).reshape(
        mcg[test].shape
    ),
    "mean training beat": np.broadcast_to(mcg[train].mean(axis=0), mcg[test].shape),
}

# %%
# Scores on the held-out subjects
# -------------------------------
# R² is computed per channel and time sample across beats, then averaged
# (:func:`~sklearn_ecgmcg.metrics.virtual_mcg_r2`): variance-weighted by
# default, so the large QRS samples count more than the flat baseline; the
# uniform average, where every sample counts equally, is shown beside it.
# The correlation is per channel over time. The field-map angle is the angle between the measured
# and the virtual main vector (positive to negative pole) at the R and the T
# peak, in degrees.
print(f"{'':>32} {'R2 (var-w)':>10} {'R2 (unif)':>10} {'corr':>6} {'angle R':>8} {'angle T':>8}")
for name, prediction in predictions.items():
    scores = (
        virtual_mcg_r2(mcg[test], prediction),
        virtual_mcg_r2(mcg[test], prediction, multioutput="uniform_average"),
        channel_correlation(mcg[test], prediction, multioutput="uniform_average"),
        field_map_angle_error(mcg[test], prediction, data.sensor_positions),
        field_map_angle_error(mcg[test], prediction, data.sensor_positions,
                              latency="t_peak", sfreq=data.sfreq),
    )
    print(f"{name:>32} " + " ".join(f"{s:>{w}.2f}" for s, w in zip(scores, (10, 10, 6, 8, 8))))

# %%
# Measured and virtual MCG, channel by channel
# --------------------------------------------
# One held-out beat, each of the 36 channels at its place over the chest
# (anterior view: head at the top, the subject's left on the right). The
# panels share their axes, so the amplitudes compare across the chest. The
# title's R² is this single beat's variance explained, over all channels.
beat = 0
plot_virtual_mcg(mcg[test][beat], virtual[beat], data.sensor_positions, data.times,
                 ch_names=data.mcg_ch_names,
                 title=f"held-out subject {data.groups[test][beat]}: measured vs virtual MCG")

# %%
# Field maps, measured and virtual
# --------------------------------
# At the R and the T peak of the measured beat, on a common colour scale per
# row. The main vector (arrow) is what the angle error above measures.
measured_beat = mcg[test][beat]
peaks = find_rt_peaks(measured_beat[np.newaxis], sfreq=data.sfreq)  # R and T peak indices
fig, axes = plt.subplots(2, 2, figsize=(10, 8.4), layout="constrained")
for row, (wave, peak) in enumerate(zip(["R peak", "T peak"], peaks)):
    at = float(data.times[peak[0]])
    vmax = np.abs(measured_beat[:, peak[0]]).max()
    pair = [("measured", measured_beat), ("virtual", virtual[beat])]
    for col, (name, signal) in enumerate(pair):
        plot_field_map(signal, data.sensor_positions, latency=at, times=data.times,
                       ax=axes[row, col], vmax=vmax,
                       title=f"{name}, {wave} ({1e3 * at:+.0f} ms)")
plt.show()
