#!/usr/bin/python3
"""How exact is DGNet's training gradient in single precision? One Eq. 11 gradient, five ways.

For a DGNet model file (an MLP energy on an ODE dataset) and its dataset, evaluates the
gradient of the paper's Eq. 11 loss, mean((G dgradH(u0, u1) - (u1 - u0) / dt)^2) over all
training pairs, with respect to the weights, with the authors' chain-rule discrete gradient
(each tanh contributes (tanh(b) - tanh(a)) / (b - a), or tanh'((a + b) / 2) where |b - a| <=
eps), written in PyTorch and differentiated by autograd:

- the reference: double precision, each tanh divided difference written as
  (1 - tanh a tanh b) tanh(b - a) / (b - a) with tanh(d) / d and its derivative by series for
  small d, so that no derivative cancels (checked against a central difference of the loss);
- float64: the authors' formula in double (eps 1e-12), differentiated by autograd;
- float32: every operation in single (eps 1e-6), as the authors' ODE scripts train;
- float32, divdiff backward float64: the same, but the derivatives of each divided difference
  in a and b evaluated in double from the single-precision a and b, and rounded once;
- float32, kernels float64: tanh and the divided differences (values and derivatives) in
  double, rounded once; the products in single (dgsim train --dtype float32's arrangement).

For each it prints the relative error of the whole gradient and of each weight's block
against the reference, and the share of first- and second-layer units whose pre-activations
a, b differ by less than 1e-3 and 1e-4 (where single precision's divided difference
cancels). Weights are read from the model file (float64) and rounded for the float32 cases.

usage: dg_gradient_noise.py DATA.h5 MODEL.h5
Needs python3-torch and python3-h5py (tools/setup.sh --torch).
"""
import os
import sys

import h5py
import numpy as np
import torch

from torch_divdiff import DTanhWideBackward, dtanh_authors, dtanh_exact

if len(sys.argv) != 3:
    raise SystemExit("usage: dg_gradient_noise.py DATA.h5 MODEL.h5")
data_path, model_path = sys.argv[1:]
for path in (data_path, model_path):
    if not os.path.isfile(path):
        raise SystemExit(f"dg_gradient_noise: no such file '{path}'")

with h5py.File(data_path, "r") as f:
    if "structure/G" not in f or int(f.attrs.get("n_spatial_dims", 1)) != 0:
        raise SystemExit(f"dg_gradient_noise: '{data_path}' is not an ODE dataset with a structure matrix")
    u = np.asarray(f["t0_fields/u"][:], dtype=np.float64)
    split = np.asarray(f["trajectories/split"][:])
    pair_split = np.asarray(f["trajectories/pair_split"][:]) if "trajectories/pair_split" in f else None
    time_grid = np.asarray(f["dimensions/time"][:], dtype=np.float64)
    G64 = np.asarray(f["structure/G"][:], dtype=np.float64)
with h5py.File(model_path, "r") as f:
    kind = f.attrs["kind"]
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    names = ["mlp.0.W", "mlp.0.b", "mlp.1.W", "mlp.1.b", "mlp.2.W"]
    if kind != "dgnet" or sorted(f["params"].keys()) != sorted(names):
        raise SystemExit(f"dg_gradient_noise: '{model_path}' is a {kind} model with parameters "
                         f"{sorted(f['params'].keys())} (accepted: a dgnet MLP without friction, {names})")
    weights = [np.asarray(f["params"][n][:], dtype=np.float64) for n in names]

n_traj, n_t, dim = u.shape
labels = pair_split if pair_split is not None else np.repeat(split[:, None], n_t - 1, axis=1)
mask = (labels == 0).reshape(-1)
U0 = u[:, :-1].reshape(-1, dim)[mask]
U1 = u[:, 1:].reshape(-1, dim)[mask]
DT = np.tile(np.diff(time_grid), n_traj)[mask][:, None]


