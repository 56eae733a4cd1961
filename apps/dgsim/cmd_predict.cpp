// dgsim predict: roll out a learned model with any integrator (the implicit DG scheme of the
// paper's Eq. 6 included), score it with the paper's metrics (PAPER.md "Metrics") and write
// the predictions in the dataset schema plus a `prediction/` group.
//
// Rollouts (Energy metric):
//   test   every selected series from its first state over its own time grid, against the
//          stored states (PDEs, measured data; ODEs with --fresh 0);
//   fresh  ODE systems (default): --fresh N new initial states as the system's registry row
//          says (systems::FreshRollouts: mass-spring and pendulum ±U(0.2, 1.0) per component
//          over [0, 20] with 100 points; two-body its own sampler over [0, 25] with 500 points),
//          against DOP853 at rtol = atol = 1e-12 on the true system.

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <fmt/format.h>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "apps/dgsim/cli_common.hpp"
#include "apps/dgsim/commands.hpp"
#include "lib/core/atomic_file.hpp"
#include "lib/core/error.hpp"
#include "lib/core/interrupt.hpp"
#include "lib/core/log.hpp"
#include "lib/core/rng.hpp"
#include "lib/core/version.hpp"
#include "lib/io/dataset_file.hpp"
#include "lib/io/h5.hpp"
#include "lib/metrics/prediction.hpp"
#include "lib/nn/model_file.hpp"
#include "lib/ode/discrete_gradient.hpp"
#include "lib/ode/integrate.hpp"
#include "systems/learned_energy.hpp"
#include "systems/registry.hpp"

