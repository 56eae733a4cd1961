#!/usr/bin/env bash
# paper_spread.sh PYTHON REPRODUCE_PAPER DGSIM OUT: RESULTS.md reports the mean and the sample
# standard deviation (n - 1) over trials. Two hand-made real-pendulum NODE cells with
# Diff. 1e-3 and 3e-3 must read "2.00 ± 1.41" (the population deviation would be 1.00).
set -eu
python=$1 rp=$2 dgsim=$3 out=$4
rm -rf "$out" && mkdir -p "$out/cells"
for t in 0 1; do
  diff=$([ "$t" = 0 ] && echo 0.001 || echo 0.003)
  cat > "$out/cells/real-pendulum--node-rk2--$t.json" <<JSON
{"dataset": "real-pendulum", "model": "node", "train_integrator": "rk2", "trial": $t, "train_seconds": 1.0,
 "rows": {"node-rk2": {"metrics": {"diff": $diff, "energy": 0.0005}, "predict_seconds": 1.0}}}
JSON
done
"$python" "$rp" --report-only --trials 2 --datasets real-pendulum --rows node-rk2 --out "$out" --dgsim "$dgsim" 2>/dev/null
grep -F "| NODE | RK2 | RK2 |" "$out/RESULTS.md" | grep -qF "| 2.00 ± 1.41 / 1.38 | 0.50 ± 0.00 / 0.62 |" ||
  { echo "RESULTS.md: expected '2.00 ± 1.41' for Diff. of two trials"; grep -F "| NODE |" "$out/RESULTS.md"; exit 1; }
echo "sample standard deviation reported"
