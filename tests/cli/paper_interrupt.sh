#!/usr/bin/env bash
# paper_interrupt.sh PYTHON SCRIPT DGSIM OUT: SIGINT or SIGTERM sent to tools/reproduce-paper
# alone (kill, a batch system's cancel) stops the whole run: the running training gets the
# signal and writes its checkpoint, no further cell starts, no cell is recorded, and the exit
# code is 75. The training is made long by a wrapper that passes dgsim train 10^8 iterations.
set -eu
py=$1 script=$2 dgsim=$3 out=$4
rm -rf "$out"
mkdir -p "$out"
wrapper=$out/dgsim-long
cat > "$wrapper" <<EOF
#!/usr/bin/env bash
args=()
while [ \$# -gt 0 ]; do
  if [ "\$1" = --iterations ]; then args+=(--iterations 100000000); shift 2; else args+=("\$1"); shift; fi
done
[ "\${args[0]}" = train ] && echo train >> "$out/trainings"
exec "$dgsim" "\${args[@]}"
EOF
chmod +x "$wrapper"
key=real-pendulum--node-rk2--0
for sig in INT TERM; do
  run=$out/$sig
  rm -f "$out/trainings"
  "$py" "$script" --quick --trials 2 --jobs 1 --datasets real-pendulum --rows node-rk2 --out "$run" --dgsim "$wrapper" \
    >/dev/null 2>"$run.log" &
  pid=$!
  for _ in $(seq 600); do [ -s "$out/trainings" ] && break; sleep 0.1; done
  [ -s "$out/trainings" ] || { echo "SIG$sig: the training did not start: $(cat "$run.log")"; exit 1; }
  sleep 2  # into its iterations
  kill -"$sig" "$pid"
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    pkill -9 -f "$run" || true
    echo "SIG$sig: the run still went on 60 s after the signal: $(cat "$run.log")"; exit 1
  fi
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 75 ] || { echo "SIG$sig: exit $rc, expected 75: $(cat "$run.log")"; exit 1; }
  [ -e "$run/models/$key.h5.ckpt" ] || { echo "SIG$sig: no checkpoint of the stopped training"; exit 1; }
  [ ! -e "$run/models/$key.h5" ] || { echo "SIG$sig: a model file for a stopped training"; exit 1; }
  [ "$(wc -l < "$out/trainings")" -eq 1 ] || { echo "SIG$sig: a training started after the signal"; exit 1; }
  [ -z "$(ls "$run/cells")" ] || { echo "SIG$sig: a cell was recorded: $(ls "$run/cells")"; exit 1; }
  grep -q "^\[1/2\] real-pendulum node (rk2) trial 0: interrupted: stopped by a signal (exit 75" "$run.log" \
    || { echo "SIG$sig: no line for the stopped cell: $(cat "$run.log")"; exit 1; }
  grep -q "^interrupted: 1 cell(s) stopped (a training keeps its checkpoint), 1 not started; run the same command again to go on" "$run.log" \
    || { echo "SIG$sig: no closing line: $(cat "$run.log")"; exit 1; }
done
echo "SIGINT and SIGTERM stop the run with exit 75; the training keeps its checkpoint; nothing else starts"
