#!/usr/bin/python3
"""Train the paper's NODE, HNN, SRNN or DGNet on a dgsim ODE dataset in PyTorch, in float32 or float64, and save it as a dgsim model.

Answers one question: does training in single precision, as the authors' ODE scripts do
(torch.set_default_dtype(torch.float32)), change the figures dgsim reports? The models and
training are the paper's, written directly in PyTorch and sharing no code with dgsim:
H(u) = tanh(tanh(u W0 + b0) W1 + b1) W2 (orthogonal initial weights, zero biases),
f(u) = (G - R) grad H(u) with the dataset's structure matrix G and, when the template has
a learned friction g, R = diag(0, g I) (g from 0, kept >= 0 after each step as dgsim does).
With dt each pair's measured time:
- NODE (template trained with rk2): f(u) = tanh(tanh(u W0 + b0) W1 + b1) W2 + b2 itself, W2 of
  width dim, b2 from 0 (only where the template has it: the paper's NODE does), trained with
  HNN's loss;
- HNN (template trained with rk2): one explicit-midpoint (RK2) step of size h per pair, loss
  mean(((u0 + h f(u0 + h/2 f(u0)) - u0) / h - (u1 - u0) / dt)^2), h = dt, or the template's
  train.step_dt when it has one (the authors' real-pendulum step of 1/6, dgsim train --step-dt);
- SRNN (template trained with leapfrog): H = T(p) + V(q), two networks of the form above, each of
  half the state; one leapfrog (kick-drift-kick) step of size h per pair, with HNN's loss;
- DGNet (template trained with dg): paper Eq. 11, loss mean(((G - R) dgradH(u0, u1) - (u1 - u0) / dt)^2)
  with the discrete gradient of the chain rule, layer by layer: each tanh contributes
  (tanh(b) - tanh(a)) / (b - a), or tanh'((a + b) / 2) where |b - a| <= eps (1e-6 in
  float32, 1e-12 in float64, the authors' thresholds).
--master float64 keeps the parameters and Adam's state in float64 and trains on their rounding
to --dtype each iteration; --kernels float64 evaluates tanh and the divided differences in
float64 and rounds each result once to --dtype. Both together are dgsim train --dtype float32's
arrangement; either alone tests which part of PyTorch's float32 training matters.
--divdiff-backward float64 keeps the divided differences' values in --kernels precision and
evaluates only their derivatives (the backward pass through Eq. 10) in float64.
Batches are drawn without replacement (0 = all pairs); Adam. Hidden width, batch, learning
rate, weight decay and iterations are taken from TEMPLATE, a dgsim NODE, HNN, SRNN or DGNet model file
trained on the same system, so the protocol is the one dgsim ran. Every arithmetic
operation of training runs in --dtype.

The trained weights are written, widened to float64, into a copy of TEMPLATE, so that
`dgsim predict` scores them exactly as it scores its own models: only the precision (and
the code) of training differs. Last, the script prints the Deriv. of the written weights,
evaluated in float64 on the dataset's test trajectories; `dgsim predict` on OUT reports the
same number (the ctest paper.torch_precision checks this).

usage: torch_precision.py DATA.h5 TEMPLATE.h5 OUT.h5 [--dtype float32|float64]
                          [--seed 0] [--iterations N] [--every 1000] [--threads 1]
                          [--master float32|float64] [--kernels float32|float64]
                          [--divdiff-backward float32|float64]
Needs python3-torch and python3-h5py (tools/setup.sh --torch).
"""
import argparse
import os
import shutil
import sys
import time

import h5py
import numpy as np
import torch

from torch_divdiff import DTanhWideBackward, dtanh_authors

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("data")
ap.add_argument("template")
ap.add_argument("out")
ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--iterations", type=int, default=0, help="default: the template's")
ap.add_argument("--every", type=int, default=1000)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--master", default="", choices=["", "float32", "float64"],
                help="precision of the parameters and Adam's state (default: --dtype)")
ap.add_argument("--kernels", default="", choices=["", "float32", "float64"],
                help="precision of tanh and the divided differences, rounded once to --dtype (default: --dtype)")
ap.add_argument("--divdiff-backward", default="", choices=["", "float32", "float64"],
                help="precision of the divided differences' derivatives (default: --kernels)")
args = ap.parse_args()
for path, what in ((args.data, "a dataset from dgsim generate"), (args.template, "a dgsim NODE, HNN, SRNN or DGNet model file")):
    if not os.path.isfile(path):
        raise SystemExit(f"torch_precision: no such file '{path}' (expected {what})")
