#pragma once
// Discrete gradients of a System, chosen by name (`--dg-method`), and the adapter that turns
// (System, method) into an ode::DiscreteGradientProblem for the DG stepper of lib/ode.
//
// Every method satisfies H(v) - H(u) = ∇̄H(v, u)·(v - u) and ∇̄H(u, u) = ∇H(u):
//   gonzalez  midpoint discrete gradient (Gonzalez 1996):
//               ∇̄H = ∇H(m) + (H(v) - H(u) - ∇H(m)·d) / |d|² d,  m = (u + v)/2, d = v - u.
//             Second order. Its Jacobian has a rank-one term, so it is stored dense.
//   itoh-abe  coordinate increments (Itoh & Abe 1988): ∇̄H_i = (H(w_i) - H(w_{i-1})) / (v_i - u_i),
//             w_i = (v_1..v_i, u_{i+1}..u_N). First order. Costs N + 1 energies and gradients.
//   avf       average vector field ∫₀¹ ∇H(u + s(v - u)) ds by Gauss–Legendre, exact with
//             ceil(p/2) nodes for a polynomial H of degree p (energy_polynomial_degree()),
//             else with kAvfDefaultNodes nodes; then the identity below holds up to the
//             quadrature error, O(|v - u|^16), below round-off for the increments of a time
//             step but not for arbitrary far-apart states. Second order.
//   dvdm      Furihata's discrete variational derivative method, for systems that provide it
//             (KdV, Cahn–Hilliard; the paper's ground truth). Second order.
// Near-coincident arguments: where a difference quotient would divide by an increment below
// cbrt(ε)·(1 + |state|) (Gonzalez: of |d|∞; Itoh–Abe: of each |v_i - u_i|), the quotient is
// replaced by the midpoint derivative, which differs from it by O(increment²) while the
// quotient's round-off would grow like ε/increment.

#include <memory>
#include <string>
#include <vector>

#include "lib/ode/discrete_gradient.hpp"
#include "systems/system.hpp"

namespace dgsim::systems {

inline constexpr int kAvfDefaultNodes = 8;  // AVF nodes for a non-polynomial H (exact to degree 15)

// Implemented by systems that have their own structure-preserving scheme: Furihata's
// discrete variational derivative method (DVDM) for the PDEs.
class DvdmScheme {
 public:
  virtual ~DvdmScheme() = default;
  virtual void dvdm_gradient(const Vec& v, const Vec& u, Vec& out) const = 0;          // ∇̄H(v, u) [N]
  virtual void dvdm_jacobian(const Vec& v, const Vec& u, SparseMat& jac) const = 0;  // ∂∇̄H/∂v  [N, N]
};

enum class DgMethod { gonzalez, itoh_abe, avf, dvdm };

// CLI names, in order: gonzalez, itoh-abe, avf, dvdm.
const std::vector<std::string>& dg_method_names();

// "dvdm" for systems with a DvdmScheme, "avf" for polynomial energies, "gonzalez" otherwise.
std::string default_dg_method(const System& sys);

// Parses a method name ("" = the system's default). ConfigError for an unknown name (listing
// the known ones), for "dvdm" on a system without it, or for a system without an energy.
DgMethod parse_dg_method(const System& sys, const std::string& name);

// Order of accuracy of the DG step with this method (1 for Itoh–Abe, else 2).
int dg_method_order(DgMethod m);

// Gauss–Legendre rule on [0, 1] with n nodes (exact for polynomials of degree 2n - 1).
void gauss_legendre01(int n, std::vector<double>& nodes, std::vector<double>& weights);

// AVF nodes used for this system: ceil(degree / 2) (at least 1), or kAvfDefaultNodes.
int avf_nodes(const System& sys);

// (System, method) as a problem for ode::DiscreteGradientStepper. Keeps work buffers: use one
// per thread. The system must outlive it.
class SystemDgProblem final : public ode::DiscreteGradientProblem {
 public:
  SystemDgProblem(const System& sys, DgMethod method);

  int dim() const override { return sys_.dim(); }
  void discrete_gradient(const Vec& v, const Vec& u, Vec& out) override;
  void discrete_gradient_jacobian(const Vec& v, const Vec& u, SparseMat& jac) override;
  const SparseMat& G() const override { return sys_.structure_matrix(); }
  DgMethod method() const { return method_; }

 private:
  void gonzalez(const Vec& v, const Vec& u, Vec& out);
  void gonzalez_jacobian(const Vec& v, const Vec& u, SparseMat& jac);
  void itoh_abe(const Vec& v, const Vec& u, Vec& out);
  void itoh_abe_jacobian(const Vec& v, const Vec& u, SparseMat& jac);
  void avf(const Vec& v, const Vec& u, Vec& out);
  void avf_jacobian(const Vec& v, const Vec& u, SparseMat& jac);

  const System& sys_;
  DgMethod method_;
  const DvdmScheme* dvdm_ = nullptr;
  std::vector<double> nodes_, weights_;  // AVF rule on [0, 1]
  Vec m_, d_, g_, g2_, w_, c_;           // work vectors [N]
  SparseMat hess_;
  Mat dense_;                            // [N, N], Gonzalez and Itoh–Abe Jacobians
};

// Integrates u0 over `times` with the DG method `method` ("" = the system's default),
// `substeps` equal steps per output interval and Newton tolerance `newton_tol` (see
// ode::DiscreteGradientOptions). Writes states [n_times, dim] and returns the statistics.
// Throws ConfigError for a bad method, NumericalError when a Newton solve fails.
ode::Stats integrate_dg(const System& sys, const std::string& method, const Vec& u0,
                        const std::vector<double>& times, double newton_tol, long substeps, Mat& states);

}  // namespace dgsim::systems
