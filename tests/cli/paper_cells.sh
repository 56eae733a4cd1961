#!/usr/bin/env bash
# paper_cells.sh PYTHON REPRODUCE_PAPER DGSIM OUT: two quick mass-spring trials of
# tools/reproduce-paper.
# - Each trial of mass-spring and pendulum scores Energy on its own fresh initial states (drawn
#   from the trial's seed, as the authors' seeded scripts do), so the spread over trials
#   includes the spread over rollout states: the trials record seeds 0 and 1 and start from
#   different states. Two-body trials share one dataset and one set of rollout states, as in
#   the authors' two-body script.
# - A cell's training time is dgsim's own count (summed over resumed segments), the
#   result.seconds of the model file, not the wall time of the last dgsim call.
# - Real pendulum: HNN steps with the authors' 1/6 (train.step_dt) while DGNet, whose loss has
#   no step, is trained as is; --measured-steps keeps HNN's measured steps in cells of its own.
# - The report counts the trainings by the git commit of the dgsim that ran them.
# - A dopri5-trained cell keeps the training's solver statistics (dgsim train --json), and
#   --graph-memory (GiB or a percentage of the usable memory) reaches its dgsim train.
# - --threads reaches dgsim train and is recorded in the cell.
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
"$python" - "$out" <<'PY'
import json, sys
import h5py
for t in (0, 1):
    with open(f"{sys.argv[1]}/cells/mass-spring--node-rk2--{t}.json") as f:
        cell = json.load(f)["train_seconds"]
    with h5py.File(f"{sys.argv[1]}/models/mass-spring--node-rk2--{t}.h5", "r") as f:
        model = float(f["info"].attrs["result.seconds"])
    if abs(cell - model) > 2e-3:
        sys.exit(f"trial {t}: cell train_seconds {cell} differs from the model's result.seconds {model}")
print("training times are dgsim's own")
PY
# The report names the build that trained each cell.
commit=$("$dgsim" --version | sed -n 's/.*(git \([^,]*\),.*/\1/p')
blas=$("$dgsim" --version | sed -n 's/.*, \([^,]*\))$/\1/p')
grep -qx "Trainings by dgsim build (git commit and matrix kernels, from \`dgsim train --json\`): $commit on $blas 2." "$out/RESULTS.md" \
  || { echo "RESULTS.md does not name the build $commit on $blas of its 2 trainings"; exit 1; }
"$python" "$rp" --quick --trials 1 --jobs 2 --datasets real-pendulum --rows hnn-rk2,dgnet-dg --out "$out" --dgsim "$dgsim" 2>/dev/null >/dev/null
"$python" "$rp" --quick --trials 1 --jobs 1 --datasets real-pendulum --rows hnn-rk2 --measured-steps --out "$out" --dgsim "$dgsim" 2>/dev/null >/dev/null
"$python" - "$out" <<'PY'
import os, sys
import h5py
want = {"real-pendulum--hnn-rk2--0": 1 / 6, "real-pendulum--dgnet-dg--0": 0.0, "real-pendulum--hnn-rk2-measured--0": 0.0}
for key, step in want.items():
    if not os.path.exists(f"{sys.argv[1]}/cells/{key}.json"):
        sys.exit(f"cell {key} was not written")
    with h5py.File(f"{sys.argv[1]}/models/{key}.h5", "r") as f:
        got = float(f["info"].attrs["train.step_dt"])
    if abs(got - step) > 1e-15:
        sys.exit(f"{key}: trained with step_dt {got}, expected {step}")
