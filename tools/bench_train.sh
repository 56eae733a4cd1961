#!/usr/bin/env bash
# bench_train.sh BUILD_DIR [THREADS]: the training benchmarks of issue 5 on the paper's data.
# Writes the datasets to a temporary folder, runs bench_train (seconds per iteration against
# the authors' reference figures), then times the real-pendulum DGNet training end to end.
set -eu
build=${1:-build} threads=${2:-1}
dgsim=$build/apps/dgsim
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$dgsim" generate kdv -q -o "$tmp/kdv.h5"
"$dgsim" generate real-pendulum --input "$here/../../shared/data/real_pendulum/real_pend_h_1.txt" -q -o "$tmp/real.h5"
"$build/tools/bench_train" --kdv "$tmp/kdv.h5" --threads "$threads"
echo "real pendulum, DGNet, 2000 full-batch steps and the implicit test rollout:"
/usr/bin/time -f "  %e s wall, %U s user CPU" "$dgsim" train --data "$tmp/real.h5" --model dgnet --threads "$threads" -q --json -o "$tmp/real-dgnet.h5"
