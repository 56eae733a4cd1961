#!/usr/bin/env bash
# paper_draws.sh PYTHON DRAW_STUDY DGSIM OUT: draw_study.py scores a run's models on other draws
# of the data. A NODE whose weights are all zero outputs du/dt = 0, so dgsim's Deriv. must
# equal the script's zero-model figure (the mean square of the stored du/dt) on every draw:
# ratio 1 and correlation 1. A NODE with its weights scaled up (outputs of the size of du/dt)
# must differ from it. The same holds for Mass and Energy (--metric mass,energy, whole rollouts).
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
# Mass and Energy from the same rollouts: the zero NODE's rk2 rollout stays at the first state,
# so its Mass is the script's mean square of u(t) - u(0), and its Energy that of H(u(t)) - H(u(0))
# from the data's stored energy, on every draw.
"$python" "$study" --out "$out" --dataset cahn-hilliard --rows node-rk2 --seeds 0-1 --draws 0-2 --metric mass,energy \
  --dgsim "$out/dgsim-small" > "$out/table-rollout.md"
cat "$out/table-rollout.md"
awk 'BEGIN { RS = "" } NR == 1' "$out/table-rollout.md" > "$out/table-mass.md"
awk 'BEGIN { RS = "" } NR == 2' "$out/table-rollout.md" > "$out/table-energy.md"
grep -q "^cahn-hilliard: Mass" "$out/table-mass.md" && grep -q "^cahn-hilliard: Energy" "$out/table-energy.md" ||
  { echo "expected a Mass table, then an Energy table"; exit 1; }
for metric in mass energy; do
  grep -E "^\| node-rk2, seed 0 \|.*\| 1-1 \| 1.00 \|$" "$out/table-$metric.md" > /dev/null ||
    { echo "the zero NODE's $metric is not the zero model's on every draw"; exit 1; }
  grep -E "^\| node-rk2, seed 1 \|" "$out/table-$metric.md" | grep -vE "\| 1-1 \|" > /dev/null ||
    { echo "the scaled NODE's $metric scores as the zero model's"; exit 1; }
done
"$python" "$study" --out "$out" --dataset cahn-hilliard --rows node-rk2 --draws 0-2 --metric mass,deriv \
  --dgsim "$out/dgsim-small" 2> "$out/bad-metric.err" && { echo "--metric mass,deriv accepted"; exit 1; }
grep -q "mass,deriv" "$out/bad-metric.err" || { echo "no error naming --metric mass,deriv"; exit 1; }
"$python" "$study" --out "$out" --dataset cahn-hilliard --rows node-rk2 --draws 0-2 --metric mass,mass \
  --dgsim "$out/dgsim-small" 2> "$out/bad-metric.err" && { echo "--metric mass,mass accepted"; exit 1; }
grep -q "mass,mass" "$out/bad-metric.err" || { echo "no error naming --metric mass,mass"; exit 1; }
echo "draw study: zero model consistent"
