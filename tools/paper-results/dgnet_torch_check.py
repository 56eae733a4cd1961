#!/usr/bin/python3
"""Independent PyTorch check of DGNet training on a dgsim PDE dataset (KdV or Cahn-Hilliard).

Trains the paper's DGNet the way the paper describes it, written directly in PyTorch and
sharing no code with dgsim: periodic conv (kernel 3) -> tanh -> conv (kernel 1) -> tanh ->
conv (kernel 1, no bias) -> sum over sites; the discrete gradient of Eq. 6 by the chain rule
with divided differences of tanh (its derivative at the midpoint when two pre-activations
are within 1e-12); G = D (KdV) or D2 (Cahn-Hilliard); loss Eq. 11 as a mean over elements;
orthogonal initial weights, zero biases; Adam, learning rate 1e-3, batch 200 drawn without
replacement; float64. Every --every iterations it prints the training-batch loss and
Deriv. (the mean squared error of the model's du/dt against the data's exact du/dt over
every test state), which is what dgsim's training log records as the test loss.

usage: dgnet_torch_check.py DATA.h5 [--seed 0] [--iterations 10000] [--every 500] [--threads 1]
                            [--self-check]
--self-check first compares, at the initial weights, the hand-written gradient with
PyTorch's autograd and checks the discrete-gradient identity
H(a) - H(b) = <grad(a, b), a - b> on test states (relative to |H|); exit code 1 if either
is off by more than 1e-10. Needs python3-torch and python3-h5py (tools/setup.sh --torch).
"""
import argparse
import os
import time

import h5py
import numpy as np
import torch

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("data")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--iterations", type=int, default=10000)
ap.add_argument("--every", type=int, default=500)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--self-check", action="store_true")
args = ap.parse_args()
if not os.path.isfile(args.data):
    raise SystemExit(f"dgnet_torch_check: no such file '{args.data}' (expected a dataset from dgsim generate kdv|cahn-hilliard)")

torch.set_default_dtype(torch.float64)
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

with h5py.File(args.data, "r") as f:
    system = f.attrs["system"]
    system = system.decode() if isinstance(system, bytes) else str(system)
    if system not in ("kdv", "cahn-hilliard"):
        raise SystemExit(f"dgnet_torch_check: system '{system}' is not a PDE dataset (accepted: kdv, cahn-hilliard)")
    u = torch.tensor(f["/t0_fields/u"][:])
    dudt = torch.tensor(f["/t0_fields/dudt"][:])
    dt = float(f.attrs["dt"])
    n_train = int(f.attrs["n_train"])
    length = float(f.attrs["L"])
n_sites = u.shape[-1]
dx = length / n_sites
u0 = u[:n_train, :-1].reshape(-1, 1, n_sites)
u1 = u[:n_train, 1:].reshape(-1, 1, n_sites)
target = (u1 - u0) / dt
test_u = u[n_train:].reshape(-1, 1, n_sites)
test_dudt = dudt[n_train:].reshape(-1, 1, n_sites)

hidden = 200
w1 = torch.empty(hidden, 1, 3)
w2 = torch.empty(hidden, hidden, 1)
w3 = torch.empty(1, hidden, 1)
for w in (w1, w2, w3):
    torch.nn.init.orthogonal_(w)
b1 = torch.zeros(hidden)
b2 = torch.zeros(hidden)
params = [w1, b1, w2, b2, w3]
for p in params:
    p.requires_grad_(True)
optimizer = torch.optim.Adam(params, lr=1e-3)


def pad(x):
    return torch.cat([x[..., -1:], x, x[..., :1]], -1)


def preactivations(x):
    z1 = torch.nn.functional.conv1d(pad(x), w1, b1)
    z2 = torch.nn.functional.conv1d(torch.tanh(z1), w2, b2)
    return z1, z2


def tanh_divided_difference(za, zb):
    d = za - zb
    far = d.abs() > 1e-12
    midpoint = torch.cosh((za + zb) / 2).pow(-2)
    return torch.where(far, (torch.tanh(za) - torch.tanh(zb)) / torch.where(far, d, torch.ones_like(d)), midpoint)


def chain(s1, s2):
    """dH/du (or the discrete gradient) given the tanh slopes of both hidden layers."""
    g = torch.nn.functional.conv_transpose1d(w3.view(1, hidden, 1) * s2, w2) * s1
    g = torch.nn.functional.conv_transpose1d(g, w1)  # [B, 1, N + 2]: fold the periodic pad
    out = g[..., 1:-1].clone()
    out[..., 0] += g[..., -1]
    out[..., -1] += g[..., 0]
    return out


def apply_g(g):
    gp = pad(g)
    if system == "kdv":
        return (gp[..., 2:] - gp[..., :-2]) / (2 * dx)
    return (gp[..., 2:] - 2 * g + gp[..., :-2]) / (dx * dx)


def discrete_dudt(a, b):
    za1, za2 = preactivations(a)
    zb1, zb2 = preactivations(b)
    return apply_g(chain(tanh_divided_difference(za1, zb1), tanh_divided_difference(za2, zb2)))


def model_dudt(a):
    z1, z2 = preactivations(a)
    return apply_g(chain(torch.cosh(z1).pow(-2), torch.cosh(z2).pow(-2)))


def deriv():
    with torch.no_grad():
        return torch.cat([(model_dudt(test_u[i:i + 200]) - test_dudt[i:i + 200]) ** 2
                          for i in range(0, len(test_u), 200)]).mean().item()


def energy(a):
    _, z2 = preactivations(a)
    return torch.nn.functional.conv1d(torch.tanh(z2), w3).sum((1, 2))


if args.self_check:
    x = test_u[:8].clone().requires_grad_(True)
    (g,) = torch.autograd.grad(energy(x).sum(), x)
    a, b = test_u[:8], test_u[1:9]
    za1, za2 = preactivations(a)
    zb1, zb2 = preactivations(b)
    with torch.no_grad():
        z1, z2 = preactivations(x)
        grad_err = ((g - chain(torch.cosh(z1).pow(-2), torch.cosh(z2).pow(-2))).abs().max() / g.abs().max()).item()
        dg = chain(tanh_divided_difference(za1, zb1), tanh_divided_difference(za2, zb2))
        dh = energy(a) - energy(b)
        dg_err = (((dg * (a - b)).sum((1, 2)) - dh).abs().max() / energy(a).abs().max()).item()
    print(f"self-check: gradient vs autograd {grad_err:.2e}, discrete-gradient identity {dg_err:.2e} (relative)")
    if not (grad_err < 1e-10 and dg_err < 1e-10):
        raise SystemExit(1)

print("iteration,train_loss,deriv,seconds", flush=True)
start = time.time()
for it in range(1, args.iterations + 1):
    idx = torch.randperm(u0.shape[0])[:200]
    loss = ((discrete_dudt(u0[idx], u1[idx]) - target[idx]) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if it % args.every == 0 or it == args.iterations:
        print(f"{it},{loss.item():.6e},{deriv():.6e},{time.time() - start:.1f}", flush=True)
