#pragma once
// Version of dgsim and the git commit it was built from (generated at build time).

#include <string>

namespace dgsim {

const char* version();     // e.g. "0.1.0"
const char* git_commit();  // short sha, "-dirty" when the tree had changes, or "unknown"
// The kernels of Eigen's matrix products: "OpenBLAS <core>" (the kernel set OpenBLAS chose for
// this CPU, e.g. "OpenBLAS Haswell") or "Eigen". Results of long trainings depend on it.
std::string blas_kernel();

}  // namespace dgsim
