#!/usr/bin/env bash
# paper_draws.sh PYTHON DRAW_STUDY DGSIM OUT: draw_study.py scores a run's models on other draws
# of the data. A NODE whose weights are all zero outputs du/dt = 0, so dgsim's Deriv. must
# equal the script's zero-model figure (the mean square of the stored du/dt) on every draw:
# ratio 1 and correlation 1. A NODE with its weights scaled up (outputs of the size of du/dt)
# must differ from it. The same holds for Mass (--metric mass, whole rollouts).
set -eu
python=$1 study=$2 dgsim=$3 out=$4
rm -rf "$out" && mkdir -p "$out/data" "$out/models"
"$dgsim" generate cahn-hilliard --n-traj 6 --n-train 4 --n-steps 20 -q -o "$out/data/cahn-hilliard-seed0.h5"
"$dgsim" train --data "$out/data/cahn-hilliard-seed0.h5" --model node --iterations 3 --hidden 8 -q \
  -o "$out/models/cahn-hilliard--node-rk2--1.h5"
cp "$out/models/cahn-hilliard--node-rk2--1.h5" "$out/models/cahn-hilliard--node-rk2--0.h5"
scale() {
  "$python" -c "
import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f:
    for k in f['params']:
        f['params'][k][...] *= float(sys.argv[2])
" "$1" "$2"
}
scale "$out/models/cahn-hilliard--node-rk2--0.h5" 0
scale "$out/models/cahn-hilliard--node-rk2--1.h5" 1000
# Other draws at the same small size: dgsim generate's defaults are the paper's; a wrapper passes the sizes.
cat > "$out/dgsim-small" <<SH
#!/bin/sh
if [ "\$1" = generate ]; then shift 2; exec "$dgsim" generate cahn-hilliard --n-traj 6 --n-train 4 --n-steps 20 "\$@"; fi
exec "$dgsim" "\$@"
SH
chmod +x "$out/dgsim-small"
"$python" "$study" --out "$out" --dataset cahn-hilliard --rows node-rk2 --seeds 0-1 --draws 0-2 --dgsim "$out/dgsim-small" > "$out/table.md"
cat "$out/table.md"
grep -E "^\| node-rk2, seed 0 \|.*\| 1-1 \| 1.00 \|$" "$out/table.md" > /dev/null ||
  { echo "the zero NODE's Deriv. is not the zero model's on every draw"; exit 1; }
grep -E "^\| node-rk2, seed 1 \|" "$out/table.md" | grep -vE "\| 1-1 \|" > /dev/null ||
  { echo "the scaled NODE scores as the zero model"; exit 1; }
ls "$out/draws/cahn-hilliard-seed1.h5" "$out/draws/cahn-hilliard-seed2.h5" > /dev/null
# Mass: the zero NODE's rk2 rollout stays at the first state, so its Mass is the script's
# mean square of u(t) - u(0) on every draw.
"$python" "$study" --out "$out" --dataset cahn-hilliard --rows node-rk2 --seeds 0-1 --draws 0-2 --metric mass \
  --dgsim "$out/dgsim-small" > "$out/table-mass.md"
cat "$out/table-mass.md"
grep -E "^\| node-rk2, seed 0 \|.*\| 1-1 \| 1.00 \|$" "$out/table-mass.md" > /dev/null ||
  { echo "the zero NODE's Mass is not the zero model's on every draw"; exit 1; }
grep -E "^\| node-rk2, seed 1 \|" "$out/table-mass.md" | grep -vE "\| 1-1 \|" > /dev/null ||
  { echo "the scaled NODE's Mass scores as the zero model's"; exit 1; }
echo "draw study: zero model consistent"