print("real pendulum: the authors' step for HNN, none for DGNet, measured steps as a variant")
PY
# A variant reports beside the paper's protocol, not over it.
grep -q "Training variant: --measured-steps" "$out/RESULTS-measured.md" || { echo "RESULTS-measured.md lacks the variant"; exit 1; }
[ -s "$out/results-measured.json" ] || { echo "results-measured.json not written"; exit 1; }
if grep -q "measured-steps" "$out/RESULTS.md"; then echo "the variant overwrote RESULTS.md"; exit 1; fi
# --dtype float32: cells of their own, trained on float tapes, reported apart.
"$python" "$rp" --quick --trials 1 --jobs 1 --datasets real-pendulum --rows dgnet-dg --dtype float32 --out "$out" --dgsim "$dgsim" 2>/dev/null >/dev/null
"$python" - "$out" <<'PY'
import json, sys
import h5py
key = "real-pendulum--dgnet-dg-float32--0"
with open(f"{sys.argv[1]}/cells/{key}.json") as f:
    dtype = json.load(f)["train"]["dtype"]
with h5py.File(f"{sys.argv[1]}/models/{key}.h5", "r") as f:
    recorded = f["info"].attrs["train.dtype"]
recorded = recorded.decode() if isinstance(recorded, bytes) else recorded
if dtype != "float32" or recorded != "float32":
    sys.exit(f"{key}: trained in {dtype} (cell), {recorded} (model file), expected float32")
print("float32 variant: its own cells, trained on float tapes")
PY
grep -q "Training variant: --dtype float32" "$out/RESULTS-float32.md" || { echo "RESULTS-float32.md lacks the variant"; exit 1; }
"$python" "$rp" --quick --trials 1 --jobs 1 --datasets real-pendulum --rows node-dopri5 --graph-memory 1e-9 --out "$out" --dgsim "$dgsim" 2>/dev/null >/dev/null
"$python" - "$out" <<'PY'
import json, sys
import h5py
key = "real-pendulum--node-dopri5--0"
with open(f"{sys.argv[1]}/cells/{key}.json") as f:
    d5 = (json.load(f).get("train") or {}).get("dopri5")
if not d5 or not d5["steps_per_iteration"] >= 1:
    sys.exit(f"{key}: no dopri5 solver statistics in the cell: {d5}")
with h5py.File(f"{sys.argv[1]}/models/{key}.h5", "r") as f:
    model = float(f["info"].attrs["result.dopri5_steps_per_iteration"])
if abs(model - d5["steps_per_iteration"]) > 1e-5 * model:
    sys.exit(f"{key}: cell reports {d5['steps_per_iteration']} dopri5 steps per iteration, the model file {model}")
if d5.get("chunked_iterations") != 10:  # --graph-memory 1e-9 reaches dgsim train: every iteration in chunks
    sys.exit(f"{key}: {d5.get('chunked_iterations')} of 10 iterations recorded in chunks under --graph-memory 1e-9")
print(f"dopri5 cell: {d5['steps_per_iteration']:.3g} steps, {d5['evaluations_per_iteration']:.3g} evaluations per iteration, in chunks")
PY
# Without --graph-memory, --jobs 2 share dgsim's default bound (half the usable memory): each
# dopri5 training gets at most a quarter of the machine's memory (/proc/meminfo), recorded.
"$python" "$rp" --quick --trials 1 --jobs 2 --datasets real-pendulum --rows node-dopri5 --out "$out-jobs" --dgsim "$dgsim" 2>/dev/null >/dev/null
"$python" - "$out-jobs" <<'PY'
import sys
import h5py
with open("/proc/meminfo") as f:
    total = next(int(l.split()[1]) for l in f if l.startswith("MemTotal:")) / 2**20  # GiB
with h5py.File(f"{sys.argv[1]}/models/real-pendulum--node-dopri5--0.h5", "r") as f:
    bound = float(f["info"].attrs["train.graph_memory_gib"])
if not 0 < bound <= total / 4:
    sys.exit(f"--jobs 2: a dopri5 training's graph bound is {bound} GiB, expected at most a quarter of {total:.3g} GiB")
