#include "systems/pendulum.hpp"

#include <cmath>

#include "systems/hamiltonian.hpp"

namespace dgsim::systems {

std::vector<ParamSpec> Pendulum::param_specs() {
  return {{"c", 3.0, "", "potential coefficient in H = c (1 - cos q) + p^2/m"},
          {"m", 1.0, "", "mass in H = c (1 - cos q) + p^2/m"},
          {"radius_min", 1.3, "", "initial states: smallest radius in (q, p)"},
          {"radius_max", 2.3, "", "initial states: largest radius in (q, p)"}};
}

Pendulum::Pendulum(Params params)
    : System(std::move(params)),
      c_(params_.at("c")),
      m_(params_.at("m")),
      r_min_(params_.at("radius_min")),
      r_max_(params_.at("radius_max")),
      S_(canonical_S(1)) {}

void Pendulum::rhs(const Vec& u, Vec& dudt) const {
  dudt.resize(2);
  dudt[0] = 2.0 * u[1] / m_;
  dudt[1] = -c_ * std::sin(u[0]);
}

double Pendulum::energy(const Vec& u) const { return c_ * (1.0 - std::cos(u[0])) + u[1] * u[1] / m_; }

void Pendulum::energy_grad(const Vec& u, Vec& grad) const {
  grad.resize(2);
  grad[0] = c_ * std::sin(u[0]);
  grad[1] = 2.0 * u[1] / m_;
}

void Pendulum::energy_hessian(const Vec& u, SparseMat& hess) const {
  Mat h = Mat::Zero(2, 2);
  h(0, 0) = c_ * std::cos(u[0]);
  h(1, 1) = 2.0 / m_;
  hess = dense_to_sparse(h);
}

void Pendulum::apply_G(const Vec& g, Vec& out) const { apply_S(g, out); }

void Pendulum::sample_initial_state(Rng& rng, Vec& u) const { sample_ring(rng, r_min_, r_max_, u); }

}  // namespace dgsim::systems
