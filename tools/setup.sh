#!/usr/bin/env bash
# Install dgsim's build and test dependencies from Debian's packages.
# Idempotent: installs only what is missing. Needs root (or sudo) on Debian 12.
#   tools/setup.sh           build and test dependencies (matplotlib for tools/plot.py and its test)
#   tools/setup.sh --tools   also SciPy, for the SciPy benchmarks
#   tools/setup.sh --torch   also PyTorch, for the independent DGNet check in tools/paper-results
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libeigen3-dev libhdf5-dev zlib1g-dev hdf5-tools libboost-program-options-dev libfmt-dev doctest-dev
  libopenblas-dev
  python3 python3-numpy python3-h5py python3-matplotlib
)

for arg in "$@"; do
  case "$arg" in
    --tools) packages+=(python3-scipy) ;;
    --torch) packages+=(python3-torch) ;;
    *) echo "setup: unknown option '$arg' (accepted: --tools, --torch)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -q
  $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
