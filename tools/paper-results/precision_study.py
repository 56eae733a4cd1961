#!/usr/bin/python3
"""Does training precision move a cell of the paper's tables? Retrains the cell's model in PyTorch
(torch_precision.py) for each seed, scores it with the very `dgsim predict` command that
reproduce-paper ran for the cell, and sets the figures beside dgsim's own trials.

For each seed S of --seeds and each --dtypes D, in OUT (a reproduce-paper folder):
- template: OUT/models/KEY.h5 with KEY = DATASET--MODEL-TRAIN--S (e.g. two-body--hnn-rk2--3,
  mass-spring--dgnet-dg--0), a finished dgsim training of that seed;
- training: torch_precision.py DATA TEMPLATE WORK/KEY-D.h5 --dtype D --seed S (skipped when the
  file exists), DATA being the cell's own dataset;
- scoring: the last `dgsim predict` line for ROW in OUT/logs/KEY.log, with the model and output
  replaced (so the same rollout states, energy score and tolerances).
Then a table per group (dgsim float64 from OUT/cells, PyTorch per dtype): mean ± sample sd,
median and range of both metrics, and one-sided permutation tests (Mann-Whitney statistic,
200,000 permutations, fixed seed) on both metrics: of float32 against every float64 run pooled
(does precision matter?), and of dgsim against PyTorch in float64 (does the code matter?).

usage: precision_study.py --out paper-run --cell two-body--hnn-rk2 --row hnn-rk2 --seeds 0-14
                          [--dtypes float32,float64] [--work DIR] [--dgsim build/apps/dgsim]
                          [--iterations N] [--threads 1]
Needs python3-torch and python3-h5py (tools/setup.sh --torch) for the trainings.
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import random
import shlex
import statistics as st
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# The tables' units, metric -> scale per dataset, from reproduce-paper's DATASETS.
_loader = importlib.machinery.SourceFileLoader("reproduce_paper", os.path.join(ROOT, "tools", "reproduce-paper"))
_rp = importlib.util.module_from_spec(importlib.util.spec_from_loader(_loader.name, _loader))
_loader.exec_module(_rp)
UNITS = {d: {key: scale for key, _, scale in spec["cols"]} for d, spec in _rp.DATASETS.items()}


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += range(int(lo), int(hi or lo) + 1)
    return seeds


def logged_predict(log_path, output):
    """The last `dgsim predict` command in a cell's log that wrote `output`."""
    found = None
    with open(log_path) as f:
        for line in f:
            if line.startswith("$ ") and " predict " in line:
                argv = shlex.split(line[2:])
                if "-o" in argv and argv[argv.index("-o") + 1] == output:
                    found = argv
    return found


def replace_option(argv, flag, value):
    argv = list(argv)
    argv[argv.index(flag) + 1] = value
    return argv


def u_statistic(a, b):
    return sum((x > y) + 0.5 * (x == y) for x in a for y in b)


