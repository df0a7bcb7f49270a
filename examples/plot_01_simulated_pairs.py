"""
===========================================
Simulate and look at paired ECG + MCG beats
===========================================

:func:`~sklearn_ecgmcg.datasets.make_paired_beats` simulates heartbeats of
several subjects seen by a 12-lead ECG and by a 6 x 6 SQUID magnetometer grid
at the same time, from one cardiac current dipole per beat (see
:ref:`simulator`). The data are **simulated**.

This example looks at one beat the way an MCG reader does: the butterfly plot
of all MCG channels, the magnetic field maps at the R and the T peak, and the
12-lead ECG of the same beat.
"""

# sphinx_gallery_thumbnail_number = 2

# %%
# Simulate paired beats
# ---------------------
# Four subjects, ten beats each, in a magnetically shielded room. ``ecg`` is in
# mV, ``mcg`` in pT; ``times`` are seconds relative to the R peak.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.preprocessing import find_rt_peaks
from sklearn_ecgmcg.plotting import plot_butterfly, plot_ecg_12lead, plot_field_map

data = make_paired_beats(n_subjects=4, beats_per_subject=10, noise="shielded", random_state=0)
print(data.ecg.shape, data.mcg.shape, data.sfreq)
print(data.DESCR.splitlines()[0])

# %%
# The butterfly plot
# ------------------
# All 36 MCG channels of the first beat overlaid, with their RMS (thick line).
# The QRS complex dominates; the T wave follows 200-300 ms later at about a
# third of its amplitude.
beat = data.mcg[0]
r_peak, t_peak = find_rt_peaks(beat[np.newaxis], sfreq=data.sfreq)
marks = {"R": data.times[r_peak[0]], "T": data.times[t_peak[0]]}
plot_butterfly(beat, times=data.times, mark_times=marks, title="MCG, 36 channels (simulated)")

# %%
# Field maps at the R and the T peak
# ----------------------------------
# The map of Bz over the sensor grid, seen from the front (the subject's left
# on the right). A single current dipole gives a **dipolar** map: a positive
# (field out of the chest, red) and a negative pole, the main vector (arrow)
# from one to the other being perpendicular to the heart's dipole. Clinical
# MCG reads the T-wave map's orientation: ischaemia rotates it or makes it
# non-dipolar.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
plot_field_map(beat, data.sensor_positions, latency="r_peak", times=data.times, ax=axes[0],
               title="R peak")
plot_field_map(beat, data.sensor_positions, latency="t_peak", times=data.times, ax=axes[1],
               title="T peak")

# %%
# An ischaemic subject
# --------------------
# The ``"ischemia"`` condition adds a weak second dipole during the ST-T
# segment and changes the T wave: the T-wave map turns (here it flips), while
# the R-wave map stays as it was.
# Each condition edits the same simulated hearts (the anatomy stream does
# not depend on the condition).
ischemic = make_paired_beats(n_subjects=4, beats_per_subject=10, noise="shielded",
                             conditions="ischemia", random_state=0)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
plot_field_map(ischemic.mcg[0], ischemic.sensor_positions, latency="r_peak",
               times=ischemic.times, ax=axes[0], title="ischaemia, R peak")
plot_field_map(ischemic.mcg[0], ischemic.sensor_positions, latency="t_peak",
               times=ischemic.times, ax=axes[1], title="ischaemia, T peak")

# %%
# The 12-lead ECG of the same beat
# --------------------------------
# Printed on ECG paper (25 mm/s, 10 mm/mV). The leads come from the same
# dipole through the Dower transform.
plot_ecg_12lead(data.ecg[0], data.sfreq, data.ecg_ch_names,
                title="12-lead ECG of the same beat (simulated)")
plt.show()
