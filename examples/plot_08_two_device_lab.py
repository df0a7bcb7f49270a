"""
==========================================================
A lab recording: two devices, two clocks, one noisy sensor
==========================================================

A lab pair rarely looks like :func:`~sklearn_ecgmcg.datasets.make_paired_beats`:
an ECG device and a magnetometer, each with its own clock and rate, exported as
text files; mains hum; an unshielded sensor whose single beats are lost in
noise. This example writes such a pair from the simulator (everything here is
**simulated**), then reads it back as a user would: read the files, put the
streams on one clock, remove the hum, average the MCG over the ECG's beats.
"""

# %%
# Write the two devices' files
# ----------------------------
# The MCG device (1 kHz, one channel over the heart, unshielded) keeps the
# reference clock and records lead II on an auxiliary input, as MCG systems
# often do; the ECG device (500 Hz, two leads) starts 0.74 s later and its
# clock runs 50 ppm fast. Both pick up 50 Hz hum. The ECG device writes
# semicolons and decimal commas with a time column in ms, the MCG device tabs.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sklearn_ecgmcg.datasets import align_streams, read_recording, simulate_paired_recordings
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import Pipeline

from sklearn_ecgmcg import CrossModalAligner, LatentProjector
from sklearn_ecgmcg.preprocessing import BandpassFilter, average_beats, segment_beats

rec = simulate_paired_recordings(n_subjects=1, duration=70.0, sfreq=1000, noise="unshielded",
                                 random_state=3, dtype=np.float64)
rng = np.random.default_rng(0)
offset, drift = 0.74, 50e-6
ecg_clock = np.arange(30000) / 500.0 + rng.normal(0, 2e-5, 30000)  # 60 s
true_time = ecg_clock / (1 + drift) + offset
ecg = np.stack([np.interp(true_time, rec.times, lead) for lead in rec.ecg[0][:2]])
ecg += 0.5 * np.sin(2 * np.pi * 50 * true_time)  # hum at the electrodes
hum = np.sin(2 * np.pi * 50 * rec.times)
mcg = rec.mcg[0][14] + 20 * hum
aux_ecg = rec.ecg[0][1] + 0.5 * hum  # lead II on the MCG device

folder = Path(tempfile.mkdtemp())
rows = ["Zeit (ms);ECG I;ECG II"] + [
    f"{1e3 * t:.3f};{a:.5f};{b:.5f}".replace(".", ",") for t, a, b in zip(ecg_clock, *ecg)]
(folder / "ecg_device.txt").write_text("\n".join(rows))
rows = ["time [s]\tMCG\tECG aux"] + [
    f"{t:.6f}\t{v:.4f}\t{a:.5f}" for t, v, a in zip(rec.times, mcg, aux_ecg)]
(folder / "mcg_device.txt").write_text("\n".join(rows))
print((folder / "ecg_device.txt").read_text().splitlines()[:3])

# %%
# Read them back
# --------------
# :func:`~sklearn_ecgmcg.datasets.read_recording` finds the separator, the
# decimal mark, the header and the time column, and reads each device's rate
# from its timestamps.
ecg_file = read_recording(folder / "ecg_device.txt")
mcg_file = read_recording(folder / "mcg_device.txt")
for f in (ecg_file, mcg_file):
    print(f.path.name, f.ch_names, f"{f.sfreq:.3f} Hz", f"jitter {f.jitter:.4f}",
          f"separator {f.separator!r}, decimal {f.decimal!r}")

# %%
# One clock
# ---------
# :func:`~sklearn_ecgmcg.datasets.align_streams` brings both to 500 Hz
# (anti-aliased) and measures lag and drift by cross-correlation in stretches
# of the recording. From the QRS energies alone (the one noisy MCG channel
# against the ECG) the estimate fails here: the beats are nearly periodic and
# the channel is buried in noise, so the stretches disagree. With lead II
# recorded by both devices as ``sync``, lag and drift come out right.
blind = align_streams(ecg_file.times, ecg_file.signals, mcg_file.times, mcg_file.signals[:1])
print(f"QRS energies only: lag {blind.lag:.3f} s, stretches {np.round(blind.lags, 3)}")
pair = align_streams(ecg_file.times, ecg_file.signals, mcg_file.times, mcg_file.signals[:1],
                     sync=(ecg_file.signals[1], mcg_file.signals[1]))
