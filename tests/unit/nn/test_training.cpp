#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "lib/core/error.hpp"
#include "lib/core/rng.hpp"
#include "lib/nn/state.hpp"
#include "lib/nn/training.hpp"
#include "lib/ode/integrate.hpp"
#include "lib/ode/stepper.hpp"
#include "systems/generate.hpp"

using namespace dgsim;
using namespace dgsim::nn;

namespace {

// A small dataset in memory: n_traj series of n_time states of size dim, values from a seed;
// the last trajectory is the test split.
io::TrajectorySet small_set(long n_traj, long n_time, long dim, double dt) {
  io::TrajectorySet d;
  d.system = "test";
  d.n_traj = n_traj;
  d.dim = dim;
  for (long n = 0; n < n_time; ++n) d.t.push_back(dt * static_cast<double>(n));
  Rng rng(11, RngStream::initial_state, 0);
  // Smooth series: a rotation of a random start (q, p) pairs, so consecutive states are close.
  for (long j = 0; j < n_traj; ++j) {
    Vec u0(dim);
    for (long k = 0; k < dim; ++k) u0(k) = rng.uniform(-1, 1);
    for (long n = 0; n < n_time; ++n) {
      const double c = std::cos(dt * n), s = std::sin(dt * n);
      for (long k = 0; k < dim; ++k) {
        const long o = (k + dim / 2) % dim;
        d.u.push_back(c * u0(k) + (k < dim / 2 ? s : -s) * u0(o));
      }
    }
    d.split.push_back(j + 1 == n_traj ? 1 : 0);
  }
  return d;
}

ModelConfig small_config(ModelKind kind, int dim = 2) {
  ModelConfig c;
  c.kind = kind;
  c.dim = dim;
  c.hidden = 6;
  c.seed = 2;
  return c;
}

// dθ of the loss against central differences in every coordinate.
void check_gradient(Model& model, const PairSet& batch, const LossOptions& opt) {
  ad::Tape tape;
  const ad::Var loss = record_loss(model, tape, batch, opt);
  tape.backward(loss);
  Vec g;
  model.gradient(g);
  Vec& theta = model.params().theta();
  const Vec theta0 = theta;
  double worst = 0, scale = 1e-300;
  for (Eigen::Index i = 0; i < theta.size(); ++i) {
    const double h = 1e-6 * std::max(1.0, std::abs(theta0(i)));
    theta(i) = theta0(i) + h;
    const double lp = record_loss(model, tape, batch, opt).value()(0, 0);
    theta(i) = theta0(i) - h;
    const double lm = record_loss(model, tape, batch, opt).value()(0, 0);
    theta(i) = theta0(i);
    worst = std::max(worst, std::abs((lp - lm) / (2 * h) - g(i)));
    scale = std::max(scale, std::abs(g(i)));
  }
  INFO(to_string(opt.scheme), ": worst error ", worst, " of gradient scale ", scale);
  CHECK(worst <= 1e-6 * std::max(scale, 1.0));
}

// The loss computed from a plain prediction of u1.
double plain_loss(const PairSet& b, const Mat& u1_hat) {
  const Mat inv = b.dt.cwiseInverse().replicate(1, b.u0.cols());
  return ((u1_hat - b.u0).cwiseProduct(inv) - (b.u1 - b.u0).cwiseProduct(inv)).array().square().mean();
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("train: pairs follow the trajectory split or the per-pair split") {
  io::TrajectorySet d = small_set(3, 5, 2, 0.1);
  const PairSet train = make_pairs(d, 0), test = make_pairs(d, 1);
  CHECK(train.size() == 8);
  CHECK(test.size() == 4);
  // Pair 5 of the training set is (u[1, 1], u[1, 2]).
  CHECK(train.u0(5, 1) == d.u[static_cast<size_t>((1 * 5 + 1) * 2 + 1)]);
  CHECK(train.u1(5, 0) == d.u[static_cast<size_t>((1 * 5 + 2) * 2)]);
  CHECK(train.dt(3) == doctest::Approx(0.1));
  CHECK(make_pairs(d, 0, 1.0 / 6.0).dt(0) == 1.0 / 6.0);

  d.t[3] = 0.35;  // a longer gap, as in measured data
  d.pair_split.assign(3 * 4, 0);
  d.pair_split[1] = d.pair_split[2] = 1;  // pairs 1 and 2 of series 0 are test pairs
  const PairSet tr = make_pairs(d, 0), te = make_pairs(d, 1);
  CHECK(tr.size() == 10);
  CHECK(te.size() == 2);
  CHECK(te.dt(1) == doctest::Approx(0.15));
  CHECK(te.u0(1, 0) == d.u[4]);
}

TEST_CASE("train: batches depend only on seed and iteration") {
  const auto a = batch_indices(1000, 200, 7, 42), b = batch_indices(1000, 200, 7, 42);
  CHECK(a == b);
  CHECK(a != batch_indices(1000, 200, 7, 43));
  CHECK(a != batch_indices(1000, 200, 8, 42));
  CHECK(std::set<long>(a.begin(), a.end()).size() == 200);
  CHECK(std::is_sorted(a.begin(), a.end()));
  CHECK(a.back() < 1000);
  CHECK(batch_indices(50, 0, 1, 3).size() == 50);
  CHECK(batch_indices(50, 80, 1, 3).size() == 50);
}

TEST_CASE("train: scheme names and model combinations") {
  CHECK(parse_scheme("dopri5") == Scheme::dopri5);
  CHECK_THROWS_AS(parse_scheme("rk5"), ConfigError);
  CHECK(default_scheme(ModelKind::dgnet) == Scheme::dg);
  CHECK(default_scheme(ModelKind::hnn) == Scheme::rk2);
  CHECK(default_scheme(ModelKind::srnn) == Scheme::leapfrog);
  CHECK_THROWS_AS(check_scheme(ModelKind::dgnet, Scheme::rk2), ConfigError);
  CHECK_THROWS_AS(check_scheme(ModelKind::hnn, Scheme::dg), ConfigError);
  CHECK_THROWS_AS(check_scheme(ModelKind::srnn, Scheme::dopri5), ConfigError);
  CHECK_NOTHROW(check_scheme(ModelKind::node, Scheme::dopri5));
}

TEST_CASE("train: the rk2 loss is one explicit midpoint step with each pair's dt") {
  io::TrajectorySet d = small_set(2, 6, 2, 0.2);
  d.t[2] = 0.5;  // unequal steps
  const PairSet p = make_pairs(d, 0);
  for (ModelKind kind : {ModelKind::node, ModelKind::hnn}) {
    Model model(small_config(kind));
    const Mat dt = p.dt.replicate(1, 2);
    const Mat k1 = model.time_derivative(p.u0);
    const Mat k2 = model.time_derivative(p.u0 + 0.5 * dt.cwiseProduct(k1));
    const Mat u1 = p.u0 + dt.cwiseProduct(k2);
    ad::Tape tape;
    LossOptions opt;
    opt.scheme = Scheme::rk2;
    CHECK(record_loss(model, tape, p, opt).value()(0, 0) == doctest::Approx(plain_loss(p, u1)).epsilon(1e-13));
  }
}

TEST_CASE("train: a fixed step moves the model's step, the target keeps the measured time") {
  io::TrajectorySet d = small_set(2, 6, 2, 0.2);
  d.t[2] = 0.5;  // unequal measured steps: 0.2, 0.3, 0.2, ...
  const double h = 1.0 / 6.0;
  const PairSet p = make_pairs(d, 0, 0.0, h);
  REQUIRE(p.size() > 0);
  Vec measured(p.size());
  for (long r = 0; r < p.size(); ++r) {
    const auto n = static_cast<size_t>(p.step[static_cast<size_t>(r)]);
    measured(r) = d.t[n + 1] - d.t[n];
    CHECK(p.dt(r) == h);
    CHECK(p.target_dt(r) == doctest::Approx(measured(r)).epsilon(1e-15));
  }
  CHECK_THROWS_AS(make_pairs(d, 0, 0.1, h), ConfigError);
  // rk2: one explicit midpoint step of h against (u1 - u0) / measured.
  Model model(small_config(ModelKind::hnn));
  const Mat k1 = model.time_derivative(p.u0);
  const Mat k2 = model.time_derivative(p.u0 + 0.5 * h * k1);
  const Mat slope = k2;  // ((u0 + h k2) - u0) / h
  const Mat target = (p.u1 - p.u0).cwiseQuotient(measured.replicate(1, 2));
  const double want = (slope - target).array().square().mean();
  ad::Tape tape;
  LossOptions opt;
  opt.scheme = Scheme::rk2;
  CHECK(record_loss(model, tape, p, opt).value()(0, 0) == doctest::Approx(want).epsilon(1e-13));
  CHECK(evaluate_loss(model, tape, p, opt) == doctest::Approx(want).epsilon(1e-13));
  // dopri5: the flow over h (DOP853 at 1e-12 per pair) against the same target, both the
  // recorded loss and the plain evaluation.
  auto ref = ode::make_stepper("dop853", {1e-12, 1e-12});
  const ode::Rhs f = [&](double, const Vec& y, Vec& dydt) { dydt = model.time_derivative(Mat(y.transpose())).transpose(); };
  Mat flow(p.size(), 2);
  for (Eigen::Index r = 0; r < p.size(); ++r) {
    ref->reset();
    flow.row(r) = ode::integrate_times(*ref, f, p.u0.row(r).transpose(), {0.0, h}).row(1);
  }
  const double exact = ((flow - p.u0) / h - target).array().square().mean();
  opt.scheme = Scheme::dopri5;
  CHECK(std::abs(record_loss(model, tape, p, opt).value()(0, 0) - exact) < 1e-6 * exact);
  CHECK(std::abs(evaluate_loss(model, tape, p, opt) - exact) < 1e-6 * exact);
  // Without the fixed step the same pairs give a different loss.
  CHECK(std::abs(evaluate_loss(model, tape, make_pairs(d, 0), opt) - exact) > 1e-3 * exact);
}

TEST_CASE("train: the leapfrog loss matches lib/ode's Störmer-Verlet step") {
  const PairSet p = make_pairs(small_set(2, 6, 4, 0.3), 0);
  Model model(small_config(ModelKind::srnn, 4));
  Mat u1(p.u0.rows(), 4);
  auto lf = ode::make_stepper("leapfrog");
  const ode::Rhs f = [&](double, const Vec& y, Vec& dydt) { dydt = model.time_derivative(Mat(y.transpose())).transpose(); };
  for (Eigen::Index r = 0; r < p.u0.rows(); ++r) {
    Vec y = p.u0.row(r).transpose();
    lf->reset();
    lf->step(f, 0.0, y, p.dt(r));
    u1.row(r) = y.transpose();
  }
  ad::Tape tape;
  LossOptions opt;
  opt.scheme = Scheme::leapfrog;
  CHECK(record_loss(model, tape, p, opt).value()(0, 0) == doctest::Approx(plain_loss(p, u1)).epsilon(1e-12));
}

TEST_CASE("train: the dopri5 loss follows the exact flow of the model to its tolerance") {
  const PairSet p = make_pairs(small_set(3, 4, 2, 0.4), 0);
  Model model(small_config(ModelKind::hnn));
  LossOptions opt;
  opt.scheme = Scheme::dopri5;
  std::vector<double> steps;
  ad::Tape steps_tape;
  record_loss(model, steps_tape, p, opt, &steps);
  double sum = 0;
  for (double h : steps) sum += h;
  CHECK(sum == doctest::Approx(1.0).epsilon(1e-14));
  // Reference: each pair integrated alone with DOP853 at 1e-12.
  Mat u1(p.u0.rows(), 2);
  auto ref = ode::make_stepper("dop853", {1e-12, 1e-12});
  const ode::Rhs f = [&](double, const Vec& y, Vec& dydt) { dydt = model.time_derivative(Mat(y.transpose())).transpose(); };
  for (Eigen::Index r = 0; r < p.u0.rows(); ++r) {
    ref->reset();
    const Mat ys = ode::integrate_times(*ref, f, p.u0.row(r).transpose(), {0.0, p.dt(r)});
    u1.row(r) = ys.row(1);
  }
  ad::Tape tape;
  const double loss = record_loss(model, tape, p, opt).value()(0, 0);
  opt.scheme = Scheme::rk2;
  const double loss_rk2 = record_loss(model, tape, p, opt).value()(0, 0);
  const double exact = plain_loss(p, u1);
  CHECK(std::abs(loss - exact) < 1e-6 * exact);
  CHECK(std::abs(loss_rk2 - exact) > 10 * std::abs(loss - exact));
}

TEST_CASE("train: the recorded dopri5 steps are lib/ode's dopri5 steps on the batch as one system") {
  const PairSet p = make_pairs(small_set(3, 6, 2, 0.9), 0);
  for (ModelKind kind : {ModelKind::hnn, ModelKind::node})
    // The error estimate is a small difference of stage values: round-off in the stage sums
    // (taped here, plain in lib/ode) moves it, and the step sizes with it, the more so the
    // smaller the tolerance.
    for (auto [tol, eps] : {std::pair{1e-7, 1e-9}, std::pair{1e-11, 1e-4}}) {
      Model model(small_config(kind));
      model.params().theta() *= 4.0;  // a stiffer field: the HNN has rejected steps
      LossOptions opt;
      opt.scheme = Scheme::dopri5;
      opt.rtol = opt.atol = tol;
      std::vector<double> steps;
      ad::Tape tape;
      record_loss(model, tape, p, opt, &steps);
      // Plain reference: du/ds = Δt f(u) for s in [0, 1], the batch flattened column-major.
      const Eigen::Index b = p.u0.rows(), n = p.u0.cols();
      const Mat dt_rows = p.dt.replicate(1, n);
      const ode::Rhs f = [&](double, const Vec& y, Vec& dydt) {
        const Mat du = model.time_derivative(Mat(Eigen::Map<const Mat>(y.data(), b, n)));
        Eigen::Map<Mat>(dydt.data(), b, n) = du.cwiseProduct(dt_rows);
      };
      auto stepper = ode::make_stepper("dopri5", {tol, tol});
      Vec y = Eigen::Map<const Vec>(p.u0.data(), b * n);
      double s = 0.0, h = stepper->initial_step(f, 0.0, y, 1.0);
      std::vector<double> ref;
      while (true) {
        const bool last = s + 1.01 * h >= 1.0;
        if (last) h = 1.0 - s;
        const double h_try = h;
        if (stepper->try_step(f, s, y, h) == ode::StepResult::accepted) {
          ref.push_back(h_try);
          if (last) break;
        }
      }
      INFO(to_string(kind), " tol ", tol, ": ", ref.size(), " steps, ", stepper->stats().n_rejected, " rejected");
      REQUIRE(steps.size() == ref.size());
      for (size_t i = 0; i < ref.size(); ++i) CHECK(steps[i] == doctest::Approx(ref[i]).epsilon(eps));

      // A training iteration on the full batch counts the same work as lib/ode's stepper.
      PairObjective objective(model, p, 0, 1, opt);
      Vec grad;
      objective.evaluate_with_gradient(model.params().theta(), 0, grad);
      CHECK(objective.dopri5_stats().n_steps == stepper->stats().n_steps);
      CHECK(objective.dopri5_stats().n_rejected == stepper->stats().n_rejected);
      CHECK(objective.dopri5_stats().n_rhs == stepper->stats().n_rhs);
      objective.evaluate_with_gradient(model.params().theta(), 0, grad);  // the totals add up
      CHECK(objective.dopri5_stats().n_steps == 2 * stepper->stats().n_steps);
    }
}

TEST_CASE("train: loss gradients through dg, rk2, dopri5 and leapfrog against finite differences") {
  const PairSet p2 = make_pairs(small_set(2, 4, 2, 0.3), 0);
  const PairSet p4 = make_pairs(small_set(2, 4, 4, 0.3), 0);
  for (auto [kind, scheme] : {std::pair{ModelKind::dgnet, Scheme::dg}, std::pair{ModelKind::hnn, Scheme::rk2},
                              std::pair{ModelKind::node, Scheme::rk4}, std::pair{ModelKind::hnn, Scheme::dopri5}}) {
    ModelConfig c = small_config(kind);
    c.friction = kind == ModelKind::dgnet;
    Model model(c);
    model.params().theta()(model.params().theta().size() - 1) = 0.3;  // friction g (dgnet) or a weight
    LossOptions opt;
    opt.scheme = scheme;
    check_gradient(model, p2, opt);
  }
  Model srnn(small_config(ModelKind::srnn, 4));
  LossOptions opt;
  opt.scheme = Scheme::leapfrog;
  check_gradient(srnn, p4, opt);
}

TEST_CASE("train: PDE models train on a small periodic field dataset") {
  // Travelling waves u(x - ct) on 8 sites: a mass-conserving flow, with G = D.
  io::TrajectorySet d;
  const long n = 8, nt = 12;
  const double dx = 0.5, dt = 0.05;
  d.n_traj = 4;
  d.dim = n;
  d.n_spatial_dims = 1;
  for (long k = 0; k < nt; ++k) d.t.push_back(dt * static_cast<double>(k));
  for (long j = 0; j < d.n_traj; ++j) {
    for (long k = 0; k < nt; ++k)
      for (long i = 0; i < n; ++i)
        d.u.push_back(std::sin(2 * M_PI * (i * dx - (1.0 + 0.2 * j) * k * dt) / (n * dx)) * (1.0 + 0.1 * j));
    d.split.push_back(j == 3);
  }
  const PairSet train = make_pairs(d, 0), test = make_pairs(d, 1);
  for (auto [kind, scheme] : {std::pair{ModelKind::dgnet, Scheme::dg}, std::pair{ModelKind::hnn, Scheme::rk2},
                              std::pair{ModelKind::node, Scheme::dopri5}}) {
    ModelConfig c;
    c.kind = kind;
    c.pde = true;
    c.dim = static_cast<int>(n);
    c.hidden = 8;
    c.structure = Structure::D;
    c.dx = dx;
    Model model(c);
    Adam adam({1e-2, 0.9, 0.999, 1e-8, 0.0}, model.params().theta().size());
    LossOptions opt;
    opt.scheme = scheme;
    ad::Tape tape;
    const double before = evaluate_loss(model, tape, test, opt);
    PairObjective obj(model, train, 10, 1, opt);
    CHECK(optimize(obj, model.params().theta(), adam, 0, 60) == 60);
    const double after = evaluate_loss(model, tape, test, opt);
    INFO(to_string(kind), ": test loss ", before, " -> ", after);
    CHECK(after < 0.5 * before);
  }
}

TEST_CASE("train: evaluation in chunks equals one pass") {
  const PairSet p = make_pairs(small_set(5, 9, 2, 0.2), 0);
  Model model(small_config(ModelKind::dgnet));
  ad::Tape tape;
  LossOptions opt;
  const double whole = evaluate_loss(model, tape, p, opt, 1000);
  CHECK(evaluate_loss(model, tape, p, opt, 7) == doctest::Approx(whole).epsilon(1e-13));
  CHECK(std::isnan(evaluate_loss(model, tape, PairSet{}, opt)));
}

TEST_CASE("train: evaluation shared by workers equals one worker's, exactly") {
  const PairSet p = make_pairs(small_set(5, 9, 2, 0.2), 0);  // 40 pairs: 6 chunks of 7
  for (ModelKind kind : {ModelKind::dgnet, ModelKind::hnn}) {
    Model model(small_config(kind));
    model.params().theta() *= 4.0;  // dopri5: rejected steps too
    for (Scheme scheme : {Scheme::dg, Scheme::rk2, Scheme::dopri5}) {
      if (scheme == Scheme::dg && kind != ModelKind::dgnet) continue;
      LossOptions opt;
      opt.scheme = scheme;
      ad::Tape tape;
      const double one = evaluate_loss(model, tape, p, opt, 7, 1);
      INFO(to_string(kind), " ", to_string(scheme));
      CHECK(std::isfinite(one));
      for (int workers : {2, 3, 6, 50}) CHECK(evaluate_loss(model, tape, p, opt, 7, workers) == one);  // 50: more than the chunks
    }
  }
}

TEST_CASE("train: the dopri5 evaluation without a tape equals the recorded loss") {
  const PairSet p = make_pairs(small_set(3, 6, 2, 0.9), 0);
  for (ModelKind kind : {ModelKind::hnn, ModelKind::node}) {
    Model model(small_config(kind));
    model.params().theta() *= 4.0;  // rejected steps too
    LossOptions opt;
    opt.scheme = Scheme::dopri5;
    ad::Tape tape;
    const double recorded = record_loss(model, tape, p, opt).value()(0, 0);
    INFO(to_string(kind));
    CHECK(evaluate_loss(model, tape, p, opt, 1000) == doctest::Approx(recorded).epsilon(1e-9));
  }
}

TEST_CASE("train: dopri5 under a graph memory bound: chunked replay gives the batch's loss and gradient") {
  // An ODE HNN with rejected steps, and a PDE HNN++ (conv network, D2) on 8 sites.
  ModelConfig pde;
  pde.kind = ModelKind::hnn;
  pde.pde = true;
  pde.dim = 8;
  pde.hidden = 5;
  pde.structure = Structure::D2;
  pde.dx = 0.5;
  pde.seed = 3;
  const PairSet p_ode = make_pairs(small_set(4, 9, 2, 0.9), 0), p_pde = make_pairs(small_set(3, 6, 8, 0.4), 0);
  int within = 0;  // cases with chunks of several pairs within the bound
  for (const auto& [config, p] : {std::pair{small_config(ModelKind::hnn), &p_ode}, std::pair{pde, &p_pde}})
    for (int workers : {1, 2}) {
      Model model(config);
      model.params().theta() *= config.pde ? 1.5 : 4.0;  // several steps; the ODE model has rejections
      LossOptions opt;
      opt.scheme = Scheme::dopri5;
      PairObjective whole(model, *p, 0, 0, opt, workers);
      Vec g_whole;
      const double l_whole = whole.evaluate_with_gradient(model.params().theta(), 0, g_whole);
      REQUIRE(whole.dopri5_stats().n_steps >= 2);
      // The batches' graphs take 25-35 MB, about 1 MB (ODE) and 3.5 MB (PDE) per row. 1 byte:
      // chunks of one row; 5 and 12 MB: chunks of 1-11 rows. Iteration 0 finds out while
      // recording, iteration 1 predicts it.
      for (double bound : {1.0, 5e6, 12e6}) {
        opt.max_graph_bytes = bound;
        PairObjective chunked(model, *p, 0, 0, opt, workers);
        for (long it = 0; it < 2; ++it) {
          INFO((config.pde ? "pde" : "ode"), ", workers ", workers, ", bound ", bound, ", iteration ", it);
          Vec g;
          const double l = chunked.evaluate_with_gradient(model.params().theta(), 0, g);
          CHECK(l == doctest::Approx(l_whole).epsilon(1e-13));
          CHECK((g - g_whole).lpNorm<Eigen::Infinity>() <= 1e-13 * g_whole.lpNorm<Eigen::Infinity>());
          // The same solver work: the replay re-records the accepted steps and is not counted.
          CHECK(chunked.dopri5_stats().n_steps == (it + 1) * whole.dopri5_stats().n_steps);
          CHECK(chunked.dopri5_stats().n_rejected == (it + 1) * whole.dopri5_stats().n_rejected);
          CHECK(chunked.dopri5_stats().n_rhs == (it + 1) * whole.dopri5_stats().n_rhs);
          CHECK(chunked.dopri5_chunked() == it + 1);
          // Once the graph is measured (iteration 1), the chunks' graphs stay within the bound,
          // unless one pair per worker exceeds it: then one pair at a time.
          const GraphEstimate& e = chunked.graph_estimate();
          const double per_pair = e.row_step_bytes * e.backward_factor * static_cast<double>(e.last_steps);
          if (it == 1 && per_pair * workers <= bound) {
            CHECK(chunked.dopri5_graph_bytes() <= bound);
            CHECK(chunked.dopri5_graph_bytes() > 0.3 * bound);  // and use a good part of it
            ++within;
          } else if (it == 1) {
            CHECK(chunked.dopri5_graph_bytes() <= 1.01 * per_pair * workers);
          }
        }
      }
    }
  CHECK(within >= 2);
}

TEST_CASE("train: a bound the graph fits in changes nothing, bit for bit") {
  const PairSet p = make_pairs(small_set(4, 9, 2, 0.9), 0);
  Model model(small_config(ModelKind::hnn));
  LossOptions opt;
  opt.scheme = Scheme::dopri5;
  PairObjective free(model, p, 0, 0, opt);
  opt.max_graph_bytes = 1e9;
  PairObjective bounded(model, p, 0, 0, opt);
  Vec g1, g2;
  CHECK(free.evaluate_with_gradient(model.params().theta(), 0, g1) == bounded.evaluate_with_gradient(model.params().theta(), 0, g2));
  CHECK(g1 == g2);
  CHECK(bounded.dopri5_chunked() == 0);
  CHECK(bounded.dopri5_graph_bytes() > 0);
  CHECK(bounded.dopri5_graph_bytes() <= 1e9);
}

TEST_CASE("train: optimize is deterministic and resumes bit-identically") {
  const PairSet p = make_pairs(small_set(4, 8, 2, 0.2), 0);
  LossOptions opt;
  opt.scheme = Scheme::rk2;
  const auto run = [&](long first, long last, Model& model, Adam& adam) {
    PairObjective obj(model, p, 5, 9, opt);
    return optimize(obj, model.params().theta(), adam, first, last);
  };
  Model a(small_config(ModelKind::hnn)), b(small_config(ModelKind::hnn));
  Adam adam_a({}, a.params().theta().size()), adam_b({}, b.params().theta().size());
  run(0, 12, a, adam_a);
  run(0, 12, b, adam_b);
  CHECK(a.params().theta() == b.params().theta());

  // Interrupted after 5 iterations, restored from its exported state, continued to 12.
  Model c(small_config(ModelKind::hnn));
  Adam adam_c({}, c.params().theta().size());
  run(0, 5, c, adam_c);
  RestoredModel r = import_state(export_state(c, &adam_c));
  run(5, 12, r.model, *r.adam);
  CHECK(r.model.params().theta() == a.params().theta());
}

TEST_CASE("train: worker threads split the batch and combine to the same loss and gradient") {
  const PairSet p = make_pairs(small_set(4, 9, 2, 0.25), 0);
  for (Scheme scheme : {Scheme::dg, Scheme::dopri5}) {
    LossOptions opt;
    opt.scheme = scheme;
    Model model(small_config(scheme == Scheme::dg ? ModelKind::dgnet : ModelKind::hnn));
    Vec g1, g3, g3b;
    PairObjective one(model, p, 0, 0, opt, 1), three(model, p, 0, 0, opt, 3);
    const double l1 = one.evaluate_with_gradient(model.params().theta(), 0, g1);
    const double l3 = three.evaluate_with_gradient(model.params().theta(), 0, g3);
    CHECK(l3 == doctest::Approx(l1).epsilon(1e-13));
    CHECK((g3 - g1).lpNorm<Eigen::Infinity>() <= 1e-13 * g1.lpNorm<Eigen::Infinity>());
    three.evaluate_with_gradient(model.params().theta(), 0, g3b);
    CHECK(g3b == g3);  // deterministic for a given number of workers
  }
  // Training with 2 workers: deterministic and resumable bit for bit.
  LossOptions opt;
  const auto run = [&](long first, long last, Model& m, Adam& adam) {
    PairObjective obj(m, p, 7, 4, opt, 2);
    optimize(obj, m.params().theta(), adam, first, last);
  };
  Model a(small_config(ModelKind::dgnet)), c(small_config(ModelKind::dgnet));
  Adam adam_a({}, a.params().theta().size()), adam_c({}, c.params().theta().size());
  run(0, 10, a, adam_a);
  run(0, 4, c, adam_c);
  RestoredModel r = import_state(export_state(c, &adam_c));
  run(4, 10, r.model, *r.adam);
  CHECK(r.model.params().theta() == a.params().theta());
}

TEST_CASE("train: callbacks stop training and a non-finite loss stops before the update") {
  PairSet p = make_pairs(small_set(2, 6, 2, 0.2), 0);
  Model model(small_config(ModelKind::dgnet));
  Adam adam({}, model.params().theta().size());
  LossOptions opt;
  PairObjective obj(model, p, 0, 0, opt);
  long calls = 0;
  const std::vector<Callback> stop_at_3 = {[&](const StepInfo& s) { ++calls; return s.iteration == 2; }};
  CHECK(optimize(obj, model.params().theta(), adam, 0, 10, stop_at_3) == 3);
  CHECK(calls == 3);

  p.u1(4, 1) = std::nan("");
  PairObjective bad(model, p, 0, 0, opt);
  const Vec before = model.params().theta();
  try {
    optimize(bad, model.params().theta(), adam, 3, 10);
    FAIL("no exception");
  } catch (const NumericalError& e) {
    CHECK(std::string(e.what()).find("at iteration 4") != std::string::npos);
  }
  CHECK(model.params().theta() == before);
  CHECK(adam.steps() == 3);
}

TEST_CASE("train: the implicit DG step solves Eq. 6 and conserves the learned energy") {
  const PairSet p = make_pairs(small_set(3, 6, 2, 0.3), 1);
  Model model(small_config(ModelKind::dgnet));
  long bad = 0;
  const Mat u1 = dg_step(model, p.u0, p.dt, 1e-12, 50, &bad);
  CHECK(bad == 0);
  const Mat f = model.discrete_time_derivative(p.u0, u1);
  const Mat residual = (u1 - p.u0) - p.dt.replicate(1, 2).cwiseProduct(f);
  CHECK(residual.lpNorm<Eigen::Infinity>() < 1e-12);
  const Mat h0 = model.energy(p.u0), h1 = model.energy(u1);
  CHECK((h1 - h0).lpNorm<Eigen::Infinity>() < 1e-12);
  const ImplicitScores s = implicit_scores(model, p);
  CHECK(s.n_runs == 1);
  CHECK(s.not_converged == 0);
  CHECK(s.one_step > 0);
  CHECK(s.rollout >= 0);
  // The one-step score is the mean of the rows' squared errors of the whole-set solve above.
  CHECK(s.one_step == doctest::Approx((u1 - p.u1).array().square().mean()).epsilon(1e-13));
}

TEST_CASE("train: implicit scores solved in chunks are the whole set's") {
  // Two trajectories with a gap in each: four runs (two of each length), so chunks of 1, 2
  // and 3 split both the one-step rows and the runs rolled out together.
  const PairSet p = make_pairs(small_set(3, 9, 2, 0.3), 0);  // the two training trajectories
  std::vector<long> keep;
  for (long i = 0; i < p.size(); ++i)
    if (p.step[static_cast<size_t>(i)] != 3) keep.push_back(i);
  PairSet q;
  gather(p, keep, q);
  for (long i : keep) {  // gather copies the states only
    q.traj.push_back(p.traj[static_cast<size_t>(i)]);
    q.step.push_back(p.step[static_cast<size_t>(i)]);
  }
  Model model(small_config(ModelKind::dgnet));
  const ImplicitScores whole = implicit_scores(model, q, 1000);
  CHECK(whole.n_runs == 4);
  CHECK(whole.not_converged == 0);
  for (long chunk : {1L, 2L, 3L}) {
    CAPTURE(chunk);
    const ImplicitScores part = implicit_scores(model, q, chunk);
    CHECK(part.n_runs == whole.n_runs);
    CHECK(part.not_converged == 0);
    CHECK(part.one_step == doctest::Approx(whole.one_step).epsilon(1e-13));
    CHECK(part.rollout == doctest::Approx(whole.rollout).epsilon(1e-13));
  }
}

TEST_CASE("train: checksum of the data") {
  CHECK(checksum({}) == "cbf29ce484222325");
  CHECK(checksum({1.0, 2.0}) != checksum({2.0, 1.0}));
  CHECK(checksum({1.0, 2.0}).size() == 16);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("slow");

TEST_CASE("train: DGNet learns mass-spring: derivative error far below the untrained model's") {
  systems::GenerateConfig g;
  g.system = "mass-spring";
  g.preset = systems::find_preset(systems::find_system("mass-spring"), "");
  g.preset.n_traj = 10;
  g.preset.n_train = 6;
  g.progress = false;
  const io::TrajectorySet d = systems::generate(g);
  const PairSet train = make_pairs(d, 0);
  // Test states with their true derivatives (the clean states when the data are noisy).
  const std::vector<double>& clean = d.u_clean.empty() ? d.u : d.u_clean;
  Mat u(0, 2), dudt(0, 2);
  for (long j = 0; j < d.n_traj; ++j)
    if (d.split[static_cast<size_t>(j)] == 1)
      for (long n = 0; n < d.n_time(); ++n) {
        u.conservativeResize(u.rows() + 1, 2);
        dudt.conservativeResize(dudt.rows() + 1, 2);
        const size_t o = static_cast<size_t>((j * d.n_time() + n) * 2);
        u.row(u.rows() - 1) << clean[o], clean[o + 1];
        dudt.row(dudt.rows() - 1) << d.dudt[o], d.dudt[o + 1];
      }
  ModelConfig c;
  c.kind = ModelKind::dgnet;
  c.hidden = 64;
  Model model(c);
  const double before = (model.time_derivative(u) - dudt).array().square().mean();
  Adam adam({1e-3, 0.9, 0.999, 1e-8, 1e-4}, model.params().theta().size());
  PairObjective obj(model, train, 0, 0, {});
  optimize(obj, model.params().theta(), adam, 0, 400);
  const double after = (model.time_derivative(u) - dudt).array().square().mean();
  INFO("derivative error ", before, " -> ", after);
  CHECK(after < 0.05 * before);
}

TEST_SUITE_END();
