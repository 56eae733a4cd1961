#include "systems/discrete_gradients.hpp"

#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "lib/core/error.hpp"

namespace dgsim::systems {
namespace {

// Below this relative size an increment counts as zero for a difference quotient.
const double kSmallIncrement = std::cbrt(std::numeric_limits<double>::epsilon());

// Dense [N, N] to sparse, keeping every entry (also zeros) so the pattern never changes.
void dense_to_sparse_full(const Mat& a, SparseMat& out) {
  if (out.rows() != a.rows() || out.cols() != a.cols() || out.nonZeros() != a.size() || !out.isCompressed()) {
    out.resize(a.rows(), a.cols());
    out.reserve(Eigen::VectorXi::Constant(a.cols(), static_cast<int>(a.rows())));
    for (Eigen::Index j = 0; j < a.cols(); ++j)
      for (Eigen::Index i = 0; i < a.rows(); ++i) out.insert(i, j) = 0.0;
    out.makeCompressed();
  }
  // Full column-major pattern: the value array is the dense array.
  Eigen::Map<Mat>(out.valuePtr(), a.rows(), a.cols()) = a;
}

}  // namespace

const std::vector<std::string>& dg_method_names() {
  static const std::vector<std::string> names = {"gonzalez", "itoh-abe", "avf", "dvdm"};
  return names;
}

std::string default_dg_method(const System& sys) {
  if (dynamic_cast<const DvdmScheme*>(&sys)) return "dvdm";
  return sys.energy_polynomial_degree() > 0 ? "avf" : "gonzalez";
}

DgMethod parse_dg_method(const System& sys, const std::string& name) {
  if (!sys.capabilities().energy)
    throw ConfigError(fmt::format("system '{}' has no energy: discrete gradients do not apply", sys.name()));
  const std::string n = name.empty() ? default_dg_method(sys) : name;
  if (n == "gonzalez") return DgMethod::gonzalez;
  if (n == "itoh-abe") return DgMethod::itoh_abe;
  if (n == "avf") return DgMethod::avf;
  if (n == "dvdm") {
    if (!dynamic_cast<const DvdmScheme*>(&sys))
      throw ConfigError(fmt::format("DG method 'dvdm' is not defined for system '{}' (use gonzalez, itoh-abe or avf)",
                                    sys.name()));
    return DgMethod::dvdm;
  }
  std::string known;
  for (const auto& k : dg_method_names()) known += (known.empty() ? "" : ", ") + k;
  throw ConfigError(fmt::format("unknown DG method '{}' (known: {})", name, known));
}

int dg_method_order(DgMethod m) { return m == DgMethod::itoh_abe ? 1 : 2; }

void gauss_legendre01(int n, std::vector<double>& nodes, std::vector<double>& weights) {
  if (n < 1) throw ConfigError(fmt::format("Gauss–Legendre needs at least one node, got {}", n));
  nodes.assign(static_cast<size_t>(n), 0.0);
  weights.assign(static_cast<size_t>(n), 0.0);
  // Newton's method on P_n from the Chebyshev-like guesses; the roots are symmetric about 0.
  for (int i = 0; i < (n + 1) / 2; ++i) {
    double x = std::cos(M_PI * (i + 0.75) / (n + 0.5));
    double dp = 1.0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1.0, p1 = x;  // P_0, P_1; after the loop p1 = P_n, p0 = P_{n-1}
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      if (n == 1) p0 = 1.0;
      dp = n * (x * p1 - p0) / (x * x - 1.0);
      const double dx = p1 / dp;
      x -= dx;
      if (std::abs(dx) < 1e-16) break;
    }
    if (n == 1) {
      x = 0.0;
      dp = 1.0;
    }
    const double w = 2.0 / ((1.0 - x * x) * dp * dp);
    // Map [-1, 1] to [0, 1]: s = (1 + x)/2, weight w/2.
    nodes[static_cast<size_t>(i)] = 0.5 * (1.0 - x);
    nodes[static_cast<size_t>(n - 1 - i)] = 0.5 * (1.0 + x);
    weights[static_cast<size_t>(i)] = 0.5 * w;
    weights[static_cast<size_t>(n - 1 - i)] = 0.5 * w;
  }
}