def gradient(dtype, mode, ws=None, loss_only=False):
    """The Eq. 11 loss and its gradient over all training pairs, weights (ws, default the model's)
    and arithmetic in dtype; loss_only: the loss alone (no backward pass)."""
    W0, b0, W1, b1, W2 = (torch.tensor(w, dtype=dtype, requires_grad=True) for w in (ws or weights))
    x0, x1, dt = (torch.tensor(v, dtype=dtype) for v in (U0, U1, DT))
    G = torch.tensor(G64, dtype=dtype)

    def act(x):
        return torch.tanh(x.double()).to(dtype) if mode == "kernels" else torch.tanh(x)

    def dtanh(a, b):
        if mode == "kernels":
            return dtanh_authors(a.double(), b.double()).to(dtype)
        if mode == "backward":
            return DTanhWideBackward.apply(a, b)
        if mode == "exact":
            return dtanh_exact(a, b)
        return dtanh_authors(a, b)

    a0, a1 = x0 @ W0 + b0, x1 @ W0 + b0
    c0, c1 = act(a0) @ W1 + b1, act(a1) @ W1 + b1
    dgrad = (((W2.T * dtanh(c0, c1)) @ W1.T) * dtanh(a0, a1)) @ W0.T
    loss = ((dgrad @ G.T - (x1 - x0) / dt) ** 2).mean()
    if loss_only:
        return loss.item()
    grads = torch.autograd.grad(loss, (W0, b0, W1, b1, W2))
    close = [((a1 - a0).abs() < t).double().mean().item() for t in (1e-3, 1e-4)] + \
            [((c1 - c0).abs() < t).double().mean().item() for t in (1e-3, 1e-4)]
    return [g.double().numpy() for g in grads], loss.item(), close


torch.set_num_threads(1)
ref, ref_loss, close = gradient(torch.float64, "exact")
flat_ref = np.concatenate([g.ravel() for g in ref])
print(f"# {model_path}: {len(U0)} training pairs; loss {ref_loss:.10g}")
print(f"# |a1 - a0| < 1e-3, 1e-4 (layer 1): {100 * close[0]:.3f}%, {100 * close[1]:.4f}% of unit-pairs;"
      f" layer 2: {100 * close[2]:.3f}%, {100 * close[3]:.4f}%")
# The reference checked against the loss itself: central differences along a random unit
# direction, with steps h and h/2 combined (Richardson) to an error of order h^4.
rng = np.random.default_rng(0)
direction = [rng.standard_normal(w.shape) for w in weights]
norm = np.sqrt(sum(float((d * d).sum()) for d in direction))
direction = [d / norm for d in direction]


def central(h):
    plus = gradient(torch.float64, "exact", [w + h * d for w, d in zip(weights, direction)], loss_only=True)
    minus = gradient(torch.float64, "exact", [w - h * d for w, d in zip(weights, direction)], loss_only=True)
    return (plus - minus) / (2 * h)


h = 1e-3
fd = (4 * central(h / 2) - central(h)) / 3
slope = sum(float((g * d).sum()) for g, d in zip(ref, direction))
print(f"# reference gradient along a random direction {slope:.10e}, central difference of the loss {fd:.10e}")
print(f"{'case':<40} {'|g - ref| / |ref|':>18} " + " ".join(f"{n:>10}" for n in names))
for label, dtype, mode in (("float64 (the authors' formula)", torch.float64, "plain"),
                           ("float32", torch.float32, "plain"),
                           ("float32, divdiff backward float64", torch.float32, "backward"),
                           ("float32, kernels float64", torch.float32, "kernels")):
    g, loss, _ = gradient(dtype, mode)
    flat = np.concatenate([x.ravel() for x in g])
    rel = np.linalg.norm(flat - flat_ref) / np.linalg.norm(flat_ref)
    blocks = [np.linalg.norm(x - r) / max(np.linalg.norm(r), 1e-300) for x, r in zip(g, ref)]
    print(f"{label:<40} {rel:>18.3e} " + " ".join(f"{b:>10.2e}" for b in blocks))
