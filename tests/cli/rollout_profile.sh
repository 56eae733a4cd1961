#!/usr/bin/env bash
# rollout_profile.sh PYTHON TOOL DGSIM OUT: tools/rollout_profile.py on
#  - a synthetic prediction file whose error is e0 * g^n exactly (g = 3, the growth of an
#    unstable mode): the tool must print growth 3 and mean square error e0² 9^n;
#  - a real `dgsim predict` file (Cahn-Hilliard, the predict fixture's untrained DGNet, RK2):
#    its mean square error over steps >= 1 must equal dgsim's own Mass metric;
#  - --align on a synthetic periodic field whose prediction runs 0.1 site per step ahead of
#    the truth (the same band-limited profile, moved by trigonometric interpolation): the
#    error left after alignment must vanish and the shift must read 0.1 n;
#  - a file that is not a prediction, and --align without a periodic field: refused in one line.
set -eu
python=$1 tool=$2 dgsim=$3 out=$4
"$python" - "$out/synthetic.h5" <<'PY'
import sys, h5py, numpy as np
n = np.arange(6)
true = np.zeros((2, 6, 4)); true[:, :, 0] = 1.0
pred = true + 1e-3 * 3.0 ** n[None, :, None]
with h5py.File(sys.argv[1], "w") as f:
    f["t0_fields/u"] = pred
    f["prediction/u_true"] = true
PY
"$python" "$tool" "$out/synthetic.h5" --steps 0-5 | tee "$out/synthetic.md"
"$python" - "$out/synthetic.md" <<'PY'
import re, sys
rows = re.findall(r"^\| (\d+) \| \S+ \| \S+ \| \S+ \| (\S+) \| (\S*) \|$", open(sys.argv[1]).read(), re.M)
assert [int(r[0]) for r in rows] == list(range(6)), rows
for n, mse, g in rows[1:]:
    assert abs(float(mse) / (1e-6 * 9.0 ** int(n)) - 1) < 1e-3, (n, mse)
    if int(n) >= 2:
        assert abs(float(g) - 3.0) < 1e-3, (n, g)
print("synthetic: growth 3 and mean square error 1e-6 * 9^n: ok")
PY
"$python" - "$out/drift.h5" <<'PY'
import sys, h5py, numpy as np
n_sites, x, n = 32, np.arange(32), np.arange(41)
def profile(shift):  # exp(2 cos) moved by `shift` sites; its modes above 16 are below 1e-16
    return np.exp(2.0 * np.cos(2.0 * np.pi * (x[None, :] - shift[:, None]) / n_sites))
true = np.stack([profile(0.3 * n), profile(5.0 - 0.2 * n)])
pred = np.stack([profile(0.4 * n), profile(5.0 - 0.1 * n)])  # 0.1 n sites ahead in +x
with h5py.File(sys.argv[1], "w") as f:
    f["t0_fields/u"] = pred
    f["prediction/u_true"] = true
    f.create_group("boundary_conditions/x_periodic")
PY
"$python" "$tool" "$out/drift.h5" --align --steps 0,1,10,40 | tee "$out/drift.md"
"$python" - "$out/drift.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
mse, aligned = re.search(r"over steps >= 1: (\S+)\nafter each state's best periodic shift: (\S+)", text).groups()
assert float(mse) > 0.1 and float(aligned) < 1e-20, (mse, aligned)
rows = re.findall(r"^\| (\d+) \|.* (\S+) \| (\S+) \|$", text, re.M)
assert [int(r[0]) for r in rows] == [0, 1, 10, 40], rows
for n, err, shift in rows:
    assert float(err) < 1e-20 and abs(float(shift) - 0.1 * int(n)) < 1e-9, (n, err, shift)
print("drift: aligned error below 1e-20, shift 0.1 n: ok")
PY
"$dgsim" predict --model "$out/m_ch.h5" --data "$out/p_ch.h5" --integrator rk2 -q --json -o "$out/rp_ch.h5" > "$out/rp_ch.json"
"$python" "$tool" "$out/rp_ch.h5" | tee "$out/rp_ch.md"
"$python" - "$out/rp_ch.md" "$out/rp_ch.json" <<'PY'
import json, re, sys
mine = float(re.search(r"mean square error over steps >= 1: (\S+)", open(sys.argv[1]).read()).group(1))
mass = json.load(open(sys.argv[2]))["metrics"]["mass"]
print(f"rollout_profile {mine:.6g}, dgsim predict Mass {mass:.6g}")
assert abs(mine - mass) <= 1e-5 * abs(mass), (mine, mass)
PY
if msg=$("$python" "$tool" "$out/p_ch.h5" 2>&1); then echo "a dataset was accepted as a prediction"; exit 1; fi
[ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] && [[ $msg == *"not a dgsim predict file"* ]] || { echo "unexpected refusal: $msg"; exit 1; }
if msg=$("$python" "$tool" "$out/synthetic.h5" --steps 5-2 2>&1); then echo "--steps 5-2 was accepted"; exit 1; fi
[ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] && [[ $msg == *"--steps '5-2'"* ]] || { echo "unexpected refusal: $msg"; exit 1; }
if msg=$("$python" "$tool" "$out/synthetic.h5" --align 2>&1); then echo "--align without a periodic field was accepted"; exit 1; fi
[ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] && [[ $msg == *"--align needs a periodic 1-D field"* ]] || { echo "unexpected refusal: $msg"; exit 1; }
echo "rollout profile: ok"
