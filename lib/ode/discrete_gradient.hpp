#pragma once
// Discrete-gradient (DG) integration of u' = G ∇H(u) (DGNet paper, Eq. 6):
//
//   (u' - u) / Δt = G ∇̄H(u', u),
//
// where the discrete gradient ∇̄H satisfies H(v) - H(u) = ∇̄H(v, u)·(v - u) and
// ∇̄H(u, u) = ∇H(u). With G skew the step conserves H; with G negative semi-definite it never
// increases H; both up to the Newton tolerance and round-off.
//
// lib/ode knows nothing about physical systems: a problem supplies ∇̄H, its Jacobian in the
// first argument and G. systems/discrete_gradients.hpp adapts a registered System (Gonzalez,
// Itoh–Abe, AVF, Furihata's DVDM); learned models adapt their automatic discrete gradient.

#include <vector>

#include "lib/ode/newton.hpp"
#include "lib/ode/stepper.hpp"

namespace dgsim::ode {

// What the DG stepper needs. Implementations may keep work buffers (hence non-const
// methods): use one problem object per thread.
class DiscreteGradientProblem {
 public:
  virtual ~DiscreteGradientProblem() = default;
  virtual int dim() const = 0;  // N
  // out = ∇̄H(v, u)   [N]
  virtual void discrete_gradient(const Vec& v, const Vec& u, Vec& out) = 0;
  // jac = ∂∇̄H(v, u)/∂v   [N, N]
  virtual void discrete_gradient_jacobian(const Vec& v, const Vec& u, SparseMat& jac) = 0;
  // The structure matrix G   [N, N]
  virtual const SparseMat& G() const = 0;
};

struct DiscreteGradientOptions {
  // Newton tolerance, relative to the state; see NewtonOptions for exactly what is measured:
  // the estimated error of u' (the next Newton correction of F(u') = (u' - u) - Δt G ∇̄H(u', u)
  // with the current factorisation) is <= tol (1 + ||u'||∞) in the max norm, and that
  // correction is applied too. Stats::max_residual reports ||F(u')||∞ at the accepted u'.
  double tol = 1e-10;
  int max_iter = 20;
  // Initial guess for u': explicit Euler u + Δt G ∇H(u), the previous step's increment
  // u + (Δt / Δt_prev)(u - u_prev), or (the default) the extrapolation below; the last two
  // start with explicit Euler after a reset. Any guess is replaced by u itself when its
  // residual is larger than u's (stiff problems). On the PDE datasets the default needs about
  // one Newton iteration per step, explicit Euler about two.
  // extrapolated: u + 2 Δt G ∇H(u) - (Δt / Δt_prev)(u - u_prev), which matches the exact
  // increment to O(Δt³) on smooth solutions (the previous increment approximates Δt u' half a
  // step back).
  enum class Guess { explicit_euler, previous_increment, extrapolated } guess = Guess::extrapolated;
};

namespace detail {

// Assembles A = I - c G J into a fixed sparsity pattern: the pattern is computed once (again
// only if J's pattern changes); after that only values are written, without allocation.
class ShiftedProduct {
 public:
  void assemble(const SparseMat& G, const SparseMat& J, double c, SparseMat& A);

 private:
  std::vector<int> j_outer_, j_inner_;  // the pattern of J that A was built for
  std::vector<int> a_outer_;            // A's column starts, to recognise it
  std::vector<Eigen::Index> pos_;       // scatter map: row -> position in A's current column
};

}  // namespace detail

// One DG step by Newton's method with the exact Jacobian I - Δt G ∂∇̄H/∂u' and a sparse LU
// whose symbolic analysis is reused between steps (the pattern is fixed for a given problem).
// Statistics: n_steps, n_newton (iterations = LU factorisations), n_rhs (evaluations of ∇̄H),
// max_residual (worst final ||residual||∞ over the steps).
class DiscreteGradientStepper {
 public:
  explicit DiscreteGradientStepper(DiscreteGradientProblem& problem, DiscreteGradientOptions opt = {});

  // Advances u from t to t + dt in place. Throws NumericalError (with t, dt and the step
  // number counted since the last reset) when Newton fails or the state becomes non-finite;
  // u is then left unchanged.
  void step(double t, Vec& u, double dt);

  // Forgets the previous step (guess) and zeroes the statistics.
  void reset();

  Stats& stats() { return stats_; }
  const Stats& stats() const { return stats_; }
  const DiscreteGradientOptions& options() const { return opt_; }
  long n_analyses() const { return newton_.n_analyses(); }

 private:
  DiscreteGradientProblem& problem_;
  DiscreteGradientOptions opt_;
  SparseNewton newton_;
  detail::ShiftedProduct shifted_;
  Stats stats_;
  SparseMat gjac_;
  Vec u_old_, grad_, v_, prev_increment_, increment_, r_guess_;
  double prev_dt_ = 0.0;
  bool has_prev_ = false;
};

// Integrates with `substeps` equal DG steps per output interval and returns the state at every
// output time (strictly increasing; times[0] is the time of u0): [n_times, dim]. The stepper's
// statistics are reset first and cover the whole run.
Mat integrate_dg_times(DiscreteGradientStepper& stepper, const Vec& u0, const std::vector<double>& times,
                       long substeps = 1);

}  // namespace dgsim::ode
