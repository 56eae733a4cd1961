"""check_fresh_two_body.py FILE N: a two-body `dgsim predict` file rolls out N fresh states
drawn like the two-body data (the DGNet authors' random_config): bodies opposite each other,
bound (H < 0), on the data's grid [0, 25] with 500 points, the true orbit keeping H."""
import sys

import h5py
import numpy as np

path, n = sys.argv[1], int(sys.argv[2])
with h5py.File(path, "r") as f:
    truth = f["prediction/u_true"][:]
    t = f["dimensions/time"][:]
assert truth.shape == (n, 500, 8), truth.shape
assert abs(t[-1] - 25.0) < 1e-12 and abs(t[1] - 25.0 / 499) < 1e-12, (t[1], t[-1])
q1, q2, p = truth[:, 0, 0:2], truth[:, 0, 2:4], truth[:, 0, 4:8]
assert np.allclose(q2, -q1, atol=1e-12), "body 2 starts opposite body 1"
r = np.linalg.norm(q1 - q2, axis=1)
h = 0.5 * np.sum(p**2, axis=1) - 1.0 / r
assert np.all(h < 0), f"fresh states are not bound orbits: H = {h}"
r_t = np.linalg.norm(truth[:, :, 0:2] - truth[:, :, 2:4], axis=2)
h_t = 0.5 * np.sum(truth[:, :, 4:8] ** 2, axis=2) - 1.0 / r_t
assert np.max(np.abs(h_t - h[:, None])) < 1e-8, "the reference orbit keeps its energy"
print("ok")
