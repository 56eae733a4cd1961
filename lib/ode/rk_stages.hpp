#pragma once
// Internal helpers shared by the Runge–Kutta steppers: sparse rows of a Butcher matrix and
// the stage combination y + dt * sum_j a_j k_j, evaluated element-wise into a preallocated
// vector (each stage vector is read once, no temporaries, no allocation).

#include <cmath>
#include <limits>

#include "lib/core/types.hpp"

namespace dgsim::ode::detail {

constexpr int max_stages = 16;

// The nonzero coefficients of one row: sum_m coef[m] * k[stage[m]].
struct StageRow {
  int count = 0;
  int stage[max_stages] = {};
  double coef[max_stages] = {};

  void add(int j, double a) {
    if (a != 0.0) {
      stage[count] = j;
      coef[count] = a;
      ++count;
    }
  }
};

// out = y + dt * sum_m row.coef[m] * k[row.stage[m]], with the sum taken in stage order.
// k: stage vectors (pointers, so buffers can be swapped), each sized like y.
inline void combine(const Vec& y, double dt, const StageRow& row, const Vec* const* k, Vec& out) {
  const double* kp[max_stages];
  for (int m = 0; m < row.count; ++m) kp[m] = k[row.stage[m]]->data();
  const double* yp = y.data();
  double* op = out.data();
  const Eigen::Index n = y.size();
  for (Eigen::Index i = 0; i < n; ++i) {
    double s = 0.0;
    for (int m = 0; m < row.count; ++m) s += row.coef[m] * kp[m][i];
    op[i] = yp[i] + dt * s;
  }
}

// Hairer's test for a step too small to change t: 0.1 |dt| <= |t| * uround.
inline bool step_underflow(double t, double dt) {
  constexpr double uround = 2.3e-16;
  return 0.1 * std::abs(dt) <= std::abs(t) * uround || std::abs(dt) < std::numeric_limits<double>::min();
}

}  // namespace dgsim::ode::detail
