"""Trains one model in float64 and in float32 (dgsim train --dtype) from the same seed and
checks that both say what they are and agree to single precision over a short training.

usage: check_train_float32.py DGSIM DATA OUTDIR MODEL
"""
import json
import subprocess
import sys

import h5py

dgsim, data, out, model = sys.argv[1:5]
result = {}
for dtype in ("float64", "float32"):
    path = f"{out}/f32check-{model}-{dtype}.h5"
    run = subprocess.run([dgsim, "train", "--data", data, "--model", model, "--iterations", "30", "--hidden", "32",
                          "--dtype", dtype, "--seed", "3", "-q", "--json", "-o", path],
                         check=True, capture_output=True, text=True)
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["dtype"] == dtype, report
    with h5py.File(path, "r") as f:
        info = f["info"].attrs
        recorded = info["train.dtype"]
        recorded = recorded.decode() if isinstance(recorded, bytes) else recorded
        assert recorded == dtype, recorded
        assert info["train.float32"] == (1.0 if dtype == "float32" else 0.0)
    result[dtype] = report["train_loss"]
l64, l32 = result["float64"], result["float32"]
# Single precision moves the last digits, not the course of 30 Adam steps.
assert l32 != l64, "float32 training gave the float64 loss to every digit: not single precision"
assert abs(l32 - l64) <= 1e-3 * abs(l64), (l32, l64)
print(f"ok: {model} train loss {l64:.9g} (float64), {l32:.9g} (float32)")
