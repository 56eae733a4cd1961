// dgsim check: recompute the conservation laws of a dgsim file from its stored states with the
// system's own definitions; exit 0 when every law holds within tolerance, 1 otherwise.

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <iostream>
#include <limits>

#include "apps/dgsim/cli_common.hpp"
#include "apps/dgsim/commands.hpp"
#include "lib/core/error.hpp"
#include "lib/io/dataset_file.hpp"
#include "lib/io/h5.hpp"
#include "lib/metrics/conservation.hpp"
#include "systems/registry.hpp"

namespace dgsim::cli {
namespace {

// Default tolerance on the relative energy law for data made by `integrator`.
double default_energy_tol(const std::string& integrator, double rtol) {
  if (integrator == "dg") return 1e-9;
  if (integrator == "dop853" || integrator == "dopri5") return std::max(1e4 * rtol, 1e-8);
  return 1e-2;  // fixed-step explicit methods conserve H only to their truncation error
}

// Default tolerance on the learned-energy law of a prediction file (relative to max(|H_0|, 1)):
// the DG scheme keeps it to a small multiple of the Newton tolerance over the rollout.
double default_learned_tol(const std::string& integrator, double rtol, double newton_tol) {
  if (integrator == "dg") return std::max(1e3 * newton_tol, 1e-9);
  return default_energy_tol(integrator, rtol);
}

std::string attr_or(const io::TrajectorySet& d, const std::string& key, const std::string& fallback) {
  const auto it = d.all_attrs.find(key);
  return it == d.all_attrs.end() ? fallback : it->second;
}

}  // namespace

int run_check(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string path;
  double tol = 0.0, mass_tol = 1e-10;
  po::options_description desc("options");
  desc.add_options()
      ("file", po::value(&path), "a dgsim dataset file")
      ("tol", po::value(&tol), "tolerance on the relative energy law (default: by integrator; dg 1e-9)")
      ("mass-tol", po::value(&mass_tol), "tolerance on the relative mass drift");
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!parse("check", args, desc, pos, vm, "dgsim check FILE [--tol T] [--json]", "dgsim check kdv.h5 --json"))
    return 0;
  if (path.empty()) throw UsageError("check", "no file given");
  if (vm.count("tol") && !(tol > 0.0)) throw UsageError("check", fmt::format("--tol must be positive, got {}", tol));

  const io::TrajectorySet d = io::read_dataset(path);
  auto sys = systems::make_system(d.system, d.params);
  if (sys->dim() != d.dim)
    throw IoError(fmt::format("state size {} does not match system '{}' ({})", d.dim, d.system, sys->dim()), path);
  const std::string integrator = d.text_attrs.count("integrator") ? d.text_attrs.at("integrator") : "";
  const double rtol = d.number_attrs.count("rtol") ? d.number_attrs.at("rtol") : 1e-10;
  // A file written by `dgsim predict`: the law to check is the learned energy's (the states
  // follow the model, not the true system); the true energy's drift is reported apart.
  const bool prediction = attr_or(d, "content", "") == "prediction";
  const double newton_tol = d.number_attrs.count("newton_tol") ? d.number_attrs.at("newton_tol") : 1e-10;
  if (!vm.count("tol"))
    tol = prediction ? default_learned_tol(integrator, rtol, newton_tol) : default_energy_tol(integrator, rtol);

  const std::vector<double>& states = d.u_clean.empty() ? d.u : d.u_clean;
  const long nt = d.n_time(), n = d.n_traj;
  std::vector<double> energy(static_cast<size_t>(n * nt)), mass, e_scale(static_cast<size_t>(n)), m_scale;
  if (d.has_mass) {
    mass.resize(energy.size());
    m_scale.resize(static_cast<size_t>(n));
  }
  double stored_mismatch = 0.0;  // recomputed vs stored diagnostics/energy
  Vec u(d.dim);
  for (long j = 0; j < n; ++j) {
    for (long k = 0; k < nt; ++k) {
      u = Eigen::Map<const Vec>(states.data() + (j * nt + k) * d.dim, d.dim);
      const auto jk = static_cast<size_t>(j * nt + k);
      energy[jk] = sys->energy(u);
      stored_mismatch = std::max(stored_mismatch, std::abs(energy[jk] - d.energy[jk]) / std::max(1.0, std::abs(energy[jk])));
      if (d.has_mass) {
        mass[jk] = sys->mass(u);
        if (k == 0) m_scale[static_cast<size_t>(j)] = sys->mass(u.cwiseAbs());
      }
    }
    e_scale[static_cast<size_t>(j)] = std::abs(energy[static_cast<size_t>(j * nt)]);
  }