print(f"--jobs 2: graph bound {bound} GiB per training, of {total:.3g} GiB")
PY
# --graph-memory 30% reaches dgsim train as a percentage of the same usable memory: 30/25 of the
# --jobs 2 run's bound (50% shared by 2 jobs).
"$python" "$rp" --quick --trials 1 --jobs 1 --datasets real-pendulum --rows node-dopri5 --graph-memory 30% --out "$out-pct" --dgsim "$dgsim" 2>/dev/null >/dev/null
"$python" - "$out-jobs" "$out-pct" <<'PY'
import sys
import h5py
def bound(out):
    with h5py.File(f"{out}/models/real-pendulum--node-dopri5--0.h5", "r") as f:
        return float(f["info"].attrs["train.graph_memory_gib"])
quarter, pct = bound(sys.argv[1]), bound(sys.argv[2])
if abs(pct / quarter - 1.2) > 1e-9:
    sys.exit(f"--graph-memory 30%: bound {pct} GiB, expected 30/25 of the --jobs 2 bound {quarter} GiB")
print(f"--graph-memory 30%: bound {pct} GiB")
PY
rm -rf "$out-jobs" "$out-pct"
# --threads reaches dgsim train: the cell and the model file record the worker count.
"$python" "$rp" --quick --trials 1 --jobs 1 --threads 2 --datasets real-pendulum --rows node-rk2 --out "$out" --dgsim "$dgsim" 2>/dev/null >/dev/null
"$python" - "$out" <<'PY'
import json, sys
import h5py
key = "real-pendulum--node-rk2--0"
with open(f"{sys.argv[1]}/cells/{key}.json") as f:
    cell = (json.load(f).get("train") or {}).get("threads")
with h5py.File(f"{sys.argv[1]}/models/{key}.h5", "r") as f:
    model = int(f["info"].attrs["train.threads"])
if cell != 2 or model != 2:
    sys.exit(f"{key}: --threads 2 gave {cell} threads in the cell, {model} in the model file")
print("--threads: 2 worker threads, recorded")
PY
if err=$("$python" "$rp" --threads 0 --out "$out" --dgsim "$dgsim" 2>&1); then echo "--threads 0 was accepted"; exit 1; fi
grep -q -- "--threads must be a positive integer, got 0" <<<"$err" || { echo "--threads 0: $err"; exit 1; }
"$python" "$rp" --quick --trials 2 --jobs 1 --datasets two-body --rows node-rk2 --out "$out" --dgsim "$dgsim" 2>/dev/null >/dev/null
"$python" - "$out" <<'PY'
import json, sys
import h5py
import numpy as np
cells = [json.load(open(f"{sys.argv[1]}/cells/two-body--node-rk2--{t}.json"))["rows"]["node-rk2"] for t in (0, 1)]
if cells[0]["data"] != cells[1]["data"]:
    sys.exit(f"two-body trials trained on different data: {cells[0]['data']}, {cells[1]['data']}")
states = []
for t in (0, 1):
    with h5py.File(cells[t]["output"], "r") as f:
        if int(f.attrs["seed"]) != 0:
            sys.exit(f"two-body trial {t}: rollouts drawn with seed {int(f.attrs['seed'])}, expected 0")
        states.append(np.asarray(f["prediction/u_true"][:, 0]))
if not np.array_equal(states[0], states[1]):
    sys.exit("two-body trials roll out from different states")
print("two-body: one dataset and one set of rollout states for every trial")
PY
# --status: finished cells are counted, the others listed, a checkpoint's progress read back.
"$python" "$rp" --status --trials 2 --datasets mass-spring --rows node-rk2 --out "$out" --dgsim "$dgsim" | tail -1 \
  | grep -qx "2 done, 0 trained, 0 training, 0 not started (of 2 cells)" || { echo "--status miscounts finished cells"; exit 1; }
"$python" - "$out/models/mass-spring--node-rk2--2.h5.ckpt" <<'PY'
import sys
import h5py
with h5py.File(sys.argv[1], "w") as f:  # the /info attributes --status reads from a checkpoint
    info = f.create_group("info")
    info.attrs["checkpoint.next_iteration"] = 500
    info.attrs["train.iterations"] = 2000
    info.attrs["checkpoint.elapsed"] = 3600.0
