#include "systems/registry.hpp"

#include <cmath>
#include <fmt/format.h>

#include "lib/core/error.hpp"
#include "systems/cahn_hilliard.hpp"
#include "systems/kdv.hpp"
#include "systems/mass_spring.hpp"
#include "systems/pendulum.hpp"
#include "systems/two_body.hpp"

namespace dgsim::systems {
namespace {

template <class T>
std::unique_ptr<System> make(Params p) {
  return std::make_unique<T>(std::move(p));
}

std::vector<SystemEntry> build_table() {
  // Presets: name, description, n_traj, n_steps, t_end, noise, n_train, test_first,
  //          integrator, rtol, atol. Sources: PAPER.md (DGNet paper and the HNN code).
  return {
      {"mass-spring", "ideal mass-spring, H = k q^2 + p^2/m (HNN)", Kind::simulated, MassSpring::param_specs(),
       &make<MassSpring>,
       {{"dgnet", "DGNet paper: 50 series of 100 points on [0, 20], noise 0.1, 25 train / 25 test", 50, 99, 20.0,
         0.1, 25, false, "dop853", 1e-12, 1e-12},
        {"hnn", "HNN paper: 50 series of 30 points on [0, 3], noise 0.1, 25 train / 25 test", 50, 29, 3.0, 0.1, 25,
         false, "dop853", 1e-12, 1e-12}}},
      {"pendulum", "ideal pendulum, H = c (1 - cos q) + p^2/m (HNN)", Kind::simulated, Pendulum::param_specs(),
       &make<Pendulum>,
       {{"dgnet", "DGNet paper: 50 series of 100 points on [0, 20], noise 0.1, 25 train / 25 test", 50, 99, 20.0,
         0.1, 25, false, "dop853", 1e-12, 1e-12},
        {"hnn", "HNN paper: 50 series of 45 points on [0, 3], noise 0.1, 25 train / 25 test", 50, 44, 3.0, 0.1, 25,
         false, "dop853", 1e-12, 1e-12}}},
      {"two-body", "two bodies in the plane under gravity (HNN)", Kind::simulated, TwoBody::param_specs(),
       &make<TwoBody>,
       {{"dgnet", "DGNet paper: 1000 series of 500 points on [0, 25], first 200 test", 1000, 499, 25.0, 0.0, 800,
         true, "dop853", 1e-12, 1e-12},
        {"hnn", "HNN paper: 1000 series of 50 points on [0, 20], first 200 test", 1000, 49, 20.0, 0.0, 800, true,
         "dop853", 1e-12, 1e-12}},
       nullptr, {true, 25.0, 500}},
      {"kdv", "Korteweg-de Vries equation, periodic grid, two solitons (DGNet)", Kind::simulated, Kdv::param_specs(),
       &make<Kdv>,
       {{"dgnet", "DGNet paper: 100 series of 500 DVDM steps of 0.001, first 90 train / last 10 test", 100, 500, 0.5,
         0.0, 90, false, "dg", 1e-10, 1e-10},
        {"long", "DGNet paper, long run: 5 series of 5000 DVDM steps of 0.001, all test", 5, 5000, 5.0, 0.0, 0,
         false, "dg", 1e-10, 1e-10}}},
      {"cahn-hilliard", "Cahn-Hilliard equation, periodic grid, phase separation (DGNet)", Kind::simulated,
       CahnHilliard::param_specs(), &make<CahnHilliard>,
       {{"dgnet", "DGNet paper: 100 series of 500 DVDM steps of 0.0001, first 90 train / last 10 test", 100, 500,
         0.05, 0.0, 90, false, "dg", 1e-10, 1e-10}}},
      {"real-pendulum", "measured damped pendulum (Schmidt & Lipson 2009), loaded with --input FILE", Kind::loaded,
       RealPendulum::param_specs(), &make<RealPendulum>, {}, &load_real_pendulum},
  };
}

std::string known_names() {
  std::string s;
  for (const auto& e : system_table()) s += (s.empty() ? "" : ", ") + e.name;
  return s;
}

}  // namespace

const std::vector<SystemEntry>& system_table() {
  static const std::vector<SystemEntry> table = build_table();
  return table;
}

const SystemEntry& find_system(const std::string& name) {
  for (const auto& e : system_table())
    if (e.name == name) return e;
  throw ConfigError(fmt::format("unknown system '{}' (known: {})", name, known_names()));
}

std::unique_ptr<System> make_system(const std::string& name, const Params& overrides) {
  const SystemEntry& e = find_system(name);
  Params p;
  for (const auto& spec : e.params) p[spec.name] = spec.default_value;
  for (const auto& [key, value] : overrides) {
    if (p.find(key) == p.end()) {
      std::string names;
      for (const auto& spec : e.params) names += (names.empty() ? "" : ", ") + spec.name;
      throw ConfigError(fmt::format("unknown parameter '{}' for system '{}' (accepted: {})", key, name, names));
    }
    if (!std::isfinite(value)) throw ConfigError(fmt::format("parameter '{}' must be finite, got {}", key, value));
    p[key] = value;
  }
  return e.factory(std::move(p));
}

const DatasetPreset& find_preset(const SystemEntry& entry, const std::string& preset) {
  if (entry.presets.empty()) throw ConfigError(fmt::format("system '{}' has no presets", entry.name));
  if (preset.empty()) return entry.presets.front();
  std::string names;
  for (const auto& p : entry.presets) {
    if (p.name == preset) return p;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  throw ConfigError(fmt::format("unknown preset '{}' for system '{}' (known: {})", preset, entry.name, names));
}

}  // namespace dgsim::systems
