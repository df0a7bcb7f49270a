"""Speed and quality of the preprocessing transformers.

- Filter speed: ``BandpassFilter(0.5, 40 Hz, order 4).transform`` against the plain
  ``scipy.signal.sosfiltfilt`` call a user would otherwise write, on the same
  (n_records, 12, 5000) array (PTB-XL, 500 Hz), best of 3.
- Segmentation speed: ``segment_beats`` on every 10 s, 12-lead, 500 Hz PTB-XL record
  of the shared subset (records/s, detection included).
- Heart-rate plausibility on PTB-XL: share of records whose heart rate from the
  peaks (60 / median RR) lies in 30-200 bpm, for ``segment_beats`` (XQRS on the
  leading principal component of the 12 leads) and for the baseline, wfdb's XQRS
  run on lead II alone.
- R-peak F1 within 10 ms on ``simulate_paired_recordings`` (shielded noise), for
  ECG (XQRS) and MCG (channel RMS), against the same baseline: XQRS on one channel
  (ECG lead II; the MCG channel with the largest variance).

Run ``python benchmarks/bench_preprocessing.py [PTBXL_PATH]`` (default
``../shared/data/ptbxl``); prints the tables and writes them to
``benchmarks/results/preprocessing.md``.
"""

import datetime
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy import signal
from wfdb import processing

from sklearn_ecgmcg.datasets import load_ptbxl, simulate_paired_recordings
from sklearn_ecgmcg.datasets._physics._dipole import CONDITIONS
from sklearn_ecgmcg.preprocessing import BandpassFilter, detect_r_peaks, segment_beats
from sklearn_ecgmcg.preprocessing._rpeaks import _r_peak_f1

REPEATS = 3
LEAD_II = 1


