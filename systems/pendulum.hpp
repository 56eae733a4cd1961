#pragma once
// Ideal pendulum, as in the HNN code: H = c (1 - cos q) + p²/m (c = 3, m = 1), G = S.
// Initial states: direction uniform, radius U(1.3, 2.3) in (q, p).

#include "systems/system.hpp"

namespace dgsim::systems {

class Pendulum final : public System {
 public:
  explicit Pendulum(Params params);
  static std::vector<ParamSpec> param_specs();

  std::string name() const override { return "pendulum"; }
  int dim() const override { return 2; }
  Capabilities capabilities() const override { return {true, true, false, false}; }
  std::vector<std::string> state_names() const override { return {"q", "p"}; }
  void rhs(const Vec& u, Vec& dudt) const override;
  double energy(const Vec& u) const override;
  void energy_grad(const Vec& u, Vec& grad) const override;
  void energy_hessian(const Vec& u, SparseMat& hess) const override;
  void apply_G(const Vec& g, Vec& out) const override;
  const SparseMat& structure_matrix() const override { return S_; }
  void sample_initial_state(Rng& rng, Vec& u) const override;

 private:
  double c_, m_, r_min_, r_max_;
  SparseMat S_;
};

}  // namespace dgsim::systems
