#pragma once
// Newton's method for F(x) = 0 with a sparse Jacobian and a sparse LU factorisation.
//
// The fill-reducing ordering and symbolic analysis of the LU are computed once and reused for
// as long as the Jacobian's sparsity pattern stays the same (it is re-analysed automatically
// when the pattern changes), so for banded or cyclic-banded Jacobians each iteration costs
// O(N). Failure is a return value here, not an exception: callers decide what it means.

#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <functional>
#include <string>
#include <vector>

#include "lib/core/types.hpp"

namespace dgsim::ode {

using SparseMat = Eigen::SparseMatrix<double>;  // column-major

struct NewtonOptions {
  // Each iteration factorises J(x), updates x <- x - J⁻¹F(x) and evaluates F at the new x.
  // It then computes, with the same factorisation (one extra triangular solve, no new
  // factorisation), the correction δ = J⁻¹F(x) the method would make next, an estimate of
  // the error of x. Converged when
  //   ||δ||∞ <= tol (1 + ||x||∞);
  // that last correction is then applied as well (a simplified-Newton step, which cuts the
  // error by a further factor of about the previous error), so the returned x is normally
  // accurate far below tol. The reported residual is ||F(x)||∞ at the returned x.
  double tol = 1e-10;
  int max_iter = 20;  // Newton iterations (LU factorisations) before giving up
};

enum class NewtonStatus { converged, max_iterations, non_finite, singular };

struct NewtonResult {
  NewtonStatus status = NewtonStatus::max_iterations;
  int iterations = 0;     // updates performed (= LU factorisations)
  int evaluations = 0;    // calls of F
  double residual = 0.0;  // ||F(x)||∞ at the returned x
  double step = 0.0;      // ||δ||∞ of the last convergence test (the error estimate)
  bool converged() const { return status == NewtonStatus::converged; }
};

std::string to_string(NewtonStatus s);

// Reusable solver: holds the LU and its work vectors, so repeated solves of problems with the
// same pattern allocate nothing new. Not thread-safe; use one per thread.
class SparseNewton {
 public:
  using Residual = std::function<void(const Vec& x, Vec& r)>;            // r = F(x)   [N]
  using Jacobian = std::function<void(const Vec& x, SparseMat& jac)>;    // ∂F/∂x      [N, N]

  // Improves x in place, starting from the given x. On failure x holds the last iterate.
  NewtonResult solve(const Residual& f, const Jacobian& jacobian, Vec& x, const NewtonOptions& opt);

  // Number of symbolic analyses performed so far (tests: the pattern is analysed once).
  long n_analyses() const { return n_analyses_; }

 private:
  bool same_pattern(const SparseMat& a) const;

  Eigen::SparseLU<SparseMat, Eigen::COLAMDOrdering<int>> lu_;
  SparseMat jac_;
  Vec r_, dx_;
  std::vector<int> outer_, inner_;  // the analysed pattern
  bool analysed_ = false;
  long n_analyses_ = 0;
};

}  // namespace dgsim::ode
