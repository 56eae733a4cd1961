// DG integration of the registered systems: conservation and dissipation laws, empirical
// orders of convergence against exact solutions or much finer runs, and failure reporting.
#include <doctest/doctest.h>

#include <cmath>

#include "lib/core/error.hpp"
#include "systems/discrete_gradients.hpp"
#include "systems/registry.hpp"

using namespace dgsim;
using namespace dgsim::systems;

namespace {

std::vector<double> uniform_times(double t_end, long n) {
  std::vector<double> t(static_cast<size_t>(n + 1));
  for (long k = 0; k <= n; ++k) t[static_cast<size_t>(k)] = t_end * static_cast<double>(k) / static_cast<double>(n);
  return t;
}

Vec initial_state(const System& sys, std::uint64_t index) {
  Rng rng(7, RngStream::initial_state, index);
  Vec u;
  sys.sample_initial_state(rng, u);
  return u;
}

// Max-norm error at t_end of `method` with n steps, against a reference function of time.
template <class Exact>
double final_error(const System& sys, const std::string& method, const Vec& u0, double t_end, long n,
                   const Exact& exact) {
  Mat states;
  integrate_dg(sys, method, u0, {0.0, t_end}, 1e-13, n, states);
  const Vec err = states.row(1).transpose() - exact(t_end);
  return err.lpNorm<Eigen::Infinity>();
}

// Observed order from errors at n, 2n, 4n, 8n steps: log2 of the last ratio.
template <class Exact>
double observed_order(const System& sys, const std::string& method, const Vec& u0, double t_end, long n0,
                      const Exact& exact) {
  double prev = 0.0, order = 0.0;
  for (int k = 0; k < 4; ++k) {
    const double e = final_error(sys, method, u0, t_end, n0 << k, exact);
    if (k > 0) order = std::log2(prev / e);
    prev = e;
  }
  return order;
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("dg integration: the ODE systems keep H to the Newton tolerance over thousands of steps") {
  const double tol = 1e-10;
  for (const std::string name : {"mass-spring", "pendulum", "two-body"}) {
    const auto sys = make_system(name);
    const double dt = name == "two-body" ? 0.05 : 0.1;
    for (const std::string method : {"gonzalez", "itoh-abe", "avf"}) {
      CAPTURE(name);
      CAPTURE(method);
      const Vec u0 = initial_state(*sys, 1);
      Mat states;
      const auto stats = integrate_dg(*sys, method, u0, uniform_times(2000 * dt, 2000), tol, 1, states);
      CHECK(stats.n_steps == 2000);
      CHECK(stats.max_residual <= tol * (1.0 + states.cwiseAbs().maxCoeff()));
      const double h0 = sys->energy(u0);
      double drift = 0.0;
      for (Eigen::Index k = 0; k < states.rows(); ++k)
        drift = std::max(drift, std::abs(sys->energy(states.row(k).transpose()) - h0));
      // Newton stops with the next correction below tol and applies it too, so the step
      // equation holds to round-off: far below the 10 tol |H0| that the tolerance alone allows.
      CHECK(drift <= 10.0 * tol * std::abs(h0));
      CHECK(drift <= 1e-12 * std::abs(h0));
      // The motion is not trivial: the state moved.
      CHECK((states.row(states.rows() - 1) - states.row(0)).norm() > 1e-3);
    }
  }
}

TEST_CASE("dg integration: KdV dgnet preset conserves H to 1e-12 and mass to 1e-13") {
  const auto sys = make_system("kdv");
  const DatasetPreset& p = find_preset(find_system("kdv"), "dgnet");
  const auto times = uniform_times(p.t_end, p.n_steps);
  for (std::uint64_t i = 0; i < 4; ++i) {
    const Vec u0 = initial_state(*sys, i);
    Mat states;
    const auto stats = integrate_dg(*sys, "", u0, times, p.rtol, 1, states);
    CHECK(stats.n_steps == 500);
    const double h0 = sys->energy(u0), m0 = sys->mass(u0);
    double dh = 0.0, dm = 0.0;
    for (Eigen::Index k = 0; k < states.rows(); ++k) {
      const Vec u = states.row(k).transpose();
      dh = std::max(dh, std::abs(sys->energy(u) - h0) / std::abs(h0));
      dm = std::max(dm, std::abs(sys->mass(u) - m0) / std::abs(m0));
    }
    CHECK(dh <= 1e-12);
    CHECK(dm <= 1e-13);
    // The solitons moved: the state changed by much more than the tolerances.
    CHECK((states.row(500) - states.row(0)).lpNorm<Eigen::Infinity>() > 0.1);
  }
}

TEST_CASE("dg integration: KdV long preset conserves H and mass over 5000 steps") {
  const auto sys = make_system("kdv");
  const DatasetPreset& p = find_preset(find_system("kdv"), "long");
  REQUIRE(p.n_steps == 5000);
  const Vec u0 = initial_state(*sys, 0);
  Mat states;
  integrate_dg(*sys, "", u0, uniform_times(p.t_end, p.n_steps), p.rtol, 1, states);
  const double h0 = sys->energy(u0), m0 = sys->mass(u0);
  double dh = 0.0, dm = 0.0;
  for (Eigen::Index k = 0; k < states.rows(); ++k) {
    const Vec u = states.row(k).transpose();
    dh = std::max(dh, std::abs(sys->energy(u) - h0) / std::abs(h0));
    dm = std::max(dm, std::abs(sys->mass(u) - m0) / std::abs(m0));
  }
  CHECK(dh <= 1e-12);
  CHECK(dm <= 1e-13);
}

TEST_CASE("dg integration: Cahn-Hilliard H never increases and mass is kept to 1e-13") {
  const auto sys = make_system("cahn-hilliard");
  const DatasetPreset& p = find_preset(find_system("cahn-hilliard"), "dgnet");
  const auto times = uniform_times(p.t_end, p.n_steps);
  for (std::uint64_t i = 0; i < 4; ++i) {
    const Vec u0 = initial_state(*sys, i);
    Mat states;
    integrate_dg(*sys, "", u0, times, p.rtol, 1, states);
    // Mass relative to Δx Σ|u| (the mass of random ±0.05 states is near zero).
    const double m0 = sys->mass(u0), m_scale = sys->mass(u0.cwiseAbs());
    double h_prev = sys->energy(u0), worst_rise = -1.0, dm = 0.0;
    for (Eigen::Index k = 1; k < states.rows(); ++k) {
      const Vec u = states.row(k).transpose();
      const double h = sys->energy(u);
      worst_rise = std::max(worst_rise, (h - h_prev) / std::abs(h_prev));
      h_prev = h;
      dm = std::max(dm, std::abs(sys->mass(u) - m0) / m_scale);
    }
    CHECK(worst_rise <= 1e-14);
    CHECK(dm <= 1e-13);
    CHECK(h_prev < sys->energy(u0));  // it does dissipate
  }
}

TEST_CASE("dg integration: convergence orders against the exact mass-spring solution") {
  const auto sys = make_system("mass-spring");  // H = q² + p²: q(t) = q0 cos 2t + p0 sin 2t
  const Vec u0 = initial_state(*sys, 3);
  const auto exact = [&](double t) {
    Vec u(2);
    u << u0[0] * std::cos(2 * t) + u0[1] * std::sin(2 * t), u0[1] * std::cos(2 * t) - u0[0] * std::sin(2 * t);
    return u;
  };
  for (const std::string method : {"gonzalez", "avf"}) {
    CAPTURE(method);
    const double order = observed_order(*sys, method, u0, 3.0, 40, exact);
    CHECK(order > 1.9);
    CHECK(order < 2.2);
  }
}

TEST_CASE("dg integration: convergence orders against the exact circular two-body orbit") {
  const auto sys = make_system("two-body", {{"orbit_noise", 0.0}});
  const Vec u0 = initial_state(*sys, 4);
  const double r = u0.head<2>().norm(), omega = u0.segment<2>(4).norm() / r;  // m = 1
  const auto exact = [&](double t) {
    Eigen::Matrix2d rot;
    rot << std::cos(omega * t), -std::sin(omega * t), std::sin(omega * t), std::cos(omega * t);
    Vec u(8);
    u.segment<2>(0) = rot * u0.segment<2>(0);
    u.segment<2>(2) = -u.segment<2>(0);
    u.segment<2>(4) = rot * u0.segment<2>(4);
    u.segment<2>(6) = -u.segment<2>(4);
    return u;
  };
  // Sanity of the reference: it solves u' = G ∇H at t = 0.
  Vec f;
  sys->rhs(u0, f);
  const Vec fd = (exact(1e-6) - exact(-1e-6)) / 2e-6;
  REQUIRE((f - fd).lpNorm<Eigen::Infinity>() < 1e-8);
  for (const std::string method : {"gonzalez", "avf", "itoh-abe"}) {
    CAPTURE(method);
    const double order = observed_order(*sys, method, u0, 6.0, 20, exact);
    const double expected = method == "itoh-abe" ? 1.0 : 2.0;
    CHECK(order > expected - 0.15);
    CHECK(order < expected + 0.3);
  }
}

TEST_CASE("dg integration: second order on the pendulum and on KdV against much finer runs") {
  struct Case {
    std::string system, method;
    double t_end;
    long n0;
  };
  for (const Case& c : {Case{"pendulum", "gonzalez", 3.0, 20}, Case{"pendulum", "avf", 3.0, 20},
                        Case{"kdv", "dvdm", 0.02, 10}}) {
    CAPTURE(c.system);
    CAPTURE(c.method);
    const auto sys = make_system(c.system);
    const Vec u0 = initial_state(*sys, 5);
    Mat ref;
    integrate_dg(*sys, c.method, u0, {0.0, c.t_end}, 1e-13, (c.n0 << 3) * 64, ref);  // error ~ 1/4096 of the finest
    const Vec u_ref = ref.row(1).transpose();
    const double order = observed_order(*sys, c.method, u0, c.t_end, c.n0, [&](double) { return u_ref; });
    CHECK(order > 1.85);
    CHECK(order < 2.3);
  }
}

TEST_CASE("dg integration: the PDE Newton matrices are analysed once for a whole run") {
  for (const std::string name : {"kdv", "cahn-hilliard"}) {
    CAPTURE(name);
    const auto sys = make_system(name);
    SystemDgProblem problem(*sys, DgMethod::dvdm);
    ode::DiscreteGradientStepper stepper(problem);
    for (std::uint64_t i = 0; i < 3; ++i) {
      const Vec u0 = initial_state(*sys, i);
      const double dt = name == "kdv" ? 1e-3 : 1e-4;
      ode::integrate_dg_times(stepper, u0, uniform_times(100 * dt, 100), 1);
    }
    CHECK(stepper.n_analyses() == 1);
    CHECK(stepper.stats().n_steps == 100);  // statistics cover the last run
  }
}

TEST_CASE("dg integration: DVDM and AVF steps agree to round-off on the PDEs") {
  for (const std::string name : {"kdv", "cahn-hilliard"}) {
    CAPTURE(name);
    const auto sys = make_system(name);
    const DatasetPreset& p = find_preset(find_system(name), "dgnet");
    const double dt = p.t_end / static_cast<double>(p.n_steps);
    const Vec u0 = initial_state(*sys, 9);
    Mat a, b;
    integrate_dg(*sys, "dvdm", u0, uniform_times(20 * dt, 20), 1e-10, 1, a);
    integrate_dg(*sys, "avf", u0, uniform_times(20 * dt, 20), 1e-10, 1, b);
    for (Eigen::Index k = 1; k < a.rows(); ++k) {
      const double scale = 1.0 + a.row(k).cwiseAbs().maxCoeff();
      CHECK((a.row(k) - b.row(k)).lpNorm<Eigen::Infinity>() <= 1e-13 * scale);
    }
  }
}

TEST_CASE("dg integration: a failing Newton solve is a NumericalError and a bad method a ConfigError") {
  const auto sys = make_system("pendulum");
  const Vec u0 = initial_state(*sys, 0);
  Mat states;
  try {
    integrate_dg(*sys, "gonzalez", u0, uniform_times(1.0, 10), 1e-30, 1, states);  // unreachable tolerance
    FAIL("no exception");
  } catch (const NumericalError& e) {
    CHECK(e.step() == 0);
    CHECK(e.t() == 0.0);
    CHECK(e.dt() == doctest::Approx(0.1));
    CHECK(std::string(e.what()).find("Newton") != std::string::npos);
  }
  CHECK_THROWS_AS(integrate_dg(*sys, "bogus", u0, uniform_times(1.0, 10), 1e-10, 1, states), ConfigError);
  CHECK_THROWS_AS(integrate_dg(*sys, "dvdm", u0, uniform_times(1.0, 10), 1e-10, 1, states), ConfigError);
}

TEST_SUITE_END();
