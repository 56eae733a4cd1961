#pragma once
// The dgsim dataset file (layout documented in datasets/README.md), after The Well's
// conventions: root attributes, dimensions/ (HDF5 dimension scales), boundary_conditions/,
// scalars/, t0_fields/, plus trajectories/ (index, split), structure/G and diagnostics/.
//
// Reading it from Python:
//   import h5py
//   f = h5py.File("kdv.h5")
//   u, t = f["t0_fields/u"][:], f["dimensions/time"][:]   # [traj, time, x], [time]

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lib/core/types.hpp"

namespace dgsim::io {

inline constexpr int kDatasetFormatVersion = 1;

// A whole dataset in memory; arrays are row-major with the shapes given.
struct TrajectorySet {
  // What and where.
  std::string system;                     // registry name, e.g. "kdv"
  std::string preset;                     // "" when none
  std::vector<std::string> state_names;   // [dim] for ODEs; {"u"} for PDEs
  int n_spatial_dims = 0;
  std::vector<double> x;                  // [dim] node coordinates (PDEs only)
  double length = 0.0;                    // domain length (PDEs only)
  std::string boundary;                   // "periodic" (PDEs only)
  std::map<std::string, double> params;   // physical parameters
  Mat G;                                  // structure matrix [dim, dim]
  bool dissipative = false;               // G negative semi-definite: H must not increase
  bool has_mass = false;                  // 1ᵀG = 0: Σu conserved

  // Data.
  long n_traj = 0;
  long dim = 0;
  std::vector<double> t;                  // [n_time]
  std::vector<double> u;                  // [n_traj, n_time, dim], noisy when noise > 0
  std::vector<double> dudt;               // [n_traj, n_time, dim], at the clean state
  std::vector<double> u_clean;            // [n_traj, n_time, dim] or empty when noise == 0
  std::vector<double> energy;             // [n_traj, n_time], H of the clean state
  std::vector<double> mass;               // [n_traj, n_time] or empty
  std::vector<std::int64_t> index;        // [n_traj] global trajectory index
  std::vector<std::int64_t> split;        // [n_traj] 0 = train, 1 = test
  std::vector<std::int64_t> pair_split;   // [n_traj, n_time - 1] per consecutive pair, or empty
                                          // (measured data split within a series; else `split`)

  // Solver statistics per trajectory.
  std::vector<std::int64_t> n_steps;      // [n_traj] accepted steps
  std::vector<std::int64_t> n_rejected;   // [n_traj]
  std::vector<std::int64_t> n_rhs;        // [n_traj] right-hand-side evaluations
  std::vector<std::int64_t> n_newton;     // [n_traj] Newton iterations (dg only)
  std::vector<double> max_residual;       // [n_traj] worst Newton residual (dg only)

  // Provenance and generation settings, stored as root attributes.
  std::map<std::string, std::string> text_attrs;   // command_line, integrator, created, ...
  std::map<std::string, double> number_attrs;      // rtol, atol, noise, dt, ...
  std::map<std::string, std::int64_t> int_attrs;   // seed, n_total_trajectories, shard, ...
  std::map<std::string, std::string> all_attrs;    // read_dataset only: every root attribute as text

  long n_time() const { return static_cast<long>(t.size()); }
};

// Where the per-trajectory arrays of a merged file live when they are not copied: shard i holds
// rows [offsets[i], offsets[i] + counts[i]) of every [n_traj, ...] array, under the same name.
struct VirtualSources {
  std::vector<std::string> files;  // as stored in the file (relative to the merged file's folder)
  std::vector<std::uint64_t> offsets;
  std::vector<std::uint64_t> counts;
};

// Writes atomically (temporary file + rename): no file appears under `path` on failure.
// With `sources`, the large fields (t0_fields/*, diagnostics/energy, diagnostics/mass) are
// HDF5 virtual datasets over the shard files instead of copies.
void write_dataset(const std::string& path, const TrajectorySet& d, const VirtualSources* sources = nullptr);

// Merges shards written by `generate --shard`: checks that they come from one configuration
// (system, parameters, preset, grid, integrator, tolerances, noise, seed, shard count) and
// cover the trajectory indices 0..n_total-1 exactly once; returns them in index order.
// IoError naming the offending file otherwise. `layout` receives the shards in index order.
struct ShardBlock {
  std::string path;
  std::uint64_t first;  // first global trajectory index
  std::uint64_t count;
};
TrajectorySet merge_shards(const std::vector<std::string>& paths, std::vector<ShardBlock>* layout = nullptr);

// Reads a file written by write_dataset; IoError naming the missing piece otherwise.
TrajectorySet read_dataset(const std::string& path);

}  // namespace dgsim::io
