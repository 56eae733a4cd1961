#include "lib/ad/gemm_threads.hpp"

#include <Eigen/Core>

#ifdef DGSIM_USE_BLAS
extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}
#endif

namespace dgsim::ad {

#ifdef DGSIM_USE_BLAS
void set_gemm_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }
int gemm_threads() { return openblas_get_num_threads(); }
#else
void set_gemm_threads(int n) { Eigen::setNbThreads(n < 1 ? 1 : n); }
int gemm_threads() { return Eigen::nbThreads(); }
#endif

}  // namespace dgsim::ad
