#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "lib/core/error.hpp"
#include "lib/ode/integrate.hpp"
#include "tests/unit/ode/test_problems.hpp"

using dgsim::Vec;
namespace ode = dgsim::ode;
namespace tp = dgsim::ode::test;

namespace {

// Least-squares slope of log(error) against log(dt).
double fitted_slope(const std::vector<double>& dts, const std::vector<double>& errors) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double n = static_cast<double>(dts.size());
  for (std::size_t i = 0; i < dts.size(); ++i) {
    const double x = std::log(dts[i]);
    const double y = std::log(errors[i]);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

// Global error at t_end with n steps of size t_end / n.
double error_with_steps(ode::Stepper& stepper, const ode::Rhs& f, const Vec& y0, double t_end, long n,
                        const Vec& exact) {
  const Vec y = ode::integrate_const(stepper, f, y0, 0.0, t_end / static_cast<double>(n), n);
  return (y - exact).norm();
}

// y' = -y + sin t, y(0) = 1: y = 1.5 e^{-t} + (sin t - cos t) / 2. Non-autonomous, scalar.
void forced_decay(double t, const Vec& y, Vec& dydt) { dydt[0] = -y[0] + std::sin(t); }
double forced_decay_exact(double t) { return 1.5 * std::exp(-t) + 0.5 * (std::sin(t) - std::cos(t)); }

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("fixed-step methods converge at their order on the harmonic oscillator at t = 1.3") {
  const ode::Rhs f = tp::oscillator;
  Vec y0(2);
  y0 << 1.0, 0.5;
  const double t_end = 1.3;  // not a period: errors do not cancel
  const Vec exact = tp::oscillator_exact(y0, t_end);
  struct Case {
    std::string name;
    int order;
    long n0;  // coarsest number of steps, small enough to stay above round-off at the finest
  };
  for (const Case& c : {Case{"euler", 1, 40}, Case{"rk2", 2, 20}, Case{"rk4", 4, 10}, Case{"leapfrog", 2, 20}}) {
    CAPTURE(c.name);
    auto stepper = ode::make_stepper(c.name);
    CHECK(stepper->order() == c.order);
    std::vector<double> dts, errors;
    for (long n = c.n0; n <= 16 * c.n0; n *= 2) {
      dts.push_back(t_end / static_cast<double>(n));
      errors.push_back(error_with_steps(*stepper, f, y0, t_end, n, exact));
    }
    const double slope = fitted_slope(dts, errors);
    CAPTURE(slope);
    CHECK(std::abs(slope - c.order) < 0.15);
  }
}

TEST_CASE("Runge-Kutta methods converge at their order on the forced decay y' = -y + sin t") {
  const ode::Rhs f = forced_decay;
  const Vec y0 = Vec::Ones(1);
  const double t_end = 3.0;  // at t = 2 rk4's leading error term nearly vanishes
  const Vec exact = Vec::Constant(1, forced_decay_exact(t_end));
  for (const auto& [name, order] : std::vector<std::pair<std::string, int>>{{"euler", 1}, {"rk2", 2}, {"rk4", 4}}) {
    CAPTURE(name);
    auto stepper = ode::make_stepper(name);
    std::vector<double> dts, errors;
    for (long n = 10; n <= 160; n *= 2) {
      dts.push_back(t_end / static_cast<double>(n));
      errors.push_back(error_with_steps(*stepper, f, y0, t_end, n, exact));
    }
    const double slope = fitted_slope(dts, errors);
    CAPTURE(slope);
    CHECK(std::abs(slope - order) < 0.15);
  }
}

TEST_CASE("dopri5 and dop853 run without error control at their orders") {
  const ode::Rhs f = tp::oscillator;
  Vec y0(2);
  y0 << 1.0, 0.5;
  const double t_end = 1.3;
  const Vec exact = tp::oscillator_exact(y0, t_end);
  for (const auto& [name, order, n0] : std::vector<std::tuple<std::string, int, long>>{{"dopri5", 5, 4}, {"dop853", 8, 1}}) {
    CAPTURE(name);
    auto stepper = ode::make_stepper(name);
    std::vector<double> dts, errors;
    // The drivers use error control for adaptive steppers, so call step() directly. At the
    // finest dt the error is still above round-off (about 1e-13 for dop853 with 8 steps).
    for (long n = n0; n <= 8 * n0; n *= 2) {
      Vec y = y0;
      stepper->reset();
      const double dt = t_end / static_cast<double>(n);
      for (long k = 0; k < n; ++k) stepper->step(f, static_cast<double>(k) * dt, y, dt);
      dts.push_back(dt);
      errors.push_back((y - exact).norm());
    }
    const double slope = fitted_slope(dts, errors);
    CAPTURE(slope);
    CHECK(std::abs(slope - order) < 0.3);
  }
}

TEST_CASE("leapfrog conserves the oscillator's energy over many periods and is time-reversible") {
  const ode::Rhs f = tp::oscillator;
  Vec y0(2);
  y0 << 1.0, 0.0;
  auto stepper = ode::make_stepper("leapfrog");
  CHECK(stepper->requires_separable());
  const double dt = 0.1;
  const long n = 10000;  // about 160 periods
  const Vec y1 = ode::integrate_const(*stepper, f, y0, 0.0, dt, n);
  // Störmer–Verlet conserves the modified energy q^2 + p^2 - dt^2 q^2 / 4 exactly for this
  // linear problem, so the true energy stays within dt^2 / 4 of relative deviation.
  const double e0 = y0.squaredNorm();
  CHECK(std::abs(y1.squaredNorm() - e0) / e0 < 0.25 * dt * dt * 1.01);
  // Two evaluations per step plus the first one.
  CHECK(stepper->stats().n_rhs == 2 * n + 1);
  // Reversibility: stepping back with -dt retraces the steps up to round-off.
  Vec y = y1;
  stepper->reset();
  for (long k = 0; k < n; ++k) stepper->step(f, 0.0, y, -dt);
  CHECK((y - y0).norm() < 1e-9);
}

TEST_CASE("leapfrog rejects a state of odd dimension") {
  auto stepper = ode::make_stepper("leapfrog");
  const ode::Rhs f = [](double, const Vec& y, Vec& dydt) { dydt = -y; };
  Vec y = Vec::Ones(3);
  CHECK_THROWS_AS(stepper->step(f, 0.0, y, 0.1), dgsim::ConfigError);
}

TEST_SUITE_END();
