#!/usr/bin/env python3
"""How much the draw of the test series moves Deriv. or Mass for the PDE cells of a reproduce-paper run.

Every trial of a PDE dataset shares one draw of the data (the authors' numpy seed 1, ours
seed 0), so the spread over trials leaves out what the draw does. This scores each trained
model of the run on the test series of other draws (`dgsim generate DATASET --seed D`, kept
in OUT/draws/) with `dgsim predict --n-steps 1 --json` (Deriv. covers every test state; one
rollout step keeps it cheap), and prints per model: Deriv. on draw 0 (the run's own data),
mean ± sample sd and range over the draws, and the ratio to the zero model's Deriv. (the mean
square of the true du/dt over the draw's test series) with its correlation over the draws.
--metric mass (or energy, or mass,energy: one table each from the same rollouts) scores the
whole rollout of every test series with the row's own integrator (node-dopri5: dopri5,
dgnet-dg: dg, ...), as reproduce-paper predicts. The zero model outputs du/dt = 0, so its
rollout stays at the first state: its Mass is the mean square of u(t) - u(0), and its Energy
the mean square of H(u(t)) - H(u(0)) (the data's diagnostics/energy), over the test series at
t >= Δt.

usage: draw_study.py --out paper-run --dataset cahn-hilliard --rows node-rk2,hnn-rk2,dgnet-dg
                     [--seeds 0-2] [--draws 0-8] [--metric deriv|mass|energy|mass,energy]
                     [--dgsim build/apps/dgsim]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def int_range(text):
    """'0-8' or '0,3,5' -> list of ints."""
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def zero_model(path, metric):
    """The metric of a model that outputs du/dt = 0: the mean over the test series' states and
    sites of (du/dt)^2 (Deriv.), of (u(t) - u(0))^2 at t >= Δt (Mass: its rollout stays at
    u(0)), or of (H(u(t)) - H(u(0)))^2 at t >= Δt (Energy)."""
    with h5py.File(path, "r") as f:
        test = f["trajectories/split"][()] == 1
        if metric == "deriv":
            return float(np.mean(f["t0_fields/dudt"][()][test] ** 2))
        if metric == "energy":
            h = f["diagnostics/energy"][()][test]
            return float(np.mean((h[:, 1:] - h[:, :1]) ** 2))
        u = f["t0_fields/u"][()][test]
        return float(np.mean((u[:, 1:] - u[:, :1]) ** 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="reproduce-paper output folder (data/, models/)")
    ap.add_argument("--dataset", required=True, choices=["kdv", "cahn-hilliard"])
    ap.add_argument("--rows", required=True, help="cells' rows, comma-separated: node-rk2, hnn-rk2, dgnet-dg, ...")
    ap.add_argument("--seeds", default="0-2", help="trials (training seeds), e.g. 0-2")
    ap.add_argument("--draws", default="0-8", help="data seeds, e.g. 0-8; 0 is the run's own data")
    ap.add_argument("--metric", default="deriv",
                    help="deriv (one rollout step, default), or mass, energy or mass,energy (the whole "
                         "rollout with the row's integrator; one table per metric)")
    ap.add_argument("--dgsim", default=os.path.join(ROOT, "build", "apps", "dgsim"))
    a = ap.parse_args()

    if a.metric not in ("deriv", "mass", "energy", "mass,energy", "energy,mass"):
        sys.exit(f"draw_study: --metric {a.metric!r} is not accepted (deriv, mass, energy or mass,energy)")
    metrics = a.metric.split(",")
    draws = int_range(a.draws)
    if len(draws) < 2:
        sys.exit(f"draw_study: --draws {a.draws!r} gives {len(draws)} draw; give at least two")
    os.makedirs(os.path.join(a.out, "draws"), exist_ok=True)
    paths = {}
    for d in draws:
        own = os.path.join(a.out, "data", f"{a.dataset}-seed{d}.h5")
        path = own if d == 0 else os.path.join(a.out, "draws", f"{a.dataset}-seed{d}.h5")
        if d == 0 and not os.path.exists(own):
            sys.exit(f"draw_study: {own} not found (the run's data, draw 0)")
        if not os.path.exists(path):
            tmp = path + ".part.h5"
            subprocess.run([a.dgsim, "generate", a.dataset, "--seed", str(d), "-q", "-o", tmp], check=True)
            os.replace(tmp, path)
        paths[d] = path
    zero = {m: np.array([zero_model(paths[d], m) for d in draws]) for m in metrics}

    models = []
    for row in a.rows.split(","):
        integrator = row.rpartition("-")[2]
        if integrator not in ("rk2", "dopri5", "dg"):
            sys.exit(f"draw_study: row {row!r} does not end in its integrator (accepted: ...-rk2, ...-dopri5, ...-dg)")
        for s in int_range(a.seeds):
            m = os.path.join(a.out, "models", f"{a.dataset}--{row}--{s}.h5")
            if os.path.exists(m):
                models.append((f"{row}, seed {s}", m, integrator))
    if not models:
        sys.exit(f"draw_study: no model files {a.out}/models/{a.dataset}--ROW--SEED.h5 for rows {a.rows} and seeds {a.seeds}")

    values = {m: [] for m in metrics}  # per metric, per model: the value on each draw
    with tempfile.TemporaryDirectory() as tmp:
        for name, m, integrator in models:
            got = {k: [] for k in metrics}
            for d in draws:
                print(f"draw_study: {name}, draw {d}", file=sys.stderr, flush=True)
                cmd = [a.dgsim, "predict", "--model", m, "--data", paths[d], "-q", "--json", "-o", os.path.join(tmp, "p.h5")]
                cmd += ["--integrator", "rk2", "--n-steps", "1"] if a.metric == "deriv" else ["--integrator", integrator]
                out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                for k in metrics:
                    got[k].append(out["metrics"][k])
            for k in metrics:
                values[k].append((name, got[k]))

    what = {"deriv": ("Deriv.", "du/dt"), "mass": ("Mass", "u(t) - u(0), t >= dt"),
            "energy": ("Energy", "H(u(t)) - H(u(0)), t >= dt")}
    for k in metrics:
        print(f"{a.dataset}: {what[k][0]} (raw mean square) of each model on the test series of draws {a.draws}")
        print(f"zero model (mean square of {what[k][1]}) per draw: " + ", ".join(f"{z:.4g}" for z in zero[k]))
        print("| model | draw 0 | mean ± sd | range | ratio to the zero model | correlation |")
        print("|---|---|---|---|---|---|")
        for name, vals in values[k]:
            v = np.array(vals)
            ratio = v / zero[k]
            corr = float(np.corrcoef(v, zero[k])[0, 1]) if np.std(v) > 0 and np.std(zero[k]) > 0 else float("nan")
            first = vals[draws.index(0)] if 0 in draws else float("nan")
            print(f"| {name} | {first:.4g} | {v.mean():.4g} ± {statistics.stdev(vals):.2g} | "
                  f"{v.min():.4g}-{v.max():.4g} | {ratio.min():.3g}-{ratio.max():.3g} | {corr:.2f} |")
        if k != metrics[-1]:
            print()


if __name__ == "__main__":
    main()
