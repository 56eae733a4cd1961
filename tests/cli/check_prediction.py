"""check_prediction.py FILE N_TRAJ N_TIME DIM: the layout of a `dgsim predict` file, read with h5py."""
import math
import sys

import h5py
import numpy as np

path, n, nt, dim = sys.argv[1], *map(int, sys.argv[2:5])
with h5py.File(path, "r") as f:
    assert f.attrs["content"] == "prediction", f.attrs["content"]
    for key in ("model_file", "data_file", "integrator", "newton_tol"):
        assert key in f.attrs, key
    u = f["t0_fields/u"][:]
    assert u.shape == (n, nt, dim), u.shape
    truth = f["prediction/u_true"][:]
    assert truth.shape == u.shape
    assert np.array_equal(u[:, 0], truth[:, 0]), "rollouts start from the true first state"
    h = f["prediction/learned_energy"][:]
    assert h.shape == (n, nt)
    m = f["prediction/metrics"].attrs
    for key in ("deriv", "energy", "mass", "state_mse", "mass_drift_rel", "learned_energy_drift_rel"):
        assert math.isfinite(m[key]), key
    assert abs(m["mass"] - np.mean((u[:, 1:] - truth[:, 1:]) ** 2)) <= 1e-12 * max(1.0, m["mass"])
    assert m["mass_drift_rel"] < 1e-12, m["mass_drift_rel"]
    s = f["prediction/solver"].attrs
    assert s["steps"] == nt - 1 and s["newton_iterations"] >= nt - 1
print("ok")
