// Benchmark of the PDE ground truth: the full DGNet datasets (KdV and Cahn–Hilliard, 100 series
// x 500 DVDM steps, N = 50) through systems::generate with 1 and 2 threads, and the cost of one
// DG step against the grid size N (it should grow linearly: the Newton matrices are
// cyclic-banded and factorised by a sparse LU whose pattern analysis is reused).
//
//   bench_generate_pde [repeats=3]
//
// Prints a table on stdout: best wall and process CPU time (all threads) of `repeats` runs.
// "max rise/H" is the largest step-to-step relative increase of H (<= 0: H never increased).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <string>
#include <vector>

#include "systems/discrete_gradients.hpp"
#include "systems/generate.hpp"
#include "systems/registry.hpp"

using namespace dgsim;
using namespace dgsim::systems;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void bench_dataset(const std::string& system, int threads, int repeats) {
  GenerateConfig cfg;
  cfg.system = system;
  cfg.preset = find_preset(find_system(system), "dgnet");
  cfg.threads = threads;
  cfg.progress = false;
  double best = 1e300, best_cpu = 1e300;
  io::TrajectorySet d;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();  // process CPU time, all threads
    d = generate(cfg);
    best = std::min(best, seconds_since(start));
    best_cpu = std::min(best_cpu, static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
  }
  long steps = 0, newton = 0;
  double max_residual = 0.0, drift = 0.0, rise = -1e300;
  for (long j = 0; j < d.n_traj; ++j) {
    const auto js = static_cast<size_t>(j);
    steps += d.n_steps[js];
    newton += d.n_newton[js];
    max_residual = std::max(max_residual, d.max_residual[js]);
    const auto e = [&](long k) { return d.energy[static_cast<size_t>(j * d.n_time() + k)]; };
    for (long k = 1; k < d.n_time(); ++k) {
      drift = std::max(drift, std::abs(e(k) - e(0)) / std::abs(e(0)));
      rise = std::max(rise, (e(k) - e(k - 1)) / std::abs(e(k - 1)));
    }
  }
  const std::string drift_text = d.dissipative ? "-" : fmt::format("{:.2e}", drift);
  fmt::print("{:<14} {:>3} {:>7} {:>9.3f} {:>8.3f} {:>11.2f} {:>9.2f} {:>10.2e} {:>11} {:>11.2e}\n", system, threads,
             steps, best, best_cpu, 1e6 * best_cpu / static_cast<double>(steps),
             static_cast<double>(newton) / static_cast<double>(steps), max_residual, drift_text, rise);
  std::fflush(stdout);
}

void bench_grid(const std::string& system, int m, int repeats) {
  const auto sys = make_system(system, {{"M", static_cast<double>(m)}});
  const DatasetPreset& p = find_preset(find_system(system), "dgnet");
  const long n_steps = 200;
  const double dt = p.t_end / static_cast<double>(p.n_steps);
  Rng rng(0, RngStream::initial_state, 0);
  Vec u0;
  sys->sample_initial_state(rng, u0);
  double best = 1e300;
  ode::Stats stats;
  for (int r = 0; r < repeats; ++r) {
    Mat states;
    const std::clock_t start = std::clock();  // CPU time: robust on a shared machine
    stats = integrate_dg(*sys, "", u0, {0.0, dt * static_cast<double>(n_steps)}, p.rtol, n_steps, states);
    best = std::min(best, static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC);
  }
  const double us = 1e6 * best / static_cast<double>(n_steps);
  fmt::print("{:<14} {:>5} {:>10.2f} {:>12.4f} {:>9.2f}\n", system, m, us, us / m,
             static_cast<double>(stats.n_newton) / static_cast<double>(stats.n_steps));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  fmt::print("Full DGNet datasets (100 series x 500 steps, N = 50, Newton tol 1e-10), best of {}:\n", repeats);
  fmt::print("{:<14} {:>3} {:>7} {:>9} {:>8} {:>11} {:>9} {:>10} {:>11} {:>11}\n", "system", "thr", "steps", "wall [s]",
             "cpu [s]", "cpu us/step", "newton/st", "max resid", "max|dH|/H0", "max rise/H");
  for (const std::string s : {"kdv", "cahn-hilliard"})
    for (int threads : {1, 2}) bench_dataset(s, threads, repeats);
  fmt::print("\nOne DVDM step against the grid size N (200 steps, dgnet time step), CPU time, best of {}:\n", repeats);
  fmt::print("{:<14} {:>5} {:>10} {:>12} {:>9}\n", "system", "N", "cpu us/st", "us/step/N", "newton/st");
  for (const std::string s : {"kdv", "cahn-hilliard"})
    for (int m : {50, 200, 800}) bench_grid(s, m, repeats);
  return 0;
}