namespace dgsim::cli {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kFreshDefault = 15;          // PAPER.md: 15 fresh initial states for the ODEs
constexpr double kReferenceTol = 1e-12;    // DOP853 reference on the true system
constexpr std::uint64_t kFreshStreamOffset = std::uint64_t{1} << 40;  // apart from the data's ICs

struct Options {
  std::string model_path, data_path, output, split = "test", integrator, energy_score = "true";
  long n_steps = -1;
  double rtol = 1e-8, atol = 1e-10, newton_tol = 1e-10;
  int threads = 1, fresh = -1;
  bool reuse_jacobian = true;
  std::uint64_t seed = 0;
};

// The series to roll out: initial states, output times, true states.
struct Rollouts {
  std::string mode;                 // "test" or "fresh"
  long n = 0, n_time = 0, dim = 0;
  std::vector<double> t;            // [n_time], shared by all series
  std::vector<double> truth;        // [n, n_time, dim]
  std::vector<std::int64_t> index;  // [n] global series index (fresh: 0..n-1)
};

// Statistics of a rollout.
struct SolverStats {
  long steps = 0, rejected = 0, rhs = 0, newton = 0, jacobians = 0;
  double max_residual = 0.0, seconds = 0.0, cpu_seconds = 0.0;  // wall-clock and process CPU time
};

double q2p2(const Vec& u) { return u.squaredNorm(); }

// States [first, last] of the test pairs of a measured series with a per-pair split.
std::pair<long, long> test_pair_range(const io::TrajectorySet& d, long j) {
  const long np = d.n_time() - 1;
  long a = -1, b = -1;
  for (long k = 0; k < np; ++k)
    if (d.pair_split[static_cast<size_t>(j * np + k)] == 1) {
      if (a < 0) a = k;
      b = k;
    }
  return {a, b};
}

Rollouts test_rollouts(const io::TrajectorySet& d, const std::vector<long>& series, long n_steps, bool pairs) {
  Rollouts r;
  r.mode = "test";
  r.dim = d.dim;
  const std::vector<double>& states = d.u_clean.empty() ? d.u : d.u_clean;
  long first = 0, avail = d.n_time();
  if (pairs) {  // measured data: the test block of the (single) series, e.g. 110 states
    const auto [a, b] = test_pair_range(d, series.front());
    first = a;
    avail = b - a + 1;
  }
  r.n_time = n_steps < 0 ? avail : n_steps + 1;
  if (r.n_time > avail || r.n_time < 2)
    throw ConfigError(fmt::format("--n-steps {} outside [1, {}] (the length of the series)", r.n_time - 1, avail - 1));
  r.t.assign(d.t.begin() + first, d.t.begin() + first + r.n_time);
  for (long j : series) {
    const double* s = states.data() + (j * d.n_time() + first) * d.dim;
    r.truth.insert(r.truth.end(), s, s + r.n_time * d.dim);
    r.index.push_back(d.index[static_cast<size_t>(j)]);
  }
  r.n = static_cast<long>(series.size());
  return r;
}

Rollouts fresh_rollouts(const systems::System& sys, const systems::FreshRollouts& how, int n, std::uint64_t seed,
                        long n_steps) {
  Rollouts r;
  r.mode = "fresh";
  r.dim = sys.dim();
  r.n = n;
  r.n_time = n_steps < 0 ? how.points : n_steps + 1;
  if (r.n_time < 2) throw ConfigError(fmt::format("--n-steps must be at least 1, got {}", n_steps));
  const double dt = how.t_end / static_cast<double>(how.points - 1);
  for (long k = 0; k < r.n_time; ++k) r.t.push_back(dt * static_cast<double>(k));
  auto ref = ode::make_stepper("dop853", {kReferenceTol, kReferenceTol});
  const ode::Rhs f = [&sys](double, const Vec& y, Vec& dydt) { sys.rhs(y, dydt); };
  for (int i = 0; i < n; ++i) {
    Rng rng(seed, RngStream::initial_state, kFreshStreamOffset + static_cast<std::uint64_t>(i));
    Vec u0(r.dim);
    if (how.own_sampler) {
      sys.sample_initial_state(rng, u0);
    } else {
      for (long c = 0; c < r.dim; ++c) {
        const double mag = rng.uniform(0.2, 1.0);
        u0[c] = rng.uniform() < 0.5 ? -mag : mag;
      }
    }
    const Mat ys = ode::integrate_times(*ref, f, u0, r.t);
    const RowMat rows = ys;
    r.truth.insert(r.truth.end(), rows.data(), rows.data() + rows.size());
    r.index.push_back(i);
  }
  return r;
}

// Rolls out all series; returns predicted states [n, n_time, dim].
std::vector<double> roll_out(nn::Model& model, const nn::ModelState& state, const std::string& integrator,
                             const Rollouts& r, const Options& opt, SolverStats& st) {
  const int n = static_cast<int>(r.n);
  std::vector<double> pred(static_cast<size_t>(r.n * r.n_time * r.dim));
  Vec u0(r.n * r.dim);
  for (long j = 0; j < r.n; ++j)
    u0.segment(j * r.dim, r.dim) = Eigen::Map<const Vec>(r.truth.data() + j * r.n_time * r.dim, r.dim);
  const auto store = [&](const Mat& ys, long j0, long nb) {  // ys [n_time, nb * dim]
    for (long k = 0; k < r.n_time; ++k)
      for (long b = 0; b < nb; ++b)
        for (long c = 0; c < r.dim; ++c)
          pred[static_cast<size_t>(((j0 + b) * r.n_time + k) * r.dim + c)] = ys(k, b * r.dim + c);
  };
  const ode::Observer poll = [](long, double, const Vec&) { throw_if_interrupted(); };
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  if (integrator == "dg") {
    // All series in one batched problem: one network evaluation per Newton iteration.
    systems::LearnedDgProblem problem(model, n, opt.threads);
    ode::DiscreteGradientOptions dgo;
    dgo.tol = opt.newton_tol;
    dgo.guess = ode::DiscreteGradientOptions::Guess::polynomial;
    dgo.reuse_jacobian = opt.reuse_jacobian;
    ode::DiscreteGradientStepper stepper(problem, dgo);
    // integrate_dg_times' loop, polling for SIGINT/SIGTERM between steps.
    stepper.reset();
    Mat ys(r.n_time, u0.size());
    Vec u = u0;
    ys.row(0) = u.transpose();
    for (long k = 1; k < r.n_time; ++k) {
      throw_if_interrupted();
      const double t0 = r.t[static_cast<size_t>(k - 1)];
      stepper.step(t0, u, r.t[static_cast<size_t>(k)] - t0);
      ys.row(k) = u.transpose();
    }
    store(ys, 0, r.n);
    const ode::Stats& s = stepper.stats();
    st.steps = s.n_steps;
    st.newton = s.n_newton;
    st.rhs = s.n_rhs;
    st.max_residual = s.max_residual;
    st.jacobians = s.n_jacobians;
  } else {
    auto stepper = ode::make_stepper(integrator, {opt.rtol, opt.atol});
    if (stepper->requires_separable() && model.config().kind != nn::ModelKind::srnn)
      throw ConfigError(fmt::format("integrator '{}' needs a separable energy H = T(p) + V(q) (an srnn model), not {}",
                                    integrator, nn::to_string(model.config().kind)));
    // Fixed-step methods advance the whole batch at once; adaptive ones control the error of
    // each series on its own (leapfrog also needs the (q, p) halves of a single state), spread
    // over --threads workers with their own copy of the model. Series are independent, so the
    // results do not depend on the number of threads.
    const bool batched = !stepper->adaptive() && !stepper->requires_separable();
    if (batched) {
      systems::LearnedEnergy le(model);
      const ode::Rhs f = le.rhs(n);
      store(ode::integrate_times(*stepper, f, u0, r.t, {}, poll), 0, r.n);
      st.steps = stepper->stats().n_steps;
      st.rhs = stepper->stats().n_rhs;
    } else {
      std::atomic<long> next{0};
      std::mutex mutex;
      std::exception_ptr error;
      const auto worker = [&](nn::Model* own) {
        try {
          std::optional<nn::RestoredModel> copy;
          if (own == nullptr) copy.emplace(nn::import_state(state));
          nn::Model& m = own != nullptr ? *own : copy->model;
          systems::LearnedEnergy le(m);
          const ode::Rhs f = le.rhs(1);
          auto s = ode::make_stepper(integrator, {opt.rtol, opt.atol});
          for (long j = next++; j < r.n; j = next++) {
            const Vec y0 = u0.segment(j * r.dim, r.dim);
            store(ode::integrate_times(*s, f, y0, r.t, {}, poll), j, 1);
            const std::lock_guard<std::mutex> lock(mutex);
            st.steps += s->stats().n_steps;
            st.rejected += s->stats().n_rejected;
            st.rhs += s->stats().n_rhs;
          }
        } catch (...) {
          const std::lock_guard<std::mutex> lock(mutex);
          if (!error) error = std::current_exception();
          next = r.n;
        }
      };
      const long n_threads = std::max(1L, std::min<long>(opt.threads, r.n));
      std::vector<std::thread> pool;
      for (long i = 1; i < n_threads; ++i) pool.emplace_back(worker, nullptr);
      worker(&model);
      for (auto& t : pool) t.join();
      if (error) std::rethrow_exception(error);
    }
  }
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  st.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  return pred;
}

// One step of the integrator from each state of `from` [n, dim] over dt [n]; returns [n, dim].
std::vector<double> one_steps(nn::Model& model, const nn::ModelState& state, const std::string& integrator,
                              const std::vector<double>& from, const std::vector<double>& dt, long dim,
                              const Options& opt) {
  std::vector<double> out(from.size());
  const long n = static_cast<long>(dt.size());
  for (long p = 0; p < n; ++p) {
    Rollouts r;
    r.n = 1;
    r.dim = dim;
    r.n_time = 2;
    r.t = {0.0, dt[static_cast<size_t>(p)]};
    const std::vector<double> state0(from.begin() + p * dim, from.begin() + (p + 1) * dim);
    r.truth = state0;  // [1, 2, dim]: the start state (the second row is not used)
    r.truth.insert(r.truth.end(), state0.begin(), state0.end());
    SolverStats st;
    const std::vector<double> y = roll_out(model, state, integrator, r, opt, st);
    std::copy(y.begin() + dim, y.end(), out.begin() + p * dim);
  }
  return out;
}

// f on the rows of u in chunks of at most 256 states, so that a tape never holds more than a
// few megabytes per node (PDE states: 256 x N sites x hidden channels).
template <class F>
Mat by_chunks(const Mat& u, F f) {
  constexpr Eigen::Index kChunk = 256;
  Mat out;
  for (Eigen::Index i = 0; i < u.rows(); i += kChunk) {
    const Eigen::Index m = std::min(kChunk, u.rows() - i);
    const Mat y = f(Mat(u.middleRows(i, m)));
    if (i == 0) out.resize(u.rows(), y.cols());
    out.middleRows(i, m) = y;
  }
  return out;
}


}  // namespace