  std::vector<metrics::LawReport> reports;
  const metrics::LawKind energy_kind = d.dissipative ? metrics::LawKind::non_increasing : metrics::LawKind::conserved;
  std::vector<double> learned;
  if (prediction) {
    const io::File f = io::File::open(path);
    if (f.exists("prediction/learned_energy")) {
      learned = f.open_group("prediction").open_dataset("learned_energy").read().data;
      if (learned.size() != energy.size())
        throw IoError(fmt::format("prediction/learned_energy has {} values, expected {}", learned.size(), energy.size()), path);
      std::vector<double> l_scale(static_cast<size_t>(n));
      for (long j = 0; j < n; ++j) l_scale[static_cast<size_t>(j)] = std::max(1.0, std::abs(learned[static_cast<size_t>(j * nt)]));
      reports.push_back(metrics::check_law("learned_energy", energy_kind, learned, l_scale, n, nt, d.index, tol));
    }
  } else {
    reports.push_back(metrics::check_law("energy", energy_kind, energy, e_scale, n, nt, d.index, tol));
  }
  if (d.has_mass)
    reports.push_back(metrics::check_law("mass", metrics::LawKind::conserved, mass, m_scale, n, nt, d.index, mass_tol));
  const bool stored_ok = stored_mismatch <= 1e-12;
  bool ok = stored_ok;
  for (const auto& r : reports) ok = ok && r.ok;
  // Predictions: the drift of the true system's energy along them, for information only.
  metrics::LawReport true_drift;
  if (prediction) {
    true_drift = metrics::check_law("true_energy", metrics::LawKind::conserved, energy, e_scale, n, nt, d.index,
                                    std::numeric_limits<double>::infinity());
  }

  if (common.json) {
    std::string out = fmt::format("{{\"file\": {}, \"system\": {}, \"integrator\": {}, \"ok\": {}, \"laws\": [",
                                  json_quote(path), json_quote(d.system), json_quote(integrator), ok ? "true" : "false");
    for (size_t i = 0; i < reports.size(); ++i) {
      const auto& r = reports[i];
      out += fmt::format("{}{{\"law\": {}, \"kind\": \"{}\", \"worst\": {:.6g}, \"trajectory\": {}, \"step\": {}, "
                         "\"tol\": {:.3g}, \"ok\": {}}}",
                         i ? ", " : "", json_quote(r.law), metrics::to_string(r.kind), r.worst, r.trajectory, r.step,
                         r.tol, r.ok ? "true" : "false");
    }
    std::cout << out << fmt::format("], \"stored_energy_mismatch\": {:.6g}", stored_mismatch);
    if (prediction)
      std::cout << fmt::format(", \"prediction\": true, \"true_energy_drift\": {:.6g}, \"true_energy_drift_trajectory\": {}",
                               true_drift.worst, true_drift.trajectory);
    std::cout << "}\n";
  } else {
    for (const auto& r : reports) {
      const char* what = r.kind == metrics::LawKind::conserved ? "worst relative drift" : "worst relative increase";
      std::cout << fmt::format("{:<7} {:<15} {} {:.3g} (trajectory {}, step {}), tol {:.3g}: {}\n", r.law,
                               metrics::to_string(r.kind), what, r.worst, r.trajectory, r.step, r.tol,
                               r.ok ? "ok" : "BROKEN");
    }
    if (prediction)
      std::cout << fmt::format("true energy (not a law of the prediction): worst relative drift {:.3g} (trajectory {}, step {})\n",
                               true_drift.worst, true_drift.trajectory, true_drift.step);
    std::cout << fmt::format("stored diagnostics/energy matches the recomputed energy to {:.3g}: {}\n",
                             stored_mismatch, stored_ok ? "ok" : "MISMATCH");
  }
  return ok ? 0 : 1;
}

}  // namespace dgsim::cli
