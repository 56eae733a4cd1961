#include "systems/learned_energy.hpp"

#include <algorithm>
#include <exception>
#include <fmt/format.h>
#include <mutex>
#include <thread>

#include "lib/core/error.hpp"
#include "lib/nn/state.hpp"

namespace dgsim::systems {

namespace {

// [batch * n] stacked states <-> [batch, n] rows.
Mat to_rows(const Vec& v, int batch, int n) { return Eigen::Map<const RowMat>(v.data(), batch, n); }

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

// One group of series [first, first + count) with its own model copy and tapes. tape keeps the
// parameters and H(u) of the last u (cached_u) as a prefix of u_mark operations, so the Newton
// iterations of one step share u and re-record only the v side.
struct LearnedDgProblem::Group {
  int first = 0, count = 0;
  std::unique_ptr<nn::Model> model;
  ad::Tape tape, jac_tape;
  Vec cached_u;
  int u_mark = -1;
  ad::Var u_var, hu_var;
  Mat mask;  // colour masks: row c * count + b selects the sites i ≡ c (mod C) of series b
  std::vector<Eigen::Triplet<double>> triplets;
};

LearnedDgProblem::LearnedDgProblem(nn::Model& model, int batch, int threads)
    : batch_(batch), n_(model.config().dim), threads_(std::max(1, threads)) {
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

  const long rows = static_cast<long>(batch_) * n_;
  const int n_groups = static_cast<int>(std::min<long>(batch_, (rows + kGroupRows - 1) / kGroupRows));
  const nn::ModelState state = nn::export_state(model);
  for (int k = 0; k < n_groups; ++k) {
    auto g = std::make_unique<Group>();
    g->first = static_cast<int>(static_cast<long>(batch_) * k / n_groups);
    g->count = static_cast<int>(static_cast<long>(batch_) * (k + 1) / n_groups) - g->first;
    g->model = std::make_unique<nn::Model>(std::move(nn::import_state(state).model));
    g->mask = Mat::Zero(static_cast<Eigen::Index>(colours_) * g->count, n_);
    for (int col = 0; col < colours_; ++col)
      for (int i = col; i < n_; i += colours_)
        g->mask.block(static_cast<Eigen::Index>(col) * g->count, i, g->count, 1).setOnes();
    groups_.push_back(std::move(g));
  }
}

LearnedDgProblem::~LearnedDgProblem() = default;

template <class F>
void LearnedDgProblem::for_groups(F f) {
  const int n_threads = std::min(threads_, static_cast<int>(groups_.size()));
  if (n_threads <= 1) {
    for (auto& g : groups_) f(*g);
    return;
  }
  std::exception_ptr error;
  std::mutex mutex;
  const auto work = [&](int t) {
    try {
      for (size_t k = static_cast<size_t>(t); k < groups_.size(); k += static_cast<size_t>(n_threads)) f(*groups_[k]);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

void LearnedDgProblem::gradient_of(Group& g, const Vec& v, const Vec& u, Vec& out) {
  const Eigen::Index off = static_cast<Eigen::Index>(g.first) * n_, len = static_cast<Eigen::Index>(g.count) * n_;
  nn::Model& m = *g.model;
  if (g.u_mark >= 0 && g.cached_u.size() == len && g.cached_u == u.segment(off, len)) {
    g.tape.truncate(g.u_mark);  // the model stays bound to g.tape: only this group uses it
  } else {
    g.tape.clear();
    m.bind(g.tape);
    g.cached_u = u.segment(off, len);
    g.u_var = g.tape.leaf(to_rows(g.cached_u, g.count, n_));
    g.hu_var = m.energy(g.u_var);
    g.u_mark = g.tape.size();
  }
  const Vec vs = v.segment(off, len);
  const ad::Var vv = g.tape.leaf(to_rows(vs, g.count, n_));
  const ad::Var dg = g.tape.discrete_gradient(m.energy(vv), g.hu_var, vv, g.u_var, false);
  Eigen::Map<RowMat>(out.data() + off, g.count, n_) = dg.value();
}

void LearnedDgProblem::discrete_gradient(const Vec& v, const Vec& u, Vec& out) {
  out.resize(dim());
  for_groups([&](Group& g) { gradient_of(g, v, u, out); });
  ++n_gradients_;
}

void LearnedDgProblem::jacobian_of(Group& g, const Vec& v, const Vec& u) {
  const Eigen::Index off = static_cast<Eigen::Index>(g.first) * n_, len = static_cast<Eigen::Index>(g.count) * n_;
  const Vec vs = v.segment(off, len), us = u.segment(off, len);
  const Mat vb = to_rows(vs, g.count, n_).replicate(colours_, 1);  // row c * count + b = series b
  const Mat ub = to_rows(us, g.count, n_).replicate(colours_, 1);
  nn::Model& m = *g.model;
  ad::Tape& t = g.jac_tape;
  t.clear();
  m.bind(t);
  g.u_mark = -1;  // the model left g.tape
  const ad::Var vv = t.leaf(vb), uu = t.leaf(ub);
  const ad::Var dg = t.discrete_gradient(m.energy(vv), m.energy(uu), vv, uu, true);
  // Row (c, b) of d/dv Σ mask ⊙ ∇̄H is Σ_{i ≡ c} ∂∇̄H_i/∂v of series b.
  const Mat& sums = t.gradient(ad::mul(dg, t.leaf(g.mask)), vv, false).value();  // [C * count, n]

  g.triplets.clear();
  const bool dense = colours_ == n_;
  for (int b = 0; b < g.count; ++b) {
    const int base = (g.first + b) * n_;
    for (int col = 0; col < colours_; ++col) {
      const Eigen::Index r = static_cast<Eigen::Index>(col) * g.count + b;
      for (int i = col; i < n_; i += colours_) {
        if (dense) {
          for (int j = 0; j < n_; ++j) g.triplets.emplace_back(base + i, base + j, sums(r, j));
        } else {
          for (int o = -w_; o <= w_; ++o) {
            const int j = ((i + o) % n_ + n_) % n_;
            g.triplets.emplace_back(base + i, base + j, sums(r, j));
          }
        }
      }
    }
  }
}

void LearnedDgProblem::discrete_gradient_jacobian(const Vec& v, const Vec& u, SparseMat& jac) {
  for_groups([&](Group& g) { jacobian_of(g, v, u); });
  triplets_.clear();
  for (const auto& g : groups_) triplets_.insert(triplets_.end(), g->triplets.begin(), g->triplets.end());
  jac.resize(dim(), dim());
  jac.setFromTriplets(triplets_.begin(), triplets_.end());
  ++n_jacobians_;
}

}  // namespace dgsim::systems
