"""
========================================
Preprocessing and heartbeat segmentation
========================================

Continuous recordings are filtered with
:class:`~sklearn_ecgmcg.preprocessing.BandpassFilter` (zero-phase Butterworth
band-pass plus a mains notch) and cut into heartbeats around their R peaks with
:func:`~sklearn_ecgmcg.preprocessing.segment_beats` and
:class:`~sklearn_ecgmcg.preprocessing.BeatSegmenter`.

We use two sources: **simulated** paired ECG + MCG recordings, whose true R
peaks are known, and a **real** 10 s PTB-XL record shipped with the package.
"""

# %%
# Simulated paired recordings
# ---------------------------
# Three subjects, 20 s each, in an unshielded room: strong baseline drift and
# 50 Hz mains in both modalities.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ecgmcg.datasets import load_sample_ecg, simulate_paired_recordings
from sklearn_ecgmcg.plotting import plot_butterfly, plot_ecg_12lead
from sklearn_ecgmcg.preprocessing import BandpassFilter, BeatSegmenter, segment_beats

rec = simulate_paired_recordings(n_subjects=3, duration=20, noise="unshielded", random_state=0)
print("ECG", rec.ecg.shape, "MCG", rec.mcg.shape, "at", rec.sfreq, "Hz")

# %%
# Filtering
# ---------
# 0.5-40 Hz with a 50 Hz notch, applied forward and backward (no phase shift,
# so the R peaks stay where they are). The same stateless transformer filters
# ECG and MCG.
bandpass = BandpassFilter(l_freq=0.5, h_freq=40, sfreq=rec.sfreq, notch_freq=50)
ecg = bandpass.fit_transform(rec.ecg)
mcg = bandpass.fit_transform(rec.mcg)

seconds = rec.times < 4
lead_ii = rec.ecg_ch_names.index("II")
fig, axes = plt.subplots(2, 1, figsize=(9, 5), sharex=True, layout="constrained")
axes[0].plot(rec.times[seconds], rec.ecg[0, lead_ii, seconds], color="0.6", label="raw")
axes[0].plot(rec.times[seconds], ecg[0, lead_ii, seconds], color="k", label="0.5-40 Hz + notch")
axes[0].set_ylabel("lead II (mV)")
axes[1].plot(rec.times[seconds], rec.mcg[0, 14, seconds], color="0.6", label="raw")
axes[1].plot(rec.times[seconds], mcg[0, 14, seconds], color="k", label="0.5-40 Hz + notch")
axes[1].set_ylabel(f"{rec.mcg_ch_names[14]} (pT)")
axes[1].set_xlabel("time (s)")
for ax in axes:
    ax.legend(loc="upper right", fontsize=8)
fig.suptitle("Simulated unshielded recording: raw and filtered")

# %%
# R peaks and paired beats
# ------------------------
# :func:`~sklearn_ecgmcg.preprocessing.segment_beats` finds the R peaks in the
# ECG (wfdb's XQRS detector) and cuts ECG **and** MCG at the same instants, so
# beat ``i`` of both is the same heartbeat. ``beats.groups`` is the record of
# each beat; here one record per subject.
beats = segment_beats(ecg, mcg, sfreq=rec.sfreq, tmin=-0.25, tmax=0.45)
print("paired beats:", beats.X.shape, beats.y.shape)

tolerance = int(0.05 * rec.sfreq)  # a detection within 50 ms of a true R peak is a hit
for record, (found, true) in enumerate(zip(beats.peaks, rec.r_peaks)):
    # beats too close to the record's ends to fit the window are not kept
    true = true[(true >= found.min() - tolerance) & (true <= found.max() + tolerance)]
    distance = np.abs(found[:, None] - true[None])
    hits = distance.min(axis=1) <= tolerance
    offset_ms = 1e3 * np.median(distance.min(axis=1)[hits]) / rec.sfreq
    print(f"record {record}: {hits.sum()}/{len(found)} kept beats at a true R peak, "
          f"{len(true)} true peaks in that span, median offset {offset_ms:.1f} ms")

# %%
# All beats of the first record, overlaid: the ECG lead II and the channel
# with the largest R wave.
first = beats.groups == 0
channel = np.abs(beats.y[first].mean(axis=0)).max(axis=1).argmax()
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
axes[0].plot(beats.times, beats.X[first, lead_ii].T, color="tab:blue", alpha=0.3)
axes[0].set(xlabel="time from R peak (s)", ylabel="lead II (mV)", title="ECG beats")
axes[1].plot(beats.times, beats.y[first, channel].T, color="tab:red", alpha=0.3)
axes[1].set(xlabel="time from R peak (s)", ylabel=f"{rec.mcg_ch_names[channel]} (pT)",
            title="MCG beats, cut at the ECG's R peaks")

# %%
# The median beat
# ---------------
# In a :class:`~sklearn.pipeline.Pipeline`, ``BeatSegmenter.transform`` keeps one
# output per record: its median beat (signal averaging, the standard in MCG),
# which removes most of the remaining noise. On the 36-channel MCG the R peaks
# come from the channel-RMS curve.
median_mcg = BeatSegmenter(sfreq=rec.sfreq).fit_transform(mcg)
print("median MCG beats:", median_mcg.shape)
plot_butterfly(median_mcg[0], times=beats.times, title="median MCG beat of record 0")

# %%
# A real PTB-XL record
# --------------------
# The package ships 56 real 10 s PTB-XL records at 500 Hz. Here is the first,
# raw, printed like a 12-lead ECG.
sample = load_sample_ecg()
print(sample.ecg.shape, sample.ch_names)
plot_ecg_12lead(sample.ecg[0], sample.sfreq, sample.ch_names,
                title=f"PTB-XL record {sample.ecg_id[0]} (raw)")

# %%
# Filter it, find its beats and take the median beat of each lead.
real = BandpassFilter(l_freq=0.5, h_freq=40, sfreq=sample.sfreq).fit_transform(sample.ecg[:1])
real_beats = segment_beats(real, sfreq=sample.sfreq)
median_real = BeatSegmenter(sfreq=sample.sfreq).fit_transform(real)
print(f"{len(real_beats.X)} beats found; median beat {median_real.shape}")

plot_ecg_12lead(median_real[0], sample.sfreq, sample.ch_names,
                title="median beat of the same record (0.5-40 Hz)")
plt.show()