int avf_nodes(const System& sys) {
  const int p = sys.energy_polynomial_degree();
  return p > 0 ? std::max(1, (p + 1) / 2) : kAvfDefaultNodes;
}

SystemDgProblem::SystemDgProblem(const System& sys, DgMethod method) : sys_(sys), method_(method) {
  const int n = sys_.dim();
  if (method_ == DgMethod::dvdm) {
    dvdm_ = dynamic_cast<const DvdmScheme*>(&sys_);
    if (!dvdm_) throw ConfigError(fmt::format("DG method 'dvdm' is not defined for system '{}'", sys_.name()));
  }
  if (method_ == DgMethod::avf) gauss_legendre01(avf_nodes(sys_), nodes_, weights_);
  for (Vec* v : {&m_, &d_, &g_, &g2_, &w_, &c_}) v->resize(n);
}

void SystemDgProblem::discrete_gradient(const Vec& v, const Vec& u, Vec& out) {
  switch (method_) {
    case DgMethod::gonzalez: return gonzalez(v, u, out);
    case DgMethod::itoh_abe: return itoh_abe(v, u, out);
    case DgMethod::avf: return avf(v, u, out);
    case DgMethod::dvdm: return dvdm_->dvdm_gradient(v, u, out);
  }
}

void SystemDgProblem::discrete_gradient_jacobian(const Vec& v, const Vec& u, SparseMat& jac) {
  switch (method_) {
    case DgMethod::gonzalez: return gonzalez_jacobian(v, u, jac);
    case DgMethod::itoh_abe: return itoh_abe_jacobian(v, u, jac);
    case DgMethod::avf: return avf_jacobian(v, u, jac);
    case DgMethod::dvdm: return dvdm_->dvdm_jacobian(v, u, jac);
  }
}

// ---- Gonzalez -------------------------------------------------------------------------------

void SystemDgProblem::gonzalez(const Vec& v, const Vec& u, Vec& out) {
  m_ = 0.5 * (u + v);
  d_ = v - u;
  sys_.energy_grad(m_, out);
  if (d_.lpNorm<Eigen::Infinity>() <= kSmallIncrement * (1.0 + m_.lpNorm<Eigen::Infinity>())) return;
  const double s = (sys_.energy(v) - sys_.energy(u) - out.dot(d_)) / d_.squaredNorm();
  out += s * d_;
}

// ∇̄H = g + s d with g = ∇H(m), s = (H(v) - H(u) - g·d)/|d|²; differentiating in v:
//   ∂∇̄H/∂v = ∇²H(m)/2 + s I + d wᵀ,  w = (∇H(v) - g - ∇²H(m) d/2 - 2 s d) / |d|².
void SystemDgProblem::gonzalez_jacobian(const Vec& v, const Vec& u, SparseMat& jac) {
  m_ = 0.5 * (u + v);
  d_ = v - u;
  sys_.energy_hessian(m_, hess_);
  dense_ = 0.5 * Mat(hess_);
  if (d_.lpNorm<Eigen::Infinity>() > kSmallIncrement * (1.0 + m_.lpNorm<Eigen::Infinity>())) {
    sys_.energy_grad(m_, g_);
    sys_.energy_grad(v, g2_);
    const double d2 = d_.squaredNorm();
    const double s = (sys_.energy(v) - sys_.energy(u) - g_.dot(d_)) / d2;
    w_ = g2_ - g_ - 0.5 * (hess_ * d_) - 2.0 * s * d_;
    w_ /= d2;
    dense_.diagonal().array() += s;
    dense_.noalias() += d_ * w_.transpose();
  }
  dense_to_sparse_full(dense_, jac);
}

// ---- Itoh–Abe -------------------------------------------------------------------------------

void SystemDgProblem::itoh_abe(const Vec& v, const Vec& u, Vec& out) {
  const Eigen::Index n = u.size();
  out.resize(n);
  w_ = u;  // w_{i-1}
  double h_prev = sys_.energy(w_);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double di = v[i] - u[i];
    if (std::abs(di) <= kSmallIncrement * (1.0 + std::abs(u[i]) + std::abs(v[i]))) {
      c_ = w_;
      c_[i] = 0.5 * (u[i] + v[i]);
      sys_.energy_grad(c_, g_);
      out[i] = g_[i];
      w_[i] = v[i];
      h_prev = sys_.energy(w_);
    } else {
      w_[i] = v[i];
      const double h = sys_.energy(w_);
      out[i] = (h - h_prev) / di;
      h_prev = h;
    }
  }
}

