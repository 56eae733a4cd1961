#!/usr/bin/env python3
"""check_plot.py PLOT_PY OUT_DIR FILE...: tools/plot.py draws each dgsim file's own data.

For each file, read here with h5py: the heatmaps hold the true state, the predicted state and
their difference (with a colour scale symmetric about 0), the curves hold the file's energies,
mass and phase-space (or two-body orbit) coordinates, truth and model not swapped. Then the
command line writes a PNG of the figure's size (figsize x 90 dpi).
"""
import importlib.util
import os
import struct
import subprocess
import sys

import h5py
import numpy as np

plot_py, out_dir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
spec = importlib.util.spec_from_file_location("plot", plot_py)
plot = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plot)
failures = []


def same(a, b):
    return np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a), np.asarray(b))


def check(cond, what):
    if not cond:
        failures.append(f"{path}: {what}")


def line(ax, k):
    return ax.get_lines()[k].get_xdata(), ax.get_lines()[k].get_ydata()


for path in files:
    series = 1
    with h5py.File(path, "r") as f:
        t = f["dimensions/time"][:]
        u = f["t0_fields/u"][series]
        pde = int(f.attrs["n_spatial_dims"]) > 0
        pred = "prediction" in f
        truth = f["prediction/u_true"][series] if pred else None
        e_true = f["prediction/energy_score_true"][series] if pred else None
        e_pred = f["prediction/energy_score_pred"][series] if pred else None
        learned = f["prediction/learned_energy"][series] if pred else None
        energy = f["diagnostics/energy"][series]
        score = f.attrs.get("energy_score", b"true")
        score = score.decode() if isinstance(score, bytes) else score
        clean = f["t0_fields/u_clean"][series] if "t0_fields/u_clean" in f else None
        dx = float(f["dimensions/x"][1] - f["dimensions/x"][0]) if pde else None
        system = f.attrs["system"]
        system = system.decode() if isinstance(system, bytes) else system
    fig = plot.figure(plot.load(path, series))
    axes = fig.get_axes()
    check(f"series {series}" in fig._suptitle.get_text(), f"title {fig._suptitle.get_text()!r} lacks the series")
    if pde and pred:
        im = [ax.images[0] for ax in axes if ax.images]
        check(len(im) == 3, f"{len(im)} heatmaps, expected 3")
        check(same(im[0].get_array(), truth.T), "first heatmap is not the true state")
        check(same(im[1].get_array(), u.T), "second heatmap is not the predicted state")
        check(np.allclose(im[2].get_array(), (u - truth).T, rtol=0, atol=0), "third heatmap is not predicted - true")
        lo, hi = im[2].get_clim()
        check(lo == -hi and hi == np.max(np.abs(u - truth)), f"difference scale [{lo}, {hi}] is not symmetric about 0")
        check(im[0].get_extent()[:2] == [t[0], t[-1]], "heatmap's t extent is not the file's time span")
        curves = [ax for ax in axes if ax.get_lines()]
        check(same(line(curves[0], 0)[1], e_true) and same(line(curves[0], 1)[1], e_pred), "energy curves are not truth, model")
        check(curves[0].get_title() == "true energy H", f"energy panel titled {curves[0].get_title()!r}")
        check(np.allclose(line(curves[1], 0)[1], dx * truth.sum(axis=1), rtol=1e-14)
              and np.allclose(line(curves[1], 1)[1], dx * u.sum(axis=1), rtol=1e-14), "mass curves are not truth, model")
        check(same(line(curves[2], 0)[1], learned - learned[0]), "learned-energy curve is not the file's")
    elif pde:
        check(same(axes[0].images[0].get_array(), u.T), "heatmap is not the state")
        curves = [ax for ax in axes if ax.get_lines()]
        check(same(line(curves[0], 0)[1], energy), "energy curve is not diagnostics/energy")
        check(np.allclose(line(curves[1], 0)[1], dx * u.sum(axis=1), rtol=1e-14), "mass curve is not dx sum u")
    else:
        portrait, energies = [ax for ax in axes if ax.get_lines()]
        if system == "two-body":  # q1x q1y q2x q2y: body 1's orbit in the plane
            check(portrait.get_title() == "orbits", f"two-body panel titled {portrait.get_title()!r}")
            check(same(line(portrait, 0)[0], u[:, 0]) and same(line(portrait, 0)[1], u[:, 1]), "first orbit is not (q1x, q1y)")
        elif clean is not None:  # noisy data: the clean orbit, then the samples
            check(same(line(portrait, 0)[0], clean[:, 0]) and same(line(portrait, 0)[1], clean[:, 1]), "first curve is not the clean (q, p)")
            check(same(line(portrait, 1)[0], u[:, 0]) and same(line(portrait, 1)[1], u[:, 1]), "second curve is not the noisy (q, p)")
        else:
            check(same(line(portrait, 0)[0], u[:, 0]) and same(line(portrait, 0)[1], u[:, 1]), "first curve is not (q, p)")
        if pred:
            # (q, p) of a single degree of freedom and body 1's (x, y) are both columns 0 and 1.
            check(same(line(portrait, 1)[0], truth[:, 0]) and same(line(portrait, 1)[1], truth[:, 1]), "second curve is not the truth")
            check(same(line(energies, 0)[1], e_true) and same(line(energies, 1)[1], e_pred), "energy curves are not truth, model")
            check(same(line(energies, 0)[0], t), "energy curve is not over the file's time")
            # The panel names the Energy metric's function: the authors' q^2 + p^2 is not H.
            want = "q\u00b2 + p\u00b2" if score == "q2p2" else "true energy H"
            check(want in energies.get_title(), f"energy panel titled {energies.get_title()!r} for energy_score {score}")
        else:
            check(same(line(energies, 0)[1], energy), "energy curve is not diagnostics/energy")
    width, height = (fig.get_size_inches() * 90).round().astype(int)
    # The command line: a PNG of that size, and the path on stdout.
    png = os.path.join(out_dir, os.path.basename(path) + ".png")
    run = subprocess.run([sys.executable, plot_py, path, "--series", str(series), "-o", png], capture_output=True, text=True)
    check(run.returncode == 0 and run.stdout.strip() == png, f"plot.py exited {run.returncode}: {run.stderr.strip()}")
    if run.returncode == 0:
        with open(png, "rb") as f:
            head = f.read(24)
        check(head[:8] == b"\x89PNG\r\n\x1a\n", "output is not a PNG")
        w, h = struct.unpack(">II", head[16:24])
        check((w, h) == (width, height), f"PNG is {w}x{h}, expected {width}x{height}")
    print(f"{path}: {'PDE' if pde else 'ODE'} {'prediction' if pred else 'dataset'}, {width}x{height}")

if failures:
    sys.exit("\n".join(failures))
