#pragma once
// Number of threads a matrix product may use. With OpenBLAS (DGSIM_USE_BLAS) this sets
// OpenBLAS's thread count; with Eigen's own GEMM it sets Eigen's (which only threads when built
// with OpenMP). dgsim's default is one thread per GEMM: the batches are large enough that one
// core is used well, and several trainings or generators can then share a machine.

namespace dgsim::ad {

void set_gemm_threads(int n);
int gemm_threads();
const char* gemm_backend();  // "OpenBLAS" or "Eigen"

}  // namespace dgsim::ad
