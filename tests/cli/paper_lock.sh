#!/usr/bin/env bash
# paper_lock.sh PYTHON SCRIPT DGSIM OUT: runs of tools/reproduce-paper sharing one output folder
# never compute the same cell at once. While another process holds a cell's lock, a run skips
# the cell (exit 0, a line naming the holder, no model and no cell file written) and --status
# says the cell is running now; a lock file left by another host is named as its last claim;
# once the holder is killed (SIGKILL: the lock goes with the
# process), the next run computes the cell.
set -eu
py=$1 script=$2 dgsim=$3 out=$4
rm -rf "$out"
mkdir -p "$out/locks"
common=(--quick --trials 1 --jobs 1 --datasets real-pendulum --rows node-rk2 --out "$out" --dgsim "$dgsim")
key=real-pendulum--node-rk2--0
"$py" -c '
import fcntl, os, socket, sys, time
f = open(sys.argv[1], "a+")
fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
f.write(f"{socket.gethostname()} {os.getpid()}\n")
f.flush()
open(sys.argv[2], "w").close()
time.sleep(600)' "$out/locks/$key.lock" "$out/held" &
holder=$!
trap 'kill -9 $holder 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ -e "$out/held" ] && break; sleep 0.1; done
[ -e "$out/held" ] || { echo "the lock holder did not start"; exit 1; }
host=$("$py" -c 'import socket; print(socket.gethostname())')

"$py" "$script" "${common[@]}" >/dev/null 2>"$out.busy.log" || { echo "a run with a busy cell failed: $(cat "$out.busy.log")"; exit 1; }
grep -qF "[1/1] real-pendulum node (rk2) trial 0: skipped, being computed by pid $holder on $host (" "$out.busy.log" \
  || { echo "no skip line naming pid $holder on $host: $(cat "$out.busy.log")"; exit 1; }
grep -q "^1 cell(s) left to the runs computing them" "$out.busy.log" || { echo "no count of skipped cells: $(cat "$out.busy.log")"; exit 1; }
[ ! -e "$out/cells/$key.json" ] && [ ! -e "$out/models/$key.h5" ] && [ ! -e "$out/models/$key.h5.ckpt" ] \
  || { echo "the busy cell was computed anyway"; exit 1; }
"$py" "$script" "${common[@]}" --status >"$out.status"
grep -qx "$key: not started; running now (pid $holder)" "$out.status" || { echo "--status: $(cat "$out.status")"; exit 1; }

kill -9 "$holder"
wait "$holder" 2>/dev/null || true
"$py" "$script" "${common[@]}" >/dev/null 2>"$out.free.log" || { echo "the run after the holder died failed: $(cat "$out.free.log")"; exit 1; }
grep -qF "[1/1] real-pendulum node (rk2) trial 0: ok" "$out.free.log" || { echo "after the holder died: $(cat "$out.free.log")"; exit 1; }
[ -e "$out/cells/$key.json" ] || { echo "the cell was not computed after the holder died"; exit 1; }
"$py" "$script" "${common[@]}" --status >"$out.status"
grep -q "^1 done" "$out.status" || { echo "--status after the run: $(cat "$out.status")"; exit 1; }
# A lock file naming another host (whose liveness cannot be checked here): --status names
# that host's last claim on the cell.
key2=real-pendulum--node-rk2--1
printf 'otherhost.example 4242\n' > "$out/locks/$key2.lock"
"$py" "$script" "${common[@]}" --trials 2 --status >"$out.status2"
grep -qx "$key2: not started; last claimed by pid 4242 on otherhost.example (another host: whether it still runs is not known here)" "$out.status2" \
  || { echo "--status with another host's lock: $(cat "$out.status2")"; exit 1; }
echo "cell locks: a busy cell is skipped and shown running; a dead holder's lock is free"