def best_of(func, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def xqrs_one_channel(X, channel, sfreq):
    """The baseline detector: wfdb's XQRS on a single channel of each record."""
    peaks = []
    for record in X:
        xqrs = processing.XQRS(sig=np.asarray(record[channel], dtype=np.float64), fs=sfreq)
        xqrs.detect(verbose=False)
        peaks.append(np.asarray(xqrs.qrs_inds))
    return peaks


def heart_rate(peaks, sfreq):
    return np.array([60 * sfreq / np.median(np.diff(p)) if len(p) > 1 else np.nan for p in peaks])


def plausible(rates):
    return float(np.mean((rates >= 30) & (rates <= 200)))


def filter_rows(ecg, sfreq):
    filt = BandpassFilter(l_freq=0.5, h_freq=40.0, sfreq=sfreq, order=4)
    sos = filt.fit(ecg).sos_
    rows = []
    for dtype in (np.float32, np.float64):
        X = ecg.astype(dtype)
        t_ours, ours = best_of(lambda: filt.transform(X))
        t_base, base = best_of(lambda: signal.sosfiltfilt(sos, X, axis=-1))
        np.testing.assert_allclose(ours, base, rtol=1e-4, atol=1e-5)
        rows.append((np.dtype(dtype).name, X.shape, t_base, t_ours))
    lines = [
        "| dtype | array | scipy sosfiltfilt (s) | BandpassFilter (s) | ratio ours / scipy |",
        "|---|---|---|---|---|",
    ]
    for name, shape, t_base, t_ours in rows:
        lines.append(f"| {name} | {shape} | {t_base:.3f} | {t_ours:.3f} | {t_ours / t_base:.2f} |")
    return "\n".join(lines)


def ptbxl_rows(ecg, sfreq):
    t_ours, result = best_of(lambda: segment_beats(ecg, sfreq=sfreq, on_empty="ignore"), repeats=1)
    t_base, base_peaks = best_of(lambda: xqrs_one_channel(ecg, LEAD_II, sfreq), repeats=1)
    n = len(ecg)
    ours, base = heart_rate(result.peaks, sfreq), heart_rate(base_peaks, sfreq)
    lines = [
        f"{n} records, 12 leads, 10 s at {sfreq:g} Hz; heart rate = 60 / median RR.\n",
        "| method | records/s | HR in 30-200 bpm | HR 5th / 50th / 95th pct (bpm) | records without beats |",
        "|---|---|---|---|---|",
        f"| segment_beats (XQRS on leading PC, windows cut) | {n / t_ours:.1f} | "
        f"{plausible(ours):.3f} | {_percentiles(ours)} | {len(result.empty_records)} |",
        f"| baseline: wfdb XQRS on lead II (detection only) | {n / t_base:.1f} | "
        f"{plausible(base):.3f} | {_percentiles(base)} | "
        f"{sum(len(p) == 0 for p in base_peaks)} |",
    ]
    return "\n".join(lines)


SIM_SETTINGS = [
    ("shielded", None, "normal"),
    ("shielded", "all", "all 7 conditions"),
    ("unshielded", None, "normal"),
]


def simulator_rows(n_subjects=50):
    rows = [
        f"simulate_paired_recordings(n_subjects={n_subjects}, duration=10, sfreq=500, "
        "random_state=0): 12-lead ECG, 36-channel MCG. F1 within 10 ms of the true R "
        "peaks; 'edge-free' leaves out peaks within 0.1 s of a record edge.\n",
        "| noise | conditions | modality | method | records/s | F1 all peaks | F1 edge-free |",
        "|---|---|---|---|---|---|---|",
    ]
    for noise, conditions, label in SIM_SETTINGS:
        if conditions == "all":
            conditions = {name: 1 / len(CONDITIONS) for name in CONDITIONS}
        rec = simulate_paired_recordings(
            n_subjects, 10.0, 500.0, noise=noise, conditions=conditions, random_state=0
        )
        n_times = rec.ecg.shape[-1]
        for modality in ("ecg", "mcg"):
            X = rec[modality]
            best = int(np.argmax(X.var(axis=(0, 2)))) if modality == "mcg" else LEAD_II
            methods = [
                (f"detect_r_peaks ({'xqrs' if modality == 'ecg' else 'rms'})",
                 lambda: detect_r_peaks(X, sfreq=rec.sfreq)),
                (f"baseline: XQRS on channel {rec.ch_names[modality][best]}",
                 lambda: xqrs_one_channel(X, best, rec.sfreq)),
            ]
            for name, detect in methods:
                elapsed, peaks = best_of(detect, repeats=1)
                f1_all = _r_peak_f1(rec.r_peaks, peaks, sfreq=rec.sfreq)
                f1_inner = _r_peak_f1(
                    rec.r_peaks, peaks, sfreq=rec.sfreq, n_times=n_times, margin=0.1
                )
                rows.append(
                    f"| {noise} | {label} | {modality.upper()} | {name} | "
                    f"{len(X) / elapsed:.1f} | {f1_all:.4f} | {f1_inner:.4f} |"
                )
    return "\n".join(rows)


def _percentiles(rates):
    return " / ".join(f"{v:.0f}" for v in np.nanpercentile(rates, [5, 50, 95]))


def main(path):
    data = load_ptbxl(path, sampling_rate=500)
    ecg, sfreq = data.ecg, data.sfreq
    sections = [
        ("Filter speed (0.5-40 Hz, order 4, zero-phase), best of 3", filter_rows(ecg, sfreq)),
        ("PTB-XL segmentation speed and heart-rate plausibility", ptbxl_rows(ecg, sfreq)),
        ("R-peak detection on simulated paired recordings (SIMULATION)", simulator_rows()),
    ]
    text = "\n\n".join(f"## {title}\n\n{table}" for title, table in sections)
    header = (
        f"# Preprocessing benchmarks\n\n{datetime.date.today()}, {platform.node() or 'machine'}, "
        f"{os.cpu_count()} CPU cores (shared with other jobs).\n"
        f"Command: `python benchmarks/bench_preprocessing.py`\n\n"
    )
    print(text)
    out = Path(__file__).parent / "results" / "preprocessing.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(header + text + "\n", "utf-8")


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ptbxl"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