if args.iterations < 0:
    raise SystemExit(f"torch_precision: --iterations {args.iterations} (accepted: >= 1, or 0 for the template's)")
if args.every < 1:
    raise SystemExit(f"torch_precision: --every {args.every} (accepted: >= 1)")

dtype = getattr(torch, args.dtype)
master = getattr(torch, args.master or args.dtype)
kernels = getattr(torch, args.kernels or args.dtype)
divdiff_backward = getattr(torch, args.divdiff_backward or args.kernels or args.dtype)
if kernels == torch.float64 and divdiff_backward == torch.float32:
    raise SystemExit("torch_precision: --divdiff-backward float32 with float64 divided differences "
                     "(accepted: a backward at least as precise as --kernels)")
torch.set_default_dtype(dtype)
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

with h5py.File(args.data, "r") as f:
    if "structure/G" not in f or int(f.attrs.get("n_spatial_dims", 1)) != 0:
        raise SystemExit(f"torch_precision: '{args.data}' is not an ODE dataset with a structure matrix")
    u = np.asarray(f["t0_fields/u"][:], dtype=np.float64)
    dudt = np.asarray(f["t0_fields/dudt"][:], dtype=np.float64)
    split = np.asarray(f["trajectories/split"][:])
    pair_split = np.asarray(f["trajectories/pair_split"][:]) if "trajectories/pair_split" in f else None
    time_grid = np.asarray(f["dimensions/time"][:], dtype=np.float64)
    G = torch.tensor(np.asarray(f["structure/G"][:], dtype=np.float64), dtype=dtype)
with h5py.File(args.template, "r") as f:
    kind = f.attrs["kind"]
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    if kind not in ("node", "hnn", "srnn", "dgnet") or int(f.attrs["dim"]) != u.shape[-1]:
        raise SystemExit(f"torch_precision: template '{args.template}' is a {kind} model of dim {int(f.attrs['dim'])}"
                         f" (accepted: a node, hnn, srnn or dgnet model of dim {u.shape[-1]})")
    hidden = int(f.attrs["hidden"])
    names = sorted(f["params"].keys())
    info = dict(f["info"].attrs)
needed = ("train.batch", "train.lr", "train.weight_decay", "train.iterations", "train.integrator", "train.fixed_dt")
if any(k not in info for k in needed):
    raise SystemExit(f"torch_precision: template '{args.template}' lacks the training attributes {', '.join(needed)}")
batch, lr, weight_decay = int(info["train.batch"]), float(info["train.lr"]), float(info["train.weight_decay"])
iterations = args.iterations if args.iterations > 0 else int(info["train.iterations"])
scheme = {"dgnet": "dg", "srnn": "leapfrog"}.get(kind, "rk2")
if str(info["train.integrator"]) != scheme or float(info["train.fixed_dt"]) != 0.0:
    raise SystemExit(f"torch_precision: template '{args.template}' was not trained with {scheme} against the measured times")
step_dt = float(info.get("train.step_dt", 0.0))
friction = "friction" in names
# The template's parameters, in the order of `params` below (y = x W + b).
node_bias = kind == "node" and "mlp.2.b" in names
layers = ["0.W", "0.b", "1.W", "1.b", "2.W"]
if kind == "srnn":  # T(p), then V(q)
    expected = ["T." + n for n in layers] + ["V." + n for n in layers]
else:
    expected = (["mlp." + n for n in layers] + (["mlp.2.b"] if node_bias else [])
                + (["friction"] if friction else []))
if names != sorted(expected):
    raise SystemExit(f"torch_precision: template parameters {names} (accepted: {expected})")

# The training pairs: consecutive states with split 0 (per pair where the dataset labels
# pairs, else per trajectory), each with its own measured step, as dgsim train takes them.
n_traj, n_t, dim = u.shape
labels = pair_split if pair_split is not None else np.repeat(split[:, None], n_t - 1, axis=1)
mask = (labels == 0).reshape(-1)
u0 = torch.tensor(u[:, :-1].reshape(-1, dim)[mask], dtype=dtype)
u1 = torch.tensor(u[:, 1:].reshape(-1, dim)[mask], dtype=dtype)
dt = torch.tensor(np.tile(np.diff(time_grid), n_traj)[mask][:, None], dtype=dtype)
n_pairs = u0.shape[0]
if n_pairs == 0:
    raise SystemExit("torch_precision: the dataset has no training pairs (split 0)")
if batch <= 0 or batch > n_pairs:
    batch = n_pairs


