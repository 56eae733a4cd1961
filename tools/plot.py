#!/usr/bin/python3
"""Pictures of dgsim files, for a person to look at.

usage: tools/plot.py FILE [-o OUT.png] [--series I]

- PDE dataset (KdV, Cahn-Hilliard): the state over x and t and the energy and mass over t.
- PDE prediction (`dgsim predict`): the DGNet paper's Figure 2/3 layout: true state,
  predicted state, their difference (heatmaps over x and t), and energy and mass over t for
  the truth and the model.
- ODE dataset or prediction: phase portrait (q, p) and energy over t.

Needs numpy, h5py and matplotlib (Debian: python3-numpy python3-h5py python3-matplotlib;
`tools/setup.sh --tools` installs them).
"""
import argparse
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def heatmap(ax, field, t, x, title, cmap="viridis", symmetric=False):
    lim = np.max(np.abs(field)) if symmetric else None
    im = ax.imshow(field.T, origin="lower", aspect="auto", cmap=cmap,
                   extent=[t[0], t[-1], x[0], x[-1]],
                   vmin=-lim if symmetric else None, vmax=lim if symmetric else None)
    ax.set_xlabel("t")
    ax.set_ylabel("x")
    ax.set_title(title)
    plt.colorbar(im, ax=ax)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("-o", "--output", help="PNG file (default: FILE with .png)")
    ap.add_argument("--series", type=int, default=0, help="which series (row) to draw")
    args = ap.parse_args()
    out = args.output or args.file.rsplit(".", 1)[0] + ".png"

    with h5py.File(args.file, "r") as f:
        t = f["dimensions/time"][:]
        u = f["t0_fields/u"][args.series]
        clean = f["t0_fields/u_clean"][args.series] if "t0_fields/u_clean" in f else None
        system = f.attrs.get("system", "")
        system = system.decode() if isinstance(system, bytes) else system
        pred = "prediction" in f
        truth = f["prediction/u_true"][args.series] if pred else None
        pde = int(f.attrs.get("n_spatial_dims", 0)) > 0
        dx = float(f["dimensions/x"][1] - f["dimensions/x"][0]) if pde else 1.0
        x = f["dimensions/x"][:] if pde else None
        energy = f["diagnostics/energy"][args.series] if "diagnostics/energy" in f else None
        if pred:
            e_pred = f["prediction/energy_score_pred"][args.series]
            e_true = f["prediction/energy_score_true"][args.series]
            learned = f["prediction/learned_energy"][args.series] if "prediction/learned_energy" in f else None
            integrator = f["prediction/solver"].attrs.get("integrator", "")
            integrator = integrator.decode() if isinstance(integrator, bytes) else integrator

    title = f"{system}, series {args.series}" + (f", prediction ({integrator})" if pred else "")
    if pde:
        if pred:
            fig, axes = plt.subplots(2, 3, figsize=(15, 8))
            heatmap(axes[0, 0], truth, t, x, "true u")
            heatmap(axes[0, 1], u, t, x, "predicted u")
            heatmap(axes[0, 2], u - truth, t, x, "predicted - true", cmap="RdBu_r", symmetric=True)
            axes[1, 0].plot(t, e_true, label="truth")
            axes[1, 0].plot(t, e_pred, "--", label="model")
            axes[1, 0].set_title("true energy H")
            axes[1, 0].legend()
            axes[1, 1].plot(t, dx * truth.sum(axis=1), label="truth")
            axes[1, 1].plot(t, dx * u.sum(axis=1), "--", label="model")
            axes[1, 1].set_title("mass dx sum u")
            axes[1, 1].legend()
            if learned is not None:
                axes[1, 2].plot(t, learned - learned[0])
                axes[1, 2].set_title("learned energy - its initial value")
            else:
                axes[1, 2].axis("off")
            for ax in axes[1]:
                ax.set_xlabel("t")
        else:
            fig, axes = plt.subplots(1, 3, figsize=(15, 4))
            heatmap(axes[0], u, t, x, "u")
            axes[1].plot(t, energy)
            axes[1].set_title("energy H")
            axes[2].plot(t, dx * u.sum(axis=1))
            axes[2].set_title("mass dx sum u")
            for ax in axes[1:]:
                ax.set_xlabel("t")
    else:
        n = u.shape[1] // 2
        fig, axes = plt.subplots(1, 2, figsize=(12, 5))
        for k in range(n):
            if clean is not None:  # noisy dataset: the clean orbit and the noisy samples
                axes[0].plot(clean[:, k], clean[:, n + k], "-", lw=1, label=f"q{k + 1} clean")
                axes[0].plot(u[:, k], u[:, n + k], ".", ms=3, label=f"q{k + 1} with noise")
                continue
            axes[0].plot(u[:, k], u[:, n + k], "-", label=f"model q{k + 1}" if pred else f"q{k + 1}")
            if pred:
                axes[0].plot(truth[:, k], truth[:, n + k], "--", label=f"truth q{k + 1}")
        axes[0].set_xlabel("q")
        axes[0].set_ylabel("p")
        axes[0].set_title("phase portrait")
        axes[0].legend(fontsize=8)
        if pred:
            axes[1].plot(t, e_true, label="truth")
            axes[1].plot(t, e_pred, "--", label="model")
            axes[1].legend()
        elif energy is not None:
            axes[1].plot(t, energy)
        axes[1].set_xlabel("t")
        axes[1].set_title("energy")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    print(out)


if __name__ == "__main__":
    sys.exit(main())
