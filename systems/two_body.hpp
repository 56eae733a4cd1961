#pragma once
// Two bodies in the plane under gravity, as in the HNN code (G = m = 1):
//   u = (q1x, q1y, q2x, q2y, p1x, p1y, p2x, p2y),
//   H = (|p1|² + |p2|²) / (2m) - G m² / |q1 - q2|,  G_struct = S.
// Initial states (HNN's random_config): body 1 at positions U(0.5, 1.5) per component, body 2 =
// -body 1, the velocity of a circular orbit about the centre of mass times one factor
// (1 + 0.05 N(0, 1)): tangent to the orbit, its speed off by a few percent.

#include "systems/system.hpp"

namespace dgsim::systems {

class TwoBody final : public System {
 public:
  explicit TwoBody(Params params);
  static std::vector<ParamSpec> param_specs();

  std::string name() const override { return "two-body"; }
  int dim() const override { return 8; }
  Capabilities capabilities() const override { return {true, true, false, false}; }
  std::vector<std::string> state_names() const override {
    return {"q1x", "q1y", "q2x", "q2y", "p1x", "p1y", "p2x", "p2y"};
  }
  void rhs(const Vec& u, Vec& dudt) const override;
  double energy(const Vec& u) const override;
  void energy_grad(const Vec& u, Vec& grad) const override;
  void energy_hessian(const Vec& u, SparseMat& hess) const override;
  void apply_G(const Vec& g, Vec& out) const override;
  const SparseMat& structure_matrix() const override { return S_; }
  void sample_initial_state(Rng& rng, Vec& u) const override;

 private:
  double G_, m_, r_min_, r_max_, orbit_noise_;
  SparseMat S_;
};

}  // namespace dgsim::systems
