#pragma once
// Korteweg–de Vries equation on a periodic grid (DGNet paper, Eq. 12; PAPER.md):
//   u on x_k = k Δx, k = 0..M-1, Δx = L / M (defaults: M = 50, L = 10, Δx = 0.2; α = -6, β = 1),
//   H(u) = Δx Σ_k (-α/6 u_k³ - β/2 Dx2(u)_k),   Dx2(u)_k = ((u_{k+1}-u_k)² + (u_k-u_{k-1})²) / (2Δx²),
//   u' = D(-α/2 u⊙u + β D2 u).
// energy_grad is the ordinary gradient ∂H/∂u = Δx (-α/2 u⊙u + β D2 u), i.e. Δx times the
// paper's gradient in the discrete L² inner product; hence the stored structure matrix is
// G = D / Δx (skew), so that u' = G ∇H exactly. Mass Δx Σ u_k is conserved (1ᵀD = 0).
// Ground truth: Furihata's DVDM (a DvdmScheme):
//   (u' - u)/Δt = D(-α/6 (u² + u u' + u'²) + β/2 D2 (u + u')),
// which is the AVF discrete gradient of this H (H is a cubic polynomial).
// Initial states: two solitons -(12/α) κ_i² sech²(κ_i (x - L d_i)), κ_i ~ U(0.5, 2),
// d_1 ~ U(0.2, 0.3), d_2 = d_1 + U(0.2, 0.5) (PAPER.md), evaluated directly at the nodes
// x_k in [0, L) with no periodic images added; then, with probability 1/2, the grid is
// reversed (u <- u[::-1]). Draw order: κ_1, κ_2, d_1, gap, reversal.

#include "systems/discrete_gradients.hpp"
#include "systems/system.hpp"

namespace dgsim::systems {

class Kdv final : public System, public DvdmScheme {
 public:
  explicit Kdv(Params params);
  static std::vector<ParamSpec> param_specs();

  std::string name() const override { return "kdv"; }
  int dim() const override { return m_; }
  Capabilities capabilities() const override { return {true, false, false, true}; }
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
  int energy_polynomial_degree() const override { return 3; }

  void dvdm_gradient(const Vec& v, const Vec& u, Vec& out) const override;
  void dvdm_jacobian(const Vec& v, const Vec& u, SparseMat& jac) const override;

  double dx() const { return dx_; }

 private:
  int m_;
  double alpha_, beta_, length_, dx_;
  double kappa_min_, kappa_max_, d1_min_, d1_max_, gap_min_, gap_max_, p_reverse_;
  SparseMat G_, D2_;
  std::vector<Eigen::Index> d2_diag_;
};

}  // namespace dgsim::systems
