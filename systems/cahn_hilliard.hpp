#pragma once
// Cahn–Hilliard equation on a periodic grid (DGNet paper, Eq. 13; PAPER.md):
//   u on x_k = k Δx, k = 0..M-1, Δx = L / M (defaults: M = 50, L = 1, Δx = 0.02; γ = 0.0005,
//   a = b = 1),
//   H(u) = Δx Σ_k (-a/2 u_k² + b/4 u_k⁴ + γ/2 Dx2(u)_k),   u' = D2(-a u + b u³ - γ D2 u).
// Stored H: the authors' code's, without the constant a²/(4b) per node that the paper's
// (u² - 1)²/4 carries (the dynamics and every energy difference are the same).
// energy_grad is the ordinary gradient ∂H/∂u = Δx (-a u + b u³ - γ D2 u), Δx times the
// paper's discrete-L² gradient; hence the stored structure matrix is G = D2 / Δx (negative
// semi-definite), so that u' = G ∇H exactly. H never increases; the mass Δx Σ u_k is conserved.
// Ground truth: Furihata's DVDM (a DvdmScheme):
//   (u' - u)/Δt = D2(-a (u + u')/2 + b (u³ + u²u' + u u'² + u'³)/4 - γ D2 (u + u')/2),
// the AVF discrete gradient of this quartic H.
// Initial states: U(-0.05, 0.05) independently per node.

#include "systems/discrete_gradients.hpp"
#include "systems/system.hpp"

namespace dgsim::systems {

class CahnHilliard final : public System, public DvdmScheme {
 public:
  explicit CahnHilliard(Params params);
  static std::vector<ParamSpec> param_specs();

  std::string name() const override { return "cahn-hilliard"; }
  int dim() const override { return m_; }
  Capabilities capabilities() const override { return {true, false, true, true}; }
  std::vector<std::string> state_names() const override { return {"u"}; }
  Grid grid() const override;
  void rhs(const Vec& u, Vec& dudt) const override;
  double energy(const Vec& u) const override;
  void energy_grad(const Vec& u, Vec& grad) const override;
  void energy_hessian(const Vec& u, SparseMat& hess) const override;
  void apply_G(const Vec& g, Vec& out) const override;
  const SparseMat& structure_matrix() const override { return G_; }
  double mass(const Vec& u) const override { return dx_ * u.sum(); }
  void sample_initial_state(Rng& rng, Vec& u) const override;
  int energy_polynomial_degree() const override { return 4; }

  void dvdm_gradient(const Vec& v, const Vec& u, Vec& out) const override;
  void dvdm_jacobian(const Vec& v, const Vec& u, SparseMat& jac) const override;

  double dx() const { return dx_; }

 private:
  int m_;
  double a_, b_, gamma_, length_, dx_, amplitude_;
  SparseMat G_, D2_;
  std::vector<Eigen::Index> d2_diag_;
};

}  // namespace dgsim::systems
