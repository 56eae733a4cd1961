#!/usr/bin/env python3
"""Times SciPy's solve_ivp(method='DOP853') on the Arenstorf orbit over one period at
rtol = atol = 1e-10, the same solve as bench_dop853, and prints the median time per solve and
the number of evaluations. With the path of bench_dop853 as argument, runs it too and prints
the ratio.

usage: /usr/bin/python3 tools/bench_dop853_scipy.py [path/to/bench_dop853]
(Debian's python3 with python3-scipy; an interpreter on PATH may lack SciPy)
"""
import math
import re
import statistics
import subprocess
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp

MU = 0.012277471
PERIOD = 17.0652165601579625588917206249
Y0 = np.array([0.994, 0.0, 0.0, -2.00158510637908252240537862224])


def arenstorf(_t, y):
    mu1 = 1.0 - MU
    r1 = (y[0] + MU) ** 2 + y[1] ** 2
    r2 = (y[0] - mu1) ** 2 + y[1] ** 2
    d1 = r1 * math.sqrt(r1)
    d2 = r2 * math.sqrt(r2)
    return np.array([
        y[2],
        y[3],
        y[0] + 2.0 * y[3] - mu1 * (y[0] + MU) / d1 - MU * (y[0] - mu1) / d2,
        y[1] - 2.0 * y[2] - mu1 * y[1] / d1 - MU * y[1] / d2,
    ])


def main():
    solves, repetitions = 5, 7
    times, cpu_times = [], []
    sol = None
    for _ in range(repetitions):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(solves):
            sol = solve_ivp(arenstorf, (0.0, PERIOD), Y0, method="DOP853", rtol=1e-10, atol=1e-10)
        cpu_times.append((time.process_time() - cpu_start) / solves)
        times.append((time.perf_counter() - start) / solves)
    scipy_us = statistics.median(times) * 1e6
    scipy_cpu_us = statistics.median(cpu_times) * 1e6
    closure = np.max(np.abs(sol.y[:, -1] - Y0))
    print(f"scipy {__import__('scipy').__version__} solve_ivp DOP853 arenstorf rtol=atol=1e-10: "
          f"{scipy_us:.0f} us per solve (median of {repetitions} x {solves}); cpu time {scipy_cpu_us:.0f} us; "
          f"nfev {sol.nfev}, closure {closure:.3g}")
    if len(sys.argv) > 1:
        out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
        print(out, end="")
        dgsim_us = float(re.search(r"([0-9.]+) us per solve", out).group(1))
        dgsim_cpu_us = float(re.search(r"cpu time: ([0-9.]+) us", out).group(1))
        print(f"ratio scipy / dgsim: {scipy_us / dgsim_us:.0f}x wall clock, {scipy_cpu_us / dgsim_cpu_us:.0f}x cpu time")


if __name__ == "__main__":
    main()
