#pragma once
// Ideal mass-spring, as in the HNN code: H = k q² + p²/m (k = m = 1: H = q² + p²), G = S.
// Initial states: direction uniform on the circle, radius U(0.1, 1.0) in (q, p).

#include "systems/system.hpp"

namespace dgsim::systems {

class MassSpring final : public System {
 public:
  explicit MassSpring(Params params);
  static std::vector<ParamSpec> param_specs();

  std::string name() const override { return "mass-spring"; }
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
  int energy_polynomial_degree() const override { return 2; }

 private:
  double k_, m_, r_min_, r_max_;
  SparseMat S_;
};

}  // namespace dgsim::systems
