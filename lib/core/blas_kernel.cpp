// The matrix-product kernels behind Eigen. OpenBLAS picks its kernel set at run time from the
// CPU (OPENBLAS_CORETYPE overrides the choice), and the sets round differently, so a training
// of thousands of steps reproduces bit for bit only on the same kernels. train and predict
// record the name beside the git commit.
#include <string>

#include "lib/core/version.hpp"

#ifdef DGSIM_USE_BLAS
extern "C" char* openblas_get_corename(void);
#endif

namespace dgsim {

std::string blas_kernel() {
#ifdef DGSIM_USE_BLAS
  const char* core = openblas_get_corename();
  return std::string("OpenBLAS ") + (core ? core : "unknown");
#else
  return "Eigen";
#endif
}

}  // namespace dgsim
