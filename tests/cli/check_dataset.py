"""Reads a dgsim dataset file with h5py, as a Python user would, and checks its layout.

usage: check_dataset.py FILE N_TRAJ N_TIME DIM
"""
import sys

import h5py
import numpy as np

path, n_traj, n_time, dim = sys.argv[1], *map(int, sys.argv[2:5])
with h5py.File(path, "r") as f:
    u, t = f["t0_fields/u"][:], f["dimensions/time"][:]
    assert u.shape == (n_traj, n_time, dim), u.shape
    assert u.dtype == np.float64
    assert t.shape == (n_time,) and t[0] == 0.0 and np.all(np.diff(t) > 0)
    assert f["t0_fields/dudt"].shape == u.shape
    assert f["diagnostics/energy"].shape == (n_traj, n_time)
    assert f["trajectories/split"].shape == (n_traj,)
    for key in ("dataset_name", "n_trajectories", "dgsim_version", "git_commit", "command_line",
                "integrator", "rtol", "atol", "seed", "created", "hdf5_version", "simulation_parameters"):
        assert key in f.attrs, key
    assert f.attrs["n_trajectories"] == n_traj
    assert f["t0_fields/u"].chunks[0] == 1 and f["t0_fields/u"].compression == "gzip"
    # dimension scale attached to the time axis
    assert f["t0_fields/u"].dims[1][0].name == "/dimensions/time"
    assert np.all(np.isfinite(u))
print("ok")