def permutation_test(high, low, n=200000):
    """U of high over low and the one-sided permutation p-values (high higher, high lower),
    from n random relabellings with a fixed seed."""
    pool, rng = high + low, random.Random(1)
    observed = u_statistic(high, low)
    hits_hi = hits_lo = 0
    for _ in range(n):
        rng.shuffle(pool)
        u = u_statistic(pool[:len(high)], pool[len(high):])
        hits_hi += u >= observed
        hits_lo += u <= observed
    return observed, hits_hi / n, hits_lo / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="a reproduce-paper folder")
    ap.add_argument("--cell", required=True, help="DATASET--MODEL-TRAIN, e.g. two-body--hnn-rk2")
    ap.add_argument("--row", required=True, help="the row to score, e.g. hnn-rk2 or dgnet-dg")
    ap.add_argument("--seeds", default="0-14")
    ap.add_argument("--dtypes", default="float32")
    ap.add_argument("--work", default="", help="where the PyTorch models go (default OUT/precision)")
    ap.add_argument("--dgsim", default=os.path.join(ROOT, "build", "apps", "dgsim"))
    ap.add_argument("--iterations", type=int, default=0, help="passed to torch_precision.py (default: the template's)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    dataset = args.cell.split("--")[0]
    if dataset not in UNITS or args.cell.count("--") != 1:
        ap.error(f"--cell '{args.cell}': expected DATASET--MODEL-TRAIN with DATASET one of {', '.join(UNITS)}")
    dtypes = [d for d in args.dtypes.split(",") if d]
    if any(d not in ("float32", "float64") for d in dtypes):
        ap.error(f"--dtypes '{args.dtypes}' (accepted: float32, float64, or both)")
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError:
        ap.error(f"--seeds '{args.seeds}': expected e.g. 0-14 or 0,3,5-7")
    work = args.work or os.path.join(args.out, "precision")
    os.makedirs(work, exist_ok=True)
    first = "diff" if dataset == "real-pendulum" else "deriv"
    units = UNITS[dataset]

    groups = {"dgsim, float64": []}
    groups.update({f"PyTorch, {d}": [] for d in dtypes})
    for s in seeds:
        key = f"{args.cell}--{s}"
        cell_path = os.path.join(args.out, "cells", key + ".json")
        if not os.path.exists(cell_path):
            print(f"seed {s}: no finished cell {cell_path}; skipped", file=sys.stderr)
            continue
        with open(cell_path) as f:
            cell = json.load(f)
        if args.row not in cell["rows"]:
            ap.error(f"cell {key} has no row '{args.row}' (it has: {', '.join(cell['rows'])})")
        row = cell["rows"][args.row]
        groups["dgsim, float64"].append((s, row["metrics"]))
        predict = logged_predict(os.path.join(args.out, "logs", key + ".log"), row["output"])
        if predict is None:
            sys.exit(f"precision_study: no predict command for {row['output']} in {args.out}/logs/{key}.log")
        for d in dtypes:
            model = os.path.join(work, f"{key}-{d}.h5")
            if not os.path.exists(model):
                cmd = [sys.executable, os.path.join(HERE, "torch_precision.py"), row["data"], row["model"], model,
                       "--dtype", d, "--seed", str(s), "--threads", str(args.threads)]
                if args.iterations > 0:
                    cmd += ["--iterations", str(args.iterations), "--every", str(args.iterations)]
                print(f"seed {s}: training {d} in PyTorch", file=sys.stderr, flush=True)
                with open(os.path.join(work, f"{key}-{d}.log"), "w") as log:
                    subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=True)
            argv = replace_option(replace_option(predict, "--model", model), "-o", os.path.join(work, f"{key}-{d}-pred.h5"))
            argv[0] = args.dgsim
            res = json.loads(subprocess.run(argv, stdout=subprocess.PIPE, check=True, universal_newlines=True).stdout)
            groups[f"PyTorch, {d}"].append((s, res["metrics"]))

    print(f"{args.cell}, row {args.row}; {first.capitalize()} ×{units[first]:g}, Energy ×{units['energy']:g}")
    print(f"| training | seeds | {first.capitalize()} mean ± sd | range | Energy mean ± sd | median | range |")
    print("|---|---|---|---|---|---|---|")
    figures = {}  # group -> {metric: [values]}
    for name, runs in groups.items():
        if not runs:
            continue
        a = [m[first] / units[first] for _, m in runs]
        e = [m["energy"] / units["energy"] for _, m in runs]
        figures[name] = {first: a, "energy": e}
        sd = lambda v: f"{st.stdev(v):.3g}" if len(v) > 1 else "–"
        print(f"| {name} | {len(runs)} ({runs[0][0]}-{runs[-1][0]}) | {st.mean(a):.3g} ± {sd(a)} | {min(a):.3g}-{max(a):.3g} "
              f"| {st.mean(e):.3g} ± {sd(e)} | {st.median(e):.3g} | {min(e):.3g}-{max(e):.3g} |")
    get = lambda name, metric: figures.get(name, {}).get(metric, [])
    for metric in (first, "energy"):
        # Precision: float32 against every float64 run pooled. Code: dgsim against PyTorch, both float64.
        for high_name, high, low_name, low in (
                ("float64 runs", get("dgsim, float64", metric) + get("PyTorch, float64", metric), "float32", get("PyTorch, float32", metric)),
                ("dgsim float64", get("dgsim, float64", metric), "PyTorch float64", get("PyTorch, float64", metric))):
            if not low or not high:
                continue
            observed, p_hi, p_lo = permutation_test(high, low)
            print(f"{metric.capitalize()}, {high_name} above {low_name}: U = {observed:g} of {len(high) * len(low)}; one-sided "
                  f"permutation p = {p_hi:.4f} ({high_name} higher), {p_lo:.4f} ({high_name} lower)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
