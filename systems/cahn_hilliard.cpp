#include "systems/cahn_hilliard.hpp"

#include <cmath>
#include <fmt/format.h>

#include "lib/core/error.hpp"
#include "systems/periodic.hpp"

namespace dgsim::systems {

std::vector<ParamSpec> CahnHilliard::param_specs() {
  return {{"a", 1.0, "", "H = dx sum(-a/2 u^2 + b/4 u^4 + gamma/2 Dx2(u))"},
          {"b", 1.0, "", "coefficient of the quartic term"},
          {"gamma", 0.0005, "", "coefficient of the gradient (interface) term"},
          {"L", 1.0, "", "period of the domain"},
          {"M", 50.0, "", "number of grid nodes (dx = L / M)"},
          {"amplitude", 0.05, "", "initial states: u_k ~ U(-amplitude, amplitude) per node"}};
}

CahnHilliard::CahnHilliard(Params params)
    : System(std::move(params)),
      m_(grid_size_param(params_, "M", 5)),
      a_(params_.at("a")),
      b_(params_.at("b")),
      gamma_(params_.at("gamma")),
      length_(params_.at("L")),
      dx_(length_ / m_),
      amplitude_(params_.at("amplitude")) {
  if (!(length_ > 0.0)) throw ConfigError(fmt::format("parameter 'L' must be positive, got {}", length_));
  if (!(gamma_ >= 0.0)) throw ConfigError(fmt::format("parameter 'gamma' must be >= 0, got {}", gamma_));
  if (!(amplitude_ >= 0.0))
    throw ConfigError(fmt::format("parameter 'amplitude' must be >= 0, got {}", amplitude_));
  G_ = periodic_d2(m_, dx_) / dx_;
  G_.makeCompressed();
  D2_ = periodic_d2(m_, dx_);
  d2_diag_ = diagonal_positions(D2_);
}

Grid CahnHilliard::grid() const { return periodic_grid(m_, length_); }

double CahnHilliard::energy(const Vec& u) const {
  const Eigen::ArrayXd u2 = u.array().square();
  return dx_ * (-0.5 * a_ * u2 + 0.25 * b_ * u2.square()).sum() +
         gamma_ / (2.0 * dx_) * sum_squared_differences(u);
}

void CahnHilliard::energy_grad(const Vec& u, Vec& grad) const {
  apply_periodic_d2(u, dx_, grad);
  grad = dx_ * (-a_ * u.array() + b_ * u.array().cube() - gamma_ * grad.array()).matrix();
}

void CahnHilliard::energy_hessian(const Vec& u, SparseMat& hess) const {
  scaled_plus_diagonal(D2_, d2_diag_, -dx_ * gamma_, dx_ * (3.0 * b_ * u.array().square() - a_).matrix(), hess);
}

void CahnHilliard::rhs(const Vec& u, Vec& dudt) const {
  Vec w;
  apply_periodic_d2(u, dx_, w);
  w = -a_ * u.array() + b_ * u.array().cube() - gamma_ * w.array();  // the variational derivative
  apply_periodic_d2(w, dx_, dudt);
}

void CahnHilliard::apply_G(const Vec& g, Vec& out) const {
  apply_periodic_d2(g, dx_, out);
  out /= dx_;
}

void CahnHilliard::dvdm_gradient(const Vec& v, const Vec& u, Vec& out) const {
  apply_periodic_d2_of_sum(u, v, dx_, out);
  out = dx_ * ((u.array() + v.array()) * (-0.5 * a_ + 0.25 * b_ * (u.array().square() + v.array().square())) -
               0.5 * gamma_ * out.array())
                  .matrix();
}

void CahnHilliard::dvdm_jacobian(const Vec& v, const Vec& u, SparseMat& jac) const {
  const Eigen::ArrayXd d =
      dx_ * (-0.5 * a_ + 0.25 * b_ * (u.array().square() + 2.0 * u.array() * v.array() + 3.0 * v.array().square()));
  scaled_plus_diagonal(D2_, d2_diag_, -0.5 * dx_ * gamma_, d.matrix(), jac);
}

void CahnHilliard::sample_initial_state(Rng& rng, Vec& u) const {
  u.resize(m_);
  for (int k = 0; k < m_; ++k) u[k] = rng.uniform(-amplitude_, amplitude_);
}

}  // namespace dgsim::systems
