"""The demo's figures and its self-contained HTML report."""

import base64
import html
import io

import numpy as np


def _png_base64(fig):
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def html_report(verdicts, details, figures, elapsed, stage1_source):
    """A self-contained HTML page: the verdicts, the details, then the figures as PNG."""
    verdict_items = "\n".join(f"<li>{html.escape(line)}</li>" for line in verdicts)
    rows = "\n".join(f"<tr><td>{html.escape(name)}</td><td>{html.escape(value)}</td></tr>"
                     for name, value in details)
    images = "\n".join(
        f"<figure><img src='data:image/png;base64,{_png_base64(fig)}' "
        f"alt='{html.escape(title)}'><figcaption>{html.escape(title)}</figcaption></figure>"
        for title, fig in figures
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>sklearn_ecgmcg demo report</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #bbb; padding: 4px 8px; }}
figure {{ margin: 2em 0; }} img {{ max-width: 100%; }} figcaption {{ color: #555; }}
li {{ margin: 0.4em 0; font-family: monospace; }}
.note {{ background: #fff6dd; padding: 0.6em 1em; border-left: 4px solid #e0a800; }}
</style></head><body>
<h1>sklearn_ecgmcg: three-stage demo</h1>
<p class="note">Stage 1 runs on real ECG ({html.escape(stage1_source)}). Stages 2 and 3
run on <b>simulated</b> paired ECG + MCG (physics v2: equivalent double layer, 12-lead ECG,
6x6 magnetometer MCG, shielded-room noise): no real paired recordings are public. Every
estimator runs with the package's default parameters (so stage 2 uses the aligner's own
default ECG tower; the stage-1 encoder is judged on its own); all test sets are disjoint from
training by record or subject; intervals are 95 % bootstrap intervals over records or
subjects. R² is variance-weighted over channels and time samples. Run time {elapsed:.0f} s.</p>
<h2>Verdicts</h2>
<ul>
{verdict_items}
</ul>
<h2>Details</h2>
<table><tr><th>quantity</th><th>value</th></tr>
{rows}
</table>
<h2>Figures</h2>
{images}
</body></html>
"""


def _field_maps(plt, plotting, sim, measured, virtual, peaks):
    fig, axes = plt.subplots(2, 2, figsize=(12, 10), layout="constrained")
    for row, (index, wave) in enumerate(zip(peaks, ("R peak", "T peak"))):
        vmax = np.abs(measured[:, index]).max()
        for col, (signal, kind) in enumerate([(measured, "simulated measured"),
                                              (virtual, "virtual")]):
            plotting.plot_field_map(signal, sim.sensor_positions, latency=float(sim.times[index]),
                                    times=sim.times, ax=axes[row, col], vmax=vmax,
                                    title=f"{kind} MCG, {wave} ({1e3 * sim.times[index]:.0f} ms)")
    return fig


def _interval_figure(plt, sim, beat_row, s23):
    """Measured and virtual MCG with the 90 % conformal band, four strongest channels."""
    measured = sim.mcg[s23["test"][beat_row]]
    virtual = s23["virtual"]["pipeline"][beat_row]
    lower, upper = (bound[beat_row] for bound in s23["interval"])
    channels = np.argsort(measured.std(axis=1))[::-1][:4]
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), sharey=True, layout="constrained")
    times_ms = 1e3 * sim.times
    for ax, ch in zip(axes, channels):
        ax.fill_between(times_ms, lower[ch], upper[ch], color="tab:orange", alpha=0.3,
                        label="90 % conformal interval")
        ax.plot(times_ms, measured[ch], color="k", lw=1.2, label="simulated measured")
        ax.plot(times_ms, virtual[ch], color="tab:orange", lw=1.2, label="virtual")
        ax.set_title(f"{sim.mcg_ch_names[ch]} (grid row, column)")
        ax.set_xlabel("time from R peak (ms)")
    axes[0].set_ylabel("pT")
    axes[0].legend(fontsize=8)
    return fig


def _curves(plt, plotting, estimator, metric_key, title):
    """Training loss, and the validation metric on a second axis."""
    fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
    plotting.plot_training_curves(estimator, keys=["train_loss"], ax=ax, title=title)
    twin = ax.twinx()
    epochs = [epoch["epoch"] for epoch in estimator.history_]
    twin.plot(epochs, [epoch[metric_key] for epoch in estimator.history_], color="tab:green",
              marker="s", markersize=3, label=f"validation: {metric_key}")
    twin.set_ylabel(metric_key, color="tab:green")
    twin.legend(loc="center right", fontsize=8)
    return fig


def figures(pretrainer, s23):
    """(caption, Figure) pairs for the report."""
    import matplotlib

    matplotlib.use("Agg")  # the demo writes files; never open windows
    import matplotlib.pyplot as plt

    from .. import plotting
    from ..preprocessing import find_rt_peaks

    sim, test = s23["sim"], s23["test"]
    beat = test[0]
    measured, virtual = sim.mcg[beat], s23["virtual"]["pipeline"][0]
    peaks = [int(np.ravel(i)[0]) for i in find_rt_peaks(measured[None], sfreq=sim.sfreq)]
    fig_latent, axes = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained")
    plotting.plot_similarity_matrix(s23["z_ecg"], s23["z_mcg"], sim.groups[test], ax=axes[0])
    plotting.plot_latent(s23["z_ecg"], sim.target[test], label_names=sim.target_names,
                         ax=axes[1], legend_title="simulated condition",
                         title="ECG latent of held-out simulated beats (PCA)")
    return [
        ("MCG field maps of one held-out SIMULATED beat at the R and T peaks: measured vs "
         "virtual MCG predicted from its ECG alone", _field_maps(plt, plotting, sim, measured,
                                                                 virtual, peaks)),
        ("Virtual vs measured MCG of the same SIMULATED beat, each panel a sensor labelled by "
         "its grid position (MCG-r<row>c<column>, row 1 nearest the head)",
         plotting.plot_virtual_mcg(measured, virtual, sim.sensor_positions, times=sim.times,
                                   ch_names=list(sim.mcg_ch_names),
                                   title="SIMULATED measured vs virtual MCG, one held-out beat")),
        ("90 % conformal prediction intervals of the virtual MCG (calibrated on held-out "
         "simulated subjects) on its four strongest channels",
         _interval_figure(plt, sim, 0, s23)),
        ("The beat's SIMULATED 12-lead ECG after the pipeline's 40 Hz low-pass filter: what "
         "the aligner sees", plotting.plot_ecg_12lead(
             s23["ecg_filtered"][beat], sim.sfreq, list(sim.ecg_ch_names),
             title="SIMULATED 12-lead ECG, 40 Hz low-pass filtered (the pipeline's first step)")),
        ("Cross-modal similarity of held-out SIMULATED beats (ECG rows, MCG columns) and the "
         "ECG latent coloured by simulated condition", fig_latent),
        ("Stage 1 training loss (real ECG, folds 1-8) with the fold-9 linear-probe AUROC "
         "after each epoch (a validation curve: shown, not used to select anything)",
         _curves(plt, plotting, pretrainer, "fold-9 probe AUROC", "stage 1: pretraining")),
        ("Stage 2 training loss (SIMULATED pairs) with top-1 retrieval on the held-out "
         "calibration subjects after each epoch (validation curve)",
         _curves(plt, plotting, s23["pipe"]["align"], "held-out top-1 retrieval",
                 "stage 2: ECG <-> MCG alignment")),
    ]