def new_mlp(n_in, n_out):
    """[W0, b0, W1, b1, W2] of n_in -> hidden -> hidden -> n_out: orthogonal weights, zero biases."""
    ws = [torch.empty(n_in, hidden), torch.empty(hidden, hidden), torch.empty(hidden, n_out)]
    for w in ws:
        torch.nn.init.orthogonal_(w)
    return [ws[0], torch.zeros(1, hidden), ws[1], torch.zeros(1, hidden), ws[2]]


if kind == "srnn":
    initial = new_mlp(dim // 2, 1) + new_mlp(dim // 2, 1)
else:
    initial = (new_mlp(dim, dim if kind == "node" else 1) + ([torch.zeros(1, dim)] if node_bias else [])
               + ([torch.zeros(1, 1)] if friction else []))
# The parameters Adam updates, in --master precision (initialised in --dtype, then widened or
# narrowed); the training arithmetic uses them rounded to --dtype (bind()).
params = [p.to(master).requires_grad_(True) for p in initial]
b2, g = None, None


def unpack(tensors):
    """Sets the weights that the functions below use (in the order of params): W0 .. W2, b2 and g,
    or SRNN's T = [W0 .. W2] and V = [W0 .. W2]."""
    global W0, b0, W1, b1, W2, b2, g, T, V
    if kind == "srnn":
        T, V = tensors[:5], tensors[5:]
        return
    W0, b0, W1, b1, W2 = tensors[:5]
    rest = tensors[5:]
    if node_bias:
        b2, rest = rest[0], rest[1:]
    if friction:
        g = rest[0]


def bind():
    """The working weights of one iteration: params themselves, or copies rounded to --dtype."""
    work = params if master == dtype else [p.detach().to(dtype).requires_grad_(True) for p in params]
    unpack(work)
    return work


def act(x):
    """tanh, evaluated in --kernels precision and rounded once to the precision of x."""
    return torch.tanh(x) if kernels == x.dtype else torch.tanh(x.to(kernels)).to(x.dtype)


# R = diag(0, g I) on the momenta (the second half of the state).
momenta = torch.cat([torch.zeros(dim // 2), torch.ones(dim - dim // 2)])[None, :]


def mlp(x, w):
    """The network [W0, b0, W1, b1, W2] at x."""
    return act(act(x @ w[0] + w[1]) @ w[2] + w[3]) @ w[4]


def input_grad(x, w):
    """The gradient of the scalar network w with respect to its input x, differentiable."""
    if not x.requires_grad:
        x = x.requires_grad_(True)
    (grad,) = torch.autograd.grad(mlp(x, w).sum(), x, create_graph=True)
    return grad


def leapfrog(x, h):
    """One kick-drift-kick step of size h (a column) for H = T(p) + V(q), differentiable."""
    m = dim // 2
    q, p = x[:, :m], x[:, m:]
    p_half = p - 0.5 * h * input_grad(q.clone(), V)
    q1 = q + h * input_grad(p_half, T)
    p1 = p_half - 0.5 * h * input_grad(q1, V)
    return torch.cat([q1, p1], dim=1)


def field(x):
    """f(x) = (G - R) grad H(x) (NODE: the network itself), differentiable (create_graph) for training."""
    if kind == "srnn":  # (dT/dp, -dV/dq)
        m = dim // 2
        return torch.cat([input_grad(x[:, m:].clone(), T), -input_grad(x[:, :m].clone(), V)], dim=1)
    if kind == "node":
        out = mlp(x, [W0, b0, W1, b1, W2])
        return out + b2 if node_bias else out
    grad = input_grad(x, [W0, b0, W1, b1, W2])
    out = grad @ G.T
    return out - grad * momenta * g if friction else out


def dtanh(a, b):
    """The discrete derivative of tanh between a and b, in --kernels precision, rounded once to the
    precision of a; its backward in --divdiff-backward precision."""
    out = a.dtype
    a, b = a.to(kernels), b.to(kernels)
    wide = divdiff_backward == torch.float64 and kernels != torch.float64
    return (DTanhWideBackward.apply(a, b) if wide else dtanh_authors(a, b)).to(out)


def discrete_grad(x0, x1):
    """The chain-rule discrete gradient of H between x0 and x1 (differentiable)."""
    a0, a1 = x0 @ W0 + b0, x1 @ W0 + b0
    c0, c1 = act(a0) @ W1 + b1, act(a1) @ W1 + b1
    return (((W2.T * dtanh(c0, c1)) @ W1.T) * dtanh(a0, a1)) @ W0.T


def discrete_field(x0, x1):
    """(G - R) times the discrete gradient of H between x0 and x1."""
    grad = discrete_grad(x0, x1)
    out = grad @ G.T
    return out - grad * momenta * g if friction else out


opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
start = time.time()
print(f"# {kind}, {args.dtype} (parameters and Adam {args.master or args.dtype}, tanh and divided differences "
      f"{args.kernels or args.dtype}, their backward "
      f"{args.divdiff_backward or args.kernels or args.dtype}), {n_pairs} training pairs, batch {batch}, lr {lr:g}, weight decay {weight_decay:g}, "
      f"friction {friction}, {iterations} iterations" + (f", step {step_dt:g}" if step_dt > 0 else ""), flush=True)
for it in range(1, iterations + 1):
    idx = torch.randperm(n_pairs)[:batch]
    x0, x1, h = u0[idx], u1[idx], dt[idx]
    work = bind()
    if kind == "dgnet":
        loss = ((discrete_field(x0, x1) - (x1 - x0) / h) ** 2).mean()
    else:
        step = leapfrog if kind == "srnn" else (lambda x, hh: x + hh * field(x + 0.5 * hh * field(x.clone())))
        if step_dt > 0:
            hs = torch.full_like(h, step_dt)
            loss = (((step(x0, hs) - x0) / hs - (x1 - x0) / h) ** 2).mean()
        else:  # the same loss, (slope - target) written as (x1hat - x1) / h
            loss = (((step(x0, h) - x1) / h) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    if work is not params:  # the gradient, widened or narrowed to the parameters' precision
        for p, w in zip(params, work):
            p.grad = w.grad.to(master)
    opt.step()
    if friction:  # dgsim keeps g >= 0 (a projected step)
        with torch.no_grad():
            params[-1].clamp_(min=0.0)
    if it % args.every == 0 or it == iterations:
        print(f"iteration {it:6d}  train loss {loss.item():.4e}  {time.time() - start:.0f} s", flush=True)

# Write the weights, widened to float64, into a copy of the template.
tmp = args.out + ".part"
shutil.copyfile(args.template, tmp)
with h5py.File(tmp, "r+") as f:
    for name, p in zip(expected, params):
        f["params"][name][...] = p.detach().to(torch.float64).numpy()
    f["info"].attrs["command_line"] = " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:])
    f["info"].attrs["train.dtype"] = args.dtype
    f["info"].attrs["train.torch_master"] = args.master or args.dtype
    f["info"].attrs["train.torch_kernels"] = args.kernels or args.dtype
    f["info"].attrs["result.train_loss"] = loss.item()
    f["info"].attrs["result.seconds"] = time.time() - start
    if "training" in f:
        del f["training"]
os.replace(tmp, args.out)
print(f"# wrote {args.out}", flush=True)

# Deriv. of the written weights, evaluated in float64 on the test states (every state of the
# test trajectories, or for data split by pair, the first states of the test pairs):
# `dgsim predict` must report the same number for OUT, which checks the transfer.
if pair_split is not None:
    test_pairs = np.where(pair_split[0] == 1)[0]
    states = slice(test_pairs.min(), test_pairs.max() + 1) if len(test_pairs) else slice(0, 0)
    test_u, test_dudt = u[0, states], dudt[0, states]
else:
    test_u, test_dudt = u[split == 1].reshape(-1, dim), dudt[split == 1].reshape(-1, dim)
torch.set_default_dtype(torch.float64)
kernels = torch.float64
G, momenta = G.to(torch.float64), momenta.to(torch.float64)
unpack([p.detach().to(torch.float64) for p in params])
if len(test_u):
    deriv = ((field(torch.tensor(test_u)).detach() - torch.tensor(test_dudt)) ** 2).mean().item()
    print(f"# deriv {deriv:.10e} (float64 evaluation of the written weights on the test states)", flush=True)
if kind == "dgnet":  # the defining property of a discrete gradient, in float64 on the training pairs
    x0, x1 = u0.to(torch.float64), u1.to(torch.float64)
    H = lambda x: mlp(x, [W0, b0, W1, b1, W2])
    dH = (H(x1) - H(x0)).squeeze(1)
    residual = (dH - (discrete_grad(x0, x1) * (x1 - x0)).sum(1)).abs().max().item()
    print(f"# discrete gradient: max |H(u1) - H(u0) - dgradH . (u1 - u0)| = {residual:.3e} "
          f"of max |H(u1) - H(u0)| = {dH.abs().max().item():.3e}", flush=True)
