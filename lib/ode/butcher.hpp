#pragma once
// Butcher tableaux of the explicit Runge–Kutta methods, as data. The steppers in lib/ode run
// them, and the training code runs the same stages on an autodiff tape, so both sides share
// one set of coefficients.

#include <string>
#include <vector>

#include "lib/core/types.hpp"

namespace dgsim::ode {

// An explicit s-stage Runge–Kutta method for y' = f(t, y):
//   k_i = f(t + c_i dt, y + dt * sum_{j<i} a(i, j) k_j),   y_new = y + dt * sum_i b_i k_i.
// If b_hat is not empty, y + dt * sum_i b_hat_i k_i is the embedded solution of order
// embedded_order and the difference of the two estimates the local error.
// If fsal ("first same as last"), the last row of a equals b and c_s = 1: the last stage is
// f(t + dt, y_new), which is the first stage of the next step.
struct ButcherTableau {
  std::string name;
  int order = 0;           // order of b
  int embedded_order = 0;  // order of b_hat; 0 when there is none
  bool fsal = false;
  Mat a;      // [s, s], strictly lower triangular
  Vec b;      // [s]
  Vec c;      // [s], c_i = sum_j a(i, j)
  Vec b_hat;  // [s] or empty

  int stages() const { return static_cast<int>(b.size()); }
};

// The tableau of a method by name:
//   euler   1 stage, order 1
//   rk2     explicit midpoint, 2 stages, order 2 (the DGNet paper's baseline)
//   rk4     classical Runge–Kutta, 4 stages, order 4
//   dopri5  Dormand–Prince 5(4), 7 stages, FSAL, b_hat of order 4 (Hairer, Nørsett & Wanner,
//           Solving ODEs I, Table II.5.2)
//   dop853  Dormand–Prince order 8, its 12 stages (Hairer's DOP853). b_hat is empty: the
//           error estimator combines a 5th- and a 3rd-order estimate (see dop853.hpp).
// Throws ConfigError listing the known names for an unknown name.
const ButcherTableau& tableau(const std::string& name);

// Names accepted by tableau(), in the order above.
const std::vector<std::string>& tableau_names();

}  // namespace dgsim::ode