int run_predict(const std::vector<std::string>& args) {
  CommonOptions common;
  Options opt;
  std::int64_t seed_arg = 0;
  po::options_description desc("options");
  desc.add_options()
      ("model", po::value(&opt.model_path), "model file written by `dgsim train`")
      ("data", po::value(&opt.data_path), "dataset file (its true system scores the predictions)")
      ("split", po::value(&opt.split), "series to use: test (default), train or all")
      ("integrator", po::value(&opt.integrator), "dg (paper Eq. 6, Newton), euler, rk2, rk4, dopri5, dop853, leapfrog")
      ("output,o", po::value(&opt.output), "prediction file (dataset schema plus prediction/)")
      ("n-steps", po::value(&opt.n_steps), "steps per rollout (default: the length of the test series)")
      ("rtol", po::value(&opt.rtol), "relative tolerance of dopri5/dop853 (default 1e-8)")
      ("atol", po::value(&opt.atol), "absolute tolerance of dopri5/dop853 (default 1e-10)")
      ("newton-tol", po::value(&opt.newton_tol), "Newton tolerance of dg, relative to the state (default 1e-10)")
      ("full-newton", "dg: evaluate the Jacobian at every Newton iteration (default: simplified Newton, reused while it converges fast)")
      ("fresh", po::value(&opt.fresh), "ODE systems: rollouts from N fresh initial states (default 15; 0: test series)")
      ("seed", po::value(&seed_arg), "seed of the fresh initial states (default 0)")
      ("energy-score", po::value(&opt.energy_score), "energy for the Energy metric: true (the system's H) or q2p2 (sum of squares, the authors' ODE score)")
      ("threads", po::value(&opt.threads), "worker threads (default 1): dg evaluates groups of series in parallel; adaptive methods and leapfrog run series in parallel; results do not depend on it");
  add_common_options(desc, common);
  po::positional_options_description pos;
  po::variables_map vm;
  if (!parse("predict", args, desc, pos, vm,
             "dgsim predict --model MODEL.h5 --data DATA.h5 --integrator dg|rk2|rk4|dopri5|dop853|leapfrog -o PRED.h5 [--json]",
             "dgsim predict --model kdv-dgnet.h5 --data kdv.h5 --integrator dg -o pred.h5 --json"))
    return 0;
  apply_common_options(common);
  opt.reuse_jacobian = vm.count("full-newton") == 0;
  if (opt.model_path.empty()) throw UsageError("predict", "no --model given");
  if (opt.data_path.empty()) throw UsageError("predict", "no --data given");
  if (opt.integrator.empty()) throw UsageError("predict", "no --integrator given");
  if (opt.output.empty()) throw UsageError("predict", "no output file given (-o PRED.h5)");
  if (opt.split != "test" && opt.split != "train" && opt.split != "all")
    throw UsageError("predict", fmt::format("unknown --split '{}' (known: test, train, all)", opt.split));
  if (opt.energy_score != "true" && opt.energy_score != "q2p2")
    throw UsageError("predict", fmt::format("unknown --energy-score '{}' (known: true, q2p2)", opt.energy_score));
  if (!(opt.rtol > 0) || !(opt.atol > 0) || !(opt.newton_tol > 0))
    throw UsageError("predict", "tolerances must be positive");
  if (vm.count("n-steps") && opt.n_steps < 1) throw UsageError("predict", fmt::format("--n-steps must be at least 1, got {}", opt.n_steps));
  if (opt.threads < 1) throw UsageError("predict", fmt::format("--threads must be at least 1, got {}", opt.threads));
  opt.seed = seed_value("predict", seed_arg);
  if (vm.count("fresh") && opt.fresh < 0)
    throw UsageError("predict", fmt::format("--fresh must be >= 0 (0: the test series), got {}", opt.fresh));
  if (opt.integrator != "dg") ode::make_stepper(opt.integrator);  // ConfigError naming the known ones
  check_output_path(opt.output, {{"--model", opt.model_path}, {"--data", opt.data_path}});

  // ---- inputs ----
  const nn::ModelFile mf = nn::read_model_file(opt.model_path);
  nn::RestoredModel restored = nn::import_state(mf.state);
  nn::Model& model = restored.model;
  const io::TrajectorySet d = io::read_dataset(opt.data_path);
  auto it = mf.info_text.find("data.system");
  if (it == mf.info_text.end()) it = mf.info_text.find("system");  // files of an earlier test helper
  if (it != mf.info_text.end() && it->second != d.system)
    throw ConfigError(fmt::format("model '{}' was trained on system '{}', dataset '{}' holds '{}'", opt.model_path,
                                  it->second, opt.data_path, d.system));
  if (model.config().dim != d.dim)
    throw ConfigError(fmt::format("model '{}' has state size {}, dataset '{}' has {}", opt.model_path,
                                  model.config().dim, opt.data_path, d.dim));
  if (opt.integrator == "leapfrog" && model.config().kind != nn::ModelKind::srnn)
    throw ConfigError(fmt::format("integrator 'leapfrog' needs a separable energy H = T(p) + V(q) (an srnn model), not {}",
                                  nn::to_string(model.config().kind)));
  if (opt.integrator == "dg" && !model.has_energy())
    throw ConfigError("integrator 'dg' needs a model with an energy (hnn, srnn, dgnet), not node");
  auto sys = systems::make_system(d.system, d.params);
  const bool pde = d.n_spatial_dims > 0;
  if (pde != model.config().pde)
    throw ConfigError(fmt::format("model '{}' is {} model, dataset '{}' holds {}", opt.model_path,
                                  model.config().pde ? "a PDE" : "an ODE", opt.data_path, pde ? "a PDE" : "an ODE"));
  if (pde && d.x.size() > 1 && std::abs(model.config().dx - (d.x[1] - d.x[0])) > 1e-9 * model.config().dx)
    throw ConfigError(fmt::format("model '{}' has grid spacing {}, dataset '{}' has {}", opt.model_path,
                                  model.config().dx, opt.data_path, d.x[1] - d.x[0]));
  const bool pairs = !d.pair_split.empty();
  const bool simulated_ode = !pde && !pairs;

  std::vector<long> series;
  for (long j = 0; j < d.n_traj; ++j) {
    const auto s = d.split[static_cast<size_t>(j)];
    if (opt.split == "all" || (opt.split == "test") == (s == 1) || pairs) series.push_back(j);
  }
  if (pairs && opt.split != "test")
    throw UsageError("predict", fmt::format("dataset '{}' is measured data split by pair: only --split test applies", opt.data_path));
  if (pairs) series.resize(1);  // a measured series: its test block is selected by pair
  if (series.empty()) throw ConfigError(fmt::format("dataset '{}' has no {} series", opt.data_path, opt.split));
  if (opt.fresh < 0) opt.fresh = simulated_ode ? kFreshDefault : 0;
  if (opt.fresh > 0 && !simulated_ode) throw UsageError("predict", "--fresh applies to simulated ODE systems only");

  // ---- Deriv.: the model's time derivative on the selected stored states ----
  std::vector<long> deriv_states;  // flat indices j * n_time + k
  for (long j : series) {
    long a = 0, b = d.n_time() - 1;
    if (pairs) std::tie(a, b) = test_pair_range(d, j);
    for (long k = a; k <= b; ++k) deriv_states.push_back(j * d.n_time() + k);
  }
  double deriv = kNaN;
  {
    const auto m = static_cast<long>(deriv_states.size());
    Mat us(m, d.dim), target(m, d.dim);
    for (long i = 0; i < m; ++i) {
      us.row(i) = Eigen::Map<const Vec>(d.u.data() + deriv_states[static_cast<size_t>(i)] * d.dim, d.dim).transpose();
      target.row(i) = Eigen::Map<const Vec>(d.dudt.data() + deriv_states[static_cast<size_t>(i)] * d.dim, d.dim).transpose();
    }
    const Mat f = by_chunks(us, [&](const Mat& x) { return model.time_derivative(x); });
    deriv = (f - target).squaredNorm() / static_cast<double>(f.size());
  }

  // ---- rollouts ----
  const Rollouts r = opt.fresh > 0 ? fresh_rollouts(*sys, systems::find_system(d.system).fresh, opt.fresh, opt.seed, opt.n_steps)
                                   : test_rollouts(d, series, opt.n_steps, pairs);
  DGSIM_LOG_INFO("predict: {} {} rollout(s) of {} steps with {}", r.n, r.mode, r.n_time - 1, opt.integrator);
  SolverStats st;
  const std::vector<double> pred = roll_out(model, mf.state, opt.integrator, r, opt, st);

  // ---- energies and metrics ----
  const long nt = r.n_time, n = r.n, dim = r.dim;
  const bool score_true = opt.energy_score == "true";
  const auto score = [&](const Vec& u) { return score_true ? sys->energy(u) : q2p2(u); };
  std::vector<double> h_pred(static_cast<size_t>(n * nt)), h_true(h_pred.size()), h_sys_pred(h_pred.size());
  std::vector<double> mass_pred, mass_scale, learned, learned_scale;
  if (pde) mass_pred.resize(h_pred.size());
  Vec u(dim);
  for (long i = 0; i < n * nt; ++i) {
    u = Eigen::Map<const Vec>(pred.data() + i * dim, dim);
    h_pred[static_cast<size_t>(i)] = score(u);
    h_sys_pred[static_cast<size_t>(i)] = sys->energy(u);
    if (pde) mass_pred[static_cast<size_t>(i)] = u.sum();
    h_true[static_cast<size_t>(i)] = score(Eigen::Map<const Vec>(r.truth.data() + i * dim, dim));
  }
  if (pde)
    for (long j = 0; j < n; ++j)
      mass_scale.push_back(Eigen::Map<const Vec>(pred.data() + j * nt * dim, dim).cwiseAbs().sum());
  const Mat pred_rows = Eigen::Map<const RowMat>(pred.data(), n * nt, dim);
  if (model.has_energy()) {
    const Mat h = by_chunks(pred_rows, [&](const Mat& x) { return model.energy(x); });
    learned.assign(h.data(), h.data() + h.size());
    for (long j = 0; j < n; ++j) learned_scale.push_back(std::max(1.0, std::abs(learned[static_cast<size_t>(j * nt)])));
  }
  const double energy_metric = metrics::energy_error(h_pred, h_true, n, nt);
  const double state_mse = metrics::state_error(pred, r.truth, n, nt, dim);
  metrics::Drift mass_drift, learned_drift;
  double learned_increase = kNaN;
  if (pde) mass_drift = metrics::max_drift(mass_pred, mass_scale, n, nt);
  if (!learned.empty()) {
    learned_drift = metrics::max_drift(learned, learned_scale, n, nt);
    learned_increase = metrics::max_increase(learned, n, nt);
  }
  const metrics::Drift true_drift = metrics::max_drift(h_sys_pred, {}, n, nt);
  double diff = kNaN;
  if (pairs) {  // Diff.: one step from every test pair's first state
    std::vector<double> from, to, dts;
    const long j = series.front();
    const auto [a, b] = test_pair_range(d, j);
    for (long k = a; k <= b; ++k) {
      const double* s = d.u.data() + (j * d.n_time() + k) * d.dim;
      from.insert(from.end(), s, s + d.dim);
      to.insert(to.end(), s + d.dim, s + 2 * d.dim);
      dts.push_back(d.t[static_cast<size_t>(k + 1)] - d.t[static_cast<size_t>(k)]);
    }
    diff = metrics::one_step_error(one_steps(model, mf.state, opt.integrator, from, dts, d.dim, opt), to, dts, d.dim);
  }

  // ---- output file: the dataset schema plus prediction/ ----
  io::TrajectorySet p;
  p.system = d.system;
  p.preset = d.preset;
  p.state_names = d.state_names;
  p.n_spatial_dims = d.n_spatial_dims;
  p.x = d.x;
  p.length = d.length;
  p.boundary = d.boundary;
  p.params = d.params;
  systems::LearnedEnergy le(model);
  p.G = model.has_energy() ? le.structure_matrix() : d.G;  // the structure the prediction follows
  p.dissipative = le.dissipative() || model.config().structure == nn::Structure::D2;
  p.has_mass = model.has_energy() && le.conserves_mass();
  p.n_traj = n;
  p.dim = dim;
  p.t = r.t;
  p.u = pred;
  {
    const Mat f = by_chunks(pred_rows, [&](const Mat& x) { return model.time_derivative(x); });
    const RowMat fr = f;
    p.dudt.assign(fr.data(), fr.data() + fr.size());
  }
  p.energy = h_sys_pred;
  if (p.has_mass) {
    p.mass.resize(h_pred.size());
    for (long i = 0; i < n * nt; ++i) p.mass[static_cast<size_t>(i)] = sys->mass(pred_rows.row(i).transpose());
  }
  p.index = r.index;
  p.split.assign(static_cast<size_t>(n), 1);
  p.n_steps.assign(static_cast<size_t>(n), nt - 1);
  p.n_rejected.assign(static_cast<size_t>(n), 0);
  p.n_rhs.assign(static_cast<size_t>(n), 0);
  if (opt.integrator == "dg") {
    p.n_newton.assign(static_cast<size_t>(n), 0);  // batched: totals are in prediction/ attributes
    p.max_residual.assign(static_cast<size_t>(n), st.max_residual);
  }
  p.text_attrs = {{"content", "prediction"},
                  {"integrator", opt.integrator},
                  {"model_file", opt.model_path},
                  {"data_file", opt.data_path},
                  {"model_kind", nn::to_string(model.config().kind)},
                  {"rollout", r.mode},
                  {"split", opt.split},
                  {"energy_score", score_true ? "true" : "q2p2"},
                  {"command_line", command_line()},
                  {"dgsim_version", version()},
                  {"git_commit", git_commit()}};
  for (const auto& [k, v] : mf.info_text) p.text_attrs["model_info." + k] = v;
  p.number_attrs = {{"rtol", opt.rtol}, {"atol", opt.atol}, {"newton_tol", opt.newton_tol}};
  p.int_attrs = {{"seed", static_cast<std::int64_t>(opt.seed)}, {"n_fresh", opt.fresh}};

  struct Metric {
    const char* name;
    double value;
  };
  const std::vector<Metric> metric_list = {
      {"deriv", deriv},
      {"energy", energy_metric},
      {"mass", pde ? state_mse : kNaN},  // the paper's "Mass" (local mass): the state MSE
      {"state_mse", state_mse},
      {"diff", diff},
      {"mass_drift_abs", pde ? mass_drift.worst_abs : kNaN},
      {"mass_drift_rel", pde ? mass_drift.worst_rel : kNaN},
      {"learned_energy_drift_abs", learned.empty() ? kNaN : learned_drift.worst_abs},
      {"learned_energy_drift_rel", learned.empty() ? kNaN : learned_drift.worst_rel},
      {"learned_energy_max_increase", learned_increase},
      {"true_energy_drift_abs", true_drift.worst_abs},
  };

  AtomicFile out(opt.output);
  io::write_dataset(out.temp_path(), p);
  {
    const io::File f = io::File::open_rw(out.temp_path());
    const io::Group g = f.create_group("prediction");
    g.write_attr("description", "true states, energies and metrics of the rollouts (see dgsim predict --help)");
    const io::StoreOptions so{1, 4, true};
    g.write("u_true", r.truth.data(), {static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(nt), static_cast<std::uint64_t>(dim)}, so);
    g.write("energy_score_pred", h_pred.data(), {static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(nt)}, so);
    g.write("energy_score_true", h_true.data(), {static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(nt)}, so);
    if (!learned.empty()) g.write("learned_energy", learned.data(), {static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(nt)}, so);
    const io::Group m = g.create_group("metrics");
    for (const Metric& x : metric_list) m.write_attr(x.name, x.value);
    const io::Group s = g.create_group("solver");
    s.write_attr("integrator", opt.integrator);
    s.write_attr("steps", static_cast<std::int64_t>(st.steps));
    s.write_attr("rejected", static_cast<std::int64_t>(st.rejected));
    s.write_attr("rhs_evaluations", static_cast<std::int64_t>(st.rhs));
    s.write_attr("newton_iterations", static_cast<std::int64_t>(st.newton));
    s.write_attr("jacobians", static_cast<std::int64_t>(st.jacobians));
    s.write_attr("max_residual", st.max_residual);
    s.write_attr("seconds", st.seconds);
    s.write_attr("cpu_seconds", st.cpu_seconds);
    s.write_attr("batch", static_cast<std::int64_t>(opt.integrator == "dg" ? n : 1));
  }
  out.commit();

  const double batch_steps = static_cast<double>(nt - 1);
  const double newton_per_step = opt.integrator == "dg" ? static_cast<double>(st.newton) / batch_steps : kNaN;
  if (common.json) {
    std::string js = fmt::format("{{\"output\": {}, \"model\": {}, \"data\": {}, \"system\": {}, \"model_kind\": {}, "
                                 "\"integrator\": {}, \"rollout\": {}, \"n_series\": {}, \"n_steps\": {}, \"energy_score\": {}, \"metrics\": {{",
                                 json_quote(opt.output), json_quote(opt.model_path), json_quote(opt.data_path),
                                 json_quote(d.system), json_quote(nn::to_string(model.config().kind)),
                                 json_quote(opt.integrator), json_quote(r.mode), n, nt - 1,
                                 json_quote(score_true ? "true" : "q2p2"));
    for (size_t i = 0; i < metric_list.size(); ++i)
      js += fmt::format("{}\"{}\": {}", i ? ", " : "", metric_list[i].name, json_number(metric_list[i].value));
    js += fmt::format("}}, \"solver\": {{\"seconds\": {:.6g}, \"cpu_seconds\": {:.6g}, \"steps\": {}, \"rejected\": {}, \"rhs_evaluations\": {}, "
                      "\"newton_iterations\": {}, \"newton_per_step\": {}, \"jacobians\": {}, \"max_residual\": {}}}, "
                      "\"dgsim_version\": {}, \"git_commit\": {}, \"blas\": {}}}\n",
                      st.seconds, st.cpu_seconds, st.steps, st.rejected, st.rhs, st.newton, json_number(newton_per_step), st.jacobians,
                      json_number(st.max_residual), json_quote(version()), json_quote(git_commit()), json_quote(blas_kernel()));
    std::cout << js;
  } else {
    std::cout << fmt::format("{} ({}) on {} with {}: {} {} rollout(s) x {} steps in {:.3f} s ({:.3f} s CPU)\n",
                             opt.model_path, nn::to_string(model.config().kind), d.system, opt.integrator, n, r.mode,
                             nt - 1, st.seconds, st.cpu_seconds);
    for (const Metric& x : metric_list)
      if (std::isfinite(x.value)) std::cout << fmt::format("  {:<28} {:.6g}\n", x.name, x.value);
    std::cout << fmt::format("  solver: {} steps, {} rejected, {} rhs evaluations", st.steps, st.rejected, st.rhs);
    if (opt.integrator == "dg")
      std::cout << fmt::format(", {} Newton iterations ({:.2f} per step), {} Jacobians, max residual {:.3g}", st.newton,
                               newton_per_step, st.jacobians, st.max_residual);
    std::cout << fmt::format("\n  energy score: {}; wrote {}\n", score_true ? "the system's H" : "q^2 + p^2", opt.output);
  }
  return 0;
}

}  // namespace dgsim::cli
