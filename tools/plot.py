#!/usr/bin/python3
"""Pictures of dgsim files, for a person to look at.

usage: tools/plot.py FILE [-o OUT.png] [--series I]

- PDE dataset (KdV, Cahn-Hilliard): the state over x and t and the energy and mass over t.
- PDE prediction (`dgsim predict`): the DGNet paper's Figure 2/3 layout: true state,
  predicted state, their difference (heatmaps over x and t), and energy and mass over t for
  the truth and the model.
- ODE dataset or prediction: phase portrait (q, p) and energy over t; two-body: the bodies'
  orbits in the plane instead of the phase portrait.

Needs numpy, h5py and matplotlib (Debian: python3-numpy python3-h5py python3-matplotlib;
`tools/setup.sh` installs them). Exit codes as dgsim's: 2 for a bad option, 4 for a file
that is missing or not a dgsim dataset or prediction, or an output that cannot be written.
The PNG is written atomically: a failed run leaves no file under its name.
"""
import argparse
import os
import sys
import tempfile

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


class FileError(Exception):
    """A file that cannot be read or written as asked (exit code 4)."""


class UsageError(Exception):
    """An option the file does not allow (exit code 2)."""


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def load(path, series):
    """The arrays plot() draws, for one series (row) of a dgsim dataset or prediction file."""
    if not os.path.isfile(path) or not h5py.is_hdf5(path):
        raise FileError(f"{path}: cannot open: missing, unreadable or not an HDF5 file")
    try:
        return read(path, series)
    except (OSError, KeyError, IndexError) as e:  # truncated or malformed: h5py's own message
        raise FileError(f"{path}: cannot read: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None


def read(path, series):
    with h5py.File(path, "r") as f:
        if text(f.attrs.get("format", "")) != "dgsim-dataset" or "t0_fields/u" not in f or "dimensions/time" not in f:
            raise FileError(f"{path}: not a dgsim dataset or prediction file (format "
                            f"'{text(f.attrs.get('format', ''))}'; accepted: the output of dgsim generate or predict)")
        n = f["t0_fields/u"].shape[0]
        if not 0 <= series < n:
            raise UsageError(f"--series {series} is out of range: {path} holds series 0 to {n - 1}")
        d = {"series": series, "t": f["dimensions/time"][:], "u": f["t0_fields/u"][series],
             "system": text(f.attrs.get("system", "")), "pde": int(f.attrs.get("n_spatial_dims", 0)) > 0,
             "names": [text(s) for s in f.attrs.get("state_names", [])], "pred": "prediction" in f}
        d["clean"] = f["t0_fields/u_clean"][series] if "t0_fields/u_clean" in f else None
        d["energy"] = f["diagnostics/energy"][series] if "diagnostics/energy" in f else None
        if d["pde"]:
            d["x"] = f["dimensions/x"][:]
            d["dx"] = float(d["x"][1] - d["x"][0])
        if d["pred"]:
            d["truth"] = f["prediction/u_true"][series]
            d["e_pred"] = f["prediction/energy_score_pred"][series]
            d["e_true"] = f["prediction/energy_score_true"][series]
            d["learned"] = f["prediction/learned_energy"][series] if "prediction/learned_energy" in f else None
            d["integrator"] = text(f["prediction/solver"].attrs.get("integrator", "")) if "prediction/solver" in f else ""
            # The Energy metric's function (dgsim predict --energy-score): the system's H, or the
            # authors' q^2 + p^2 for mass-spring and the pendulum.
            d["score"] = "q\u00b2 + p\u00b2 (the authors' energy score)" if text(f.attrs.get("energy_score", "true")) == "q2p2" else "true energy H"
    return d


def heatmap(ax, field, t, x, title, cmap="viridis", symmetric=False):
    lim = np.max(np.abs(field)) if symmetric else None
    im = ax.imshow(field.T, origin="lower", aspect="auto", cmap=cmap,
                   extent=[t[0], t[-1], x[0], x[-1]],
                   vmin=-lim if symmetric else None, vmax=lim if symmetric else None)
    ax.set_xlabel("t")
    ax.set_ylabel("x")
    ax.set_title(title)
    plt.colorbar(im, ax=ax)


def pde_figure(d):
    t, x, u, dx = d["t"], d["x"], d["u"], d["dx"]
    if not d["pred"]:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4))
        heatmap(axes[0], u, t, x, "u")
        if d["energy"] is not None:
            axes[1].plot(t, d["energy"])
        axes[1].set_title("energy H")
        axes[2].plot(t, dx * u.sum(axis=1))
        axes[2].set_title("mass dx sum u")
        for ax in axes[1:]:
            ax.set_xlabel("t")
        return fig
    truth = d["truth"]
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    heatmap(axes[0, 0], truth, t, x, "true u")
    heatmap(axes[0, 1], u, t, x, "predicted u")
    heatmap(axes[0, 2], u - truth, t, x, "predicted - true", cmap="RdBu_r", symmetric=True)
    axes[1, 0].plot(t, d["e_true"], label="truth")
    axes[1, 0].plot(t, d["e_pred"], "--", label="model")
    axes[1, 0].set_title(d["score"])
    axes[1, 0].legend()
    axes[1, 1].plot(t, dx * truth.sum(axis=1), label="truth")
    axes[1, 1].plot(t, dx * u.sum(axis=1), "--", label="model")
    axes[1, 1].set_title("mass dx sum u")
    axes[1, 1].legend()
    if d["learned"] is not None:
        axes[1, 2].plot(t, d["learned"] - d["learned"][0])
        axes[1, 2].set_title("learned energy - its initial value")
    else:
        axes[1, 2].axis("off")
    for ax in axes[1]:
        ax.set_xlabel("t")
    return fig


