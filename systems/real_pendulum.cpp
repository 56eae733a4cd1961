#include "systems/real_pendulum.hpp"

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "lib/core/error.hpp"
#include "systems/hamiltonian.hpp"

namespace dgsim::systems {

std::vector<ParamSpec> RealPendulum::param_specs() {
  return {{"c", 2.4, "", "analysis energy H = c (1 - cos q) + p^2/m (HNN, DGNet)"},
          {"m", 1.0, "", "analysis energy H = c (1 - cos q) + p^2/m"},
          {"friction", 0.0, "", "R = diag(0, friction) in G = S - R"}};
}

RealPendulum::RealPendulum(Params params)
    : System(std::move(params)), c_(params_.at("c")), m_(params_.at("m")), friction_(params_.at("friction")) {
  G_ = dense_to_sparse(Mat{{0.0, 1.0}, {-1.0, -friction_}});
}

double RealPendulum::energy(const Vec& u) const { return c_ * (1.0 - std::cos(u[0])) + u[1] * u[1] / m_; }

void RealPendulum::energy_grad(const Vec& u, Vec& grad) const {
  grad.resize(2);
  grad << c_ * std::sin(u[0]), 2.0 * u[1] / m_;
}

void RealPendulum::energy_hessian(const Vec& u, SparseMat& hess) const {
  hess = dense_to_sparse(Mat{{c_ * std::cos(u[0]), 0.0}, {0.0, 2.0 / m_}});
}

void RealPendulum::apply_G(const Vec& g, Vec& out) const {
  out.resize(2);
  out << g[1], -g[0] - friction_ * g[1];
}

void RealPendulum::sample_initial_state(Rng& rng, Vec& u) const {
  // Uniform over the measured range (|q|, |p| < 1.5): for synthetic rollouts and tests; the
  // data themselves come from the measurement file.
  u.resize(2);
  u << rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5);
}

io::TrajectorySet load_real_pendulum(const LoadConfig& cfg) {
  std::ifstream in(cfg.input);
  if (!in) throw IoError("cannot open the measurement file", cfg.input);
  RealPendulum sys([&] {
    Params p;
    for (const auto& s : RealPendulum::param_specs()) p[s.name] = s.default_value;
    for (const auto& [k, v] : cfg.params) {
      if (!p.count(k)) throw ConfigError(fmt::format("unknown parameter '{}' for system 'real-pendulum' (accepted: c, m, friction)", k));
      p[k] = v;
    }
    return p;
  }());

  std::vector<double> t, q, p;
  std::string line;
  long lineno = 0;
  double trial0 = NAN;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;         // blank
    if (line[first] == '%' || line[first] == '#') continue;  // header "%o v"
    std::istringstream row(line);
    std::vector<double> cols;
    std::string tok;
    while (row >> tok) {
      char* end = nullptr;
      const double v = std::strtod(tok.c_str(), &end);
      if (end != tok.c_str() + tok.size())
        throw IoError(fmt::format("line {}: '{}' is not a number", lineno, tok), cfg.input);
      if (!std::isfinite(v)) throw IoError(fmt::format("line {}: non-finite value '{}'", lineno, tok), cfg.input);
      cols.push_back(v);
    }
    if (cols.size() != 4)
      throw IoError(fmt::format("line {}: expected 4 columns (trial t o v), got {}", lineno, cols.size()), cfg.input);
    if (std::isnan(trial0)) trial0 = cols[0];
    if (cols[0] != trial0)
      throw IoError(fmt::format("line {}: trial {} after trial {}: only one trial per file is supported", lineno,
                                cols[0], trial0),
                    cfg.input);
    if (!t.empty() && !(cols[1] > t.back()))
      throw IoError(fmt::format("line {}: time {} does not increase (previous {})", lineno, cols[1], t.back()),
                    cfg.input);
    t.push_back(cols[1]);
    q.push_back(cols[2]);
    p.push_back(cols[3]);
  }
  const long n = static_cast<long>(t.size());
  if (n < 3) throw IoError(fmt::format("only {} data rows; need at least 3", n), cfg.input);
  if (!(cfg.test_fraction > 0.0 && cfg.test_fraction < 1.0))
    throw ConfigError(fmt::format("test fraction must lie in (0, 1), got {}", cfg.test_fraction));

  io::TrajectorySet d;
  d.system = sys.name();
  d.state_names = sys.state_names();
  d.params = sys.params();
  d.G = Mat(sys.structure_matrix());
  d.dissipative = true;
  d.n_traj = 1;
  d.dim = 2;
  d.t = t;
  d.index = {0};
  d.split = {0};
  for (long i = 0; i < n; ++i) {
    d.u.push_back(q[static_cast<size_t>(i)]);
    d.u.push_back(p[static_cast<size_t>(i)]);
    // HNN's derivative: forward difference over the real time gap; the last state, which
    // starts no pair, gets the backward difference.
    const long a = i + 1 < n ? i : i - 1;
    const auto sa = static_cast<size_t>(a);
    const double gap = t[sa + 1] - t[sa];
    d.dudt.push_back((q[sa + 1] - q[sa]) / gap);
    d.dudt.push_back((p[sa + 1] - p[sa]) / gap);
    const Vec u = Vec{{q[static_cast<size_t>(i)], p[static_cast<size_t>(i)]}};
    d.energy.push_back(sys.energy(u));
  }
  // HNN's split of the N = n - 1 pairs (get_dataset, test_split = 0.8): train = pairs [0, a)
  // and [b, N), test = [a, b), with a = int(0.8 N) and b = a + int((1 - 0.8) N), evaluated
  // in floating point exactly as the reference code does (this gives b = N - 1 for N = 555).
  const long n_pairs = n - 1;
  const double train_share = 1.0 - cfg.test_fraction;
  const long a = static_cast<long>(train_share * static_cast<double>(n_pairs));
  const long b = a + static_cast<long>((1.0 - train_share) * static_cast<double>(n_pairs));
  d.pair_split.assign(static_cast<size_t>(n_pairs), 0);
  for (long k = a; k < b; ++k) d.pair_split[static_cast<size_t>(k)] = 1;

  d.text_attrs["integrator"] = "measured";
  d.text_attrs["source_file"] = cfg.input;
  d.text_attrs["command_line"] = cfg.command_line;
  d.text_attrs["split_rule"] = fmt::format("pairs [0, {}) and [{}, {}) train, [{}, {}) test (HNN, time-ordered)", a, b,
                                           n_pairs, a, b);
  d.text_attrs["dudt_rule"] = "forward difference over the measured time gap (last state: backward)";
  d.number_attrs["test_fraction"] = cfg.test_fraction;
  d.int_attrs["n_total_trajectories"] = 1;
  return d;
}

}  // namespace dgsim::systems
