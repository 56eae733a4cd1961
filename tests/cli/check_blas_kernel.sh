#!/usr/bin/env bash
# check_blas_kernel.sh DGSIM: `dgsim --version` names the OpenBLAS kernels in use. Forcing
# OPENBLAS_CORETYPE=Nehalem must show Nehalem on an OpenBLAS that chooses its kernels at run
# time (DYNAMIC_ARCH, as Debian's on x86-64); one built for a single CPU ignores the variable
# and must report its own kernels both times.
set -u
kernels() { "$@" --version | sed -n 's/.*, \(OpenBLAS [^)]*\))$/\1/p'; }
own=$(kernels "$1")
forced=$(OPENBLAS_CORETYPE=Nehalem kernels "$1")
[ -n "$own" ] || { echo "dgsim --version names no OpenBLAS kernels: $("$1" --version)"; exit 1; }
if [ "$forced" != "OpenBLAS Nehalem" ] && [ "$forced" != "$own" ]; then
  echo "with OPENBLAS_CORETYPE=Nehalem: '$forced' (own: '$own')"; exit 1
fi
echo "ok: $own; forced: $forced"
