"""The three-stage demo behind ``python -m sklearn_ecgmcg demo``.

Stage 1 runs on real ECG (the PTB-XL sample shipped with the package, or PTB-XL);
stages 2 and 3 run on simulated paired ECG + MCG beats, split by subject. Every
estimator keeps the package's default parameters (the demo chooses only the data
size, the device, the seed and the progress bar). Each stage ends in a one-line
verdict against the baseline a user would otherwise pick, with the number of
held-out records or subjects and 95 % bootstrap intervals, saying plainly when the
method loses.
"""

import json
import time
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from ..metrics import field_map_angle_error, virtual_mcg_r2
from . import _report, _stages
from ._verdicts import (
    auroc_metric,
    coverage_verdict,
    mean_metric,
    multilabel_auroc_metric,
    paired_bootstrap,
    r2_metric,
    verdict,
)

__all__ = ["run_demo"]


class _Log:
    def __init__(self, stream):
        self.stream = stream
        self.start = time.perf_counter()

    def __call__(self, message):
        if self.stream is not None:
            elapsed = time.perf_counter() - self.start
            print(f"[{elapsed:6.1f} s] {message}", file=self.stream, flush=True)


def _comparisons(s1, s23, random_state):
    """Paired subject-bootstrap comparisons of every stage against its baseline."""
    sim, test = s23["sim"], s23["test"]
    groups, measured = sim.groups[test], sim.mcg[test]
    scores1, baseline1 = s1["scores"].values()
    hits, base_hits = s23["hits"].values()
    virtual, *linear = s23["virtual"].values()
    # The baseline is the stronger linear map on the test subjects: the verdict never
    # flatters the method.
    scores = [r2_metric(measured, prediction)(np.arange(len(test))) for prediction in linear]
    ridge = linear[int(np.argmax(scores))]
    diag, base_diag = s23["diagnosis"].values()
    lower, upper = s23["interval"]
    classes = np.unique(sim.target[s23["train"]])  # the probes' classes_, sorted
    inside = ((measured >= lower) & (measured <= upper)).reshape(len(test), -1).mean(axis=1)
    coverage = mean_metric(inside)
    return {
        "stage1": paired_bootstrap(multilabel_auroc_metric(s1["target"], scores1),
                                   multilabel_auroc_metric(s1["target"], baseline1),
                                   s1["records"], random_state),
        "stage2": paired_bootstrap(mean_metric(hits), mean_metric(base_hits), groups,
                                   random_state),
        "stage3": {**paired_bootstrap(r2_metric(measured, virtual), r2_metric(measured, ridge),
                                      groups, random_state),
                   "baseline": list(s23["virtual"])[1 + int(np.argmax(scores))]},
        "intervals": paired_bootstrap(coverage, coverage, groups, random_state),
        "diagnosis": paired_bootstrap(auroc_metric(sim.target[test], diag, classes),
                                      auroc_metric(sim.target[test], base_diag, classes),
                                      groups, random_state),
    }


def _verdict_lines(c, s1, s23):
    names1, names_diag = list(s1["scores"]), list(s23["diagnosis"])
    n_beats = len(s23["test"])
    width = float(np.mean(s23["interval"][1] - s23["interval"][0]))
    return [
        verdict("stage 1 (real ECG, 5-superclass linear probe)", names1[0], names1[1],
                "macro AUROC", c["stage1"], f"held-out PTB-XL records (fold 9) from "
                f"{s1['source']}"),
        verdict("stage 2 (ECG -> MCG retrieval)", "aligner", "PCA + CCA",
                f"top-1 among {n_beats} beats", c["stage2"], "held-out simulated subjects"),
        verdict("stage 3 (virtual MCG)", "pipeline", c["stage3"]["baseline"],
                "R² (variance-weighted, vs measured MCG)", c["stage3"],
                "held-out simulated subjects"),
        coverage_verdict(c["intervals"], 0.9, width, c["intervals"]["n"]),
        verdict("diagnosis from ECG alone (4 simulated conditions)", names_diag[0],
                "raw-ECG logistic regression", "macro AUROC", c["diagnosis"],
                "held-out simulated subjects"),
    ]


