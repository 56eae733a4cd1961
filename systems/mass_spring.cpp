#include "systems/mass_spring.hpp"

#include <cmath>

#include "systems/hamiltonian.hpp"

namespace dgsim::systems {

std::vector<ParamSpec> MassSpring::param_specs() {
  return {{"k", 1.0, "", "spring coefficient in H = k q^2 + p^2/m"},
          {"m", 1.0, "", "mass in H = k q^2 + p^2/m"},
          {"radius_min", 0.1, "", "initial states: smallest radius in (q, p)"},
          {"radius_max", 1.0, "", "initial states: largest radius in (q, p)"}};
}

MassSpring::MassSpring(Params params)
    : System(std::move(params)),
      k_(params_.at("k")),
      m_(params_.at("m")),
      r_min_(params_.at("radius_min")),
      r_max_(params_.at("radius_max")),
      S_(canonical_S(1)) {}

void MassSpring::rhs(const Vec& u, Vec& dudt) const {
  dudt.resize(2);
  dudt[0] = 2.0 * u[1] / m_;
  dudt[1] = -2.0 * k_ * u[0];
}

double MassSpring::energy(const Vec& u) const { return k_ * u[0] * u[0] + u[1] * u[1] / m_; }

void MassSpring::energy_grad(const Vec& u, Vec& grad) const {
  grad.resize(2);
  grad[0] = 2.0 * k_ * u[0];
  grad[1] = 2.0 * u[1] / m_;
}

void MassSpring::energy_hessian(const Vec&, SparseMat& hess) const {
  Mat h = Mat::Zero(2, 2);
  h(0, 0) = 2.0 * k_;
  h(1, 1) = 2.0 / m_;
  hess = dense_to_sparse(h);
}

void MassSpring::apply_G(const Vec& g, Vec& out) const { apply_S(g, out); }

void MassSpring::sample_initial_state(Rng& rng, Vec& u) const { sample_ring(rng, r_min_, r_max_, u); }

}  // namespace dgsim::systems
