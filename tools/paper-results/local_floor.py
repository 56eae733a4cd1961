#!/usr/bin/python3
"""The lowest Deriv. a local PDE model can reach: least-squares polynomials of a few neighbouring sites.

The paper's PDE NODE sees, at each site, only that site and its two neighbours (a kernel-3
convolution, then per-site layers), so its du/dt is some function of (u[k-1], u[k], u[k+1]).
When the true du/dt needs a wider stencil (KdV's needs five sites), no such function fits it,
and the best one sets a floor under NODE's Deriv. This script estimates that floor: for each
degree it fits a polynomial in the --sites neighbouring values (the same polynomial at every
site, periodic grid) to the true du/dt of the training series by least squares, and prints its
mean square error on the training and test series (raw, as dgsim predict's Deriv.). The error
falls with the degree towards the floor.

usage: local_floor.py DATA.h5 [--sites 3] [--degrees 1-6] [--stride 3]
--stride N fits on every N-th training state (memory); the test error uses every test state.
Needs python3-h5py and numpy.
"""
import argparse
import itertools
import sys

import h5py
import numpy as np


def features(u, sites, degree):
    """Monomials up to `degree` in the `sites` values centred on each site: [states * sites_of_grid, n]."""
    half = sites // 2
    x = np.stack([np.roll(u, -j, axis=-1) for j in range(-half, half + 1)], axis=-1).reshape(-1, sites)
    cols = [np.ones(len(x))]
    for d in range(1, degree + 1):
        for c in itertools.combinations_with_replacement(range(sites), d):
            cols.append(np.prod(x[:, c], axis=1))
    return np.stack(cols, axis=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("--sites", type=int, default=3, help="odd number of neighbouring sites (default 3, the NODE's)")
    ap.add_argument("--degrees", default="1-6", help="polynomial degrees, e.g. 1-6 or 2")
    ap.add_argument("--stride", type=int, default=3, help="fit on every N-th training state (default 3)")
    a = ap.parse_args()
    if a.sites < 1 or a.sites % 2 == 0:
        sys.exit(f"local_floor: --sites {a.sites} (accepted: an odd number >= 1)")
    if a.stride < 1:
        sys.exit(f"local_floor: --stride {a.stride} (accepted: >= 1)")
    lo, _, hi = a.degrees.partition("-")
    try:
        degrees = list(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        sys.exit(f"local_floor: --degrees {a.degrees!r} (accepted: D or D1-D2, e.g. 1-6)")
    if not degrees or degrees[0] < 0:
        sys.exit(f"local_floor: --degrees {a.degrees!r} (accepted: D or D1-D2 with 0 <= D1 <= D2)")
    try:
        with h5py.File(a.data, "r") as f:
            if int(f.attrs.get("n_spatial_dims", 0)) != 1:
                sys.exit(f"local_floor: '{a.data}' is not a PDE dataset on a 1-D grid")
            u, dudt = f["t0_fields/u"][()], f["t0_fields/dudt"][()]
            split = f["trajectories/split"][()]
    except (OSError, KeyError) as e:
        sys.exit(f"local_floor: cannot read '{a.data}' as a dgsim dataset ({e})")
    train, test = split == 0, split == 1
    if not train.any() or not test.any():
        sys.exit(f"local_floor: '{a.data}' needs training and test series (trajectories/split 0 and 1)")
    zero = float(np.mean(dudt[test] ** 2))
    print(f"{a.data}: polynomials in {a.sites} neighbouring sites; zero model (mean square of du/dt, test) {zero:.6g}")
    print("| degree | terms | train MSE | test MSE |")
    print("|---|---|---|---|")
    for deg in degrees:
        A = features(u[train][:, ::a.stride], a.sites, deg)
        b = dudt[train][:, ::a.stride].reshape(-1)
        coef, *_ = np.linalg.lstsq(A, b, rcond=None)
        train_mse = float(np.mean((A @ coef - b) ** 2))
        test_mse = float(np.mean((features(u[test], a.sites, deg) @ coef - dudt[test].reshape(-1)) ** 2))
        print(f"| {deg} | {A.shape[1]} | {train_mse:.6g} | {test_mse:.6g} |", flush=True)


if __name__ == "__main__":
    main()
