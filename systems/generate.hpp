#pragma once
// Dataset generation: sample initial states, integrate every trajectory with the chosen
// ground-truth integrator on the preset's time grid, add measurement noise, and collect
// everything the dataset file stores. Trajectory i depends only on (seed, i): the result is
// the same for any thread count and any sharding.

#include <cstdint>
#include <string>
#include <vector>

#include "lib/io/dataset_file.hpp"
#include "systems/registry.hpp"

namespace dgsim::systems {

struct GenerateConfig {
  std::string system;                 // registry name
  Params params;                      // overrides of the system's parameters
  DatasetPreset preset;               // resolved grid, counts, noise, split, integrator, tolerances
  std::string integrator;             // "" = the preset's
  std::string dg_method;              // discrete gradient for --integrator dg ("" = system default)
  long substeps = 1;                  // fixed-step integrators: steps per saved interval
  std::uint64_t seed = 0;
  int threads = 1;
  long shard = 0, n_shards = 1;       // contiguous block `shard` of `n_shards`
  bool progress = true;
  std::string command_line;           // provenance
};

// The global trajectory indices of a shard: the contiguous block
// [shard * n / n_shards, (shard + 1) * n / n_shards).
std::vector<long> shard_indices(long n_traj, long shard, long n_shards);

// Runs the generation; throws ConfigError for inconsistent settings, NumericalError when an
// integration fails (naming the trajectory), Interrupted after SIGINT/SIGTERM.
io::TrajectorySet generate(const GenerateConfig& cfg);

}  // namespace dgsim::systems
