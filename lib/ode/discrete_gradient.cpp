#include "lib/ode/discrete_gradient.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "lib/core/error.hpp"

namespace dgsim::ode {

DiscreteGradientStepper::DiscreteGradientStepper(DiscreteGradientProblem& problem, DiscreteGradientOptions opt)
    : problem_(problem), opt_(opt) {
  const int n = problem_.dim();
  identity_.resize(n, n);
  identity_.setIdentity();
  u_old_.resize(n);
  grad_.resize(n);
  v_.resize(n);
  prev_increment_.resize(n);
}

void DiscreteGradientStepper::reset() {
  stats_ = Stats{};
  has_prev_ = false;
  prev_dt_ = 0.0;
}

void DiscreteGradientStepper::step(double t, Vec& u, double dt) {
  const long step_no = stats_.n_steps;
  if (!u.allFinite()) throw NumericalError("non-finite state before a discrete-gradient step", t, dt, step_no);
  u_old_ = u;
  const SparseMat& G = problem_.G();

  if (opt_.guess == DiscreteGradientOptions::Guess::previous_increment && has_prev_) {
    v_ = u_old_ + (dt / prev_dt_) * prev_increment_;
  } else {
    problem_.discrete_gradient(u_old_, u_old_, grad_);  // ∇̄H(u, u) = ∇H(u)
    ++stats_.n_rhs;
    v_ = u_old_ + dt * (G * grad_);
  }

  // F(v) = v - u - Δt G ∇̄H(v, u);  ∂F/∂v = I - Δt G ∂∇̄H/∂v.
  const auto residual = [&](const Vec& v, Vec& r) {
    problem_.discrete_gradient(v, u_old_, grad_);
    r = v - u_old_;
    r.noalias() -= dt * (G * grad_);
  };
  const auto jacobian = [&](const Vec& v, SparseMat& jac) {
    problem_.discrete_gradient_jacobian(v, u_old_, gjac_);
    jac = identity_ - dt * (G * gjac_);
  };
  const NewtonResult res = newton_.solve(residual, jacobian, v_, {opt_.tol, opt_.max_iter});
  stats_.n_newton += res.iterations;
  stats_.n_rhs += res.evaluations;
  if (!res.converged())
    throw NumericalError(fmt::format("discrete-gradient Newton solve failed: {} after {} iterations "
                                     "(residual {:.3g}, last correction {:.3g}, tolerance {:.3g})",
                                     to_string(res.status), res.iterations, res.residual, res.step, opt_.tol),
                         t, dt, step_no);
  stats_.max_residual = std::max(stats_.max_residual, res.residual);
  prev_increment_ = v_ - u_old_;
  prev_dt_ = dt;
  has_prev_ = true;
  u = v_;
  ++stats_.n_steps;
}

Mat integrate_dg_times(DiscreteGradientStepper& stepper, const Vec& u0, const std::vector<double>& times,
                       long substeps) {
  if (times.empty()) throw ConfigError("integrate_dg_times: no output times");
  if (substeps < 1) throw ConfigError(fmt::format("substeps must be at least 1, got {}", substeps));
  for (size_t i = 1; i < times.size(); ++i)
    if (!(times[i] > times[i - 1]))
      throw ConfigError(fmt::format("output times must be strictly increasing (times[{}] = {} after {})", i,
                                    times[i], times[i - 1]));
  stepper.reset();
  Mat out(static_cast<Eigen::Index>(times.size()), u0.size());
  Vec u = u0;
  out.row(0) = u.transpose();
  for (size_t i = 1; i < times.size(); ++i) {
    const double t0 = times[i - 1];
    const double dt = (times[i] - t0) / static_cast<double>(substeps);
    for (long s = 0; s < substeps; ++s) stepper.step(t0 + static_cast<double>(s) * dt, u, dt);
    out.row(static_cast<Eigen::Index>(i)) = u.transpose();
  }
  return out;
}

}  // namespace dgsim::ode
