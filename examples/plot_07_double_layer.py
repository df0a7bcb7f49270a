"""
=============================================================
The simulated heart: an equivalent double layer (physics v2)
=============================================================

The default source of :func:`~sklearn_ecgmcg.datasets.make_paired_beats` is an
equivalent double layer on the surface of the ventricles (see :ref:`physics`):
LV and RV shells cut into patches, each with its own activation and
repolarisation time. This example draws what the simulator computes for one
normal heart and of the same heart with an ischaemic region: the activation map, the body-surface
potential and magnetic field maps at the R and the T peak, and the ECG and MCG
of both. Everything here is **simulated**.
"""

# sphinx_gallery_thumbnail_number = 2

# %%
# One heart, without and with ischaemia
# -------------------------------------
# ``noise="none"``: the clean signals, to see the physics. Every part of the
# simulator has its own random stream, so the same seed with another condition
# gives the same heart, rhythm and anatomy with only the tissue changed; with
# ``ecg_layout="bspm32"`` the same heart is seen by 32 body-surface electrodes,
# for the potential maps.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.plotting import plot_butterfly, plot_field_map

kwargs = dict(n_subjects=1, beats_per_subject=1, noise="none", random_state=7)
normal = make_paired_beats(conditions="normal", **kwargs)
ischaemic = make_paired_beats(conditions="ischemia", **kwargs)
bspm = make_paired_beats(conditions="normal", ecg_layout="bspm32", **kwargs)
print(normal.DESCR.splitlines()[0])
print("ischaemic region:", ischaemic.pathology_region[0], "severity:",
      round(float(ischaemic.pathology_severity[0]), 2))
data = {"normal": normal, "ischaemic": ischaemic}

# %%
# Activation map
# --------------
# Anterior view (the viewer faces the chest: the subject's left on the right,
# the head at the top). Each dot is the centre of a patch element on the
# epicardium (circles) or endocardium (triangles), coloured by its activation
# time: the wave starts at the septal and paraseptal breakthrough sites
# (crosses), runs over the endocardium through the Purkinje network, then
# through the wall, and ends at the base.
fig, ax = plt.subplots(figsize=(5.5, 4.5))
positions = 100 * normal.patch_positions[0]
for layer, marker in ((1, "o"), (0, "^")):
    on = normal.patch_layer == layer
    dots = ax.scatter(positions[on, 0], positions[on, 1], c=1e3 * normal.activation_times[0, on],
                      marker=marker, cmap="viridis", s=60, edgecolor="k", linewidth=0.3)
sites = 100 * normal.anatomy.breakthrough_sites[0]
ax.scatter(sites[:, 0], sites[:, 1], marker="x", c="r", s=80, label="breakthrough sites")
ax.invert_yaxis()
ax.set(xlabel="x (cm, subject's left)", ylabel="y (cm, toward the feet)",
       title="Activation times (simulated)")
ax.set_aspect("equal")
ax.legend(loc="lower left", fontsize=8)
fig.colorbar(dots, ax=ax, label="activation (ms from the R peak)")

# %%
# Potential and field maps at R and T
# -----------------------------------
# Top: the potential on the 24 front electrodes of the body-surface map (mV,
# Wilson's terminal). Bottom: the normal magnetic field on the 6 x 6 grid (pT).
# With a single dipole the two maps would be rotated by exactly 90 degrees and
# the field map would be a perfect dipole; the distributed source bends both.
fig, axes = plt.subplots(2, 2, figsize=(8, 7), layout="constrained")
front = bspm.electrode_positions[:24]
for col, latency in enumerate(("r_peak", "t_peak")):
    plot_field_map(bspm.ecg_clean[0, :24], front, latency=latency, times=bspm.times,
                   ax=axes[0, col], unit="mV", title=f"potential, {latency} (simulated)")
    plot_field_map(normal.mcg_clean[0], normal.sensor_positions, latency=latency,
                   times=normal.times, ax=axes[1, col], title=f"field, {latency} (simulated)")

# %%
# ECG without and with ischaemia
# ------------------------------
# Four of the 12 leads, the two hearts overlaid. The ECG is AC-coupled
# (``ecg_highpass=0.05`` Hz), as a clinical amplifier is: the ischaemic region's
# raised resting potential (its injury current) shifts the whole beat, and only
# its ST-TQ step and the shorter, smaller action potentials (an earlier, lower
# T wave) stay visible.
leads = ["II", "aVR", "V2", "V5"]
fig, axes = plt.subplots(1, 4, figsize=(11, 3), sharex=True, layout="constrained")
for ax, lead in zip(axes, leads):
    k = normal.ch_names["ecg"].index(lead)
    for (name, beats), style in zip(data.items(), ("k-", "r-")):
        ax.plot(beats.times, beats.ecg_clean[0, k], style, lw=1, label=name)
    ax.axhline(0, color="0.7", lw=0.5)
    ax.set(title=f"{lead} (simulated)", xlabel="time (s)")
axes[0].set_ylabel("mV")
axes[0].legend(fontsize=8)

# %%
# MCG without and with ischaemia, and what only the MCG keeps
# -----------------------------------------------------------
# The SQUID is DC-coupled: the injury current during the TQ segment stays in
# the ischaemic heart's MCG as a field level before the QRS, and its T wave
# changes. Dashed: the silent (vortex) currents alone, which no ECG sees.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
for ax, (name, beats) in zip(axes, data.items()):
    plot_butterfly(beats.mcg_clean[0], times=beats.times, ax=ax)
    ax.plot(beats.times, np.sqrt((beats.mcg_silent[0] ** 2).mean(axis=0)), "k--", lw=1)
    ax.set_title(f"{name}: MCG (simulated); dashed: silent part", fontsize=10)
tq = normal.times < -0.2
for name, beats in data.items():
    print(f"{name}: mean |field| before the QRS "
          f"{float(np.abs(beats.mcg_clean[0][:, tq]).mean()):.2f} pT")

# %%
# The T-wave field maps side by side: the injury and the shorter action
# potentials of the ischaemic region turn and weaken the map.
fig, axes = plt.subplots(1, 2, figsize=(8, 3.6), layout="constrained")
for ax, (name, beats) in zip(axes, data.items()):
    plot_field_map(beats.mcg_clean[0], beats.sensor_positions, latency="t_peak",
                   times=beats.times, ax=ax, title=f"{name}, T peak (simulated)")
plt.show()
