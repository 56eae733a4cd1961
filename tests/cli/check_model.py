"""Checks a model file written by `dgsim train`: architecture, dataset identity, hyperparameters,
provenance and the training log, and that the --log file holds the same evaluations.

usage: check_model.py MODEL.h5 LOG.jsonl
"""
import json
import sys

import h5py

model_path, log_path = sys.argv[1:3]
with h5py.File(model_path, "r") as f:
    assert f.attrs["format"] == "dgsim-model"
    assert f.attrs["kind"] == "dgnet" and f.attrs["hidden"] == 32
    info = f["info"].attrs
    for key in ["command_line", "data.path", "data.checksum", "data.system", "train.integrator", "dgsim_version",
                "git_commit", "train.lr", "train.weight_decay", "train.iterations", "train.batch", "train.seed",
                "result.train_loss", "result.test_loss", "result.seconds"]:
        assert key in info, f"info/{key} missing"
    assert info["data.system"] == "mass-spring" and info["train.iterations"] == 20
    assert info["train.weight_decay"] == 1e-4, "mass-spring default weight decay"
    assert "adam" not in f, "the final model file carries no optimizer state"
    log = f["training/log"][()]
lines = [json.loads(l) for l in open(log_path)]
assert log.shape == (len(lines), 5), (log.shape, len(lines))
for row, line in zip(log, lines):
    assert row[0] == line["iteration"]
    assert abs(row[2] - line["test_loss"]) <= 1e-9 * abs(row[2])
    # The fifth column, dopri5 steps per iteration, is NaN (and absent from the line) for dg.
    assert row[4] != row[4] and "dopri5_steps_per_iteration" not in line, (row, line)
assert log[-1, 0] == 20
print(f"ok: {len(lines)} evaluations")