// Row i depends on v_1..v_i only (lower triangular). With q_i = (H(w_i) - H(w_{i-1}))/d_i:
//   ∂q_i/∂v_j = (∂_j H(w_i) - ∂_j H(w_{i-1})) / d_i   (j < i),   ∂q_i/∂v_i = (∂_i H(w_i) - q_i) / d_i;
// for a near-zero d_i, q_i = ∂_i H(c_i) at the segment midpoint c_i, differentiated exactly.
void SystemDgProblem::itoh_abe_jacobian(const Vec& v, const Vec& u, SparseMat& jac) {
  const Eigen::Index n = u.size();
  dense_.setZero(n, n);
  w_ = u;
  sys_.energy_grad(w_, g_);  // ∇H(w_{i-1})
  double h_prev = sys_.energy(w_);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double di = v[i] - u[i];
    if (std::abs(di) <= kSmallIncrement * (1.0 + std::abs(u[i]) + std::abs(v[i]))) {
      c_ = w_;
      c_[i] = 0.5 * (u[i] + v[i]);
      sys_.energy_hessian(c_, hess_);
      for (Eigen::Index j = 0; j < i; ++j) dense_(i, j) = hess_.coeff(i, j);
      dense_(i, i) = 0.5 * hess_.coeff(i, i);
      w_[i] = v[i];
      h_prev = sys_.energy(w_);
      sys_.energy_grad(w_, g_);
    } else {
      w_[i] = v[i];
      const double h = sys_.energy(w_);
      const double q = (h - h_prev) / di;
      sys_.energy_grad(w_, g2_);  // ∇H(w_i)
      for (Eigen::Index j = 0; j < i; ++j) dense_(i, j) = (g2_[j] - g_[j]) / di;
      dense_(i, i) = (g2_[i] - q) / di;
      h_prev = h;
      g_.swap(g2_);
    }
  }
  dense_to_sparse_full(dense_, jac);
}

// ---- AVF ------------------------------------------------------------------------------------

void SystemDgProblem::avf(const Vec& v, const Vec& u, Vec& out) {
  d_ = v - u;
  out.setZero(u.size());
  for (size_t q = 0; q < nodes_.size(); ++q) {
    c_ = u + nodes_[q] * d_;
    sys_.energy_grad(c_, g_);
    out += weights_[q] * g_;
  }
}

// ∂/∂v ∫₀¹ ∇H(u + s(v - u)) ds = ∫₀¹ s ∇²H(u + s(v - u)) ds, by the same rule (its integrand
// has the same polynomial degree as ∇H's along the segment).
void SystemDgProblem::avf_jacobian(const Vec& v, const Vec& u, SparseMat& jac) {
  d_ = v - u;
  for (size_t q = 0; q < nodes_.size(); ++q) {
    c_ = u + nodes_[q] * d_;
    sys_.energy_hessian(c_, hess_);
    if (q == 0)
      jac = (weights_[q] * nodes_[q]) * hess_;
    else
      jac += (weights_[q] * nodes_[q]) * hess_;
  }
  jac.makeCompressed();
}

// ---- driver ---------------------------------------------------------------------------------

ode::Stats integrate_dg(const System& sys, const std::string& method, const Vec& u0,
                        const std::vector<double>& times, double newton_tol, long substeps, Mat& states) {
  if (u0.size() != sys.dim())
    throw ConfigError(fmt::format("initial state has {} values, system '{}' needs {}", u0.size(), sys.name(),
                                  sys.dim()));
  if (!(newton_tol > 0.0)) throw ConfigError(fmt::format("Newton tolerance must be positive, got {}", newton_tol));
  SystemDgProblem problem(sys, parse_dg_method(sys, method));
  ode::DiscreteGradientOptions opt;
  opt.tol = newton_tol;
  ode::DiscreteGradientStepper stepper(problem, opt);
  states = ode::integrate_dg_times(stepper, u0, times, substeps);
  return stepper.stats();
}

}  // namespace dgsim::systems
