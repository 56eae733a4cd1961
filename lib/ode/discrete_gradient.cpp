#include "lib/ode/discrete_gradient.hpp"

#include <algorithm>
#include <cmath>
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

  // F(v) = v - u - Δt G ∇̄H(v, u);  ∂F/∂v = I - Δt G ∂∇̄H/∂v.
  const auto residual = [&](const Vec& v, Vec& r) {
    problem_.discrete_gradient(v, u_old_, grad_);
    r = v - u_old_;
    r.noalias() -= dt * (G * grad_);
  };

  // Initial guess. F(u) = -Δt G ∇H(u) costs nothing extra once the Euler increment is known;
  // on stiff problems (Cahn–Hilliard on fine grids) the explicit guess can be far worse than u
  // itself, and Newton on a cubic from far away needs many iterations, so keep the better one.
  problem_.discrete_gradient(u_old_, u_old_, grad_);  // ∇̄H(u, u) = ∇H(u)
  increment_.noalias() = dt * (G * grad_);            // explicit Euler increment = -F(u)
  const double r_at_u = increment_.lpNorm<Eigen::Infinity>();
  using Guess = DiscreteGradientOptions::Guess;
  if (opt_.guess == Guess::previous_increment && has_prev_)
    v_ = u_old_ + (dt / prev_dt_) * prev_increment_;
  else if (opt_.guess == Guess::extrapolated && has_prev_)
    v_ = u_old_ + 2.0 * increment_ - (dt / prev_dt_) * prev_increment_;
  else
    v_ = u_old_ + increment_;
  residual(v_, r_guess_);
  stats_.n_rhs += 2;
  if (!(r_guess_.lpNorm<Eigen::Infinity>() <= r_at_u)) v_ = u_old_;
  const auto jacobian = [&](const Vec& v, SparseMat& jac) {
    problem_.discrete_gradient_jacobian(v, u_old_, gjac_);
    shifted_.assemble(G, gjac_, dt, jac);
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
