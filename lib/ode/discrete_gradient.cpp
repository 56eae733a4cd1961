#include "lib/ode/discrete_gradient.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <fmt/format.h>

#include "lib/core/error.hpp"

namespace dgsim::ode {

namespace detail {

void ShiftedProduct::assemble(const SparseMat& G, const SparseMat& J, double c, SparseMat& A) {
  const Eigen::Index n = J.cols();
  const bool same = J.isCompressed() && A.isCompressed() && A.rows() == n && A.cols() == n &&
                    static_cast<Eigen::Index>(j_outer_.size()) == n + 1 &&
                    static_cast<Eigen::Index>(j_inner_.size()) == J.nonZeros() &&
                    std::equal(j_outer_.begin(), j_outer_.end(), J.outerIndexPtr()) &&
                    std::equal(j_inner_.begin(), j_inner_.end(), J.innerIndexPtr()) &&
                    std::equal(a_outer_.begin(), a_outer_.end(), A.outerIndexPtr());
  if (!same) {
    // Symbolic pass by Eigen (allocates); the identity guarantees a stored diagonal.
    SparseMat eye(n, n);
    eye.setIdentity();
    A = eye - c * (G * J);
    A.makeCompressed();
    if (J.isCompressed()) {
      j_outer_.assign(J.outerIndexPtr(), J.outerIndexPtr() + n + 1);
      j_inner_.assign(J.innerIndexPtr(), J.innerIndexPtr() + J.nonZeros());
    } else {
      j_outer_.clear();  // uncompressed J: rebuilt each time
    }
    a_outer_.assign(A.outerIndexPtr(), A.outerIndexPtr() + n + 1);
    pos_.assign(static_cast<size_t>(n), -1);
    return;
  }
  // Numeric pass: column j of G J is Σ_k G(:, k) J(k, j).
  const int* a_outer = A.outerIndexPtr();
  const int* a_inner = A.innerIndexPtr();
  double* a_val = A.valuePtr();
  for (Eigen::Index j = 0; j < n; ++j) {
    for (int p = a_outer[j]; p < a_outer[j + 1]; ++p) {
      pos_[static_cast<size_t>(a_inner[p])] = p;
      a_val[p] = 0.0;
    }
    a_val[pos_[static_cast<size_t>(j)]] = 1.0;
    for (int q = J.outerIndexPtr()[j]; q < J.outerIndexPtr()[j + 1]; ++q) {
      const int k = J.innerIndexPtr()[q];
      const double cj = c * J.valuePtr()[q];
      for (SparseMat::InnerIterator it(G, k); it; ++it) a_val[pos_[static_cast<size_t>(it.index())]] -= cj * it.value();
    }
  }
}

}  // namespace detail


DiscreteGradientStepper::DiscreteGradientStepper(DiscreteGradientProblem& problem, DiscreteGradientOptions opt)
    : problem_(problem), opt_(opt) {
  const int n = problem_.dim();
  u_old_.resize(n);
  grad_.resize(n);
  v_.resize(n);
  increment_.resize(n);
  for (Vec& d : increments_) d.resize(n);
}

void DiscreteGradientStepper::reset() {
  stats_ = Stats{};
  n_same_dt_ = 0;
  prev_dt_ = 0.0;
  have_jacobian_ = false;
}

void DiscreteGradientStepper::factorise(double dt) {
  shifted_.assemble(problem_.G(), gjac_, dt, iter_matrix_);
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
  make_guess(dt);

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
    shifted_.assemble(G, gjac_, dt, jac);
  };
  const NewtonResult res = newton_.solve(residual, jacobian, v_, {opt_.tol, opt_.max_iter});
  finish_step(res, t, u, dt, step_no);
}

void DiscreteGradientStepper::make_guess(double dt) {
  using Guess = DiscreteGradientOptions::Guess;
  const SparseMat& G = problem_.G();
  const Vec* d = increments_;
  const bool has_prev = n_same_dt_ > 0;
  // Output grids t_k = k Δt give step sizes equal up to rounding; that counts as equal.
  const bool same_dt = std::abs(dt - prev_dt_) <= 1e-10 * std::abs(dt);
  if (opt_.guess == Guess::polynomial && same_dt && n_same_dt_ == 3) {
    v_ = u_old_ + 3.0 * d[0] - 3.0 * d[1] + d[2];
    return;
  }
  if (opt_.guess == Guess::polynomial && same_dt && n_same_dt_ == 2) {
    v_ = u_old_ + 2.0 * d[0] - d[1];
    return;
  }
  if ((opt_.guess == Guess::polynomial || opt_.guess == Guess::previous_increment) && has_prev) {
    v_ = u_old_ + (dt / prev_dt_) * d[0];
    return;
  }
  // Guesses built on the explicit Euler increment. F(u) = -Δt G ∇H(u) is then known for free;
  // on stiff problems (Cahn–Hilliard on fine grids) the explicit guess can be far worse than u
  // itself, and Newton on a cubic from far away needs many iterations, so keep the better one.
  problem_.discrete_gradient(u_old_, u_old_, grad_);  // ∇̄H(u, u) = ∇H(u)
  increment_.noalias() = dt * (G * grad_);            // explicit Euler increment = -F(u)
  const double r_at_u = increment_.lpNorm<Eigen::Infinity>();
  if (opt_.guess == Guess::extrapolated && has_prev)
    v_ = u_old_ + 2.0 * increment_ - (dt / prev_dt_) * d[0];
  else
    v_ = u_old_ + increment_;
  problem_.discrete_gradient(v_, u_old_, grad_);
  r_guess_ = v_ - u_old_;
  r_guess_.noalias() -= dt * (G * grad_);
  stats_.n_rhs += 2;
  if (!(r_guess_.lpNorm<Eigen::Infinity>() <= r_at_u)) v_ = u_old_;
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
