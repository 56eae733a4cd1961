#include "lib/nn/training.hpp"

#include <Eigen/LU>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <thread>

#include "lib/core/error.hpp"
#include "lib/core/log.hpp"
#include "lib/core/rng.hpp"
#include "lib/ode/butcher.hpp"
#include "lib/ode/dopri5.hpp"
#include "lib/ode/initial_step.hpp"
#include "lib/ode/integrate.hpp"
#include "lib/ode/stepper.hpp"

namespace dgsim::nn {

using ad::BasicVar;
using ad::Var;

// ---------------------------------------------------------------------------------------------
// Pairs and batches

PairSet make_pairs(const io::TrajectorySet& d, int split, double fixed_dt, double step_dt) {
  const long nt = d.n_time(), dim = d.dim;
  if (fixed_dt > 0.0 && step_dt > 0.0) throw ConfigError("pairs: a fixed Δt and a fixed step exclude each other");
  if (nt < 2) throw ConfigError(fmt::format("dataset has {} time points: no consecutive pairs", nt));
  const bool per_pair = !d.pair_split.empty();
  std::vector<std::pair<long, long>> sel;  // (trajectory, time index n)
  for (long j = 0; j < d.n_traj; ++j)
    for (long n = 0; n + 1 < nt; ++n) {
      const auto s = per_pair ? d.pair_split[static_cast<size_t>(j * (nt - 1) + n)] : d.split[static_cast<size_t>(j)];
      if (s == split) sel.emplace_back(j, n);
    }
  PairSet p;
  const auto rows = static_cast<Eigen::Index>(sel.size());
  for (const auto& [j, n] : sel) {
    p.traj.push_back(j);
    p.step.push_back(n);
  }
  p.u0.resize(rows, dim);
  p.u1.resize(rows, dim);
  p.dt.resize(rows);
  p.target_dt.resize(rows);
  for (Eigen::Index r = 0; r < rows; ++r) {
    const auto [j, n] = sel[static_cast<size_t>(r)];
    const double* a = d.u.data() + (j * nt + n) * dim;
    for (long k = 0; k < dim; ++k) {
      p.u0(r, k) = a[k];
      p.u1(r, k) = a[dim + k];
    }
    const double measured = d.t[static_cast<size_t>(n + 1)] - d.t[static_cast<size_t>(n)];
    if (!(measured > 0.0)) throw ConfigError(fmt::format("dataset: time step {} of series {} is not positive", n, j));
    p.target_dt(r) = fixed_dt > 0.0 ? fixed_dt : measured;
    p.dt(r) = fixed_dt > 0.0 ? fixed_dt : step_dt > 0.0 ? step_dt : measured;
  }
  return p;
}

void gather(const PairSet& all, const std::vector<long>& idx, PairSet& out) {
  const auto rows = static_cast<Eigen::Index>(idx.size());
  out.u0.resize(rows, all.u0.cols());
  out.u1.resize(rows, all.u1.cols());
  out.dt.resize(rows);
  out.target_dt.resize(rows);
  for (Eigen::Index r = 0; r < rows; ++r) {
    const Eigen::Index i = idx[static_cast<size_t>(r)];
    out.u0.row(r) = all.u0.row(i);
    out.u1.row(r) = all.u1.row(i);
    out.dt(r) = all.dt(i);
    out.target_dt(r) = all.target_dt(i);
  }
}

std::vector<long> batch_indices(long n_pairs, long batch, std::uint64_t seed, long iteration) {
  std::vector<long> idx(static_cast<size_t>(n_pairs));
  std::iota(idx.begin(), idx.end(), 0L);
  if (batch <= 0 || batch >= n_pairs) return idx;
  // Partial Fisher–Yates: the first `batch` entries become a uniform sample without replacement.
  Rng rng(seed, RngStream::training, static_cast<std::uint64_t>(iteration));
  for (long i = 0; i < batch; ++i) {
    const long j = i + static_cast<long>(rng.below(static_cast<std::uint64_t>(n_pairs - i)));
    std::swap(idx[static_cast<size_t>(i)], idx[static_cast<size_t>(j)]);
  }
  idx.resize(static_cast<size_t>(batch));
  std::sort(idx.begin(), idx.end());
  return idx;
}

// ---------------------------------------------------------------------------------------------
// Schemes

std::string to_string(Scheme s) {
  switch (s) {
    case Scheme::dg: return "dg";
    case Scheme::euler: return "euler";
    case Scheme::rk2: return "rk2";
    case Scheme::rk4: return "rk4";
    case Scheme::dopri5: return "dopri5";
    case Scheme::leapfrog: return "leapfrog";
  }
  return "?";
}

Scheme parse_scheme(const std::string& name) {
  for (Scheme s : {Scheme::dg, Scheme::euler, Scheme::rk2, Scheme::rk4, Scheme::dopri5, Scheme::leapfrog})
    if (to_string(s) == name) return s;
  throw ConfigError(fmt::format("unknown training integrator '{}' (known: rk2, dopri5, euler, rk4, leapfrog, dg)", name));
}

Scheme default_scheme(ModelKind kind) {
  switch (kind) {
    case ModelKind::dgnet: return Scheme::dg;
    case ModelKind::srnn: return Scheme::leapfrog;
    default: return Scheme::rk2;
  }
}

void check_scheme(ModelKind kind, Scheme s) {
  const std::string m = to_string(kind), n = to_string(s);
  switch (kind) {
    case ModelKind::dgnet:
      if (s != Scheme::dg) throw ConfigError(fmt::format("model dgnet trains with its discrete gradient (paper Eq. 11), not with integrator '{}' (accepted: dg)", n));
      return;
    case ModelKind::srnn:
      if (s != Scheme::leapfrog) throw ConfigError(fmt::format("model srnn trains through a leapfrog step, not with integrator '{}' (accepted: leapfrog)", n));
      return;
    default:
      if (s == Scheme::dg || s == Scheme::leapfrog)
        throw ConfigError(fmt::format("model {} cannot train with integrator '{}' (accepted: rk2, dopri5, euler, rk4)", m, n));
  }
}

namespace {

// [B, dim] matrix whose row r is v(r).
Mat rows_of(const Vec& v, Eigen::Index cols) { return v.replicate(1, cols); }

// One explicit Runge–Kutta step of size h (normalised time) on the tape: k_i = Δt ⊙ f(y_i).
// Stages that influence neither y_new nor a later needed stage are skipped.
template <class S>
BasicVar<S> rk_step(Model& model, const ode::ButcherTableau& tab, BasicVar<S> y, BasicVar<S> dt_rows, double h) {
  const int s = tab.stages();
  std::vector<char> needed(static_cast<size_t>(s), 0);
  for (int i = s - 1; i >= 0; --i) {
    bool need = tab.b(i) != 0.0;
    for (int j = i + 1; j < s && !need; ++j) need = needed[static_cast<size_t>(j)] && tab.a(j, i) != 0.0;
    needed[static_cast<size_t>(i)] = need;
  }
  std::vector<BasicVar<S>> k(static_cast<size_t>(s));
  for (int i = 0; i < s; ++i) {
    if (!needed[static_cast<size_t>(i)]) continue;
    BasicVar<S> yi = y;
    for (int j = 0; j < i; ++j)
      if (tab.a(i, j) != 0.0) yi = ad::add(yi, ad::scale(k[static_cast<size_t>(j)], h * tab.a(i, j)));
    k[static_cast<size_t>(i)] = ad::mul(model.time_derivative(yi), dt_rows);
  }
  BasicVar<S> y_new = y;
  for (int i = 0; i < s; ++i)
    if (tab.b(i) != 0.0) y_new = ad::add(y_new, ad::scale(k[static_cast<size_t>(i)], h * tab.b(i)));
  return y_new;
}

// One Störmer–Verlet step (kick-drift-kick) for u = (q, p) and H = T(p) + V(q): q' = T'(p),
// p' = -V'(q); each kick or drift differentiates only the network it needs. dt_half [B, m]
// holds Δt per row.
template <class S>
BasicVar<S> leapfrog_step(Model& model, ad::BasicTape<S>& tape, BasicVar<S> u, BasicVar<S> dt_half) {
  const Eigen::Index n = u.cols(), m = n / 2;
  Mat sq = Mat::Zero(n, m), sp = Mat::Zero(n, m);
  sq.topRows(m).setIdentity();
  sp.bottomRows(m).setIdentity();
  const BasicVar<S> Sq = tape.leaf(sq), Sp = tape.leaf(sp);
  const BasicVar<S> q = ad::matmul(u, Sq), p = ad::matmul(u, Sp);
  const BasicVar<S> p_half = ad::sub(p, ad::scale(ad::mul(model.potential_gradient(q), dt_half), 0.5));
  const BasicVar<S> q1 = ad::add(q, ad::mul(model.kinetic_gradient(p_half), dt_half));
  const BasicVar<S> p1 = ad::sub(p_half, ad::scale(ad::mul(model.potential_gradient(q1), dt_half), 0.5));
  return ad::add(ad::matmul(q1, Sq, false, true), ad::matmul(p1, Sp, false, true));
}

}  // namespace

namespace {

// Runs fn(w) for w = 0..n-1; w > 0 on threads of their own. Rethrows the first exception.
void run_parallel(int n, const std::function<void(int)>& fn) {
  if (n <= 1) {
    fn(0);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  for (int w = 1; w < n; ++w)
    threads.emplace_back([&, w] {
      try {
        fn(w);
      } catch (...) {
        errors[static_cast<size_t>(w)] = std::current_exception();
      }
    });
  try {
    fn(0);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// Rows [first, last) of block w of n rows split into `parts` blocks.
std::pair<Eigen::Index, Eigen::Index> block(Eigen::Index n, int w, int parts) {
  return {n * w / parts, n * (w + 1) / parts};
}

void slice(const PairSet& all, Eigen::Index first, Eigen::Index last, PairSet& out) {
  out.u0 = all.u0.middleRows(first, last - first);
  out.u1 = all.u1.middleRows(first, last - first);
  out.dt = all.dt.segment(first, last - first);
  out.target_dt = all.target_dt.segment(first, last - first);
}

}  // namespace

namespace {

// One row block of a batch recorded on its own tape by its own model (bound to that tape).
template <class S>
struct Block {
  Model* model = nullptr;
  ad::BasicTape<S>* tape = nullptr;
  BasicVar<S> u0, u1, dt_rows;  // [rows, dim] leaves: u_n, u_{n+1}, Δt_n per row
};

// Clears the tape, binds the model and records the batch's leaves.
template <class S>
Block<S> start_block(Model& model, ad::BasicTape<S>& tape, const PairSet& batch) {
  tape.clear();
  model.bind(tape);
  return {&model, &tape, tape.leaf(batch.u0), tape.leaf(batch.u1), tape.leaf(rows_of(batch.dt, batch.u0.cols()))};
}

template <class S>
BasicVar<S> dopri5_rhs(const Block<S>& blk, BasicVar<S> y) { return ad::mul(blk.model->time_derivative(y), blk.dt_rows); }

// Records one dopri5 step of size h (in s) from y, with k[0] = f(y) recorded: the stages
// k[1..6] and the new state, which is the argument of the last stage (its last row of a is b).
// Without keep_graph each stage's graph is dropped once evaluated (its value becomes a leaf):
// the memory of one evaluation of f instead of six.
template <class S>
BasicVar<S> record_dopri5_step(const Block<S>& blk, const ode::ButcherTableau& tab, BasicVar<S> y, std::vector<BasicVar<S>>& k, double h,
                       bool keep_graph = true) {
  ad::BasicTape<S>& tape = *blk.tape;
  BasicVar<S> y_new;
  for (int st = 1; st < tab.stages(); ++st) {
    const int mark = tape.size();
    BasicVar<S> yi = y;
    for (int j = 0; j < st; ++j)
      if (tab.a(st, j) != 0.0) yi = ad::add(yi, ad::scale(k[static_cast<size_t>(j)], h * tab.a(st, j)));
    BasicVar<S> ki = dopri5_rhs(blk, yi);
    if (!keep_graph) {
      const ad::MatS<S> yv = yi.value(), kv = ki.value();
      tape.truncate(mark);
      yi = tape.leaf(yv);
      ki = tape.leaf(kv);
    }
    if (st == tab.stages() - 1) y_new = yi;
    k[static_cast<size_t>(st)] = ki;
  }
  return y_new;
}

// The outcome of run_dopri5.
template <class S>
struct Dopri5Run {
  std::vector<double> steps;  // accepted step sizes in s (they sum to 1)
  std::vector<BasicVar<S>> y_end;     // u(1) of each block, when the whole integration is recorded
  bool recorded = false;      // y_end holds the graph of every accepted step
  double row_step_bytes = 0;  // recorded graph of the integration per pair and accepted step (0: none)
};

// Integrates du/ds = Δt f(u) from s = 0 to 1 by dopri5 for all blocks as one system, each
// block on its own tape and thread. A step is attempted by recording its stages; its error
// norm is computed from their values (not recorded: the step sizes are not differentiated); a
// rejected attempt is forgotten with Tape::truncate and retried with the controller's smaller
// step. The FSAL stage of an accepted step is the next one's first. Controller as lib/ode's
// Dopri5: Hairer's initial step, then Dopri5Control.
// record: keep the graph of every accepted step, as long as it stays within max_bytes (> 0; 0:
// no bound), counted as forward bytes times backward_factor; past that, and from the start
// without record, each accepted step's graph is dropped once the step is taken (only the step
// sizes are kept, for replay_dopri5). Adds the accepted and rejected steps and the evaluations
// of f (of the whole batch) to *stats.
template <class S>
Dopri5Run<S> run_dopri5(const std::vector<Block<S>>& blocks, const LossOptions& opt, bool record, double max_bytes,
                     double backward_factor, ode::Stats* stats = nullptr) {
  const ode::ButcherTableau& tab = ode::tableau("dopri5");
  const int parts = static_cast<int>(blocks.size()), s_n = tab.stages();
  const Eigen::Index n = blocks[0].u0.cols();
  std::vector<Eigen::Index> first(static_cast<size_t>(parts) + 1, 0);  // first row of each block
  for (int w = 0; w < parts; ++w) first[static_cast<size_t>(w) + 1] = first[static_cast<size_t>(w)] + blocks[static_cast<size_t>(w)].u0.rows();
  const Eigen::Index b = first.back();
  std::vector<int> start(static_cast<size_t>(parts));  // each tape's size before the integration
  for (int w = 0; w < parts; ++w) start[static_cast<size_t>(w)] = blocks[static_cast<size_t>(w)].tape->size();

  std::vector<BasicVar<S>> y(static_cast<size_t>(parts));
  std::vector<std::vector<BasicVar<S>>> k(static_cast<size_t>(parts), std::vector<BasicVar<S>>(static_cast<size_t>(s_n)));
  run_parallel(parts, [&](int w) {
    const auto i = static_cast<size_t>(w);
    y[i] = blocks[i].u0;
    k[i][0] = dopri5_rhs(blocks[i], y[i]);
  });

  // Hairer's initial step on plain values; its extra evaluation is recorded and forgotten.
  Mat y0(b, n), f0(b, n);
  for (int w = 0; w < parts; ++w) {
    const auto i = static_cast<size_t>(w);
    y0.middleRows(first[i], first[i + 1] - first[i]) = y[i].value().template cast<double>();
    f0.middleRows(first[i], first[i + 1] - first[i]) = k[i][0].value().template cast<double>();
  }
  const ode::Rhs plain_f = [&](double, const Vec& yv, Vec& dydt) {
    const Eigen::Map<const Mat> ym(yv.data(), b, n);
    Eigen::Map<Mat> out(dydt.data(), b, n);
    run_parallel(parts, [&](int w) {
      const auto i = static_cast<size_t>(w);
      const Block<S>& blk = blocks[i];
      const Eigen::Index r0 = first[i], rows = first[i + 1] - r0;
      const int mark = blk.tape->size();
      out.middleRows(r0, rows) = dopri5_rhs(blk, blk.tape->leaf(ym.middleRows(r0, rows))).value().template cast<double>();
      blk.tape->truncate(mark);
    });
  };
  const ode::Tolerances tol{opt.rtol, opt.atol};
  Vec work_y(b * n), work_f(b * n);
  double h = ode::detail::hairer_initial_step(plain_f, 0.0, Eigen::Map<const Vec>(y0.data(), b * n), 1.0,
                                              Eigen::Map<const Vec>(f0.data(), b * n), 5, 0.0, tol, work_y, work_f);

  ode::Dopri5Control control;
  Dopri5Run<S> run;
  run.recorded = record;
  std::vector<BasicVar<S>> y_new(static_cast<size_t>(parts));
  std::vector<int> mark(static_cast<size_t>(parts));
  std::vector<double> err_sum(static_cast<size_t>(parts));
  Vec e_coef(s_n);  // b - b_hat
  for (int j = 0; j < s_n; ++j) e_coef(j) = tab.b(j) - tab.b_hat(j);
  double s = 0.0;
  for (long attempt = 0; attempt < opt.max_steps; ++attempt) {
    const bool last = s + 1.01 * h >= 1.0;  // Hairer's end handling: land exactly on 1
    if (last) h = 1.0 - s;
    const double h_try = h;
    run_parallel(parts, [&](int w) {
      const auto i = static_cast<size_t>(w);
      mark[i] = blocks[i].tape->size();
      y_new[i] = record_dopri5_step(blocks[i], tab, y[i], k[i], h_try, run.recorded);
      // Error norm as lib/ode's Dopri5: e = h sum_j (b_j - b_hat_j) k_j, sk = atol + rtol max(|y0|, |y1|).
      const ad::MatS<S>& y0v = y[i].value();
      const ad::MatS<S>& y1v = y_new[i].value();
      std::vector<const ad::MatS<S>*> kv(static_cast<size_t>(s_n));
      for (int j = 0; j < s_n; ++j) kv[static_cast<size_t>(j)] = &k[i][static_cast<size_t>(j)].value();
      double sum = 0.0;
      for (Eigen::Index c = 0; c < n; ++c)
        for (Eigen::Index r = 0; r < y0v.rows(); ++r) {
          double e = 0.0;
          for (int j = 0; j < s_n; ++j) e += e_coef(j) * static_cast<double>((*kv[static_cast<size_t>(j)])(r, c));
          e *= h_try;
          const double sk = opt.atol + opt.rtol * std::max(std::abs(static_cast<double>(y0v(r, c))), std::abs(static_cast<double>(y1v(r, c))));
          sum += (e / sk) * (e / sk);
        }
      err_sum[i] = sum;
    });
    double err = 0.0;
    for (double e : err_sum) err += e;
    err = std::sqrt(err / static_cast<double>(b * n));
    if (control.judge(err, h)) {
      run.steps.push_back(h_try);
      s += h_try;
      bool overflow = false;
      if (run.recorded) {
        double graph_bytes = 0;
        for (int w = 0; w < parts; ++w)
          graph_bytes += static_cast<double>(blocks[static_cast<size_t>(w)].tape->bytes(start[static_cast<size_t>(w)]));
        run.row_step_bytes = graph_bytes / static_cast<double>(b * static_cast<Eigen::Index>(run.steps.size()));
        overflow = max_bytes > 0 && graph_bytes * backward_factor > max_bytes;
      }
      if (overflow) run.recorded = false;
      run_parallel(parts, [&](int w) {
        const auto i = static_cast<size_t>(w);
        if (run.recorded) {
          y[i] = y_new[i];
          k[i][0] = k[i][static_cast<size_t>(s_n - 1)];
          return;
        }
        // Keep the values only: the new state and its FSAL stage become leaves.
        const ad::MatS<S> yv = y_new[i].value(), kv = k[i][static_cast<size_t>(s_n - 1)].value();
        blocks[i].tape->truncate(start[i]);
        if (overflow) blocks[i].tape->shrink();  // free the graph recorded so far
        y[i] = blocks[i].tape->leaf(yv);
        k[i][0] = blocks[i].tape->leaf(kv);
      });
      if (last) {
        DGSIM_LOG_DEBUG("dopri5 training step: {} accepted, {} rejected steps", run.steps.size(), attempt + 1 - static_cast<long>(run.steps.size()));
        if (stats) {  // f at u0, Hairer's trial evaluation, then 6 new stages per attempt (FSAL)
          const long attempts = attempt + 1, accepted = static_cast<long>(run.steps.size());
          stats->n_steps += accepted;
          stats->n_rejected += attempts - accepted;
          stats->n_rhs += 2 + 6 * attempts;
        }
        if (run.recorded) run.y_end = y;
        return run;
      }
    } else {
      for (int w = 0; w < parts; ++w) blocks[static_cast<size_t>(w)].tape->truncate(mark[static_cast<size_t>(w)]);
    }
    if (!std::isfinite(h) || !(h > 1e-14))
      throw NumericalError(fmt::format("dopri5 training step: step size underflow ({:.3g} of Δt) after {} steps", h, run.steps.size()));
  }
  throw NumericalError(fmt::format("dopri5 training step: more than {} steps within one Δt", opt.max_steps));
}

// Records dopri5 with the given accepted step sizes (no error control) from a block's u0 and
// returns u(1): the graph run_dopri5 records for these steps.
template <class S>
BasicVar<S> replay_dopri5(const Block<S>& blk, const std::vector<double>& steps) {
  const ode::ButcherTableau& tab = ode::tableau("dopri5");
  std::vector<BasicVar<S>> k(static_cast<size_t>(tab.stages()));
  BasicVar<S> y = blk.u0;
  k[0] = dopri5_rhs(blk, y);
  for (double h : steps) {
    y = record_dopri5_step(blk, tab, y, k, h);
    k[0] = k[static_cast<size_t>(tab.stages() - 1)];
  }
  return y;
}

// The loss of a block whose states were recorded by start_block: dg, or one step of the scheme
// (dopri5: y_end, recorded by run_dopri5 or replay_dopri5).
template <class S>
BasicVar<S> block_loss(const Block<S>& blk, const PairSet& batch, const LossOptions& opt, BasicVar<S> y_end = {}) {
  ad::BasicTape<S>& tape = *blk.tape;
  Model& model = *blk.model;
  const Eigen::Index n = batch.u0.cols();
  const Mat inv_dt = rows_of(batch.dt.cwiseInverse(), n);
  const BasicVar<S> target = tape.leaf((batch.u1 - batch.u0).cwiseProduct(rows_of(batch.target_dt.cwiseInverse(), n)));
  BasicVar<S> slope;
  if (opt.scheme == Scheme::dg) {
    slope = model.discrete_time_derivative(blk.u1, blk.u0);
  } else {
    BasicVar<S> y = y_end;
    if (opt.scheme == Scheme::leapfrog) {
      y = leapfrog_step(model, tape, blk.u0, tape.leaf(rows_of(batch.dt, n / 2)));
    } else if (opt.scheme != Scheme::dopri5) {
      y = rk_step(model, ode::tableau(to_string(opt.scheme)), blk.u0, blk.dt_rows, 1.0);
    }
    slope = ad::mul(ad::sub(y, blk.u0), tape.leaf(inv_dt));
  }
  return mse(slope, target);
}

}  // namespace

template <class S>
BasicVar<S> record_loss(Model& model, ad::BasicTape<S>& tape, const PairSet& batch, const LossOptions& opt, std::vector<double>* steps) {
  const Block<S> blk = start_block(model, tape, batch);
  if (opt.scheme != Scheme::dopri5) return block_loss(blk, batch, opt);
  Dopri5Run<S> run = run_dopri5(std::vector<Block<S>>{blk}, opt, true, 0.0, 1.0);
  if (steps) *steps = run.steps;
  return block_loss(blk, batch, opt, run.y_end[0]);
}

template BasicVar<float> record_loss(Model&, ad::BasicTape<float>&, const PairSet&, const LossOptions&, std::vector<double>*);
template BasicVar<double> record_loss(Model&, ad::BasicTape<double>&, const PairSet&, const LossOptions&, std::vector<double>*);

namespace {

// The dopri5 loss of a pair set without recording the integration: lib/ode's Dopri5 (the same
// controller and error norm as run_dopri5, so the same steps) on the set as one system in
// the normalised time s in [0, 1], each evaluation of f recorded and forgotten. Memory is one
// evaluation's instead of every stage of every step.
double plain_dopri5_loss(Model& model, const PairSet& part, const LossOptions& opt) {
  const Eigen::Index b = part.u0.rows(), n = part.u0.cols();
  const Mat dt_rows = rows_of(part.dt, n);
  const ode::Rhs f = [&](double, const Vec& y, Vec& dydt) {
    Eigen::Map<Mat>(dydt.data(), b, n) = model.time_derivative(Mat(Eigen::Map<const Mat>(y.data(), b, n))).cwiseProduct(dt_rows);
  };
  ode::Dopri5 stepper({opt.rtol, opt.atol});
  ode::DriverOptions drv;
  drv.max_steps = opt.max_steps;
  const Vec y1 = ode::integrate_adaptive(stepper, f, Eigen::Map<const Vec>(part.u0.data(), b * n), 0.0, 1.0, drv);
  // The scheme's slope (y1 - u0)/Δt against the data's (u1 - u0)/Δt_target.
  const Mat slope = (Eigen::Map<const Mat>(y1.data(), b, n) - part.u0).cwiseQuotient(dt_rows);
  return (slope - (part.u1 - part.u0).cwiseQuotient(rows_of(part.target_dt, n))).array().square().mean();
}

}  // namespace

double evaluate_loss(Model& model, ad::Tape& tape, const PairSet& pairs, const LossOptions& opt, long chunk, int workers) {
  const long p = pairs.size();
  if (p == 0) return std::nan("");
  // Bound the rows of the hidden activations (PDE: pairs x sites) to keep memory small.
  const long rows_per_pair = model.config().pde ? model.config().dim : 1;
  chunk = std::max(1L, std::min(chunk, 20000L / rows_per_pair));
  const long n_chunks = (p + chunk - 1) / chunk;
  const int parts = static_cast<int>(std::clamp<long>(workers, 1, n_chunks));
  // Worker w takes chunks w, w + parts, ... on a copy of the model and a tape of its own; the
  // chunks' losses are summed in order afterwards, so any number of workers gives the same sum.
  std::vector<Model> copies(static_cast<size_t>(parts - 1), model);
  std::vector<ad::Tape> tapes(static_cast<size_t>(parts - 1));
  std::vector<double> losses(static_cast<size_t>(n_chunks));
  run_parallel(parts, [&](int w) {
    Model& m = w == 0 ? model : copies[static_cast<size_t>(w - 1)];
    ad::Tape& t = w == 0 ? tape : tapes[static_cast<size_t>(w - 1)];
    PairSet part;
    std::vector<long> idx;
    for (long c = w; c < n_chunks; c += parts) {
      const long first = c * chunk, count = std::min(chunk, p - first);
      idx.resize(static_cast<size_t>(count));
      std::iota(idx.begin(), idx.end(), first);
      gather(pairs, idx, part);
      const double loss = opt.scheme == Scheme::dopri5 ? plain_dopri5_loss(m, part, opt) : record_loss(m, t, part, opt).value()(0, 0);
      losses[static_cast<size_t>(c)] = loss * static_cast<double>(count);
    }
  });
  double sum = 0.0;
  for (double l : losses) sum += l;
  return sum / static_cast<double>(p);
}

// ---------------------------------------------------------------------------------------------
// Implicit DGNet steps

Mat dg_step(Model& model, const Mat& u0, const Vec& dt, double tol, int max_iter, long* not_converged) {
  const Eigen::Index b = u0.rows(), n = u0.cols();
  const Mat dt_rows = rows_of(dt, n);
  // Explicit midpoint guess.
  const Mat k1 = model.time_derivative(u0);
  Mat v = u0 + dt_rows.cwiseProduct(model.time_derivative(u0 + 0.5 * dt_rows.cwiseProduct(k1)));
  std::vector<char> done(static_cast<size_t>(b), 0);
  ad::Tape tape;
  for (int it = 0; it < max_iter; ++it) {
    tape.clear();
    model.bind(tape);
    const Var uu = tape.leaf(u0), vv = tape.leaf(v);
    const Var f = model.discrete_time_derivative(uu, vv);  // Ḡ ∇̄H(u0, v) [B, n]
    const Mat r = v - u0 - dt_rows.cwiseProduct(f.value());
    // jac[i] [B, n]: row r holds ∂f_i/∂v of sample r (the rows are independent).
    std::vector<Mat> jac(static_cast<size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) {
      Mat e = Mat::Zero(b, n);
      e.col(i).setOnes();
      jac[static_cast<size_t>(i)] = tape.gradient(ad::mul(f, tape.leaf(e)), vv, false).value();
    }
    for (Eigen::Index row = 0; row < b; ++row) {
      if (done[static_cast<size_t>(row)]) continue;
      Mat j = Mat::Identity(n, n);
      for (Eigen::Index i = 0; i < n; ++i) j.row(i) -= dt(row) * jac[static_cast<size_t>(i)].row(row);
      const Vec delta = j.partialPivLu().solve(Vec(r.row(row).transpose()));
      v.row(row) -= delta.transpose();
      const double size = delta.lpNorm<Eigen::Infinity>();
      if (size <= tol * std::max(1.0, v.row(row).lpNorm<Eigen::Infinity>())) done[static_cast<size_t>(row)] = 1;
    }
    if (std::all_of(done.begin(), done.end(), [](char c) { return c != 0; })) break;
  }
  if (not_converged) *not_converged += static_cast<long>(std::count(done.begin(), done.end(), 0));
  return v;
}

ImplicitScores implicit_scores(Model& model, const PairSet& test, long chunk) {
  ImplicitScores s;
  if (test.size() == 0) return s;
  chunk = std::max(1L, chunk);
  const Eigen::Index n = test.u0.cols();
  double one_sum = 0.0;
  for (Eigen::Index r0 = 0; r0 < test.u0.rows(); r0 += chunk) {
    const Eigen::Index rows = std::min<Eigen::Index>(chunk, test.u0.rows() - r0);
    const Mat one = dg_step(model, test.u0.middleRows(r0, rows), test.target_dt.segment(r0, rows), 1e-12, 50, &s.not_converged);
    one_sum += (one - test.u1.middleRows(r0, rows)).array().square().sum();
  }
  s.one_step = one_sum / static_cast<double>(test.u0.size());
  // Runs of consecutive pairs; runs of equal length are rolled out together.
  std::map<long, std::vector<long>> runs_by_length;  // length -> first pair of each run
  for (long i = 0; i < test.size();) {
    long j = i + 1;
    while (j < test.size() && test.traj[static_cast<size_t>(j)] == test.traj[static_cast<size_t>(i)] &&
           test.step[static_cast<size_t>(j)] == test.step[static_cast<size_t>(j - 1)] + 1)
      ++j;
    runs_by_length[j - i].push_back(i);
    ++s.n_runs;
    i = j;
  }
  double sum = 0.0;
  long count = 0;
  for (const auto& [length, all_firsts] : runs_by_length) {
    for (size_t c0 = 0; c0 < all_firsts.size(); c0 += static_cast<size_t>(chunk)) {
      const std::vector<long> firsts(all_firsts.begin() + static_cast<std::ptrdiff_t>(c0),
                                     all_firsts.begin() + static_cast<std::ptrdiff_t>(std::min(all_firsts.size(), c0 + static_cast<size_t>(chunk))));
      const auto b = static_cast<Eigen::Index>(firsts.size());
      Mat u(b, n);
      Vec dt(b);
      for (Eigen::Index r = 0; r < b; ++r) u.row(r) = test.u0.row(firsts[static_cast<size_t>(r)]);
      for (long k = 0; k < length; ++k) {
        for (Eigen::Index r = 0; r < b; ++r) dt(r) = test.target_dt(firsts[static_cast<size_t>(r)] + k);
        u = dg_step(model, u, dt, 1e-12, 50, &s.not_converged);
        for (Eigen::Index r = 0; r < b; ++r) sum += (u.row(r) - test.u1.row(firsts[static_cast<size_t>(r)] + k)).squaredNorm();
        count += b * n;
      }
    }
  }
  s.rollout = sum / static_cast<double>(count);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Optimisation

PairObjective::PairObjective(Model& model, const PairSet& train, long batch, std::uint64_t seed, LossOptions opt, int workers)
    : model_(model), train_(train), batch_(batch), seed_(seed), opt_(opt), workers_(std::max(1, workers)) {
  if (train.size() == 0) throw ConfigError("the training split has no pairs");
  copies_.assign(static_cast<size_t>(workers_ - 1), model);
  for (int w = 0; w < workers_; ++w) {
    if (opt_.float32) tapes_f_.main.push_back(std::make_unique<ad::BasicTape<float>>());
    else tapes_d_.main.push_back(std::make_unique<ad::Tape>());
  }
  parts_.resize(static_cast<size_t>(workers_));
  grads_.resize(static_cast<size_t>(workers_));
  losses_.resize(static_cast<size_t>(workers_));
}

// dopri5 under the graph bound, when the batch's graph would exceed it: records the accepted
// steps (replay_steps_) again on chunks of rows, one chunk at a time, each with its backward
// sweep. Every row's loss depends on its own row only once the step sizes are fixed, so the
// weighted sum of the chunks' losses and gradients is the batch's. Fills losses_ and grads_.
template <class S>
void PairObjective::replay_in_chunks(const Vec& theta, const std::vector<Model*>& models, Eigen::Index b) {
  Tapes<S>& tp = tapes_on<S>();
  const int parts = static_cast<int>(models.size());
  const auto steps = static_cast<Eigen::Index>(replay_steps_.size());
  // Pairs per chunk: the graph (forward and backward) of every worker's chunk within the bound.
  const double per_pair = est_.row_step_bytes * est_.backward_factor * static_cast<double>(steps);
  const double fit = std::floor(opt_.max_graph_bytes / parts / per_pair);
  const auto cap = static_cast<Eigen::Index>(std::clamp(fit, 1.0, static_cast<double>(b)));
  if (chunked_++ == 0) {
    DGSIM_LOG_INFO("dopri5 training: the batch's graph over {} steps needs about {:.3g} GiB, more than the bound of {:.3g} GiB; "
                   "recording it in chunks of at most {} pairs (one more forward pass per iteration)",
                   steps, per_pair * static_cast<double>(b) / 1073741824.0, opt_.max_graph_bytes / 1073741824.0, cap);
  }
  if (fit < 1.0 && !over_logged_) {
    DGSIM_LOG_WARN("dopri5 training: one pair's graph ({:.3g} GiB over {} steps) exceeds the bound of {:.3g} GiB per worker; "
                   "recording one pair at a time", per_pair / 1073741824.0, steps, opt_.max_graph_bytes / parts / 1073741824.0);
    over_logged_ = true;
  }
  DGSIM_LOG_DEBUG("dopri5 training step in chunks of at most {} pairs: {} steps, {:.3g} MiB per pair and step, backward factor {:.3g}",
                  cap, steps, est_.row_step_bytes / 1048576.0, est_.backward_factor);
  std::vector<double> row_step(static_cast<size_t>(parts), 0.0), factor(static_cast<size_t>(parts), 0.0),
      peak(static_cast<size_t>(parts), 0.0);
  chunks_.resize(static_cast<size_t>(parts));
  chunk_grads_.resize(static_cast<size_t>(parts));
  run_parallel(parts, [&](int w) {
    const auto i = static_cast<size_t>(w);
    const PairSet& mine = parts == 1 ? scratch_ : parts_[i];
    // Chunks of one size (the last may be smaller), so that the tape's buffers keep their shapes.
    const Eigen::Index rows = mine.u0.rows(), n_chunks = (rows + cap - 1) / cap, size = (rows + n_chunks - 1) / n_chunks;
    grads_[i].setZero(theta.size());
    losses_[i] = 0.0;
    for (Eigen::Index c = 0; c < n_chunks; ++c) {
      const Eigen::Index c0 = c * size, c1 = std::min(rows, c0 + size);
      if (c0 >= c1) break;
      slice(mine, c0, c1, chunks_[i]);
      const Block<S> blk = start_block(*models[i], *tp.main[i], chunks_[i]);
      const double base = static_cast<double>(tp.main[i]->bytes());
      const BasicVar<S> y_end = replay_dopri5(blk, replay_steps_);
      const double integrated = static_cast<double>(tp.main[i]->bytes());
      const BasicVar<S> loss = block_loss(blk, chunks_[i], opt_, y_end);
      const double before = static_cast<double>(tp.main[i]->bytes());
      const double after = static_cast<double>(tp.main[i]->backward_releasing(loss));
      peak[i] = std::max(peak[i], after - base);
      if (c == 0) {  // the measures for the next iteration, as run_dopri5 and the whole batch take them
        row_step[i] = (integrated - base) / static_cast<double>((c1 - c0) * steps);
        factor[i] = (after - base) / (before - base);
      }
      models[i]->template gradient<S>(chunk_grads_[i]);
      const double share = static_cast<double>(c1 - c0) / static_cast<double>(rows);
      losses_[i] += share * static_cast<double>(loss.value()(0, 0));
      grads_[i] += share * chunk_grads_[i];
    }
    tp.main[i]->shrink();  // free what the larger graph of a recorded batch left behind
  });
  est_.backward_factor = *std::max_element(factor.begin(), factor.end());
  est_.row_step_bytes = *std::max_element(row_step.begin(), row_step.end());
  graph_bytes_ = 0;
  for (double p : peak) graph_bytes_ += p;
}

double PairObjective::evaluate_with_gradient(const Vec& theta, long iteration, Vec& grad) {
  return opt_.float32 ? evaluate<float>(theta, iteration, grad) : evaluate<double>(theta, iteration, grad);
}

template <class S>
double PairObjective::evaluate(const Vec& theta, long iteration, Vec& grad) {
  Tapes<S>& tp = tapes_on<S>();
  if (&theta != &model_.params().theta()) throw Error("PairObjective: theta must be the model's parameter vector");
  gather(train_, batch_indices(train_.size(), batch_, seed_, iteration), scratch_);
  const Eigen::Index b = scratch_.u0.rows();
  const int parts = static_cast<int>(std::min<Eigen::Index>(workers_, b));
  std::vector<Model*> models{&model_};
  for (int w = 1; w < parts; ++w) {
    Model& copy = copies_[static_cast<size_t>(w - 1)];
    copy.params().theta() = theta;
    models.push_back(&copy);
  }
  // dopri5 under a graph bound: record the whole batch unless the last iteration's steps and
  // graph size predict it would not fit. Then only the step sizes are found on the batch, on
  // tapes of their own (their buffers keep the batch's shapes, tapes_ the chunks').
  const double budget = opt_.max_graph_bytes;
  const bool fits = opt_.scheme != Scheme::dopri5 || !(budget > 0) || est_.last_steps == 0 ||
                    est_.row_step_bytes * est_.backward_factor * static_cast<double>(est_.last_steps * b) <= budget;
  if (!fits)
    while (static_cast<int>(tp.probe.size()) < workers_) tp.probe.push_back(std::make_unique<ad::BasicTape<S>>());
  std::vector<Block<S>> blocks(static_cast<size_t>(parts));
  run_parallel(parts, [&](int w) {
    const auto [r0, r1] = block(b, w, parts);
    const auto i = static_cast<size_t>(w);
    if (parts > 1) slice(scratch_, r0, r1, parts_[i]);
    blocks[i] = start_block(*models[i], fits ? *tp.main[i] : *tp.probe[i], parts == 1 ? scratch_ : parts_[i]);
  });
  std::vector<BasicVar<S>> y_end(static_cast<size_t>(parts));
  // Per worker: graph bytes before the integration and after the backward sweep, and their ratio
  // to the forward graph.
  std::vector<double> base(static_cast<size_t>(parts)), after(static_cast<size_t>(parts)), factor(static_cast<size_t>(parts));
  bool recorded = true;
  if (opt_.scheme == Scheme::dopri5) {  // one system for all blocks
    for (int w = 0; w < parts; ++w) base[static_cast<size_t>(w)] = static_cast<double>(blocks[static_cast<size_t>(w)].tape->bytes());
    Dopri5Run<S> run = run_dopri5(blocks, opt_, fits, budget, est_.backward_factor, &dopri5_stats_);
    if (run.row_step_bytes > 0) est_.row_step_bytes = run.row_step_bytes;
    est_.last_steps = static_cast<long>(run.steps.size());
    recorded = run.recorded;
    if (recorded) {
      y_end = run.y_end;
    } else {
      replay_steps_ = std::move(run.steps);
    }
  }
  if (recorded) {
    run_parallel(parts, [&](int w) {
      const auto i = static_cast<size_t>(w);
      const BasicVar<S> loss = block_loss(blocks[i], parts == 1 ? scratch_ : parts_[i], opt_, y_end[i]);
      const bool measure = opt_.scheme == Scheme::dopri5;  // the graph bound's measures; other schemes do not use them
      const double before = measure ? static_cast<double>(tp.main[i]->bytes()) : 0.0;
      const auto peak = static_cast<double>(tp.main[i]->backward_releasing(loss));
      if (measure) {
        after[i] = peak;
        factor[i] = (after[i] - base[i]) / (before - base[i]);
      }
      models[i]->template gradient<S>(grads_[i]);
      losses_[i] = static_cast<double>(loss.value()(0, 0));
    });
    if (opt_.scheme == Scheme::dopri5) {
      est_.backward_factor = *std::max_element(factor.begin(), factor.end());
      graph_bytes_ = 0;
      for (int w = 0; w < parts; ++w) graph_bytes_ += after[static_cast<size_t>(w)] - base[static_cast<size_t>(w)];
    }
  } else {
    replay_in_chunks<S>(theta, models, b);
  }
  if (parts == 1) {
    grad = grads_[0];
    return losses_[0];
  }
  // Each block's loss is a mean over its rows: weight by the block's share of the batch.
  double loss = 0.0;
  grad.setZero(theta.size());
  for (int w = 0; w < parts; ++w) {
    const auto [r0, r1] = block(b, w, parts);
    const double share = static_cast<double>(r1 - r0) / static_cast<double>(b);
    loss += share * losses_[static_cast<size_t>(w)];
    grad += share * grads_[static_cast<size_t>(w)];
  }
  return loss;
}

void PairObjective::after_step(Vec&) { model_.project(); }

long optimize(Objective& objective, Vec& theta, Adam& adam, long first, long last, const std::vector<Callback>& callbacks) {
  Vec grad = Vec::Zero(theta.size());
  for (long it = first; it < last; ++it) {
    double loss = 0.0;
    try {
      loss = objective.evaluate_with_gradient(theta, it, grad);
    } catch (const NumericalError& e) {  // e.g. a dopri5 step-size underflow: say when
      throw NumericalError(fmt::format("{} at iteration {}", e.what(), it + 1));
    }
    if (!std::isfinite(loss) || !grad.allFinite())
      throw NumericalError(fmt::format("training diverged: the {} is not finite ({}) at iteration {}",
                                       std::isfinite(loss) ? "gradient" : "loss", std::isfinite(loss) ? "NaN or Inf" : fmt::format("{}", loss), it + 1));
    adam.step(theta, grad);
    objective.after_step(theta);
    bool stop = false;
    for (const auto& cb : callbacks) stop = cb({it, loss}) || stop;
    if (stop) return it + 1;
  }
  return std::max(first, last);
}

std::string checksum(const std::vector<double>& data) {
  std::uint64_t h = 14695981039346656037ULL;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  for (size_t i = 0; i < data.size() * sizeof(double); ++i) {
    h ^= bytes[i];
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace dgsim::nn
