#include "systems/generate.hpp"

#include <atomic>
#include <cmath>
#include <exception>
#include <fmt/format.h>
#include <mutex>
#include <thread>

#include "lib/core/error.hpp"
#include "lib/core/interrupt.hpp"
#include "lib/core/progress.hpp"
#include "lib/core/rng.hpp"
#include "lib/ode/integrate.hpp"
#include "lib/ode/stepper.hpp"
#include "systems/discrete_gradients.hpp"

namespace dgsim::systems {
namespace {

struct TrajectoryResult {
  Mat states;  // [n_time, dim]
  ode::Stats stats;
};

TrajectoryResult simulate(const System& sys, const Vec& u0, const std::vector<double>& times,
                          const std::string& integrator, const GenerateConfig& cfg) {
  if (integrator == "dg") {
    TrajectoryResult r;
    r.stats = integrate_dg(sys, cfg.dg_method, u0, times, cfg.preset.rtol, cfg.substeps, r.states);
    return r;
  }
  auto stepper = ode::make_stepper(integrator, {cfg.preset.rtol, cfg.preset.atol});
  const ode::Rhs f = [&sys](double, const Vec& y, Vec& dydt) { sys.rhs(y, dydt); };
  ode::DriverOptions opt;
  if (!stepper->adaptive()) opt.dt = (times[1] - times[0]) / static_cast<double>(cfg.substeps);
  TrajectoryResult r;
  // Polling at every saved time lets SIGINT stop even one long trajectory promptly.
  r.states = ode::integrate_times(*stepper, f, u0, times, opt, [](long, double, const Vec&) { throw_if_interrupted(); });
  r.stats = stepper->stats();
  return r;
}

}  // namespace

std::vector<long> shard_indices(long n_traj, long shard, long n_shards) {
  if (n_shards < 1 || shard < 0 || shard >= n_shards)
    throw ConfigError(fmt::format("shard {}/{} is out of range (need 0 <= i < n)", shard, n_shards));
  std::vector<long> idx;
  for (long i = shard * n_traj / n_shards; i < (shard + 1) * n_traj / n_shards; ++i) idx.push_back(i);
  return idx;
}

io::TrajectorySet generate(const GenerateConfig& cfg) {
  auto sys = make_system(cfg.system, cfg.params);
  const DatasetPreset& p = cfg.preset;
  const std::string integrator = cfg.integrator.empty() ? p.integrator : cfg.integrator;
  if (p.n_traj < 1) throw ConfigError(fmt::format("--n-traj must be at least 1, got {}", p.n_traj));
  if (p.n_steps < 1) throw ConfigError(fmt::format("--n-steps must be at least 1, got {}", p.n_steps));
  if (!(p.t_end > 0.0) || !std::isfinite(p.t_end))
    throw ConfigError(fmt::format("--t-end must be positive and finite, got {}", p.t_end));
  if (!(p.noise >= 0.0)) throw ConfigError(fmt::format("--noise must be >= 0, got {}", p.noise));
  if (cfg.substeps < 1) throw ConfigError(fmt::format("--substeps must be at least 1, got {}", cfg.substeps));
  if (cfg.threads < 1) throw ConfigError(fmt::format("--threads must be at least 1, got {}", cfg.threads));
  if (integrator == "dg") parse_dg_method(*sys, cfg.dg_method);  // fail early on a bad --dg-method

  if (integrator != "dg" && ode::make_stepper(integrator)->requires_separable() && !sys->capabilities().separable)
    throw ConfigError(fmt::format("integrator '{}' needs a separable Hamiltonian; system '{}' is not", integrator,
                                  sys->name()));  // (make_stepper also rejects an unknown name here, before any work)

  const long dim = sys->dim();
  const long nt = p.n_steps + 1;
  std::vector<double> times(static_cast<size_t>(nt));
  for (long k = 0; k < nt; ++k) times[static_cast<size_t>(k)] = p.t_end * static_cast<double>(k) / static_cast<double>(p.n_steps);
  const std::vector<long> indices = shard_indices(p.n_traj, cfg.shard, cfg.n_shards);
  const long n = static_cast<long>(indices.size());

  io::TrajectorySet d;
  d.system = sys->name();
  d.preset = p.name;
  d.state_names = sys->state_names();
  const Grid grid = sys->grid();
  d.n_spatial_dims = grid.n_spatial_dims;
  d.x = grid.x;
  d.length = grid.length;
  d.boundary = grid.boundary;
  d.params = sys->params();
  d.G = Mat(sys->structure_matrix());
  d.dissipative = sys->capabilities().dissipative;
  d.has_mass = sys->capabilities().mass;
  d.n_traj = n;
  d.dim = dim;
  d.t = times;
  const auto n_states = static_cast<size_t>(n * nt * dim);
  d.u.resize(n_states);
  d.dudt.resize(n_states);
  if (p.noise > 0.0) d.u_clean.resize(n_states);
  d.energy.resize(static_cast<size_t>(n * nt));
  if (d.has_mass) d.mass.resize(static_cast<size_t>(n * nt));
  d.index.resize(static_cast<size_t>(n));
  d.split.resize(static_cast<size_t>(n));
  d.n_steps.resize(static_cast<size_t>(n));
  d.n_rejected.resize(static_cast<size_t>(n));
  d.n_rhs.resize(static_cast<size_t>(n));
  if (integrator == "dg") {
    d.n_newton.resize(static_cast<size_t>(n));
    d.max_residual.resize(static_cast<size_t>(n));
  }

  const long n_test = p.n_traj - p.n_train;
  std::atomic<long> next{0}, done{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  Progress progress(fmt::format("generate {}", d.system), n, cfg.progress);

  auto work = [&]() {
    Vec u0(dim), u(dim), dudt(dim);
    while (!failed.load()) {
      const long j = next.fetch_add(1);
      if (j >= n) break;
      try {
        throw_if_interrupted();
        const long i = indices[static_cast<size_t>(j)];
        Rng rng(cfg.seed, RngStream::initial_state, static_cast<std::uint64_t>(i));
        sys->sample_initial_state(rng, u0);
        TrajectoryResult r;
        try {
          r = simulate(*sys, u0, times, integrator, cfg);
        } catch (const NumericalError& e) {
          throw e.prefixed(fmt::format("trajectory {}", i));
        }
        Rng noise(cfg.seed, RngStream::noise, static_cast<std::uint64_t>(i));
        for (long k = 0; k < nt; ++k) {
          u = r.states.row(k).transpose();
          sys->rhs(u, dudt);
          const auto off = static_cast<size_t>((j * nt + k) * dim);
          for (long c = 0; c < dim; ++c) {
            const double clean = u[c];
            d.dudt[off + static_cast<size_t>(c)] = dudt[c];
            d.u[off + static_cast<size_t>(c)] = p.noise > 0.0 ? clean + p.noise * noise.normal() : clean;
            if (p.noise > 0.0) d.u_clean[off + static_cast<size_t>(c)] = clean;
          }
          d.energy[static_cast<size_t>(j * nt + k)] = sys->energy(u);
          if (d.has_mass) d.mass[static_cast<size_t>(j * nt + k)] = sys->mass(u);
        }
        const auto js = static_cast<size_t>(j);
        d.index[js] = i;
        d.split[js] = p.test_first ? (i < n_test ? 1 : 0) : (i >= p.n_train ? 1 : 0);
        d.n_steps[js] = r.stats.n_steps;
        d.n_rejected[js] = r.stats.n_rejected;
        d.n_rhs[js] = r.stats.n_rhs;
        if (!d.n_newton.empty()) {
          d.n_newton[js] = r.stats.n_newton;
          d.max_residual[js] = r.stats.max_residual;
        }
        done.fetch_add(1);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed.store(true);
      }
    }
  };

  const int n_threads = static_cast<int>(std::min<long>(cfg.threads, std::max<long>(n, 1)));
  std::vector<std::thread> pool;
  for (int w = 1; w < n_threads; ++w) pool.emplace_back(work);
  // The calling thread works too, and reports progress between trajectories.
  std::thread reporter;
  if (n_threads > 1) {
    reporter = std::thread([&] {
      while (done.load() < n && !failed.load()) {
        progress.update(done.load());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  work();
  for (auto& t : pool) t.join();
  if (reporter.joinable()) reporter.join();
  if (error) std::rethrow_exception(error);
  progress.update(n);
  progress.finish();

  d.text_attrs["integrator"] = integrator;
  d.text_attrs["command_line"] = cfg.command_line;
  d.text_attrs["split_rule"] = p.test_first ? fmt::format("first {} trajectories test, rest train", n_test)
                                            : fmt::format("first {} trajectories train, rest test", p.n_train);
  if (integrator == "dg") d.text_attrs["dg_method"] = cfg.dg_method.empty() ? default_dg_method(*sys) : cfg.dg_method;
  d.number_attrs["rtol"] = p.rtol;
  d.number_attrs["atol"] = p.atol;
  d.number_attrs["noise"] = p.noise;
  d.number_attrs["dt"] = p.t_end / static_cast<double>(p.n_steps);
  d.number_attrs["t_end"] = p.t_end;
  d.int_attrs["seed"] = static_cast<std::int64_t>(cfg.seed);
  d.int_attrs["n_total_trajectories"] = p.n_traj;
  d.int_attrs["n_train"] = p.n_train;
  d.int_attrs["n_steps"] = p.n_steps;
  d.int_attrs["substeps"] = cfg.substeps;
  d.int_attrs["shard"] = cfg.shard;
  d.int_attrs["n_shards"] = cfg.n_shards;
  return d;
}

}  // namespace dgsim::systems
