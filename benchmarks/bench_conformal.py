"""Conformal prediction intervals of the virtual MCG: coverage and width on held-out subjects.

Data: SIMULATED paired beats (``make_paired_beats``, physics v2 double layer, the
seven conditions in turn, shielded or unshielded noise). Subjects are split three
ways, disjoint: the pipeline is fitted on the training subjects, its
``LatentProjector`` is calibrated (``calibrate``) on the calibration subjects, and
``predict_interval`` is scored on the test subjects against their measured MCG.
The split is redrawn ``--repeats`` times (a new subject permutation each time);
the tables give the mean over repeats and, for the first repeat, a 95 % interval
from resampling test subjects (``_bootstrap.subject_bootstrap``).

Compared side by side on the same splits:

- the pipeline with locally adaptive intervals (``calibrate(adaptive=True)``, the
  default: residuals scaled by the latent's kNN novelty);
- the same pipeline with standard split-conformal intervals (``adaptive=False``:
  one width per channel and time sample for every beat);
- ridge on the flattened filtered ECG (a ``LatentProjector`` on the raw beats, the
  baseline a user would pick) with the same adaptive intervals.

Held-out condition: for each of ``--held-out`` (default LBBB and ischaemia), all
subjects of that condition are removed from training and calibration; the others
are split as above; intervals are scored on the in-distribution test subjects and
on every subject of the held-out condition.

``--pipeline best`` (default) is the configuration that
``benchmarks/results/virtual_mcg.md`` shows best today: ``Pipeline(BandpassFilter,
BaselineCorrector, CrossModalAligner(spatial towers, 3 virtual leads,
latent="temporal"), LatentProjector)``; ``--pipeline default`` is the README's
pipeline with package defaults (``BandpassFilter``, ``CrossModalAligner()``,
``LatentProjector()``).

Run ``python benchmarks/bench_conformal.py [--subjects 140] [--beats 8] [--sfreq 125]
[--repeats 5] [--noise shielded] [--pipeline best] [--threads 1]``; prints the tables
and writes ``benchmarks/results/conformal.md``, keeping whatever follows the line
``<!-- notes: kept by bench_conformal.py -->`` there.
"""

import argparse
import copy
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.pipeline import Pipeline

from sklearn_ecgmcg import CrossModalAligner, LatentProjector
from sklearn_ecgmcg.datasets import make_paired_beats
from sklearn_ecgmcg.preprocessing import BandpassFilter, BaselineCorrector

from _bootstrap import subject_bootstrap
from bench_alignment import SPATIAL as SPATIAL_TOWERS

CONDITIONS = ["normal", "anterior_mi", "inferior_mi", "lbbb", "rbbb", "lvh", "ischemia"]
ALPHAS = (0.2, 0.1)
FRACTIONS = (0.4, 0.3)  # training and calibration shares of the subjects; the rest test
KEEP = "<!-- notes: kept by bench_conformal.py -->"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=140)
    parser.add_argument("--beats", type=int, default=8, help="beats per subject")
    parser.add_argument("--sfreq", type=float, default=125.0)
    parser.add_argument("--repeats", type=int, default=5, help="random subject splits")
    parser.add_argument("--noise", nargs="+", choices=["shielded", "unshielded"],
                        default=["shielded", "unshielded"])
    parser.add_argument("--pipeline", choices=["best", "default"], default="best")
    parser.add_argument("--held-out", nargs="+", default=["lbbb", "ischemia"])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out", default="conformal.md", help="file name in results/")
    return parser.parse_args()


def make_pipeline(args):
    """The benchmarked pipeline (see the module docstring)."""
    bandpass = BandpassFilter(l_freq=None, h_freq=40.0, sfreq=args.sfreq)
    if args.pipeline == "default":
        aligner = CrossModalAligner(sfreq=args.sfreq, device="cpu", random_state=0)
        return Pipeline([("bandpass", bandpass), ("align", aligner),
                         ("project", LatentProjector())])
    sources = {"n_components": 3}
    aligner = CrossModalAligner(
        **{**SPATIAL_TOWERS, "ecg_encoder_params": sources, "mcg_encoder_params": sources},
        latent="temporal", max_epochs=100, lr=3e-3, batch_size=32, sfreq=args.sfreq,
        device="cpu", random_state=0,
    )
    return Pipeline([("bandpass", bandpass), ("baseline", BaselineCorrector(sfreq=args.sfreq)),
                     ("align", aligner), ("project", LatentProjector())])


def split_subjects(subjects, seed):
    """Disjoint (train, calibration, test) subject arrays from a random permutation."""
    order = np.random.default_rng(seed).permutation(subjects)
    n_train, n_cal = (int(round(f * len(order))) for f in FRACTIONS)
    return order[:n_train], order[n_train:n_train + n_cal], order[n_train + n_cal:]


