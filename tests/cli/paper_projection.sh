#!/usr/bin/env bash
# paper_projection.sh PYTHON REPRODUCE_PAPER RESULTS_JSON OUT: the report's "To finish N
# trials" line and the one-trial total, from the committed results.json restored into an empty folder (no dgsim).
# Expected: trainings with no finished trial are named, not projected; every other training
# adds (N - k) times the mean cell time (training + predictions) of its k finished trials; one
# trial of every training is the sum of those means, the trainings without a trial named.
set -eu
py=$1 rp=$2 results=$3 out=$4
rm -rf "$out"
"$py" "$rp" --restore "$results" --out "$out" 2>/dev/null
for n in 3 15; do
  "$py" "$rp" --trials $n --report-only --out "$out" >/dev/null 2>&1
  "$py" - "$results" "$out/RESULTS.md" $n <<'PY'
import json, re, sys
from collections import defaultdict
cells, n = json.load(open(sys.argv[1])), int(sys.argv[3])
text = open(sys.argv[2]).read()
times = defaultdict(list)
for c in cells:
    if c["trial"] < n:
        times[(c["dataset"], c["model"], c["train_integrator"])].append(
            c["train_seconds"] + sum(r["predict_seconds"] for r in c["rows"].values()))
hours = sum(sum(t) / len(t) * (n - len(t)) for t in times.values()) / 3600
every = {(d, m, t) for d in ("kdv", "cahn-hilliard", "mass-spring", "pendulum", "two-body", "real-pendulum")
         for m, t in (("node", "rk2"), ("node", "dopri5"), ("hnn", "rk2"), ("hnn", "dopri5"), ("srnn", "leapfrog"), ("dgnet", "dg"))
         if not (d in ("kdv", "cahn-hilliard") and m == "srnn")}  # the paper's 34 trainings
missing = sorted(f"{d} {m} ({t})" for d, m, t in every - set(times))
one = sum(sum(t) / len(t) for t in times.values()) / 3600
m1 = re.search(r"One trial of every training: about ([0-9.]+) h summed", text)
if not m1 or abs(float(m1.group(1)) - one) > 0.051:
    sys.exit(f"{n} trials: expected one trial of every training to take about {one:.1f} h, report says: {m1.group(0) if m1 else 'nothing'}")
for name in missing:
    if name not in text.split("One trial of every training")[1].split("\n")[0]:
        sys.exit(f"{n} trials: '{name}' has no finished trial but is not named in the one-trial total")
m = re.search(rf"To finish {n} trials: about ([0-9.]+) h more", text)
if not missing and all(len(t) >= n for t in times.values()):
    if m:
        sys.exit(f"{n} trials: every cell is finished, yet the report says: {m.group(0)}")
    print(f"{n} trials: all finished")
    sys.exit(0)
if not m or abs(float(m.group(1)) - hours) > 0.051:
    sys.exit(f"{n} trials: expected about {hours:.1f} h to go, report says: {m.group(0) if m else 'nothing'}")
for name in missing:
    if name not in text.split(f"To finish {n} trials")[1]:
        sys.exit(f"{n} trials: '{name}' has no finished trial but is not named")
print(f"{n} trials: {hours:.1f} h to go; not projected: {', '.join(missing) or 'none'}")
PY
done