PY
touch -d "3 hours ago" "$out/models/mass-spring--node-rk2--2.h5.ckpt"  # an interrupted training's old checkpoint
st=$("$python" "$rp" --status --trials 4 --datasets mass-spring --rows node-rk2 --out "$out" --dgsim "$dgsim")
grep -qx "mass-spring--node-rk2--2: training: iteration 500 of 2000 (25%) at the last checkpoint, 1.00 h so far, about 3.00 h to go at that pace; checkpoint written 3.0 h ago" <<<"$st" \
  || { echo "--status does not read the checkpoint: $st"; exit 1; }
grep -qx "mass-spring--node-rk2--3: not started" <<<"$st" || { echo "--status does not list a cell not started: $st"; exit 1; }
rm -f "$out/models/mass-spring--node-rk2--2.h5.ckpt"
"$python" - "$out/models/mass-spring--node-dopri5--0.h5.ckpt" <<'PY'
import sys
import h5py
with h5py.File(sys.argv[1], "w") as f:  # a dopri5 training's checkpoint also counts its steps
    info = f.create_group("info")
    info.attrs["checkpoint.next_iteration"] = 1000
    info.attrs["train.iterations"] = 2000
    info.attrs["checkpoint.elapsed"] = 1800.0
    for k, v in (("iterations", 800), ("steps", 2600), ("max_steps", 7), ("rejected", 3)):
        info.attrs["checkpoint.dopri5_" + k] = v  # 800: resumed from a checkpoint without the counters
PY
st=$("$python" "$rp" --status --trials 1 --datasets mass-spring --rows node-dopri5 --out "$out" --dgsim "$dgsim")
grep -qx "mass-spring--node-dopri5--0: training: iteration 1000 of 2000 (50%) at the last checkpoint, 0.50 h so far, about 0.50 h to go at that pace; dopri5 3.25 steps per iteration on average, at most 7, 3 rejected; checkpoint written 0 min ago" <<<"$st" \
  || { echo "--status does not read a dopri5 checkpoint's steps: $st"; exit 1; }
rm -f "$out/models/mass-spring--node-dopri5--0.h5.ckpt"
echo "--status: ok"
# precision_study.py (with torch): a cell's model retrained in PyTorch is scored by the cell's own
# predict command, so on the same true rollouts; the table lists both groups.
if "$python" -c 'import torch' 2>/dev/null; then
  study="$(dirname "$rp")/paper-results/precision_study.py"
  "$python" "$study" --out "$out" --cell real-pendulum--hnn-rk2 --row hnn-rk2 --seeds 0 --iterations 5 --dgsim "$dgsim" \
    > "$out/study.txt" 2>/dev/null || { echo "precision_study.py failed"; exit 1; }
  grep -q "^| dgsim, float64 | 1 (0-0) |" "$out/study.txt" && grep -q "^| PyTorch, float32 | 1 (0-0) |" "$out/study.txt" \
    || { echo "precision_study.py table lacks a group: $(cat "$out/study.txt")"; exit 1; }
  grep -Eq "^Diff, float64 runs above float32: U = [01] of 1; one-sided permutation p = " "$out/study.txt" \
    && grep -Eq "^Energy, float64 runs above float32: U = [01] of 1;" "$out/study.txt" \
    || { echo "precision_study.py lacks a permutation test per metric: $(cat "$out/study.txt")"; exit 1; }
  "$python" - "$out" <<'PY'
import sys
import h5py
import numpy as np
out = sys.argv[1]
with h5py.File(f"{out}/predictions/real-pendulum--hnn-rk2--0--rk2.h5", "r") as a, \
     h5py.File(f"{out}/precision/real-pendulum--hnn-rk2--0-float32-pred.h5", "r") as b:
    if not np.array_equal(a["prediction/u_true"][()], b["prediction/u_true"][()]):
        sys.exit("precision_study.py scored on other rollouts than the cell")
    if a["t0_fields/u"].shape != b["t0_fields/u"].shape:
        sys.exit("precision_study.py rollouts have another shape")
print("precision_study: same rollouts as the cell")
PY
fi
