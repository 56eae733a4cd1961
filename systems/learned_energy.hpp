#pragma once
// A learned model as a system (DESIGN.md §1): the one place that adapts an nn::Model to the
// integrator interfaces of lib/ode, so the same steppers run learned and analytic models.
//
// States of a batch of B independent series are stacked into one vector [B * dim] (series b at
// entries [b * dim, (b + 1) * dim)), so one network evaluation serves the whole batch:
//   - rhs():   an ode::Rhs u' = f(u) for the explicit steppers (NODE: the network; energy
//              models: G ∇H(u) with ∇H by reverse-mode AD).
//   - LearnedDgProblem: an ode::DiscreteGradientProblem for the DG step (paper Eq. 6) whose
//              ∇̄H(v, u) is the model's automatic discrete gradient (Tape::discrete_gradient)
//              and whose Jacobian ∂∇̄H/∂v comes from automatic differentiation of that.
//
// Jacobian by colouring: for a PDE model with a first convolution of kernel k followed by
// per-site layers, ∇̄H_i depends on v_j only for cyclic |i - j| <= k - 1 (w = k - 1), so the
// Jacobian is cyclic-banded. Rows i of one colour (i ≡ c mod C, C >= 2w + 1, C divides N)
// touch disjoint columns, so one reverse sweep of Σ_{i ≡ c} ∇̄H_i recovers all of them. The C
// colour sweeps of all B series run as one batched sweep of C·B rows. ODE models are dense
// (C = dim). Every row of the Jacobian is exact (no finite differences).

#include <memory>
#include <vector>

#include "lib/ad/tape.hpp"
#include "lib/nn/model.hpp"
#include "lib/ode/discrete_gradient.hpp"
#include "lib/ode/stepper.hpp"

namespace dgsim::systems {

using ode::SparseMat;

// Batched evaluations of a model; the model must outlive it. Not thread-safe (one tape).
class LearnedEnergy {
 public:
  explicit LearnedEnergy(nn::Model& model);

  nn::Model& model() { return model_; }
  int dim() const { return model_.config().dim; }
  bool has_energy() const { return model_.has_energy(); }
  // G is negative semi-definite and not skew (learned friction): H must not increase.
  bool dissipative() const { return model_.config().friction; }
  // 1ᵀG = 0 (D, D2): Σ u_k is conserved.
  bool conserves_mass() const { return model_.config().structure != nn::Structure::S; }

  Mat energy(const Mat& u);           // H(u) per row   [B, 1]
  Mat time_derivative(const Mat& u);  // f(u) per row   [B, dim]
  // The structure matrix G of one state [dim, dim] (with the current friction), built by
  // applying the model's G to the unit vectors.
  Mat structure_matrix();

  // u' = f(u) for `batch` stacked states ([batch * dim] vectors).
  ode::Rhs rhs(int batch);

 private:
  nn::Model& model_;
};

// Number of colours for a cyclic band of half-width w on n sites: the smallest C >= 2w + 1
// dividing n, or n (dense) if there is none below n.
int band_colours(int n, int half_width);

// The DG problem of a model with an energy, for `batch` stacked states. G is block-diagonal.
// The batch is evaluated in groups of series of about kGroupRows network rows each (a fixed
// split that depends only on the batch and the state size), each group with its own copy of
// the model and its own tapes; with threads > 1 the groups run in parallel. The arithmetic
// of every group is the same for any thread count, so the results are too.
class LearnedDgProblem final : public ode::DiscreteGradientProblem {
 public:
  static constexpr int kGroupRows = 256;

  LearnedDgProblem(nn::Model& model, int batch, int threads = 1);
  ~LearnedDgProblem() override;

  int dim() const override { return batch_ * n_; }
  void discrete_gradient(const Vec& v, const Vec& u, Vec& out) override;
  void discrete_gradient_jacobian(const Vec& v, const Vec& u, SparseMat& jac) override;
  const SparseMat& G() const override { return G_; }

  int colours() const { return colours_; }
  int half_width() const { return w_; }
  int groups() const { return static_cast<int>(groups_.size()); }
  long n_jacobians() const { return n_jacobians_; }
  long n_gradients() const { return n_gradients_; }

 private:
  struct Group;
  void gradient_of(Group& g, const Vec& v, const Vec& u, Vec& out);
  void jacobian_of(Group& g, const Vec& v, const Vec& u);
  template <class F>
  void for_groups(F f);  // f(group) for every group, on up to threads_ threads

  int batch_, n_, w_, colours_, threads_;
  SparseMat G_;
  std::vector<std::unique_ptr<Group>> groups_;
  std::vector<Eigen::Triplet<double>> triplets_;
  long n_jacobians_ = 0, n_gradients_ = 0;
};

}  // namespace dgsim::systems
