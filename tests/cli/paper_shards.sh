#!/usr/bin/env bash
# paper_shards.sh PYTHON SCRIPT DGSIM OUT: tools/reproduce-paper --shard splits the cells
# between tasks sharing one output folder (each cell runs once, in one shard), and
# --report-only then tabulates all of them without computing anything.
set -eu
py=$1 script=$2 dgsim=$3 out=$4
rm -rf "$out"
common=(--quick --trials 1 --jobs 1 --datasets real-pendulum --rows node-rk2,hnn-rk2,dgnet-dg --out "$out" --dgsim "$dgsim")
"$py" "$script" "${common[@]}" --shard 0/2 >/dev/null 2>"$out.0.log"
"$py" "$script" "${common[@]}" --shard 1/2 >/dev/null 2>"$out.1.log"
n0=$(grep -c '^\[' "$out.0.log") n1=$(grep -c '^\[' "$out.1.log")
[ "$n0" -eq 2 ] && [ "$n1" -eq 1 ] || { echo "shards ran $n0 and $n1 cells, expected 2 and 1"; exit 1; }
[ "$(ls "$out/cells" | wc -l)" -eq 3 ] || { echo "expected 3 finished cells: $(ls "$out/cells")"; exit 1; }
# results.json is the folder's record: the last shard (one cell of its own) writes all three,
# and so does a run that selects one row; RESULTS.md tabulates the selection.
ncells() { "$py" -c "import json, sys; print(len(json.load(open(sys.argv[1]))))" "$out/results.json"; }
[ "$(ncells)" -eq 3 ] || { echo "results.json after the last shard holds $(ncells) cells, expected 3"; exit 1; }
"$py" "$script" "${common[@]/$dgsim//nonexistent}" --rows node-rk2 --report-only >/dev/null 2>"$out.n.log"
grep -q '^1 of 1 cells finished; results.json holds all 3 finished cells of the folder' "$out.n.log" \
  || { echo "report-only of one row: $(cat "$out.n.log")"; exit 1; }
[ "$(ncells)" -eq 3 ] || { echo "a one-row report shrank results.json to $(ncells) cells"; exit 1; }
if grep -qF '| HNN | RK2 | RK2 |' "$out/RESULTS.md"; then echo "a one-row report tabulated other rows"; exit 1; fi
# Nothing left to compute: a report-only run with no dgsim at all tabulates the three cells.
"$py" "$script" "${common[@]/$dgsim//nonexistent}" --report-only >/dev/null 2>"$out.r.log"
grep -q '^3 of 3 cells finished' "$out.r.log" || { echo "report-only: $(cat "$out.r.log")"; exit 1; }
for row in 'NODE | RK2 | RK2' 'HNN | RK2 | RK2' 'DGNet | Eq. 6 | Eq. 6'; do
  grep -F "| $row |" "$out/RESULTS.md" | grep -vq '| – / ' || { echo "row '$row' not filled in RESULTS.md"; exit 1; }
done
# A lost run folder: --restore puts results.json's cells back (no dgsim needed), keeps the
# cells already there, and the report is the same.
cp "$out/RESULTS.md" "$out.RESULTS.md"
mv "$out/results.json" "$out.results.json"
rm "$out/cells/"*real-pendulum--hnn-rk2*.json "$out/cells/"*real-pendulum--node-rk2*.json
"$py" "$script" "${common[@]/$dgsim//nonexistent}" --restore "$out.results.json" 2>"$out.s.log" \
  || { echo "--restore failed: $(cat "$out.s.log")"; exit 1; }
grep -q '^restored 2 of 3 cells' "$out.s.log" || { echo "restore: $(cat "$out.s.log")"; exit 1; }
"$py" "$script" "${common[@]/$dgsim//nonexistent}" --report-only >/dev/null 2>"$out.r.log"
cmp -s "$out/RESULTS.md" "$out.RESULTS.md" || { echo "the report after --restore differs"; diff "$out/RESULTS.md" "$out.RESULTS.md"; exit 1; }
echo '{"not": "a list"}' > "$out.bad.json"
if "$py" "$script" "${common[@]}" --restore "$out.bad.json" 2>"$out.e.log"; then echo "--restore of a bad file accepted"; exit 1; fi
grep -q "expected a list of cells" "$out.e.log" || { echo "bad-restore message: $(cat "$out.e.log")"; exit 1; }
# --shard auto in a 1-based array: task 2 of --array=1-2 is shard 1/2, which has no cell left.
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=2 "$py" "$script" "${common[@]}" --shard auto >/dev/null 2>"$out.a.log" \
  || { echo "--shard auto failed: $(cat "$out.a.log")"; exit 1; }
grep -q '^\[1/1\] real-pendulum hnn' "$out.a.log" || { echo "--shard auto did not take shard 1/2: $(cat "$out.a.log")"; exit 1; }
# A bad shard is a one-line usage error with exit code 2.
if "$py" "$script" "${common[@]}" --shard 2/2 2>"$out.e.log"; then echo "--shard 2/2 accepted"; exit 1; fi
grep -q "need N >= 1 and 0 <= I < N" "$out.e.log" || { echo "bad-shard message: $(cat "$out.e.log")"; exit 1; }
echo ok
