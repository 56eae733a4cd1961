#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "lib/core/error.hpp"
#include "lib/ode/integrate.hpp"
#include "tests/unit/ode/test_problems.hpp"

using dgsim::Mat;
using dgsim::Vec;
namespace ode = dgsim::ode;
namespace tp = dgsim::ode::test;

TEST_SUITE_BEGIN("unit");

TEST_CASE("the plain-callable usage of stepper.hpp compiles and works") {
  dgsim::ode::Rhs f = [](double /*t*/, const dgsim::Vec& y, dgsim::Vec& dydt) { dydt = -y; };
  auto stepper = dgsim::ode::make_stepper("dop853", {1e-10, 1e-10});
  const dgsim::Vec y0 = dgsim::Vec::Constant(3, 2.0);
  const std::vector<double> times = {0.0, 0.5, 1.0, 3.0};
  dgsim::Mat ys = dgsim::ode::integrate_times(*stepper, f, y0, times);  // [n_times, dim]
  REQUIRE(ys.rows() == 4);
  REQUIRE(ys.cols() == 3);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j) CHECK(ys(i, j) == doctest::Approx(2.0 * std::exp(-times[i])).epsilon(1e-9));
  }
}

TEST_CASE("integrate_times returns the initial state and hits every output time") {
  const ode::Rhs f = tp::oscillator;
  Vec y0(2);
  y0 << 1.0, 0.0;
  const std::vector<double> times = {0.0, 0.1, 0.35, 0.7, 1.3, 2.0};
  for (const auto& info : ode::stepper_table()) {
    CAPTURE(info.name);
    auto stepper = ode::make_stepper(info.name, {1e-10, 1e-10});
    std::vector<double> seen;
    ode::DriverOptions opt;
    opt.dt = 1e-3;
    const Mat ys = ode::integrate_times(*stepper, f, y0, times, opt,
                                        [&](long i, double t, const Vec&) {
                                          CHECK(i == static_cast<long>(seen.size()));
                                          seen.push_back(t);
                                        });
    REQUIRE(seen.size() == times.size());
    for (std::size_t i = 0; i < times.size(); ++i) CHECK(seen[i] == times[i]);  // exactly
    CHECK(ys.row(0) == y0.transpose());
    const double tol = info.order == 1 ? 2e-3 : 1e-5;
    for (std::size_t i = 0; i < times.size(); ++i) {
      CHECK((ys.row(static_cast<long>(i)).transpose() - tp::oscillator_exact(y0, times[i])).norm() < tol);
    }
  }
}

TEST_CASE("fixed-step integrate_times takes ceil of interval over dt steps per interval") {
  const ode::Rhs f = tp::oscillator;
  Vec y0(2);
  y0 << 1.0, 0.0;
  auto stepper = ode::make_stepper("rk4");
  ode::DriverOptions opt;
  opt.dt = 0.1;
  // Intervals 0.1 (1 step despite rounding of 0.8 - 0.7), 0.25 (3 steps), 0.05 (1 step).
  ode::integrate_times(*stepper, f, y0, {0.7, 0.8, 1.05, 1.1}, opt);
  CHECK(stepper->stats().n_steps == 5);
  CHECK(stepper->stats().n_rhs == 20);
  opt.dt = 0.0;  // one step per interval
  ode::integrate_times(*stepper, f, y0, {0.0, 1.0, 3.0}, opt);
  CHECK(stepper->stats().n_steps == 2);
}

TEST_CASE("integrate_times rejects output times that do not increase") {
  const ode::Rhs f = tp::oscillator;
  auto stepper = ode::make_stepper("rk4");
  CHECK_THROWS_AS(ode::integrate_times(*stepper, f, Vec::Ones(2), {0.0, 1.0, 1.0}), dgsim::ConfigError);
}