def coverage(y, bounds):
    return float(np.mean((y >= bounds[:, 0]) & (y <= bounds[:, 1])))


def width(y, bounds):
    return float(np.mean(bounds[:, 1] - bounds[:, 0]))


def fitted_methods(args, data, train, cal):
    """{method: (latent function, calibrated projector for adaptive, for constant)}."""
    pipe = make_pipeline(args).fit(data.ecg[train], data.mcg[train])
    filters = pipe[:list(pipe.named_steps).index("align")]  # the ridge baseline's input
    flat = lambda ecg: filters.transform(ecg).reshape(len(ecg), -1)  # noqa: E731
    ridge = LatentProjector().fit(flat(data.ecg[train]), data.mcg[train])
    methods = {}
    for name, latents, projector in [
        ("pipeline", pipe[:-1].transform, pipe[-1]),
        ("ridge on flattened ECG", flat, ridge),
    ]:
        z_cal = latents(data.ecg[cal])
        for adaptive in (True, False):
            if name != "pipeline" and not adaptive:
                continue
            label = f"{name}, {'adaptive' if adaptive else 'standard (constant width)'}"
            # A shallow copy: one fitted decoder, two calibrations.
            calibrated = copy.copy(projector).calibrate(z_cal, data.mcg[cal], adaptive=adaptive)
            methods[label] = (latents, calibrated)
    return methods, pipe


def score_intervals(methods, data, tests, rng, bootstrap):
    """{(method, test set, alpha): (coverage, width, coverage CI, width CI)}."""
    results = {}
    for method, (latents, projector) in methods.items():
        for test_name, rows in tests.items():
            z = latents(data.ecg[rows])
            for alpha in ALPHAS:
                bounds = np.stack(projector.predict_interval(z, alpha=alpha), axis=1)
                y, groups = data.mcg[rows], data.groups[rows]
                if bootstrap:
                    cov, cov_ci = subject_bootstrap(coverage, y, bounds, groups, rng, n_boot=300)
                    wid, wid_ci = subject_bootstrap(width, y, bounds, groups, rng, n_boot=300)
                else:
                    cov, cov_ci, wid, wid_ci = coverage(y, bounds), None, width(y, bounds), None
                results[method, test_name, alpha] = (cov, wid, cov_ci, wid_ci)
    return results


def condition_of_beat(data):
    return np.asarray(data.target_names)[data.target]


def run_split(args, data, subjects, seed, held_out=None, bootstrap=False):
    """Fit, calibrate and score on one subject split; held_out: a condition left out."""
    in_rows = lambda ids: np.isin(data.groups, ids)  # noqa: E731
    train, cal, test = (in_rows(ids) for ids in split_subjects(subjects, seed))
    methods, pipe = fitted_methods(args, data, train, cal)
    tests = {"held-out subjects": test}
    if held_out is not None:
        tests[f"held-out condition ({held_out})"] = condition_of_beat(data) == held_out
    rng = np.random.default_rng(seed)
    counts = {name: (int(rows.sum()), len(np.unique(data.groups[rows])))
              for name, rows in {"train": train, "calibration": cal, **tests}.items()}
    return score_intervals(methods, data, tests, rng, bootstrap), counts, pipe


def over_repeats(splits):
    """Repeat 0 with its bootstrap intervals, then coverage and width of every repeat."""
    return {key: (*splits[0][key], [r[key][0] for r in splits], [r[key][1] for r in splits])
            for key in splits[0]}


