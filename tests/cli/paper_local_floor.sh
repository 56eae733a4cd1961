#!/usr/bin/env bash
# paper_local_floor.sh PYTHON LOCAL_FLOOR DGSIM OUT: local_floor.py fits polynomials of a few
# neighbouring sites to a PDE dataset's du/dt. KdV's du/dt = D(-α/2 u² + β D2 u) is exactly a
# quadratic in five sites, so five sites at degree 2 must fit it to rounding (test MSE below
# 1e-20 of the zero model's), and three sites, which miss u[k-2] and u[k+2], must not (above
# 1e-3 of it). A stencil of even width is refused in one line.
set -eu
python=$1 tool=$2 dgsim=$3 out=$4
rm -rf "$out" && mkdir -p "$out"
"$dgsim" generate kdv --n-traj 6 --n-train 4 --n-steps 20 -q -o "$out/kdv.h5"
check() {  # sites, then the test (python expression in ratio = test MSE / zero model)
  "$python" "$tool" "$out/kdv.h5" --sites "$1" --degrees 2 --stride 1 | tee "$out/floor-$1.md"
  "$python" - "$out/floor-$1.md" "$2" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
zero = float(re.search(r"zero model \(mean square of du/dt, test\) (\S+)", text).group(1))
test = float(re.search(r"^\| 2 \| \d+ \| \S+ \| (\S+) \|$", text, re.M).group(1))
ratio = test / zero
print(f"test MSE / zero model = {ratio:.3g}")
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
check 5 "ratio < 1e-20" || { echo "five sites at degree 2 do not fit KdV's du/dt exactly"; exit 1; }
check 3 "ratio > 1e-3" || { echo "three sites fit KdV's five-site du/dt"; exit 1; }
if msg=$("$python" "$tool" "$out/kdv.h5" --sites 4 2>&1); then echo "--sites 4 was accepted"; exit 1; fi
[ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] && [[ $msg == *"--sites 4"* ]] || { echo "unexpected refusal: $msg"; exit 1; }
echo "local floor: ok"
