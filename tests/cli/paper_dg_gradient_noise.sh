#!/bin/bash
# tools/paper-results/dg_gradient_noise.py: DGNet's Eq. 11 gradient five ways. Checks that its
# cancellation-free float64 reference agrees with a central difference of the loss (1e-6 relative), that float32
# products with tanh and the divided differences in float64 stay at single precision's level
# (error < 1e-4), and that the float32 error of autograd's divided-difference derivative is
# what the float64 backward removes (the plain float32 error is over 10 times larger).
# Exit 77 (skip) without torch.
# usage: paper_dg_gradient_noise.sh PYTHON DGSIM TOOL OUTDIR
set -euo pipefail
py=$1 dgsim=$2 tool=$3 out=$4
"$py" -c 'import torch' 2>/dev/null || exit 77
rm -rf "$out" && mkdir -p "$out"
"$dgsim" generate mass-spring --n-traj 6 -q -o "$out/spring.h5"
"$dgsim" train --data "$out/spring.h5" --model dgnet --iterations 300 --hidden 32 -q -o "$out/dgnet.h5"
"$py" "$tool" "$out/spring.h5" "$out/dgnet.h5" | tee "$out/log"
"$py" - "$out/log" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"random direction (\S+), central difference of the loss (\S+)", text)
slope, fd = float(m.group(1)), float(m.group(2))
err = {label: float(value) for label, value in re.findall(r"^(float32[^\n]*?)\s{2,}(\S+) ", text, re.M)}
plain, backward, kernels = err["float32"], err["float32, divdiff backward float64"], err["float32, kernels float64"]
checks = [(abs(slope - fd) <= 1e-6 * abs(fd), f"reference slope {slope:.8e} against central difference {fd:.8e}"),
          (kernels < 1e-4, f"kernels float64 error {kernels:.3e} < 1e-4"),
          (plain > 10 * backward, f"float32 error {plain:.3e} > 10 x divdiff-backward float64 error {backward:.3e}")]
for ok, what in checks:
    print(("ok: " if ok else "FAILED: ") + what)
sys.exit(0 if all(ok for ok, _ in checks) else 1)
PY
