"""Checks the solver statistics of a dopri5 training: `dgsim train --integrator dopri5 --json
--log LOG` reports accepted and rejected steps and evaluations of f per iteration. Every step
attempt evaluates f six times (FSAL) and each iteration two more (f at u0 and Hairer's trial
step), so evaluations = 2 + 6 (accepted + rejected) per iteration; at least one step is
accepted per iteration; the mean of the log's per-window figures (equal windows) is the
overall figure; the model file holds the same numbers and the same git commit.

usage: check_dopri5_stats.py TRAIN_JSON LOG.jsonl MODEL.h5
"""
import json
import sys

import h5py

summary = json.loads(open(sys.argv[1]).read())
lines = [json.loads(l) for l in open(sys.argv[2])]
d = summary["dopri5"]
steps, rejected, evals = d["steps_per_iteration"], d["rejected_per_iteration"], d["evaluations_per_iteration"]
assert d["iterations_counted"] == summary["iterations"], d
assert steps >= 1 and d["max_steps"] >= steps, d
assert abs(evals - (2 + 6 * (steps + rejected))) <= 1e-9 * evals, d
windows = [l["dopri5_steps_per_iteration"] for l in lines]
assert len(windows) == len(lines) >= 2, lines
assert abs(sum(windows) / len(windows) - steps) <= 1e-9 * steps, (windows, steps)
# The most steps of one iteration: at least every window's mean, at most the whole run's total.
assert max(windows) <= d["max_steps"] <= steps * summary["iterations"] + 1e-9, (windows, d)
with h5py.File(sys.argv[3], "r") as f:
    info = f["info"].attrs
    assert abs(info["result.dopri5_steps_per_iteration"] - steps) <= 1e-5 * steps
    assert info["result.dopri5_max_steps"] == d["max_steps"]
    assert f["training/log"].shape == (len(lines), 5)
    # The report names the build that trained the model, as the model file does.
    commit = info["git_commit"]
    commit = commit.decode() if isinstance(commit, bytes) else commit
    assert summary["git_commit"] == commit and commit, (summary.get("git_commit"), commit)
    blas = info["blas"]
    blas = blas.decode() if isinstance(blas, bytes) else blas
    assert summary["blas"] == blas and blas, (summary.get("blas"), blas)
print(f"ok: {steps:.3g} accepted, {rejected:.3g} rejected, {evals:.3g} evaluations per iteration")
