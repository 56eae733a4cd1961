#include "lib/ode/discrete_gradient.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
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
  for (Vec& d : increments_) d.resize(n);
}

void DiscreteGradientStepper::reset() {
  stats_ = Stats{};
  n_same_dt_ = 0;
  prev_dt_ = 0.0;
  have_jacobian_ = false;
}

void DiscreteGradientStepper::factorise(double dt) {
  iter_matrix_ = identity_ - dt * (problem_.G() * gjac_);
  iter_matrix_.makeCompressed();
  lu_.analyzePattern(iter_matrix_);  // cheap next to a Jacobian; refreshes are rare
  lu_.factorize(iter_matrix_);
  lu_dt_ = dt;
}

void DiscreteGradientStepper::refresh_jacobian(const Vec& v, double dt) {
  problem_.discrete_gradient_jacobian(v, u_old_, gjac_);
  ++stats_.n_jacobians;
  have_jacobian_ = true;
  factorise(dt);
}

NewtonResult DiscreteGradientStepper::solve_simplified(double dt) {
  const SparseMat& G = problem_.G();
  const auto residual = [&](const Vec& v, Vec& r) {
    problem_.discrete_gradient(v, u_old_, grad_);
    r = v - u_old_;
    r.noalias() -= dt * (G * grad_);
  };
  NewtonResult res;
  r_.resize(v_.size());
  residual(v_, r_);
  res.evaluations = 1;
  res.residual = r_.lpNorm<Eigen::Infinity>();
  if (!v_.allFinite() || !std::isfinite(res.residual)) {
    res.status = NewtonStatus::non_finite;
    return res;
  }
  if (!have_jacobian_) refresh_jacobian(v_, dt);
  else if (dt != lu_dt_) factorise(dt);
  for (int it = 1; it <= opt_.max_iter; ++it) {
    if (lu_.info() != Eigen::Success) {
      res.status = NewtonStatus::singular;
      return res;
    }
    dx_ = lu_.solve(r_);
    v_ -= dx_;
    res.iterations = it;
    const double previous = res.residual;
    residual(v_, r_);
    ++res.evaluations;
    res.step = dx_.lpNorm<Eigen::Infinity>();
    res.residual = r_.lpNorm<Eigen::Infinity>();
    if (!v_.allFinite() || !std::isfinite(res.residual)) {
      res.status = NewtonStatus::non_finite;
      return res;
    }
    const double theta = previous > 0.0 ? res.residual / previous : 0.0;
    const double scale = opt_.tol * (1.0 + v_.lpNorm<Eigen::Infinity>());
    // (A correction already below the tolerance needs no rate: near round-off θ is noise.)
    if (res.residual <= scale && (res.step <= scale || (theta < 1.0 && theta / (1.0 - theta) * res.step <= scale))) {
      res.status = NewtonStatus::converged;
      return res;
    }
    if (theta > opt_.reuse_rate) refresh_jacobian(v_, dt);  // slow or diverging: a fresh J here
  }
  res.status = NewtonStatus::max_iterations;
  return res;
}

void DiscreteGradientStepper::step(double t, Vec& u, double dt) {
  const long step_no = stats_.n_steps;
  if (!u.allFinite()) throw NumericalError("non-finite state before a discrete-gradient step", t, dt, step_no);
  u_old_ = u;
  const SparseMat& G = problem_.G();

  using Guess = DiscreteGradientOptions::Guess;
  const Vec* d = increments_;
  // Output grids t_k = k Δt give step sizes equal up to rounding; that counts as equal.
  const bool same_dt = std::abs(dt - prev_dt_) <= 1e-10 * std::abs(dt);
  if (opt_.guess == Guess::extrapolation && same_dt && n_same_dt_ == 3) {
    v_ = u_old_ + 3.0 * d[0] - 3.0 * d[1] + d[2];
  } else if (opt_.guess == Guess::extrapolation && same_dt && n_same_dt_ == 2) {
    v_ = u_old_ + 2.0 * d[0] - d[1];
  } else if (opt_.guess != Guess::explicit_euler && n_same_dt_ > 0) {
    v_ = u_old_ + (dt / prev_dt_) * d[0];
  } else {
    problem_.discrete_gradient(u_old_, u_old_, grad_);  // ∇̄H(u, u) = ∇H(u)
    ++stats_.n_rhs;
    v_ = u_old_ + dt * (G * grad_);
  }

  if (opt_.reuse_jacobian) {
    const Vec guess = v_;
    NewtonResult res = solve_simplified(dt);
    if (!res.converged() && have_jacobian_) {  // perhaps a stale J: once more with a fresh one
      stats_.n_newton += res.iterations;
      stats_.n_rhs += res.evaluations;
      v_ = guess;
      have_jacobian_ = false;
      res = solve_simplified(dt);
    }
    finish_step(res, t, u, dt, step_no);
    return;
  }

  // F(v) = v - u - Δt G ∇̄H(v, u);  ∂F/∂v = I - Δt G ∂∇̄H/∂v.
  const auto residual = [&](const Vec& v, Vec& r) {
    problem_.discrete_gradient(v, u_old_, grad_);
    r = v - u_old_;
    r.noalias() -= dt * (G * grad_);
  };
  const auto jacobian = [&](const Vec& v, SparseMat& jac) {
    problem_.discrete_gradient_jacobian(v, u_old_, gjac_);
    ++stats_.n_jacobians;
    jac = identity_ - dt * (G * gjac_);
  };
  const NewtonResult res = newton_.solve(residual, jacobian, v_, {opt_.tol, opt_.max_iter});
  finish_step(res, t, u, dt, step_no);
}

void DiscreteGradientStepper::finish_step(const NewtonResult& res, double t, Vec& u, double dt, long step_no) {
  stats_.n_newton += res.iterations;
  stats_.n_rhs += res.evaluations;
  if (!res.converged())
    throw NumericalError(fmt::format("discrete-gradient Newton solve failed: {} after {} iterations "
                                     "(residual {:.3g}, last correction {:.3g}, tolerance {:.3g})",
                                     to_string(res.status), res.iterations, res.residual, res.step, opt_.tol),
                         t, dt, step_no);
  stats_.max_residual = std::max(stats_.max_residual, res.residual);
  std::swap(increments_[2], increments_[1]);
  std::swap(increments_[1], increments_[0]);
  increments_[0] = v_ - u_old_;
  n_same_dt_ = std::abs(dt - prev_dt_) <= 1e-10 * std::abs(dt) ? std::min(n_same_dt_ + 1, 3) : 1;
  prev_dt_ = dt;
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
