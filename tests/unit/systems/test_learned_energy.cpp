// Learned models as systems: the batched right-hand side, the coloured AD Jacobian of the
// automatic discrete gradient, and the laws of the DG scheme with learned energies
// (conserved, mass to round-off, non-increasing with friction or G = D2).
#include <doctest/doctest.h>

#include <cmath>

#include "lib/core/rng.hpp"
#include "lib/ode/discrete_gradient.hpp"
#include "systems/learned_energy.hpp"

using namespace dgsim;
using namespace dgsim::systems;

namespace {

nn::ModelConfig pde_model(nn::Structure s, int sites = 20) {
  nn::ModelConfig c;
  c.kind = nn::ModelKind::dgnet;
  c.pde = true;
  c.dim = sites;
  c.hidden = 12;
  c.structure = s;
  c.dx = 0.2;
  c.seed = 3;
  return c;
}

nn::ModelConfig ode_model(int dim, bool friction = false) {
  nn::ModelConfig c;
  c.kind = nn::ModelKind::dgnet;
  c.dim = dim;
  c.hidden = 16;
  c.friction = friction;
  c.seed = 5;
  return c;
}

// `batch` stacked random states, entries U(-amp, amp).
Vec random_states(int batch, int n, double amp, std::uint64_t seed) {
  Rng rng(seed, RngStream::initial_state, 0);
  Vec u(static_cast<Eigen::Index>(batch) * n);
  for (Eigen::Index i = 0; i < u.size(); ++i) u[i] = amp * (2.0 * rng.uniform() - 1.0);
  return u;
}

// Learned energy of each series of a stacked state.
Vec energies(nn::Model& m, const Vec& u, int batch) {
  const Mat rows = Eigen::Map<const RowMat>(u.data(), batch, m.config().dim);
  return m.energy(rows).col(0);
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("learned energy: colours of a cyclic band") {
  CHECK(band_colours(50, 2) == 5);
  CHECK(band_colours(20, 2) == 5);
  CHECK(band_colours(12, 2) == 6);
  CHECK(band_colours(7, 2) == 7);
  CHECK(band_colours(4, 2) == 4);
}

TEST_CASE("learned energy: structure matrix of the model") {
  nn::Model m(pde_model(nn::Structure::D, 10));
  const Mat g = LearnedEnergy(m).structure_matrix();
  CHECK((g + g.transpose()).norm() == doctest::Approx(0.0));
  CHECK(g(0, 1) == doctest::Approx(1.0 / 0.4));
  CHECK(g(0, 9) == doctest::Approx(-1.0 / 0.4));
  CHECK(g.colwise().sum().norm() == doctest::Approx(0.0));

  nn::Model f(ode_model(2, true));
  f.params().view(f.params().find("friction"))(0, 0) = 0.25;
  const Mat s = LearnedEnergy(f).structure_matrix();
  CHECK(s(0, 1) == 1.0);
  CHECK(s(1, 0) == -1.0);
  CHECK(s(1, 1) == doctest::Approx(-0.25));
  CHECK(s(0, 0) == 0.0);
}

TEST_CASE("learned energy: batched right-hand side equals per-state time derivatives") {
  nn::Model m(pde_model(nn::Structure::D));
  LearnedEnergy le(m);
  const int batch = 3, n = 20;
  const Vec u = random_states(batch, n, 1.0, 1);
  Vec f(u.size());
  le.rhs(batch)(0.0, u, f);
  for (int b = 0; b < batch; ++b) {
    const Mat one = m.time_derivative(Mat(u.segment(b * n, n).transpose()));
    CHECK((f.segment(b * n, n) - one.row(0).transpose()).norm() <= 1e-12 * (1.0 + one.norm()));
  }
}

TEST_CASE("learned energy: coloured Jacobian equals the dense AD Jacobian") {
  for (const nn::ModelConfig& c : {pde_model(nn::Structure::D, 20), pde_model(nn::Structure::D2, 12),
                                   pde_model(nn::Structure::D, 4), ode_model(8)}) {
    nn::Model m(c);
    const int batch = 3, n = c.dim;
    LearnedDgProblem p(m, batch);
    const Vec u = random_states(batch, n, 1.0, 2), v = random_states(batch, n, 1.0, 3);
    SparseMat jac;
    p.discrete_gradient_jacobian(v, u, jac);
    const Mat dense = Mat(jac);
    const Mat g = Mat(p.G());
    for (int b = 0; b < batch; ++b) {
      // The model's dense Jacobian of Ḡ ∇̄H(u, v) in v, one reverse sweep per row.
      const Mat ref = m.discrete_time_derivative_jacobian(u.segment(b * n, n), v.segment(b * n, n));
      const Mat mine = g.block(b * n, b * n, n, n) * dense.block(b * n, b * n, n, n);
      CAPTURE(n);
      CHECK((mine - ref).norm() <= 1e-10 * (1.0 + ref.norm()));
    }
    // Off-diagonal blocks are empty: the series are independent.
    if (batch > 1) CHECK(dense.block(0, n, n, n).norm() == 0.0);
  }
}

TEST_CASE("learned energy: grouped and threaded evaluation gives identical results") {
  // 30 series of 20 sites = 600 network rows: 3 groups of 10 series.
  nn::Model m(pde_model(nn::Structure::D));
  const int batch = 30, n = 20;
  LearnedDgProblem one(m, batch, 1), two(m, batch, 2);
  CHECK(one.groups() == 3);
  const Vec u = random_states(batch, n, 1.0, 8), v = random_states(batch, n, 1.0, 9);
  Vec g1, g2;
  one.discrete_gradient(v, u, g1);
  two.discrete_gradient(v, u, g2);
  CHECK((g1 - g2).norm() == 0.0);
  SparseMat j1, j2;
  one.discrete_gradient_jacobian(v, u, j1);
  two.discrete_gradient_jacobian(v, u, j2);
  CHECK(Mat(j1 - j2).norm() == 0.0);
  // Every group's block against the model's dense Jacobian (series 0, 15 and 29).
  const Mat g = Mat(one.G()), dense = Mat(j1);
  for (int b : {0, 15, 29}) {
    const Mat ref = m.discrete_time_derivative_jacobian(u.segment(b * n, n), v.segment(b * n, n));
    const Mat mine = g.block(b * n, b * n, n, n) * dense.block(b * n, b * n, n, n);
    CHECK((mine - ref).norm() <= 1e-10 * (1.0 + ref.norm()));
  }
  // A rollout is bitwise the same with 1 and 2 threads.
  Vec a = u, c = u;
  ode::DiscreteGradientOptions opt{1e-12, 20};
  opt.reuse_jacobian = true;
  ode::DiscreteGradientStepper s1(one, opt), s2(two, opt);
  for (int k = 0; k < 10; ++k) {
    s1.step(0.0, a, 0.001);
    s2.step(0.0, c, 0.001);
  }
  CHECK((a - c).norm() == 0.0);
}

TEST_CASE("learned energy: DG rollout conserves a learned energy and the mass") {
  for (bool reuse : {false, true}) {
    CAPTURE(reuse);
    nn::Model m(pde_model(nn::Structure::D));
    const int batch = 4, n = 20;
    LearnedDgProblem p(m, batch);
    const double tol = 1e-12;
    ode::DiscreteGradientOptions opt{tol, 20};
    opt.reuse_jacobian = reuse;
    opt.guess = ode::DiscreteGradientOptions::Guess::previous_increment;
    ode::DiscreteGradientStepper stepper(p, opt);
    Vec u = random_states(batch, n, 1.0, 4);
    const Vec h0 = energies(m, u, batch);
    Eigen::VectorXd mass0(batch);
    for (int b = 0; b < batch; ++b) mass0[b] = u.segment(b * n, n).sum();
    const long steps = 100;
    for (long k = 0; k < steps; ++k) stepper.step(0.001 * static_cast<double>(k), u, 0.001);
    const Vec h1 = energies(m, u, batch);
    for (int b = 0; b < batch; ++b) {
      CHECK(std::abs(h1[b] - h0[b]) <= 10.0 * tol * static_cast<double>(steps) * (1.0 + std::abs(h0[b])));
      CHECK(std::abs(u.segment(b * n, n).sum() - mass0[b]) <= 1e-12 * u.segment(b * n, n).cwiseAbs().sum());
    }
    CHECK(stepper.stats().n_steps == steps);
    CHECK(static_cast<double>(stepper.stats().n_newton) / static_cast<double>(steps) <= 4.0);
    if (reuse) CHECK(stepper.stats().n_jacobians <= 5);
  }
}

TEST_CASE("learned energy: DG rollout of an ODE energy is conserved") {
  nn::Model m(ode_model(2));
  LearnedDgProblem p(m, 3);
  const double tol = 1e-12;
  ode::DiscreteGradientStepper stepper(p, {tol, 20});
  Vec u = random_states(3, 2, 1.0, 5);
  const Vec h0 = energies(m, u, 3);
  for (long k = 0; k < 200; ++k) stepper.step(0.0, u, 0.2);
  const Vec h1 = energies(m, u, 3);
  for (int b = 0; b < 3; ++b) CHECK(std::abs(h1[b] - h0[b]) <= 10.0 * tol * 200.0 * (1.0 + std::abs(h0[b])));
}

TEST_CASE("learned energy: DG rollout never increases a dissipative learned energy") {
  // ODE with learned friction (G = S - R) and a PDE with G = D2 (Cahn-Hilliard's structure).
  nn::Model f(ode_model(2, true));
  f.params().view(f.params().find("friction"))(0, 0) = 0.3;
  nn::Model d2(pde_model(nn::Structure::D2, 10));
  struct Case {
    nn::Model* model;
    double dt;
  };
  for (const Case& c : {Case{&f, 0.2}, Case{&d2, 1e-4}}) {
    const int batch = 3, n = c.model->config().dim;
    LearnedDgProblem p(*c.model, batch);
    ode::DiscreteGradientOptions opt{1e-12, 20};
    opt.reuse_jacobian = true;
    ode::DiscreteGradientStepper stepper(p, opt);
    Vec u = random_states(batch, n, 1.0, 6);
    Vec h = energies(*c.model, u, batch);
    const Vec h0 = h;
    const double mass0 = u.sum();
    for (long k = 0; k < 100; ++k) {
      stepper.step(0.0, u, c.dt);
      const Vec h1 = energies(*c.model, u, batch);
      for (int b = 0; b < batch; ++b) CHECK(h1[b] <= h[b] + 1e-11 * (1.0 + std::abs(h[b])));
      h = h1;
    }
    CHECK((h - h0).maxCoeff() < 0.0);  // strictly dissipated over the run
    if (c.model->config().pde) CHECK(std::abs(u.sum() - mass0) <= 1e-12 * u.cwiseAbs().sum());
  }
}

TEST_SUITE_END();
