"""Checks that two dgsim dataset files hold identical data, bit for bit.

usage: compare_datasets.py A.h5 B.h5
Compares every array under t0_fields/, diagnostics/energy (and mass), trajectories/ and
dimensions/; provenance attributes (time, command line) may differ.
"""
import sys

import h5py
import numpy as np

a_path, b_path = sys.argv[1:3]
with h5py.File(a_path, "r") as a, h5py.File(b_path, "r") as b:
    names = ["dimensions/time", "trajectories/index", "trajectories/split", "diagnostics/energy"]
    names += ["t0_fields/" + k for k in a["t0_fields"]]
    if "mass" in a["diagnostics"]:
        names.append("diagnostics/mass")
    for name in names:
        x, y = a[name][()], b[name][()]
        assert x.shape == y.shape, (name, x.shape, y.shape)
        assert x.tobytes() == y.tobytes(), f"{name} differs: max |diff| {np.max(np.abs(x - y))}"
    assert sorted(a["t0_fields"]) == sorted(b["t0_fields"])
print(f"ok: {len(names)} arrays identical")