TEST_CASE("integrate_const observes n + 1 equally spaced states") {
  const ode::Rhs f = tp::oscillator;
  Vec y0(2);
  y0 << 1.0, 0.0;
  for (const std::string name : {"rk4", "dop853"}) {
    CAPTURE(name);
    auto stepper = ode::make_stepper(name, {1e-10, 1e-10});
    long count = 0;
    const Vec y = ode::integrate_const(*stepper, f, y0, 0.5, 0.01, 100, [&](long i, double t, const Vec&) {
      CHECK(i == count);
      CHECK(t == doctest::Approx(0.5 + 0.01 * static_cast<double>(i)).epsilon(1e-14));
      ++count;
    });
    CHECK(count == 101);
    CHECK((y - tp::oscillator_exact(y0, 1.0)).norm() < 1e-8);
  }
}

TEST_CASE("integrate_adaptive reports every accepted step to the observer") {
  const ode::Rhs f = tp::oscillator;
  Vec y0(2);
  y0 << 1.0, 0.0;
  auto stepper = ode::make_stepper("dopri5", {1e-8, 1e-8});
  long calls = 0;
  double t_last = 0.0;
  ode::integrate_adaptive(*stepper, f, y0, 0.0, 5.0, {}, [&](long, double t, const Vec&) {
    ++calls;
    t_last = t;
  });
  CHECK(calls == stepper->stats().n_steps + 1);
  CHECK(t_last == 5.0);
}

TEST_CASE("a solution that blows up raises NumericalError") {
  // y' = y^2, y(0) = 1: y = 1 / (1 - t) is infinite at t = 1.
  const ode::Rhs f = [](double, const Vec& y, Vec& dydt) { dydt[0] = y[0] * y[0]; };
  const Vec y0 = Vec::Ones(1);
  for (const auto& info : ode::stepper_table()) {
    if (info.name == "leapfrog") continue;  // needs (q, p) halves
    CAPTURE(info.name);
    auto stepper = ode::make_stepper(info.name, {1e-8, 1e-8});
    ode::DriverOptions opt;
    opt.dt = 1e-3;
    try {
      ode::integrate_times(*stepper, f, y0, {0.0, 2.0}, opt);
      FAIL("no exception");
    } catch (const dgsim::NumericalError& e) {
      const std::string message = e.what();
      CAPTURE(message);
      // The failure is reported near the singularity (or past it, for a fixed step).
      CHECK(e.t() > 0.99);
      CHECK(e.t() < 1.05);  // explicit Euler lags the blow-up and overflows at t = 1.017
      CHECK(e.step() > 0);
    }
  }
}

TEST_CASE("exceeding max_steps raises NumericalError with the step number") {
  const ode::Rhs f = tp::oscillator;
  auto stepper = ode::make_stepper("dop853", {1e-12, 1e-12});
  ode::DriverOptions opt;
  opt.max_steps = 10;
  try {
    ode::integrate_adaptive(*stepper, f, Vec::Ones(2), 0.0, 100.0, opt);
    FAIL("no exception");
  } catch (const dgsim::NumericalError& e) {
    CHECK(e.step() <= 10);
    CHECK(e.t() > 0.0);
  }
}

TEST_CASE("make_stepper knows the table and rejects unknown names") {
  const auto& table = ode::stepper_table();
  REQUIRE(table.size() == 6);
  for (const auto& info : table) {
    CAPTURE(info.name);
    auto stepper = ode::make_stepper(info.name);
    CHECK(stepper->name() == info.name);
    CHECK(stepper->order() == info.order);
    CHECK(stepper->adaptive() == info.adaptive);
    CHECK(!info.description.empty());
  }
  try {
    ode::make_stepper("rk5");
    FAIL("no exception");
  } catch (const dgsim::ConfigError& e) {
    CHECK(std::string(e.what()) == "unknown integrator 'rk5' (known: euler, rk2, rk4, dopri5, dop853, leapfrog)");
  }
  CHECK_THROWS_AS(ode::make_stepper("dop853", {0.0, 1e-6}), dgsim::ConfigError);
}

TEST_SUITE_END();
