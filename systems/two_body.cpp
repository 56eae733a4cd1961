#include "systems/two_body.hpp"

#include <cmath>

#include "systems/hamiltonian.hpp"

namespace dgsim::systems {

std::vector<ParamSpec> TwoBody::param_specs() {
  return {{"G", 1.0, "", "gravitational constant"},
          {"m", 1.0, "", "mass of each body"},
          {"radius_min", 0.5, "", "initial states: smallest position component of body 1"},
          {"radius_max", 1.5, "", "initial states: largest position component of body 1"},
          {"orbit_noise", 0.05, "", "initial states: relative N(0, 1) perturbation of the circular velocity"}};
}

TwoBody::TwoBody(Params params)
    : System(std::move(params)),
      G_(params_.at("G")),
      m_(params_.at("m")),
      r_min_(params_.at("radius_min")),
      r_max_(params_.at("radius_max")),
      orbit_noise_(params_.at("orbit_noise")),
      S_(canonical_S(4)) {}

void TwoBody::rhs(const Vec& u, Vec& dudt) const {
  dudt.resize(8);
  const double dx = u[0] - u[2], dy = u[1] - u[3];
  const double r2 = dx * dx + dy * dy;
  const double c = G_ * m_ * m_ / (r2 * std::sqrt(r2));
  dudt.head<4>() = u.tail<4>() / m_;
  dudt[4] = -c * dx;
  dudt[5] = -c * dy;
  dudt[6] = c * dx;
  dudt[7] = c * dy;
}

double TwoBody::energy(const Vec& u) const {
  const double dx = u[0] - u[2], dy = u[1] - u[3];
  return u.tail<4>().squaredNorm() / (2.0 * m_) - G_ * m_ * m_ / std::sqrt(dx * dx + dy * dy);
}

void TwoBody::energy_grad(const Vec& u, Vec& grad) const {
  grad.resize(8);
  const double dx = u[0] - u[2], dy = u[1] - u[3];
  const double r2 = dx * dx + dy * dy;
  const double c = G_ * m_ * m_ / (r2 * std::sqrt(r2));
  grad[0] = c * dx;
  grad[1] = c * dy;
  grad[2] = -c * dx;
  grad[3] = -c * dy;
  grad.tail<4>() = u.tail<4>() / m_;
}

void TwoBody::energy_hessian(const Vec& u, SparseMat& hess) const {
  const Eigen::Vector2d d(u[0] - u[2], u[1] - u[3]);
  const double r = d.norm();
  const double gm2 = G_ * m_ * m_;
  // ∂²(-G m²/r)/∂d² = G m² (I / r³ - 3 d dᵀ / r⁵); q1 and q2 enter through d = q1 - q2.
  const Eigen::Matrix2d k = gm2 * (Eigen::Matrix2d::Identity() / (r * r * r) - 3.0 * d * d.transpose() / std::pow(r, 5));
  Mat h = Mat::Zero(8, 8);
  h.block<2, 2>(0, 0) = k;
  h.block<2, 2>(2, 2) = k;
  h.block<2, 2>(0, 2) = -k;
  h.block<2, 2>(2, 0) = -k;
  h.block<4, 4>(4, 4) = Mat::Identity(4, 4) / m_;
  hess = dense_to_sparse(h);
}

void TwoBody::apply_G(const Vec& g, Vec& out) const { apply_S(g, out); }

void TwoBody::sample_initial_state(Rng& rng, Vec& u) const {
  const Eigen::Vector2d pos(rng.uniform(r_min_, r_max_), rng.uniform(r_min_, r_max_));
  const double r = pos.norm();
  // Circular orbit about the centre of mass: separation 2r, v² / r = G m / (2r)².
  const double speed = std::sqrt(G_ * m_ / (4.0 * r));
  Eigen::Vector2d vel(-pos[1], pos[0]);
  vel *= speed / r;
  vel *= 1.0 + orbit_noise_ * rng.normal();  // one factor, as HNN's random_config: the velocity stays tangent
  u.resize(8);
  u << pos[0], pos[1], -pos[0], -pos[1], m_ * vel[0], m_ * vel[1], -m_ * vel[0], -m_ * vel[1];
}

}  // namespace dgsim::systems