def table(results, counts, mcg_scale):
    """Markdown rows: one per (method, test set), coverage and width at each alpha."""
    head = ["method", "test set (beats / subjects)"]
    for alpha in ALPHAS:
        nominal = f"{100 * (1 - alpha):.0f} %"
        head += [f"coverage at {nominal}: repeat 0 [95 % CI]",
                 f"mean of repeats (min-max), {nominal}",
                 f"width at {nominal}, pT: repeat 0 [95 % CI]", "mean width of repeats (x MCG SD)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for method, test_name in dict.fromkeys((m, t) for m, t, _ in results):
        n_beats, n_subjects = counts[test_name]
        row = [method, f"{test_name} ({n_beats} / {n_subjects})"]
        for alpha in ALPHAS:
            cov, wid, cov_ci, wid_ci, covs, wids = results[method, test_name, alpha]
            row += [f"{cov:.3f} [{cov_ci[0]:.3f}, {cov_ci[1]:.3f}]",
                    f"**{np.mean(covs):.3f}** ({min(covs):.3f}-{max(covs):.3f})",
                    f"{wid:.2f} [{wid_ci[0]:.2f}, {wid_ci[1]:.2f}]",
                    f"{np.mean(wids):.2f} ({np.mean(wids) / mcg_scale:.2f})"]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def run_all(args, data):
    """The in-distribution experiment, then one per held-out condition: markdown lines."""
    conditions = condition_of_beat(data)
    subjects = np.unique(data.groups)
    mcg_scale = float(data.mcg.std(axis=0).mean())  # across-beat SD of the MCG, pT
    lines, r2 = [], {}
    experiments = [(None, subjects)] + [
        (cond, np.unique(data.groups[conditions != cond])) for cond in args.held_out]
    for held_out, pool in experiments:
        start, splits = time.perf_counter(), []
        for repeat in range(args.repeats):
            result, counts, pipe = run_split(args, data, pool, repeat, held_out, repeat == 0)
            splits.append(result)
            if held_out is None:
                test = np.isin(data.groups, split_subjects(pool, repeat)[2])
                r2.setdefault("r2", []).append(pipe.score(data.ecg[test], data.mcg[test]))
        title = ("## Held-out subjects (all conditions in training)" if held_out is None
                 else f"## Held-out condition: {held_out} absent from training and calibration")
        counts_text = ", ".join(f"{k} {v[0]} beats / {v[1]} subjects" for k, v in counts.items()
                                if k in ("train", "calibration"))
        lines += ["", title, "", f"Split sizes (repeat 0): {counts_text}; "
                  f"{time.perf_counter() - start:.0f} s for {args.repeats} repeats.", ""]
        lines += table(over_repeats(splits), counts, mcg_scale)
        print("\n".join(lines[-(len(splits[0]) // len(ALPHAS) + 2):]), flush=True)
    return lines, mcg_scale, r2["r2"]


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    start, lines, scales = time.perf_counter(), [], []
    for noise in args.noise:
        data = make_paired_beats(n_subjects=args.subjects, beats_per_subject=args.beats,
                                 sfreq=args.sfreq, noise=noise, conditions=CONDITIONS,
                                 random_state=0)
        section, mcg_scale, r2 = run_all(args, data)
        scales.append(f"{noise} {mcg_scale:.2f} pT")
        lines += ["", f"# {noise.capitalize()} noise", "",
                  f"Pipeline R² (variance-weighted, measured MCG of the held-out subjects), "
                  f"per repeat: {' '.join(f'{v:.3f}' for v in r2)}.", *section]
    command = ("python benchmarks/bench_conformal.py " + " ".join(
        f"--{k.replace('_', '-')} {' '.join(v) if isinstance(v, list) else v}"
        for k, v in vars(args).items()))
    pipeline = ("the best configuration of benchmarks/results/virtual_mcg.md (time-resolved "
                "latent: spatial towers, 3 virtual leads, latent='temporal', time-shared ridge "
                "projector, after BandpassFilter + BaselineCorrector)" if args.pipeline == "best"
                else "the README pipeline with package defaults (BandpassFilter, "
                     "CrossModalAligner(), LatentProjector())")
    header = [
        "# Conformal prediction intervals of the virtual MCG", "",
        f"{datetime.date.today()}, {platform.node()}, {os.cpu_count()} CPU cores (shared "
        f"with other jobs); torch threads {args.threads}; total {time.perf_counter() - start:.0f} s.",
        "", f"Command: `{command}`", "",
        f"SIMULATED data (`make_paired_beats`, physics v2 double layer, "
        f"{' and '.join(args.noise)} noise, "
        f"7 conditions in turn): {args.subjects} subjects x {args.beats} beats at "
        f"{args.sfreq:g} Hz, ECG 12 leads, MCG {data.mcg.shape[1]} channels x "
        f"{data.mcg.shape[2]} samples. Subjects split {FRACTIONS[0]:.0%} train / "
        f"{FRACTIONS[1]:.0%} calibration / the rest test, disjoint, redrawn {args.repeats} times.",
        "", f"Pipeline: {pipeline}.", "",
        "Coverage: the share of all (beat, channel, time sample) values of the test "
        "subjects' measured MCG inside their interval; target within +-0.03 of nominal. "
        "Width: mean upper - lower in pT, and in units of the MCG's mean across-beat SD "
        f"({', '.join(scales)}). Columns: repeat 0 with a 95 % interval from resampling "
        "its test subjects (300 resamples; the calibration set is fixed), then the mean "
        "(range) over all repeats, whose spread includes the calibration set's.",
    ]
    text = "\n".join(header + lines) + "\n"
    out = Path(__file__).parent / "results" / args.out
    if out.exists() and KEEP in (previous := out.read_text(encoding="utf-8")):
        text += "\n" + KEEP + previous.split(KEEP, 1)[1]
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
