#!/usr/bin/env bash
# paper_fresh_seed.sh PYTHON REPRODUCE_PAPER DGSIM OUT: each trial of a simulated ODE system
# scores Energy on its own fresh initial states (drawn from the trial's seed, as the authors'
# seeded scripts do), so the spread over trials includes the spread over rollout states.
# Two quick mass-spring trials must record seeds 0 and 1 and start from different states.
set -eu
python=$1 rp=$2 dgsim=$3 out=$4
rm -rf "$out"
"$python" "$rp" --quick --trials 2 --jobs 2 --datasets mass-spring --rows node-rk2 --out "$out" --dgsim "$dgsim" 2>/dev/null >/dev/null
"$python" - "$out/predictions" <<'PY'
import sys
import h5py
import numpy as np
first = {}
for t in (0, 1):
    with h5py.File(f"{sys.argv[1]}/mass-spring--node-rk2--{t}--rk2.h5", "r") as f:
        seed = int(f.attrs["seed"])
        if seed != t:
            sys.exit(f"trial {t}: fresh rollouts drawn with seed {seed}, expected {t}")
        first[t] = np.asarray(f["prediction/u_true"][:, 0])
if np.allclose(first[0], first[1]):
    sys.exit("trials 0 and 1 roll out from the same initial states")
print("each trial rolls out from its own fresh states")
PY
