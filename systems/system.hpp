#pragma once
// The one idea of dgsim: every system, true or learned, is a triple (H, G, u) with
//   du/dt = G ∇H(u)                                  (DGNet paper, Eq. 1)
// G skew-symmetric conserves H; G negative semi-definite dissipates it; 1ᵀG = 0 conserves
// the mass Σ u_k. A System gives H, ∇H, its Hessian, G, and how to sample initial states;
// the integrators in lib/ode run on it through the adapters below.

#include <Eigen/SparseCore>
#include <map>
#include <string>
#include <vector>

#include "lib/core/rng.hpp"
#include "lib/core/types.hpp"

namespace dgsim::systems {

using SparseMat = Eigen::SparseMatrix<double>;  // column-major, as Eigen's solvers expect

// One physical parameter of a system, shown by `dgsim systems`, set by `--param NAME=VALUE`.
struct ParamSpec {
  std::string name;
  double default_value;
  std::string unit;         // "" when dimensionless
  std::string description;  // one line
};

using Params = std::map<std::string, double>;  // resolved values, every ParamSpec present

// What a system offers; integrators check their requirements against it before a run.
struct Capabilities {
  bool energy = true;        // energy, energy_grad, energy_hessian and G are defined
  bool separable = false;    // H = T(p) + V(q) with u = (q, p): leapfrog applies
  bool dissipative = false;  // G negative semi-definite (H non-increasing), else skew
  bool mass = false;         // 1ᵀG = 0: Σ u_k is conserved
};

// Spatial grid of a PDE system (n_spatial_dims = 0 for ODE systems).
struct Grid {
  int n_spatial_dims = 0;
  std::vector<double> x;     // node coordinates, x_k = k L / M   [M]
  double length = 0.0;       // period L
  std::string boundary = "";  // "periodic" for the PDEs here
};

class System {
 public:
  virtual ~System() = default;

  virtual std::string name() const = 0;
  virtual int dim() const = 0;                         // N, length of the state u
  virtual Capabilities capabilities() const = 0;
  virtual std::vector<std::string> state_names() const = 0;  // [N] for ODEs; {"u"} for PDEs
  virtual Grid grid() const { return {}; }
  const Params& params() const { return params_; }

  // u' = f(u); the default is G ∇H(u).
  virtual void rhs(const Vec& u, Vec& dudt) const;

  virtual double energy(const Vec& u) const = 0;                      // H(u)
  virtual void energy_grad(const Vec& u, Vec& grad) const = 0;        // ∇H(u)   [N]
  virtual void energy_hessian(const Vec& u, SparseMat& hess) const = 0;  // ∇²H(u) [N, N]
  virtual void apply_G(const Vec& g, Vec& out) const = 0;             // out = G g
  virtual const SparseMat& structure_matrix() const = 0;              // G      [N, N]

  // Mass Σ u_k (times Δx for PDEs); meaningful when capabilities().mass.
  virtual double mass(const Vec& u) const { return u.sum(); }

  // Draws an initial state from the system's distribution (the paper's sampling rules).
  virtual void sample_initial_state(Rng& rng, Vec& u) const = 0;

  // The polynomial degree of H when it is a polynomial (AVF with Gauss–Legendre is then
  // exact with ceil((degree - 1 + 1) / 2) nodes); 0 when H is not a polynomial.
  virtual int energy_polynomial_degree() const { return 0; }

 protected:
  explicit System(Params params) : params_(std::move(params)) {}
  Params params_;
};

}  // namespace dgsim::systems