print(f"with sync: lag {pair.lag:.4f} s (true {offset}), drift {pair.drift_ppm:.0f} ppm "
      f"(true {-1e6 * drift:.0f})")

fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(pair.lag_times, 1e3 * (pair.lags - pair.lag), "o-")
ax.set(xlabel="ECG clock (s)", ylabel="lag - lag at start (ms)",
       title="Clock drift seen by the shared lead (simulated)")

# %%
# Remove the hum, average the MCG over the beats
# ----------------------------------------------
# ``notch_freq="auto"`` finds 50 Hz in the spectrum; the edges, where the notch
# rings, are dropped. :func:`~sklearn_ecgmcg.preprocessing.average_beats` then
# averages the MCG over the ECG's beats and says how good the average is.
band = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=pair.sfreq, notch_freq="auto")
ecg_f = band.fit_transform(pair.ecg[None])[0]
print("notch found at", band.notch_freq_, "Hz")
mcg_f = band.fit_transform(pair.mcg[None])[0]
keep = slice(int(pair.sfreq), -int(pair.sfreq))
average = average_beats(ecg_f[:, keep], mcg_f[:, keep], sfreq=pair.sfreq, ch_names=["MCG"])
print(average.report)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
t = pair.times[keep] - pair.times[keep][0]
axes[0].plot(t[:2500], mcg_f[0, keep][:2500], lw=0.6)
axes[0].set(xlabel="time (s)", ylabel="pT", title="filtered MCG, 5 s (simulated)")
axes[1].plot(average.times, average.mcg[0], label=f"average of {average.n_beats} beats")
scale = np.abs(average.mcg).max() / np.abs(average.ecg[1]).max()
axes[1].plot(average.times, scale * average.ecg[1], "k--", lw=0.8, label="ECG II (scaled)")
axes[1].set(xlabel="time from the R peak (s)", ylabel="pT", title="averaged MCG beat")
axes[1].legend(fontsize=8)

# %%
# Beats for the pipeline
# ----------------------
# The aligned, filtered pair is cut into beats at the ECG's R peaks and the
# default pipeline runs on them: fitted on the first 40 beats, it predicts the
# MCG of the later ones from their ECG, beside a ridge map from the ECG beat to
# the MCG beat. Within one recording the beats differ mostly by noise, so the
# score is how well the mean predicted beat follows the mean measured one
# (correlation). Both follow it closely, as they should within one subject: the
# test that matters is other subjects, where on simulated one-lead pairs no
# model beats the mean beat (``benchmarks/results/one_lead.md``).
beats = segment_beats(ecg_f[None, :, keep], mcg_f[None, :, keep], sfreq=pair.sfreq)
pipe = Pipeline([
    ("align", CrossModalAligner(max_epochs=10, random_state=0, device="cpu")),
    ("project", LatentProjector()),
])
pipe.fit(beats.X[:40], beats.y[:40])
virtual = pipe.predict(beats.X[40:])
ridge = RidgeCV(alphas=np.logspace(-2, 4, 7)).fit(beats.X[:40].reshape(40, -1),
                                                  beats.y[:40].reshape(40, -1))
by_ridge = ridge.predict(beats.X[40:].reshape(len(beats.X) - 40, -1)).reshape(virtual.shape)
measured = beats.y[40:].mean(axis=0)[0]
for name, predicted in (("default pipeline", virtual), ("ridge", by_ridge)):
    r = np.corrcoef(predicted.mean(axis=0)[0], measured)[0, 1]
    print(f"{name}: mean virtual beat vs mean measured beat (beats 40+), r = {r:.2f}")
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
ax.plot(beats.times, beats.y[40:].mean(axis=0)[0], label="measured (mean of later beats)")
ax.plot(beats.times, virtual.mean(axis=0)[0], label="virtual: default pipeline")
ax.plot(beats.times, by_ridge.mean(axis=0)[0], ":", label="virtual: ridge")
ax.set(xlabel="time from the R peak (s)", ylabel="pT", title="virtual MCG (simulated)")
ax.legend(fontsize=8)
plt.show()
