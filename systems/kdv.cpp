#include "systems/kdv.hpp"

#include <cmath>
#include <fmt/format.h>

#include "lib/core/error.hpp"
#include "systems/periodic.hpp"

namespace dgsim::systems {

std::vector<ParamSpec> Kdv::param_specs() {
  return {{"alpha", -6.0, "", "coefficient of the cubic term: H = dx sum(-alpha/6 u^3 - beta/2 Dx2(u))"},
          {"beta", 1.0, "", "coefficient of the dispersive term"},
          {"L", 10.0, "", "period of the domain"},
          {"M", 50.0, "", "number of grid nodes (dx = L / M)"},
          {"kappa_min", 0.5, "", "initial states: smallest soliton size kappa"},
          {"kappa_max", 2.0, "", "initial states: largest soliton size kappa"},
          {"d1_min", 0.2, "", "initial states: smallest first-soliton position, in units of L"},
          {"d1_max", 0.3, "", "initial states: largest first-soliton position, in units of L"},
          {"gap_min", 0.2, "", "initial states: smallest distance between the solitons, in units of L"},
          {"gap_max", 0.5, "", "initial states: largest distance between the solitons, in units of L"},
          {"p_reverse", 0.5, "", "initial states: probability of reversing the grid"}};
}

Kdv::Kdv(Params params)
    : System(std::move(params)),
      m_(grid_size_param(params_, "M", 5)),
      alpha_(params_.at("alpha")),
      beta_(params_.at("beta")),
      length_(params_.at("L")),
      dx_(length_ / m_),
      kappa_min_(params_.at("kappa_min")),
      kappa_max_(params_.at("kappa_max")),
      d1_min_(params_.at("d1_min")),
      d1_max_(params_.at("d1_max")),
      gap_min_(params_.at("gap_min")),
      gap_max_(params_.at("gap_max")),
      p_reverse_(params_.at("p_reverse")) {
  if (!(length_ > 0.0)) throw ConfigError(fmt::format("parameter 'L' must be positive, got {}", length_));
  if (alpha_ == 0.0) throw ConfigError("parameter 'alpha' must be non-zero (the soliton amplitude is -12/alpha)");
  if (!(kappa_min_ <= kappa_max_) || !(d1_min_ <= d1_max_) || !(gap_min_ <= gap_max_))
    throw ConfigError("kdv: each *_min parameter must not exceed its *_max");
  if (!(p_reverse_ >= 0.0 && p_reverse_ <= 1.0))
    throw ConfigError(fmt::format("parameter 'p_reverse' must lie in [0, 1], got {}", p_reverse_));
  G_ = periodic_d1(m_, dx_) / dx_;
  G_.makeCompressed();
  D2_ = periodic_d2(m_, dx_);
  d2_diag_ = diagonal_positions(D2_);
}

Grid Kdv::grid() const { return periodic_grid(m_, length_); }

double Kdv::energy(const Vec& u) const {
  return dx_ * (-alpha_ / 6.0) * u.array().cube().sum() - beta_ / (2.0 * dx_) * sum_squared_differences(u);
}

void Kdv::energy_grad(const Vec& u, Vec& grad) const {
  apply_periodic_d2(u, dx_, grad);
  grad = dx_ * (beta_ * grad.array() - 0.5 * alpha_ * u.array().square()).matrix();
}

void Kdv::energy_hessian(const Vec& u, SparseMat& hess) const {
  scaled_plus_diagonal(D2_, d2_diag_, dx_ * beta_, -dx_ * alpha_ * u, hess);
}

void Kdv::rhs(const Vec& u, Vec& dudt) const {
  Vec w;
  apply_periodic_d2(u, dx_, w);
  w = beta_ * w.array() - 0.5 * alpha_ * u.array().square();  // the variational derivative
  apply_periodic_d1(w, dx_, dudt);
}

void Kdv::apply_G(const Vec& g, Vec& out) const {
  apply_periodic_d1(g, dx_, out);
  out /= dx_;
}

void Kdv::dvdm_gradient(const Vec& v, const Vec& u, Vec& out) const {
  apply_periodic_d2_of_sum(u, v, dx_, out);
  out = dx_ * (0.5 * beta_ * out.array() -
               (alpha_ / 6.0) * (u.array().square() + u.array() * v.array() + v.array().square()))
                  .matrix();
}

void Kdv::dvdm_jacobian(const Vec& v, const Vec& u, SparseMat& jac) const {
  scaled_plus_diagonal(D2_, d2_diag_, 0.5 * dx_ * beta_, (-dx_ * alpha_ / 6.0) * (u + 2.0 * v), jac);
}

void Kdv::sample_initial_state(Rng& rng, Vec& u) const {
  const double k1 = rng.uniform(kappa_min_, kappa_max_);
  const double k2 = rng.uniform(kappa_min_, kappa_max_);
  const double d1 = rng.uniform(d1_min_, d1_max_);
  const double d2 = d1 + rng.uniform(gap_min_, gap_max_);
  const bool reverse = rng.uniform() < p_reverse_;
  const double amp = -12.0 / alpha_;
  u.resize(m_);
  for (int k = 0; k < m_; ++k) {
    const double x = length_ * k / m_;
    const double s1 = 1.0 / std::cosh(k1 * (x - length_ * d1));
    const double s2 = 1.0 / std::cosh(k2 * (x - length_ * d2));
    u[k] = amp * (k1 * k1 * s1 * s1 + k2 * k2 * s2 * s2);
  }
  if (reverse) u.reverseInPlace();
}

}  // namespace dgsim::systems
