#include "lib/ode/newton.hpp"

#include <algorithm>
#include <cmath>

namespace dgsim::ode {

std::string to_string(NewtonStatus s) {
  switch (s) {
    case NewtonStatus::converged: return "converged";
    case NewtonStatus::max_iterations: return "no convergence within the iteration limit";
    case NewtonStatus::non_finite: return "non-finite iterate or residual";
    case NewtonStatus::singular: return "singular Jacobian";
  }
  return "unknown";
}

bool SparseNewton::same_pattern(const SparseMat& a) const {
  if (!analysed_ || !a.isCompressed()) return false;
  const auto n_outer = static_cast<size_t>(a.outerSize()) + 1;
  const auto nnz = static_cast<size_t>(a.nonZeros());
  return outer_.size() == n_outer && inner_.size() == nnz &&
         std::equal(outer_.begin(), outer_.end(), a.outerIndexPtr()) &&
         std::equal(inner_.begin(), inner_.end(), a.innerIndexPtr());
}

NewtonResult SparseNewton::solve(const Residual& f, const Jacobian& jacobian, Vec& x, const NewtonOptions& opt) {
  NewtonResult res;
  r_.resize(x.size());
  f(x, r_);
  res.evaluations = 1;
  res.residual = r_.lpNorm<Eigen::Infinity>();
  if (!x.allFinite() || !std::isfinite(res.residual)) {
    res.status = NewtonStatus::non_finite;
    return res;
  }
  for (int it = 1; it <= opt.max_iter; ++it) {
    jacobian(x, jac_);
    jac_.makeCompressed();
    if (!same_pattern(jac_)) {
      lu_.analyzePattern(jac_);
      outer_.assign(jac_.outerIndexPtr(), jac_.outerIndexPtr() + jac_.outerSize() + 1);
      inner_.assign(jac_.innerIndexPtr(), jac_.innerIndexPtr() + jac_.nonZeros());
      analysed_ = true;
      ++n_analyses_;
    }
    lu_.factorize(jac_);
    if (lu_.info() != Eigen::Success) {
      res.status = NewtonStatus::singular;
      return res;
    }
    dx_ = lu_.solve(r_);
    x -= dx_;
    res.iterations = it;
    f(x, r_);
    ++res.evaluations;
    res.residual = r_.lpNorm<Eigen::Infinity>();
    if (!x.allFinite() || !std::isfinite(res.residual)) {
      res.status = NewtonStatus::non_finite;
      return res;
    }
    dx_ = lu_.solve(r_);  // the next correction, with the current factorisation
    res.step = dx_.lpNorm<Eigen::Infinity>();
    if (!std::isfinite(res.step)) {
      res.status = NewtonStatus::non_finite;
      return res;
    }
    if (res.step <= opt.tol * (1.0 + x.lpNorm<Eigen::Infinity>())) {
      x -= dx_;
      f(x, r_);
      ++res.evaluations;
      res.residual = r_.lpNorm<Eigen::Infinity>();
      res.status = x.allFinite() && std::isfinite(res.residual) ? NewtonStatus::converged : NewtonStatus::non_finite;
      return res;
    }
  }
  res.status = NewtonStatus::max_iterations;
  return res;
}

}  // namespace dgsim::ode
