#include "lib/ode/initial_step.hpp"

#include <algorithm>
#include <cmath>

namespace dgsim::ode::detail {

double hairer_initial_step(const Rhs& f, double t, const Vec& y, double t_end, const Vec& f0,
                           int order, double dt_max, const Tolerances& tol, Vec& y1, Vec& f1) {
  const double direction = t_end >= t ? 1.0 : -1.0;
  const double h_max = dt_max > 0.0 ? dt_max : std::abs(t_end - t);
  const Eigen::Index n = y.size();

  double dnf = 0.0;
  double dny = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double sk = tol.atol + tol.rtol * std::abs(y[i]);
    dnf += (f0[i] / sk) * (f0[i] / sk);
    dny += (y[i] / sk) * (y[i] / sk);
  }
  double h = (dnf <= 1e-10 || dny <= 1e-10) ? 1e-6 : std::sqrt(dny / dnf) * 0.01;
  h = std::min(h, h_max) * direction;

  for (Eigen::Index i = 0; i < n; ++i) y1[i] = y[i] + h * f0[i];
  f(t + h, y1, f1);

  double der2 = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double sk = tol.atol + tol.rtol * std::abs(y[i]);
    der2 += ((f1[i] - f0[i]) / sk) * ((f1[i] - f0[i]) / sk);
  }
  der2 = std::sqrt(der2) / h;

  const double der12 = std::max(std::abs(der2), std::sqrt(dnf));
  const double h1 = der12 <= 1e-15 ? std::max(1e-6, std::abs(h) * 1e-3)
                                   : std::pow(0.01 / der12, 1.0 / order);
  return std::min({100.0 * std::abs(h), h1, h_max}) * direction;
}

}  // namespace dgsim::ode::detail
