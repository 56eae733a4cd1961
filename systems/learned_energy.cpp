#include "systems/learned_energy.hpp"

#include <fmt/format.h>

#include "lib/core/error.hpp"

namespace dgsim::systems {

namespace {

// [batch * n] stacked states <-> [batch, n] rows.
Mat to_rows(const Vec& v, int batch, int n) { return Eigen::Map<const RowMat>(v.data(), batch, n); }

void from_rows(const Mat& m, Vec& out) {
  out.resize(m.size());
  Eigen::Map<RowMat>(out.data(), m.rows(), m.cols()) = m;
}

}  // namespace

LearnedEnergy::LearnedEnergy(nn::Model& model) : model_(model) {}

Mat LearnedEnergy::energy(const Mat& u) { return model_.energy(u); }

Mat LearnedEnergy::time_derivative(const Mat& u) { return model_.time_derivative(u); }

Mat LearnedEnergy::structure_matrix() {
  if (!model_.has_energy()) throw ConfigError("a NODE model has no structure matrix G");
  ad::Tape tape;
  model_.bind(tape);
  const int n = dim();
  // Row i of the result is (G e_i)ᵀ, i.e. the result is Gᵀ.
  const Mat gt = model_.apply_structure(tape.leaf(Mat::Identity(n, n))).value();
  return gt.transpose();
}

ode::Rhs LearnedEnergy::rhs(int batch) {
  const int n = dim();
  return [this, batch, n](double, const Vec& y, Vec& dydt) {
    const Mat f = model_.time_derivative(to_rows(y, batch, n));
    Eigen::Map<RowMat>(dydt.data(), batch, n) = f;
  };
}

int band_colours(int n, int half_width) {
  for (int c = 2 * half_width + 1; c < n; ++c)
    if (n % c == 0) return c;
  return n;
}

LearnedDgProblem::LearnedDgProblem(nn::Model& model, int batch)
    : model_(model), batch_(batch), n_(model.config().dim) {
  if (!model.has_energy()) throw ConfigError("the dg integrator needs a model with an energy (not NODE)");
  if (batch < 1) throw ConfigError(fmt::format("batch must be at least 1, got {}", batch));
  const nn::ModelConfig& c = model.config();
  // Receptive field of ∇H_i: sites i ± (kernel - 1) for a kernel-k convolution followed by
  // per-site layers; ODE energies (MLPs) couple every component.
  w_ = c.pde ? c.kernel - 1 : n_;
  colours_ = c.pde ? band_colours(n_, w_) : n_;

  const Mat g1 = LearnedEnergy(model).structure_matrix();
  std::vector<Eigen::Triplet<double>> t;
  for (int b = 0; b < batch_; ++b)
    for (int j = 0; j < n_; ++j)
      for (int i = 0; i < n_; ++i)
        if (g1(i, j) != 0.0) t.emplace_back(b * n_ + i, b * n_ + j, g1(i, j));
  G_.resize(dim(), dim());
  G_.setFromTriplets(t.begin(), t.end());
  G_.makeCompressed();

  // Colour masks: row c * batch + b selects the sites i ≡ c (mod C) of series b.
  mask_ = Mat::Zero(static_cast<Eigen::Index>(colours_) * batch_, n_);
  for (int col = 0; col < colours_; ++col)
    for (int i = col; i < n_; i += colours_) mask_.block(static_cast<Eigen::Index>(col) * batch_, i, batch_, 1).setOnes();
}

void LearnedDgProblem::discrete_gradient(const Vec& v, const Vec& u, Vec& out) {
  // The prefix is reusable while the model is still bound to tape_ (the Jacobian or a plain
  // evaluation rebinds it elsewhere) and u is the same.
  const bool bound_here = !model_.bound().empty() && model_.bound().front().tape == &tape_;
  if (u_mark_ >= 0 && bound_here && cached_u_.size() == u.size() && cached_u_ == u) {
    tape_.truncate(u_mark_);
  } else {
    tape_.clear();
    model_.bind(tape_);
    u_var_ = tape_.leaf(to_rows(u, batch_, n_));
    hu_var_ = model_.energy(u_var_);
    cached_u_ = u;
    u_mark_ = tape_.size();
  }
  const ad::Var vv = tape_.leaf(to_rows(v, batch_, n_));
  const ad::Var g = tape_.discrete_gradient(model_.energy(vv), hu_var_, vv, u_var_, false);
  from_rows(g.value(), out);
  ++n_gradients_;
}

void LearnedDgProblem::discrete_gradient_jacobian(const Vec& v, const Vec& u, SparseMat& jac) {
  vb_ = to_rows(v, batch_, n_).replicate(colours_, 1);  // row c * batch + b = series b
  ub_ = to_rows(u, batch_, n_).replicate(colours_, 1);
  ad::Tape& t = jac_tape_;
  t.clear();
  model_.bind(t);
  const ad::Var vv = t.leaf(vb_), uu = t.leaf(ub_);
  const ad::Var g = t.discrete_gradient(model_.energy(vv), model_.energy(uu), vv, uu, true);
  // Row (c, b) of d/dv Σ mask ⊙ ∇̄H is Σ_{i ≡ c} ∂∇̄H_i/∂v of series b.
  const Mat& sums = t.gradient(ad::mul(g, t.leaf(mask_)), vv, false).value();  // [rows, n]

  triplets_.clear();
  const bool dense = colours_ == n_;
  for (int b = 0; b < batch_; ++b)
    for (int col = 0; col < colours_; ++col) {
      const Eigen::Index r = static_cast<Eigen::Index>(col) * batch_ + b;
      for (int i = col; i < n_; i += colours_) {
        if (dense) {
          for (int j = 0; j < n_; ++j) triplets_.emplace_back(b * n_ + i, b * n_ + j, sums(r, j));
        } else {
          for (int o = -w_; o <= w_; ++o) {
            const int j = ((i + o) % n_ + n_) % n_;
            triplets_.emplace_back(b * n_ + i, b * n_ + j, sums(r, j));
          }
        }
      }
    }
  jac.resize(dim(), dim());
  jac.setFromTriplets(triplets_.begin(), triplets_.end());
  ++n_jacobians_;
}

}  // namespace dgsim::systems
