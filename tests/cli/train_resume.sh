#!/usr/bin/env bash
# train_resume.sh DGSIM PYTHON DIR: a training killed with SIGKILL after a checkpoint, then
# resumed with --resume, ends with weights (and log) bit-identical to an uninterrupted run; a
# SIGINT writes a checkpoint and exits 75, and resuming from it gives the same weights again;
# so does a run whose only checkpoint came from --checkpoint-seconds, and a dopri5 run's solver
# statistics come out the same as uninterrupted, with its batches recorded whole or in chunks.
# The learning rate decays (cosine), so a resumed run must also pick up the schedule. A resumed
# run reports the whole training's time and rate.
set -u
dgsim=$1 py=$2 dir=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
cd "$dir" || exit 1
rm -f full.h5 int.h5 int.h5.ckpt
"$dgsim" generate mass-spring --n-traj 6 -q -o data.h5 || exit 1
args=(train --data data.h5 --model dgnet --iterations 1000 --hidden 64 --batch 100 --eval-every 50 --checkpoint-every 25 --seed 5 --threads 1 --lr-decay cosine -q)
"$dgsim" "${args[@]}" -o full.h5 || { echo "uninterrupted run failed"; exit 1; }

wait_for() {  # waits up to 60 s for file $1 while process $2 runs
  for _ in $(seq 1 6000); do
    [ -e "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

kill_and_resume() {  # OUT ARGS...: train to OUT, SIGKILL as soon as the first checkpoint appears (it
  local out=$1      # is written atomically; no model file, the checkpoint stays), then resume to
                    # the end; the checkpoint is gone after. Each run lasts many times the first
                    # checkpoint's time, so the kill lands mid-run on fast machines too.
  shift
  rm -f "$out" "$out.ckpt"
  "$dgsim" "$@" -o "$out" &
  local pid=$!
  wait_for "$out.ckpt" "$pid" || { echo "$out: no checkpoint appeared"; return 1; }
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
  if [ -e "$out" ]; then echo "$out: the run finished before it was killed: make it longer"; return 1; fi
  "$dgsim" "$@" -o "$out" --resume || { echo "$out: resume failed"; return 1; }
  if [ -e "$out.ckpt" ]; then echo "$out: checkpoint left after a finished run"; return 1; fi
}

kill_and_resume killed.h5 "${args[@]}" || exit 1
"$py" "$here/compare_models.py" full.h5 killed.h5 --log || exit 1
# The rate a resumed run reports is the whole training's: its iterations over the seconds of
# all its segments, which is the time it reports (not the last segment's rate).
"$py" - killed.h5 1000 <<'PY' || exit 1
import sys, h5py
a = h5py.File(sys.argv[1], "r")["info"].attrs
rate, secs, n = float(a["result.iterations_per_second"]), float(a["result.seconds"]), int(sys.argv[2])
if not (secs > 0 and abs(rate * secs - n) <= 1e-9 * n):
    sys.exit(f"{sys.argv[1]}: {rate} iterations per second over {secs} s is not {n} iterations")
PY

# SIGINT: checkpoint and exit 75; then resume.
"$dgsim" "${args[@]}" -o int.h5 &
pid=$!
wait_for int.h5.ckpt "$pid" || { echo "no checkpoint appeared"; exit 1; }
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -ne 75 ]; then echo "expected exit 75 after SIGINT, got $rc"; exit 1; fi
[ -e int.h5 ] && { echo "model file written by an interrupted run"; exit 1; }
[ -e int.h5.ckpt ] || { echo "no checkpoint after SIGINT"; exit 1; }
# Resuming with other settings is refused (exit 2) and leaves the checkpoint alone.
"$here/expect.sh" 2 "checkpoint int.h5.ckpt was written with train.lr 0.001, this run has 0.002" -- \
  "$dgsim" "${args[@]}" -o int.h5 --resume --lr 0.002 || exit 1
"$here/expect.sh" 2 "checkpoint int.h5.ckpt was written with a learning-rate decay over 1000 steps, this run has 0" -- \
  "$dgsim" "${args[@]/cosine/none}" -o int.h5 --resume || exit 1
"$here/expect.sh" 2 "checkpoint int.h5.ckpt was written with train.float32 0, this run has 1" -- \
  "$dgsim" "${args[@]}" -o int.h5 --resume --dtype float32 || exit 1
"$dgsim" "${args[@]}" -o int.h5 --resume || { echo "resume after SIGINT failed"; exit 1; }
"$py" "$here/compare_models.py" full.h5 int.h5 --log || exit 1

# A checkpoint by wall time alone (--checkpoint-every beyond the run), then SIGKILL and resume.
timed=(train --data data.h5 --model dgnet --iterations 1000 --hidden 64 --batch 100 --eval-every 50 --checkpoint-every 100000
       --checkpoint-seconds 0.03 --seed 5 --threads 1 --lr-decay cosine -q)
kill_and_resume timed.h5 "${timed[@]}" || exit 1
"$py" "$here/compare_models.py" full.h5 timed.h5 --log || exit 1

# dopri5 training: the solver statistics, kept in the checkpoint, count every iteration once.
rm -f d5full.h5
d5=(train --data data.h5 --model hnn --integrator dopri5 --iterations 1000 --hidden 16 --batch 100 --eval-every 50
    --checkpoint-every 100000 --checkpoint-seconds 0.03 --seed 5 --threads 1 -q)
"$dgsim" "${d5[@]}" -o d5full.h5 || { echo "uninterrupted dopri5 run failed"; exit 1; }
kill_and_resume d5.h5 "${d5[@]}" || exit 1
"$py" "$here/compare_models.py" d5full.h5 d5.h5 --log || exit 1
# The same under a graph bound that records the batches in chunks: 2 of 50 pairs, but 3 in the
# first iteration, before the graph is measured. The measures are kept in the checkpoint, so a
# resumed run cuts the batches where the uninterrupted one does (without them it would cut its
# first batch in 3 and differ in the last bits).
rm -f d5cfull.h5
"$dgsim" "${d5[@]}" --graph-memory 0.0032 -o d5cfull.h5 || { echo "uninterrupted chunked dopri5 run failed"; exit 1; }
kill_and_resume d5c.h5 "${d5[@]}" --graph-memory 0.0032 || exit 1
"$py" "$here/compare_models.py" d5cfull.h5 d5c.h5 --log || exit 1
"$here/expect.sh" 2 "--checkpoint-seconds must be >= 0 \\(0 = off\\), got -1" -- "$dgsim" "${args[@]}" -o bad.h5 --checkpoint-seconds -1 || exit 1
echo ok
