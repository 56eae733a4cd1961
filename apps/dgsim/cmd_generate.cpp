// dgsim generate: simulate a registered system and write a dataset file.

#include <chrono>
#include <cmath>
#include <limits>
#include <fmt/format.h>
#include <iostream>

#include "apps/dgsim/cli_common.hpp"
#include "apps/dgsim/commands.hpp"
#include "lib/core/atomic_file.hpp"
#include "lib/core/log.hpp"
#include "lib/io/dataset_file.hpp"
#include "systems/generate.hpp"

namespace dgsim::cli {

namespace {

// Loaded systems: convert a measurement file into the dataset schema.
int run_load(const systems::SystemEntry& entry, const po::variables_map& vm, const std::string& input,
             std::string output, const std::vector<std::string>& param_items, const CommonOptions& common) {
  if (input.empty()) throw UsageError("generate", fmt::format("system '{}' is loaded from a file: give --input FILE", entry.name));
  for (const char* opt : {"preset", "n-traj", "n-train", "t-end", "n-steps", "dt", "integrator", "dg-method",
                          "substeps", "rtol", "atol", "noise", "seed", "shard"})
    if (vm.count(opt) && !vm[opt].defaulted())
      throw UsageError("generate", fmt::format("--{} does not apply to the loaded system '{}'", opt, entry.name));
  if (output.empty()) output = entry.name + ".h5";
  check_output_path(output, {{"--input", input}});
  systems::LoadConfig cfg;
  cfg.input = input;
  cfg.params = parse_params("generate", param_items);
  cfg.command_line = command_line();
  const io::TrajectorySet d = entry.load(cfg);
  io::write_dataset(output, d);
  long n_test = 0;
  for (auto s : d.pair_split) n_test += s;
  const long n_pairs = static_cast<long>(d.pair_split.size());
  if (common.json)
    std::cout << fmt::format("{{\"output\": {}, \"system\": {}, \"n_time\": {}, \"train_pairs\": {}, \"test_pairs\": {}}}\n",
                             json_quote(output), json_quote(d.system), d.n_time(), n_pairs - n_test, n_test);
  else
    DGSIM_LOG_INFO("wrote {}: {} measured states of {}, {} train / {} test pairs", output, d.n_time(), d.system,
                   n_pairs - n_test, n_test);
  return 0;
}

}  // namespace

int run_generate(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string system, preset, output, integrator, dg_method, shard = "0/1", input;
  std::vector<std::string> param_items;
  long n_traj = 0, n_steps = 0, n_train = -1, substeps = 1;
  double t_end = 0, dt = 0, noise = -1, rtol = 0, atol = 0;
  std::int64_t seed = 0;
  int threads = default_threads();

  po::options_description desc("options");
  desc.add_options()
      ("system", po::value(&system), "system name (see `dgsim systems`)")
      ("preset", po::value(&preset), "dataset preset (default: the system's first, the DGNet paper's)")
      ("output,o", po::value(&output), "output file (default: SYSTEM.h5)")
      ("n-traj", po::value(&n_traj), "number of trajectories")
      ("n-train", po::value(&n_train), "trajectories in the training split")
      ("t-end", po::value(&t_end), "end of the saved time grid (starts at 0)")
      ("n-steps", po::value(&n_steps), "intervals of the saved time grid (n-steps + 1 states)")
      ("dt", po::value(&dt), "interval of the saved time grid (with --t-end or --n-steps)")
      ("integrator", po::value(&integrator), "ground-truth integrator: dop853, dopri5, rk4, rk2, euler, leapfrog, dg")
      ("dg-method", po::value(&dg_method), "discrete gradient for --integrator dg: gonzalez, itoh-abe, avf, dvdm (PDEs); default dvdm for PDEs, avf for polynomial H, else gonzalez")
      ("substeps", po::value(&substeps), "fixed-step integrators: steps per saved interval")
      ("rtol", po::value(&rtol), "relative tolerance (adaptive integrators; Newton for dg)")
      ("atol", po::value(&atol), "absolute tolerance (adaptive integrators)")
      ("param", po::value(&param_items)->composing(), "system parameter NAME=VALUE (repeatable)")
      ("noise", po::value(&noise), "standard deviation of Gaussian noise added to the stored states")
      ("seed", po::value(&seed), "random seed; trajectory i depends only on (seed, i)")
      ("threads", po::value(&threads), "worker threads (the data do not depend on it)")
      ("shard", po::value(&shard), "write only block i of n (i/n, or auto from SLURM_ARRAY_TASK_ID/COUNT)")
      ("input", po::value(&input), "loaded systems (real-pendulum): the measurement file to convert");
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("system", 1);
  po::variables_map vm;
  if (!parse("generate", args, desc, pos, vm, "dgsim generate SYSTEM [options]",
             "dgsim generate pendulum --preset dgnet --seed 3 -o pendulum.h5"))
    return 0;
  apply_common_options(common);
  if (system.empty()) throw UsageError("generate", "no system given");

  const auto& entry = systems::find_system(system);
  if (entry.kind == systems::Kind::loaded) return run_load(entry, vm, input, output, param_items, common);
  if (vm.count("input")) throw UsageError("generate", fmt::format("--input is only for loaded systems; '{}' is simulated", system));

  systems::GenerateConfig cfg;
  cfg.system = system;
  cfg.preset = systems::find_preset(entry, preset);
  auto& p = cfg.preset;
  if (vm.count("n-traj")) {
    if (n_traj < 1) throw UsageError("generate", fmt::format("--n-traj must be at least 1, got {}", n_traj));
    // Keep the preset's train fraction unless --n-train says otherwise.
    const double train_fraction = static_cast<double>(p.n_train) / static_cast<double>(p.n_traj);
    p.n_traj = n_traj;
    p.n_train = std::lround(train_fraction * static_cast<double>(n_traj));
  }
  if (vm.count("n-train")) p.n_train = n_train;
  if (p.n_train < 0 || p.n_train > p.n_traj)
    throw UsageError("generate", fmt::format("--n-train {} must lie in [0, {}]", p.n_train, p.n_traj));

  // Time grid: any two of --t-end, --n-steps, --dt; one of them alone changes only itself.
  const bool has_t = vm.count("t-end"), has_n = vm.count("n-steps"), has_dt = vm.count("dt");
  if (has_t && has_n && has_dt) throw UsageError("generate", "give at most two of --t-end, --n-steps, --dt");
  if (has_dt && !(dt > 0.0)) throw UsageError("generate", fmt::format("--dt must be positive, got {}", dt));
  if (has_t) p.t_end = t_end;
  if (has_n) p.n_steps = n_steps;
  if (has_dt) {
    if (has_n) {
      p.t_end = dt * static_cast<double>(p.n_steps);
    } else {
      const double steps = p.t_end / dt;
      if (!(steps <= 1e15))
        throw UsageError("generate", fmt::format("--dt {} gives {:.3g} steps over t_end {}; at most 1e15 are accepted", dt, steps, p.t_end));
      if (std::abs(steps - std::round(steps)) > 1e-9 * steps)
        throw UsageError("generate", fmt::format("--dt {} does not divide --t-end {} into whole steps", dt, p.t_end));
      p.n_steps = std::lround(steps);
    }
  }
  if (vm.count("noise")) p.noise = noise;
  if (vm.count("rtol")) p.rtol = rtol;
  if (vm.count("atol")) p.atol = atol;
  if (!(p.rtol > 0.0) || !(p.atol > 0.0))
    throw UsageError("generate", fmt::format("tolerances must be positive, got rtol {} atol {}", p.rtol, p.atol));

  cfg.params = parse_params("generate", param_items);
  cfg.integrator = integrator;
  cfg.dg_method = dg_method;
  cfg.substeps = substeps;
  cfg.seed = seed_value("generate", seed);
  cfg.threads = threads;
  std::tie(cfg.shard, cfg.n_shards) = parse_shard("generate", shard);
  cfg.progress = !common.quiet;
  cfg.command_line = command_line();
  if (output.empty())
    output = cfg.n_shards > 1 ? fmt::format("{}-shard{}of{}.h5", system, cfg.shard, cfg.n_shards) : system + ".h5";

  check_output_path(output);
  const auto start = std::chrono::steady_clock::now();
  const io::TrajectorySet d = systems::generate(cfg);
  io::write_dataset(output, d);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  long steps = 0, rejected = 0, rhs = 0, newton = 0;
  for (long j = 0; j < d.n_traj; ++j) {
    steps += d.n_steps[static_cast<size_t>(j)];
    rejected += d.n_rejected[static_cast<size_t>(j)];
    rhs += d.n_rhs[static_cast<size_t>(j)];
    if (!d.n_newton.empty()) newton += d.n_newton[static_cast<size_t>(j)];
  }
  // Energy law along the trajectories: worst relative drift (conservative systems) or worst
  // increase between consecutive states (dissipative ones), relative to |H(0)|.
  double energy_law = d.dissipative ? -std::numeric_limits<double>::infinity() : 0.0;
  for (long j = 0; j < d.n_traj; ++j) {
    const double* h = d.energy.data() + j * d.n_time();
    const double scale = std::max(std::abs(h[0]), 1e-300);
    for (long k = 1; k < d.n_time(); ++k)
      energy_law = std::max(energy_law, d.dissipative ? (h[k] - h[k - 1]) / scale : std::abs(h[k] - h[0]) / scale);
  }
  const char* law_name = d.dissipative ? "max_relative_energy_increase" : "max_relative_energy_change";
  const std::string integ = d.text_attrs.at("integrator");
  if (common.json) {
    std::cout << fmt::format(
        "{{\"output\": {}, \"system\": {}, \"preset\": {}, \"n_traj\": {}, \"n_time\": {}, \"dim\": {}, "
        "\"integrator\": {}, \"seconds\": {:.6g}, \"steps\": {}, \"rejected\": {}, \"rhs_evaluations\": {}, "
        "\"newton_iterations\": {}, \"{}\": {:.6g}}}\n",
        json_quote(output), json_quote(d.system), json_quote(d.preset), d.n_traj, d.n_time(), d.dim,
        json_quote(integ), seconds, steps, rejected, rhs, newton, law_name, energy_law);
  } else {
    DGSIM_LOG_INFO("wrote {}: {} trajectories x {} states of {} ({} values each), {} in {:.3f} s", output, d.n_traj,
                   d.n_time(), d.system, d.dim, integ, seconds);
    DGSIM_LOG_INFO("solver: {} steps, {} rejected, {} rhs evaluations{}; {} {:.3g}", steps, rejected, rhs,
                   newton > 0 ? fmt::format(", {} Newton iterations", newton) : "", law_name, energy_law);
  }
  return 0;
}

}  // namespace dgsim::cli
