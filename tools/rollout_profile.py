#!/usr/bin/python3
"""How a rollout leaves the truth, step by step: a table from a `dgsim predict` file.

For each listed step n (over all series of the file): the root mean square of the predicted
state, of the true state, of the predicted step u[n] - u[n-1], the mean square error against
the truth (its mean over n >= 1 is the Mass metric of PDE predictions and the state error of
ODE ones), and the error's growth factor from step n-1 (rms error ratio). An unstable
explicit step shows as a growth factor above 1 in the first steps; a rollout that saturates
shows a step rms as large as the state's.

--align (periodic 1-D fields: KdV, Cahn-Hilliard): also the mean square error left after
moving each predicted state by its best periodic shift (a real number of sites, by
trigonometric interpolation), and the mean of that shift's size. When aligning removes most
of the error, the rollout has the right shapes in the wrong places: a travelling wave (a
soliton) moving at a slightly wrong speed. The shift s of a state is where sum_x
true(x) pred(x + s) is largest: the prediction is s sites ahead (in +x) of the truth.

usage: tools/rollout_profile.py PRED.h5 [--steps 0-10,20,50,100,200,500] [--align]
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


def best_shift(pred, true):
    """Per state (last axis: sites of a periodic grid): the real shift s maximising
    sum_x true(x) pred(x + s) under trigonometric interpolation, and pred moved back by s."""
    n = pred.shape[-1]
    p, t = np.fft.rfft(pred, axis=-1), np.fft.rfft(true, axis=-1)
    k = np.arange(p.shape[-1])
    w = np.full(k.shape, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    cross = (w * np.conj(t) * p).reshape(-1, k.size)  # c(s) = Re sum_k cross_k e^{2 pi i k s / n} / n
    omega = 2.0 * np.pi * k / n
    grid = np.arange(-n / 2, n / 2, 0.05)
    s = np.empty(cross.shape[0])
    for lo in range(0, cross.shape[0], 512):  # coarse search, in chunks of states
        c = (cross[lo:lo + 512] @ np.exp(1j * np.outer(omega, grid))).real
        s[lo:lo + 512] = grid[np.argmax(c, axis=1)]
    for _ in range(4):  # Newton on c'(s) = 0 from the grid's best point
        e = cross * np.exp(1j * omega * s[:, None])
        d1 = (e * (1j * omega)).sum(axis=1).real
        d2 = (e * (-(omega ** 2))).sum(axis=1).real
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(d2 < 0, d1 / d2, 0.0)
        s = s - np.clip(step, -0.05, 0.05)
    s = s.reshape(pred.shape[:-1])
    moved = np.fft.irfft(p * np.exp(1j * omega * s[..., None]), n=n, axis=-1)
    return s, moved


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("prediction")
    ap.add_argument("--steps", default="0-10,20,50,100,200,500",
                    help="steps to list (default 0-10,20,50,100,200,500; steps past the end are left out)")
    ap.add_argument("--align", action="store_true",
                    help="periodic 1-D fields: also the error after each state's best periodic shift, and the shift")
    a = ap.parse_args()
    try:
        with h5py.File(a.prediction, "r") as f:
            if "prediction/u_true" not in f:
                sys.exit(f"rollout_profile: '{a.prediction}' is not a dgsim predict file (no prediction/u_true)")
            pred, true = f["t0_fields/u"][()], f["prediction/u_true"][()]
            periodic = "boundary_conditions/x_periodic" in f and pred.ndim == 3
    except OSError as e:
        sys.exit(f"rollout_profile: cannot read '{a.prediction}' ({e})")
    if pred.shape != true.shape:
        sys.exit(f"rollout_profile: predicted states {pred.shape} and true states {true.shape} differ in shape")
    if a.align and not periodic:
        sys.exit(f"rollout_profile: --align needs a periodic 1-D field (KdV, Cahn-Hilliard); '{a.prediction}' has none")
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
    if a.align:
        shift, moved = best_shift(pred, true)
        aligned = np.mean((moved - true) ** 2, axis=axes)
        size = np.mean(np.abs(shift), axis=0)
        mass_aligned = float(np.mean((moved[:, 1:] - true[:, 1:]) ** 2))
        print(f"after each state's best periodic shift: {mass_aligned:.6g} ({100 * mass_aligned / mass:.3g}% of it)"
              if mass > 0 else f"after each state's best periodic shift: {mass_aligned:.6g}")
        print("| step | rms predicted | rms true | rms step | mean square error | error growth | aligned error | mean abs shift (sites) |")
        print("|---|---|---|---|---|---|---|---|")
    else:
        print("| step | rms predicted | rms true | rms step | mean square error | error growth |")
        print("|---|---|---|---|---|---|")
    for n in steps:
        g = "" if not np.isfinite(growth[n]) else f"{growth[n]:.3g}"
        row = f"| {n} | {rp[n]:.4g} | {rt[n]:.4g} | {step[n]:.4g} | {err[n] ** 2:.4g} | {g} |"
        if a.align:
            row += f" {aligned[n]:.4g} | {size[n]:.4g} |"
        print(row)


if __name__ == "__main__":
    main()
