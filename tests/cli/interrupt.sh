#!/usr/bin/env bash
# interrupt.sh DGSIM OUT: SIGINT during a long generate must give exit 75 and no OUT.
set -u
dgsim=$1 out=$2
rm -f "$out"
"$dgsim" generate two-body --n-traj 200000 --n-steps 1 --t-end 200 --threads 1 -q -o "$out" &
pid=$!
sleep 0.5
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -ne 75 ]; then echo "expected exit 75, got $rc"; exit 1; fi
if [ -e "$out" ]; then echo "$out exists after an interrupted run"; exit 1; fi
if ls "$out".tmp-* >/dev/null 2>&1; then echo "temporary file left behind"; exit 1; fi
echo "ok"