def ode_figure(d):
    u, clean, truth, pred = d["u"], d["clean"], d.get("truth"), d["pred"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    n = u.shape[1] // 2
    names = d["names"] if len(d["names"]) == u.shape[1] else [f"q{k + 1}" for k in range(n)] + [f"p{k + 1}" for k in range(n)]
    # Planar bodies (two-body: q1x q1y q2x q2y, then the momenta): the orbits in the plane.
    planar = n % 2 == 0 and n >= 2 and all(names[k].endswith("x") and names[k + 1].endswith("y") for k in range(0, n, 2))
    pairs = [(k, k + 1, names[k][:-1]) for k in range(0, n, 2)] if planar else [(k, n + k, names[k]) for k in range(n)]
    for a, b, name in pairs:
        if clean is not None:  # noisy dataset: the clean orbit and the noisy samples
            axes[0].plot(clean[:, a], clean[:, b], "-", lw=1, label=f"{name} clean")
            axes[0].plot(u[:, a], u[:, b], ".", ms=3, label=f"{name} with noise")
            continue
        axes[0].plot(u[:, a], u[:, b], "-", label=f"model {name}" if pred else name)
        if pred:
            axes[0].plot(truth[:, a], truth[:, b], "--", label=f"truth {name}")
    if planar:
        axes[0].set_xlabel("x")
        axes[0].set_ylabel("y")
        axes[0].set_title("orbits")
        axes[0].set_aspect("equal", adjustable="datalim")
    else:
        axes[0].set_xlabel("q")
        axes[0].set_ylabel("p")
        axes[0].set_title("phase portrait")
    axes[0].legend(fontsize=8)
    if pred:
        axes[1].plot(d["t"], d["e_true"], label="truth")
        axes[1].plot(d["t"], d["e_pred"], "--", label="model")
        axes[1].legend()
        axes[1].set_title(d["score"])
    else:
        if d["energy"] is not None:
            axes[1].plot(d["t"], d["energy"])
        axes[1].set_title("true energy H")
    axes[1].set_xlabel("t")
    return fig


def figure(d):
    """The figure for load()'s arrays."""
    fig = pde_figure(d) if d["pde"] else ode_figure(d)
    fig.suptitle(f"{d['system']}, series {d['series']}" + (f", prediction ({d['integrator']})" if d["pred"] else ""))
    fig.tight_layout()
    return fig


def save(fig, out):
    """Writes the PNG to a temporary file beside OUT, then renames it: never a partial OUT."""
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise FileError(f"{out}: cannot write: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".plot-", suffix=".png")
    except OSError as e:
        raise FileError(f"{out}: cannot write: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=90)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as open() would create it (mkstemp makes it private)
        os.replace(tmp, out)
    except OSError as e:  # a full disk, OUT a folder, ...
        os.unlink(tmp)
        raise FileError(f"{out}: cannot write: {e.strerror or e}") from None
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.error = lambda message: ap.exit(2, f"{ap.prog}: error: {message}\n")  # one line, no usage block
    ap.add_argument("file", help="a dgsim dataset (generate) or prediction (predict) file")
    ap.add_argument("-o", "--output", help="PNG file (default: FILE with .png)")
    ap.add_argument("--series", type=int, default=0, help="which series (row) to draw (default 0)")
    args = ap.parse_args()
    out = args.output or os.path.splitext(args.file)[0] + ".png"
    try:
        save(figure(load(args.file, args.series)), out)
    except UsageError as e:
        ap.exit(2, f"{ap.prog}: error: {e}\n")
    except FileError as e:
        ap.exit(4, f"{ap.prog}: error: {e}\n")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
