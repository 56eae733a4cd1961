#!/bin/bash
# tools/paper-results/torch_precision.py: trains a NODE, an HNN, an SRNN or a DGNet in PyTorch (float32 and
# float64) and writes it as a dgsim model. The Deriv. the script computes from the written weights
# must equal the Deriv. `dgsim predict` reports for that file, to 1e-9 relative: the weights,
# structure matrix and friction were carried over exactly (the real-pendulum case trains
# until its learned friction is positive, and checks it is; it steps with the authors' 1/6,
# dgsim train --step-dt). The DGNet's discrete gradient must satisfy
# H(u1) - H(u0) = dgradH . (u1 - u0) on its training pairs to 1e-10 relative, and a
# --divdiff-backward below the divided differences' precision is refused in one line. Exit 77 (skip)
# without torch.
# usage: paper_torch_precision.sh PYTHON DGSIM TOOL REAL_PENDULUM_TXT OUTDIR
set -euo pipefail
py=$1 dgsim=$2 tool=$3 real=$4 out=$5
"$py" -c 'import torch' 2>/dev/null || exit 77
rm -rf "$out" && mkdir -p "$out"
"$dgsim" generate two-body --n-traj 4 --n-steps 30 -q -o "$out/two-body.h5"
"$dgsim" train --data "$out/two-body.h5" --model hnn --iterations 2 --batch 20 --hidden 16 -q -o "$out/template-two-body.h5"
"$dgsim" train --data "$out/two-body.h5" --model srnn --iterations 2 --batch 20 --hidden 16 -q -o "$out/template-two-body-srnn.h5"
"$dgsim" generate mass-spring --n-traj 6 -q -o "$out/spring.h5"
"$dgsim" train --data "$out/spring.h5" --model dgnet --iterations 2 --hidden 16 -q -o "$out/template-spring.h5"
"$dgsim" generate real-pendulum --input "$real" -q -o "$out/real.h5"
"$dgsim" train --data "$out/real.h5" --model hnn --iterations 2 --hidden 16 --step-dt 0.16666666666666666 -q -o "$out/template-real.h5"
"$dgsim" train --data "$out/real.h5" --model node --iterations 2 --hidden 16 --step-dt 0.16666666666666666 -q -o "$out/template-real-node.h5"
# model:dtype, or model:mixed for float32 arithmetic on float64 parameters and Adam with tanh and
# the divided differences in float64 (--master float64 --kernels float64, dgsim's float32).
for case in two-body:float32 two-body:float64 two-body-srnn:float32 real:float32 spring:float32 real-node:float32 real:mixed spring:mixed; do
  model=${case%%:*} dtype=${case##*:}
  data=${model%-node} && data=${data%-srnn}
  opts=(--dtype "$dtype")
  [ "$dtype" = mixed ] && opts=(--dtype float32 --master float64 --kernels float64)
  iters=$([ "$data" = real ] && echo 100 || echo 5)  # enough for the learned friction g to leave 0
  "$py" "$tool" "$out/$data.h5" "$out/template-$model.h5" "$out/$model-$dtype.h5" "${opts[@]}" --iterations "$iters" --every "$iters" > "$out/$model-$dtype.log"
  ours=$(sed -n 's/^# deriv \([^ ]*\) .*/\1/p' "$out/$model-$dtype.log")
  theirs=$("$dgsim" predict --model "$out/$model-$dtype.h5" --data "$out/$data.h5" --integrator rk2 --json -q -o "$out/$model-$dtype-pred.h5" \
           | "$py" -c 'import json, sys; print(json.load(sys.stdin)["metrics"]["deriv"])')
  "$py" - "$case" "$ours" "$theirs" <<'PY'
import math, sys
case, a, b = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ok = math.isfinite(a) and abs(a - b) <= 1e-9 * abs(b)
print(f"{case}: tool Deriv {a:.12e}, dgsim predict Deriv {b:.12e}: {'ok' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
PY
done
# A backward less precise than the divided differences it differentiates is refused, in one line.
if msg=$("$py" "$tool" "$out/spring.h5" "$out/template-spring.h5" "$out/refused.h5" --dtype float64 --divdiff-backward float32 2>&1); then
  echo "--divdiff-backward float32 with float64 divided differences was accepted"; exit 1
fi
[ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] && [[ $msg == *"--divdiff-backward float32"* ]] && [ ! -e "$out/refused.h5" ] \
  || { echo "unexpected refusal: $msg"; exit 1; }
for v in float32 mixed; do
  "$py" -c 'import h5py, sys; g = float(h5py.File(sys.argv[1], "r")["params/friction"][()].ravel()[0]); print(f"learned friction g = {g:.4g}"); sys.exit(0 if g > 0 else 1)' "$out/real-$v.h5"
  "$py" - "$out/spring-$v.log" <<'PY'
import re, sys
m = re.search(r"^# discrete gradient: .* = ([^ ]+) of .* = ([^ ]+)$", open(sys.argv[1]).read(), re.M)
if not m:
    sys.exit("no discrete-gradient check in the DGNet log")
residual, scale = float(m.group(1)), float(m.group(2))
print(f"DGNet discrete gradient residual {residual:.3e} of {scale:.3e}")
sys.exit(0 if scale > 0 and residual <= 1e-10 * scale else 1)
PY
done
