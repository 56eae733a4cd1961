#pragma once
// The registry: the ONLY list of systems (systems/registry.cpp holds the table). Each row
// gives a name, a one-line description, a kind, its parameters with defaults, a factory and
// its dataset presets (the paper's dataset definitions; the first one is the default).

#include <memory>
#include <string>
#include <vector>

#include "lib/io/dataset_file.hpp"
#include "systems/real_pendulum.hpp"
#include "systems/system.hpp"

namespace dgsim::systems {

enum class Kind { simulated, loaded };

// A dataset definition: how many trajectories, on which time grid, with what noise and split,
// from which ground-truth integrator.
struct DatasetPreset {
  std::string name;         // "dgnet", "hnn", ...
  std::string description;  // one line
  long n_traj;
  long n_steps;             // intervals per trajectory; n_steps + 1 stored states
  double t_end;             // time grid: t_k = k t_end / n_steps
  double noise;             // standard deviation of N(0, noise²) added to stored states
  long n_train;             // trajectories in the training split
  bool test_first;          // split: the first (n_traj - n_train) are test, else the last
  std::string integrator;   // ground truth: "dop853" or "dg"
  double rtol, atol;        // dop853 tolerances, or the Newton tolerance for dg (rtol)
};

// The paper's long-term (Energy) rollouts of a simulated ODE system, made by `dgsim predict`:
// fresh initial states over [0, t_end] with `points` points, each component ±U(0.2, 1.0) (the
// mass-spring and pendulum scripts) or drawn from the system's own sampler (the two-body
// script's random_config, on its dataset's grid).
struct FreshRollouts {
  bool own_sampler = false;
  double t_end = 20.0;
  long points = 100;
};

struct SystemEntry {
  std::string name;
  std::string description;
  Kind kind;
  std::vector<ParamSpec> params;
  std::unique_ptr<System> (*factory)(Params);
  std::vector<DatasetPreset> presets;
  io::TrajectorySet (*load)(const LoadConfig&) = nullptr;  // loaded systems: reads --input
  FreshRollouts fresh{};
};

const std::vector<SystemEntry>& system_table();

// Finds a row; ConfigError "unknown system 'x' (known: ...)" otherwise.
const SystemEntry& find_system(const std::string& name);

// Resolves parameter overrides against the row's parameters (unknown names and non-finite
// values are ConfigErrors naming the accepted ones) and builds the system.
std::unique_ptr<System> make_system(const std::string& name, const Params& overrides = {});

// The preset of a row by name ("" = the default); ConfigError naming the known ones otherwise.
const DatasetPreset& find_preset(const SystemEntry& entry, const std::string& preset);

}  // namespace dgsim::systems
