#include "lib/metrics/conservation.hpp"

#include <cmath>

namespace dgsim::metrics {

LawReport check_law(const std::string& law, LawKind kind, const std::vector<double>& values,
                    const std::vector<double>& scale, long n_traj, long n_time,
                    const std::vector<std::int64_t>& index, double tol) {
  LawReport r;
  r.law = law;
  r.kind = kind;
  r.tol = tol;
  for (long j = 0; j < n_traj; ++j) {
    const double* q = values.data() + j * n_time;
    const double s = scale[static_cast<size_t>(j)] > 0.0 ? scale[static_cast<size_t>(j)] : 1.0;
    for (long k = 1; k < n_time; ++k) {
      const double v = kind == LawKind::conserved ? std::abs(q[k] - q[0]) / s : (q[k] - q[k - 1]) / s;
      if (std::isnan(v)) {  // a NaN anywhere breaks the law
        r.worst = v;
        r.trajectory = static_cast<long>(index[static_cast<size_t>(j)]);
        r.step = k;
        r.ok = false;
        return r;
      }
      if (r.trajectory < 0 || v > r.worst) {
        r.worst = v;
        r.trajectory = static_cast<long>(index[static_cast<size_t>(j)]);
        r.step = k;
      }
    }
  }
  r.ok = r.worst <= tol;
  return r;
}

const char* to_string(LawKind kind) { return kind == LawKind::conserved ? "conserved" : "non-increasing"; }

}  // namespace dgsim::metrics