def _details(c, s23):
    """(quantity, value) rows: the numbers behind the verdicts, plus field-map angles."""
    sim, test = s23["sim"], s23["test"]
    rows = [(f"{key}: method, baseline, difference [95 % CI]",
             f"{v['a']:.3f} [{v['a_ci'][0]:.3f}, {v['a_ci'][1]:.3f}], "
             f"{v['b']:.3f} [{v['b_ci'][0]:.3f}, {v['b_ci'][1]:.3f}], "
             f"{v['diff']:+.3f} [{v['diff_ci'][0]:+.3f}, {v['diff_ci'][1]:+.3f}] (n={v['n']})")
            for key, v in c.items() if key != "intervals"]
    for name, predicted in s23["virtual"].items():
        rows.append((f"stage 3 R² (variance-weighted, vs measured MCG), {name}",
                     f"{virtual_mcg_r2(sim.mcg[test], predicted):.3f}"))
        for peak in ("r_peak", "t_peak"):
            angle = field_map_angle_error(sim.mcg[test], predicted, sim.sensor_positions,
                                          latency=peak, sfreq=sim.sfreq)
            rows.append((f"stage 3 field-map angle error at the {peak.replace('_', ' ')} "
                         f"(degrees), {name}", f"{angle:.1f}"))
    return rows


def run_demo(out_dir, *, ptbxl=None, device="auto", random_state=0, verbose=1, stream=None,
             threads=1):
    """Run the three stages, print one verdict per stage and write ``report.html``.

    Parameters
    ----------
    out_dir : path-like
        Existing, writable folder for ``report.html`` and ``results.json``.
    ptbxl : path-like or None, default=None
        PTB-XL folder for stage 1; None uses :func:`~sklearn_ecgmcg.datasets.load_sample_ecg`.
    device : str, default="auto"
        Torch device for training.
    random_state : int, default=0
        Seed of the simulation, the splits, the networks and the bootstrap.
    verbose : int, default=1
        1 shows training progress bars.
    stream : file-like or None, default=None
        Where progress and the verdicts are printed; None prints nothing.
    threads : int, default=1
        CPU threads of torch and of the BLAS / OpenMP pools during the run
        (restored afterwards). One: the demo's small problems gain little from
        more, and on a busy machine extra threads spin (two threads on a loaded
        two-core machine took 3.5-4.5 min instead of about 1).

    Returns
    -------
    results : dict
        ``verdicts`` (the printed lines), ``comparisons`` (every score, baseline,
        difference and interval) and ``run_time_s``.
    """
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            return _run(Path(out_dir), ptbxl, device, random_state, verbose, stream)
    finally:
        torch.set_num_threads(previous_threads)


def _run(out_dir, ptbxl, device, random_state, verbose, stream):
    log = _Log(stream)
    settings = {"device": device, "random_state": random_state, "verbose": verbose}
    pretrainer, s1 = _stages.stage1(ptbxl, settings, log)
    s23 = _stages.stage23(settings, random_state, log)
    comparisons = _comparisons(s1, s23, random_state)
    verdicts = _verdict_lines(comparisons, s1, s23)
    log("scored every stage against its baseline (paired subject bootstrap)")
    elapsed = time.perf_counter() - log.start
    if stream is not None:
        print("\n" + "\n".join(verdicts) + "\n", file=stream, flush=True)
    results = {"verdicts": verdicts, "comparisons": _jsonable(comparisons),
               "run_time_s": round(elapsed, 1)}
    (out_dir / "results.json").write_text(json.dumps(results, indent=2))
    report = _report.html_report(verdicts, _details(comparisons, s23),
                                 _report.figures(pretrainer, s23), elapsed, s1["source"])
    (out_dir / "report.html").write_text(report, encoding="utf-8")
    log(f"wrote {out_dir / 'report.html'} and {out_dir / 'results.json'}")
    return results


def _jsonable(comparisons):
    def plain(v):
        if isinstance(v, (str, int)):
            return v
        return list(map(float, v)) if isinstance(v, tuple) else float(v)

    return {key: {k: plain(v) for k, v in value.items()} for key, value in comparisons.items()}
