#!/usr/bin/python3
"""How a rollout leaves the truth, step by step: a table from a `dgsim predict` file.

For each listed step n (over all series of the file): the root mean square of the predicted
state, of the true state, of the predicted step u[n] - u[n-1], the mean square error against
the truth (its mean over n >= 1 is the Mass metric of PDE predictions and the state error of
ODE ones), and the error's growth factor from step n-1 (rms error ratio). An unstable
explicit step shows as a growth factor above 1 in the first steps; a rollout that saturates
shows a step rms as large as the state's.

usage: tools/rollout_profile.py PRED.h5 [--steps 0-10,20,50,100,200,500]
Needs python3-h5py and numpy.
"""
import argparse
import sys

import h5py
import numpy as np


def parse_steps(text, n_states):
    steps = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            sys.exit(f"rollout_profile: --steps {text!r} (accepted: comma-separated N or N1-N2, e.g. 0-10,50)")
        if a < 0 or b < a:
            sys.exit(f"rollout_profile: --steps {text!r} (accepted: 0 <= N1 <= N2)")
        steps.extend(range(a, b + 1))
    return sorted(s for s in set(steps) if s < n_states)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("prediction")
    ap.add_argument("--steps", default="0-10,20,50,100,200,500",
                    help="steps to list (default 0-10,20,50,100,200,500; steps past the end are left out)")
    a = ap.parse_args()
    try:
        with h5py.File(a.prediction, "r") as f:
            if "prediction/u_true" not in f:
                sys.exit(f"rollout_profile: '{a.prediction}' is not a dgsim predict file (no prediction/u_true)")
            pred, true = f["t0_fields/u"][()], f["prediction/u_true"][()]
    except OSError as e:
        sys.exit(f"rollout_profile: cannot read '{a.prediction}' ({e})")
    if pred.shape != true.shape:
        sys.exit(f"rollout_profile: predicted states {pred.shape} and true states {true.shape} differ in shape")
    n_states = pred.shape[1]
    steps = parse_steps(a.steps, n_states)
    axes = tuple(i for i in range(pred.ndim) if i != 1)  # all but time

    def rms(x):
        return np.sqrt(np.mean(x ** 2, axis=axes))

    err = rms(pred - true)
    step = np.concatenate([[0.0], rms(np.diff(pred, axis=1))])
    rp, rt = rms(pred), rms(true)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.concatenate([[np.nan], err[1:] / err[:-1]])
    mass = float(np.mean((pred[:, 1:] - true[:, 1:]) ** 2))
    print(f"{a.prediction}: {pred.shape[0]} series, {n_states} states; mean square error over steps >= 1: {mass:.6g}")
    print("| step | rms predicted | rms true | rms step | mean square error | error growth |")
    print("|---|---|---|---|---|---|")
    for n in steps:
        g = "" if not np.isfinite(growth[n]) else f"{growth[n]:.3g}"
        print(f"| {n} | {rp[n]:.4g} | {rt[n]:.4g} | {step[n]:.4g} | {err[n] ** 2:.4g} | {g} |")


if __name__ == "__main__":
    main()
