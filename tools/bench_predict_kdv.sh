#!/usr/bin/env bash
# Times `dgsim predict --integrator dg` on the DGNet paper's KdV test set (10 series x 500
# steps, learned energy, Newton) and prints the solver statistics and the conservation figures.
#   usage: tools/bench_predict_kdv.sh DGSIM MODEL.h5 [DATA.h5 = kdv.h5] [THREADS = 1]
# DATA.h5 is generated (`dgsim generate kdv`) when missing. For the fastest network
# evaluations build with -DDGSIM_NATIVE=ON.
set -euo pipefail
dgsim=$1 model=$2 data=${3:-kdv.h5} threads=${4:-1}
[ -f "$data" ] || "$dgsim" generate kdv -q -o "$data"
out=$(mktemp --suffix .h5)
trap 'rm -f "$out"' EXIT
"$dgsim" predict --model "$model" --data "$data" --integrator dg --threads "$threads" -q --json -o "$out" |
  python3 -c '
import json, sys
d = json.load(sys.stdin)
s, m = d["solver"], d["metrics"]
print("%d series x %d steps: %.2f s wall, %.2f s CPU" % (d["n_series"], d["n_steps"], s["seconds"], s["cpu_seconds"]))
print("Newton iterations per step %.2f, Jacobians %d, max residual %.3g" % (s["newton_per_step"], s["jacobians"], s["max_residual"]))
print("learned-energy drift (relative) %.3g, mass drift (relative) %.3g" % (m["learned_energy_drift_rel"], m["mass_drift_rel"]))
'
