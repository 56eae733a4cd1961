#pragma once
// Number of threads a matrix product may use. With OpenBLAS (DGSIM_USE_BLAS) this sets
// OpenBLAS's thread count (OpenBLAS itself starts with one per core, or OPENBLAS_NUM_THREADS);
// with Eigen's own GEMM it sets Eigen's (which only threads when built with OpenMP).
// Recommended: one thread per GEMM, set once at start-up (the CLI's --threads). On the shared
// 2-core development machine bench_ad measured two threads slower than one (KdV step 303 ms vs
// 194 ms), and threaded OpenBLAS allocates on the heap in every call.

namespace dgsim::ad {

void set_gemm_threads(int n);
int gemm_threads();

}  // namespace dgsim::ad
