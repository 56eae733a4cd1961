#include "lib/ode/leapfrog.hpp"

#include <fmt/format.h>

#include "lib/core/error.hpp"

namespace dgsim::ode {

void Leapfrog::step(const Rhs& f, double t, Vec& y, double dt) {
  const Eigen::Index n = y.size();
  if (n % 2 != 0) {
    throw ConfigError(fmt::format("leapfrog needs a state of (q, p) halves, got odd dimension {}", n));
  }
  const Eigen::Index m = n / 2;
  if (dydt_.size() != n) {
    dydt_.resize(n);
    p_dot_.resize(m);
    q_kick_.resize(m);
    have_kick_ = false;
  }
  // p' depends on q only, so the last kick stays valid while q is unchanged.
  if (!have_kick_ || y.head(m) != q_kick_) {
    f(t, y, dydt_);
    ++stats_.n_rhs;
    p_dot_ = dydt_.tail(m);
  }
  y.tail(m) += (0.5 * dt) * p_dot_;  // kick
  f(t + 0.5 * dt, y, dydt_);
  y.head(m) += dt * dydt_.head(m);  // drift
  f(t + dt, y, dydt_);
  p_dot_ = dydt_.tail(m);
  y.tail(m) += (0.5 * dt) * p_dot_;  // kick
  q_kick_ = y.head(m);
  have_kick_ = true;
  stats_.n_rhs += 2;
  ++stats_.n_steps;
}

}  // namespace dgsim::ode
