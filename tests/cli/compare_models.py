"""Checks that two dgsim model files hold bit-identical weights (and the same training log), or
with --close RTOL weights that agree to RTOL relative to each array's largest entry.

usage: compare_models.py A.h5 B.h5 [--log] [--close RTOL]
"""
import sys

import h5py

a_path, b_path = sys.argv[1:3]
check_log = "--log" in sys.argv[3:]
close = float(sys.argv[sys.argv.index("--close") + 1]) if "--close" in sys.argv else None
with h5py.File(a_path, "r") as a, h5py.File(b_path, "r") as b:
    names = sorted("params/" + k for k in a["params"])
    assert names == sorted("params/" + k for k in b["params"]), "different parameter sets"
    for name in names:
        x, y = a[name][()], b[name][()]
        assert x.shape == y.shape, (name, x.shape, y.shape)
        if close is None:
            assert x.tobytes() == y.tobytes(), f"{name} differs: max |diff| {abs(x - y).max()}"
        else:
            assert abs(x - y).max() <= close * abs(x).max(), f"{name} differs: max |diff| {abs(x - y).max()}"
    if check_log:
        x, y = a["training/log"][()], b["training/log"][()]
        assert x.shape == y.shape, ("training/log", x.shape, y.shape)
        # Columns: iteration, train loss, test loss, elapsed (which differs), dopri5 steps per iteration.
        assert x[:, :3].tobytes() == y[:, :3].tobytes(), "training logs differ"
        assert x[:, 4:].tobytes() == y[:, 4:].tobytes(), "dopri5 step counts in the training logs differ"
        for key in ("result.dopri5_steps_per_iteration", "result.dopri5_rejected_per_iteration",
                    "result.dopri5_evaluations_per_iteration", "result.dopri5_max_steps", "result.dopri5_iterations_counted"):
            assert a["info"].attrs.get(key) == b["info"].attrs.get(key), (key, a["info"].attrs.get(key), b["info"].attrs.get(key))
print(f"ok: {len(names)} weight arrays " + ("identical" if close is None else f"agree to {close:g}"))
