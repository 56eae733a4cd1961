"""Checks the real-pendulum file against the facts of ../shared/data/real_pendulum/README.md.

usage: check_real_pendulum.py FILE
"""
import sys

import h5py
import numpy as np

with h5py.File(sys.argv[1], "r") as f:
    u, t = f["t0_fields/u"][0], f["dimensions/time"][:]
    dudt = f["t0_fields/dudt"][0]
    pair_split = f["trajectories/pair_split"][0]
    assert u.shape == (556, 2) and t.shape == (556,)
    assert t[0] == 5.0 and t[-1] == 99.5
    gaps = np.diff(t)
    # 545 gaps of 1/6, 8 of 1/3, 2 of 1/2: the dropped frames are kept as real gaps.
    assert np.sum(np.isclose(gaps, 1 / 6)) == 545
    assert np.sum(np.isclose(gaps, 1 / 3)) == 8
    assert np.sum(np.isclose(gaps, 1 / 2)) == 2
    # HNN's split: train pairs [0, 444) and [554, 555), test [444, 554).
    assert pair_split.shape == (555,)
    assert np.all(pair_split[:444] == 0) and np.all(pair_split[444:554] == 1) and pair_split[554] == 0
    # forward differences over the real gaps
    assert np.allclose(dudt[:-1], np.diff(u, axis=0) / gaps[:, None], rtol=0, atol=1e-14)
    # first row of the file
    assert u[0, 0] == 1.1383885512243586 and u[0, 1] == 0.9197795905867725
    # analysis energy H = 2.4 (1 - cos q) + p^2 falls from about 2.0 to about 0.75
    h = f["diagnostics/energy"][0]
    assert abs(h[0] - (2.4 * (1 - np.cos(u[0, 0])) + u[0, 1] ** 2)) < 1e-14
    assert 1.7 < h[:10].mean() < 2.3 and 0.6 < h[-10:].mean() < 0.9
print("ok")
