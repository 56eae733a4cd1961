#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "lib/ode/dop853.hpp"
#include "lib/ode/dopri5.hpp"
#include "lib/ode/integrate.hpp"
#include "tests/unit/ode/test_problems.hpp"

using dgsim::Mat;
using dgsim::Vec;
namespace ode = dgsim::ode;
namespace tp = dgsim::ode::test;

namespace {

double max_abs(const Vec& v) { return v.cwiseAbs().maxCoeff(); }

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("dopri5 and dop853 on a Kepler orbit: the error follows the tolerance") {
  // Eccentricity 0.5, about 3.2 periods; exact solution from Kepler's equation.
  const double e = 0.5;
  const double t_end = 20.0;
  const ode::Rhs f = tp::kepler;
  const Vec y0 = tp::kepler_y0(e);
  const Vec exact = tp::kepler_exact(e, t_end);
  for (const std::string name : {"dopri5", "dop853"}) {
    CAPTURE(name);
    const std::vector<double> tols = {1e-6, 1e-8, 1e-10, 1e-12};
    std::vector<double> errors;
    long prev_rhs = 0;
    for (const double tol : tols) {
      auto stepper = ode::make_stepper(name, {tol, tol});
      const Vec y = ode::integrate_adaptive(*stepper, f, y0, 0.0, t_end);
      const double err = max_abs(y - exact);
      CAPTURE(tol);
      CAPTURE(err);
      // Local errors are bounded by tol; the phase error of an orbit grows with the number of
      // revolutions, so the global error after 3 revolutions is allowed 1e3 tol.
      CHECK(err < 1e3 * tol);
      CHECK(stepper->stats().n_rhs > prev_rhs);  // tighter tolerance, more work
      prev_rhs = stepper->stats().n_rhs;
      errors.push_back(err);
    }
    // Tolerance proportionality: over six decades of tol the error falls by about as much.
    const double decades = std::log10(errors.front() / errors.back()) / std::log10(tols.front() / tols.back());
    CAPTURE(decades);
    CHECK(decades > 0.8);
    CHECK(decades < 1.3);
  }
}

TEST_CASE("dop853 dense output: one extra batch of 3 evaluations per step that is interpolated") {
  const ode::Rhs f = tp::arenstorf;
  const Vec y0 = tp::arenstorf_y0();
  ode::Dop853 stepper({1e-6, 1e-6});
  const std::vector<double> times = {0.0, 0.5 * tp::arenstorf_period, tp::arenstorf_period};
  ode::integrate_times(stepper, f, y0, times);
  // The same step sequence as the plain run (1035 evaluations), plus the dense stages of the
  // one step that contains T/2.
  CHECK(stepper.stats().n_rhs == 1035 + 3);

  // Many outputs per step: still at most 3 extra evaluations per accepted step.
  std::vector<double> dense_times;
  for (int i = 0; i <= 20000; ++i) dense_times.push_back(tp::arenstorf_period * i / 20000.0);
  ode::integrate_times(stepper, f, y0, dense_times);
  const auto& s = stepper.stats();
  CHECK(s.n_steps == 65);
  CHECK(s.n_rhs > 1035);
  CHECK(s.n_rhs <= 1035 + 3 * s.n_steps);
}

TEST_CASE("dense output matches direct solves at interior points") {
  const double e = 0.5;
  const ode::Rhs f = tp::kepler;
  const Vec y0 = tp::kepler_y0(e);
  std::vector<double> times;
  for (int i = 0; i <= 37; ++i) times.push_back(10.0 * i / 37.0);
  for (const std::string name : {"dopri5", "dop853"}) {
    for (const double tol : {1e-6, 1e-8, 1e-10}) {
      CAPTURE(name);
      CAPTURE(tol);
      auto stepper = ode::make_stepper(name, {tol, tol});
      const Mat ys = ode::integrate_times(*stepper, f, y0, times);
      double worst = 0.0;
      for (std::size_t i = 1; i < times.size(); ++i) {
        const Vec direct = ode::integrate_adaptive(*stepper, f, y0, 0.0, times[i]);
        worst = std::max(worst, max_abs(ys.row(static_cast<long>(i)).transpose() - direct));
      }
      CAPTURE(worst);
      // Both carry global errors of a few tol to a few hundred tol (see the Kepler test).
      CHECK(worst < 50.0 * tol);
    }
  }
}

TEST_CASE("dense output of one step has the order of the continuous extension") {
  // One accepted step of size h on the oscillator; interpolate at 0.37 h. A continuous
  // extension of order p has a local error O(h^{p+1}): p = 4 for dopri5, 7 for dop853.
  const ode::Rhs f = tp::oscillator;
  Vec y0(2);
  y0 << 1.0, 0.5;
  for (const auto& [name, p] : std::vector<std::pair<std::string, int>>{{"dopri5", 4}, {"dop853", 7}}) {
    CAPTURE(name);
    auto stepper = ode::make_stepper(name, {1.0, 1.0});  // loose: every step is accepted
    std::vector<double> errs;
    const std::vector<double> hs = {0.4, 0.2, 0.1};
    for (const double h : hs) {
      stepper->reset();
      double t = 0.0;
      double dt = h;
      Vec y = y0;
      REQUIRE(stepper->try_step(f, t, y, dt) == ode::StepResult::accepted);
      Vec y_mid;
      stepper->dense_output(0.37 * h, y_mid);
      errs.push_back(max_abs(y_mid - tp::oscillator_exact(y0, 0.37 * h)));
      // The interpolant passes through both ends of the step.
      Vec y_end;
      stepper->dense_output(h, y_end);
      CHECK(max_abs(y_end - y) < 1e-15);
    }
    for (std::size_t i = 1; i < errs.size(); ++i) {
      const double slope = std::log2(errs[i - 1] / errs[i]);
      CAPTURE(slope);
      CHECK(std::abs(slope - (p + 1)) < 0.5);
    }
  }
}

TEST_CASE("dopri5 counts 6 evaluations per attempted step plus 2 for the start") {
  const ode::Rhs f = tp::arenstorf;
  ode::Dopri5 stepper({1e-7, 1e-7});
  const Vec y1 = ode::integrate_adaptive(stepper, f, tp::arenstorf_y0(), 0.0, tp::arenstorf_period);
  const auto& s = stepper.stats();
  CHECK(s.n_rhs == 2 + 6 * (s.n_steps + s.n_rejected));
  // Closure of the periodic orbit: a few thousand times tol, as for dop853.
  CHECK(max_abs(y1 - tp::arenstorf_y0()) < 2e4 * 1e-7);
}

TEST_CASE("adaptive steppers integrate backwards in time") {
  const ode::Rhs f = tp::oscillator;
  Vec y0(2);
  y0 << 0.3, -0.7;
  for (const std::string name : {"dopri5", "dop853"}) {
    CAPTURE(name);
    auto stepper = ode::make_stepper(name, {1e-10, 1e-10});
    const Vec y = ode::integrate_adaptive(*stepper, f, y0, 2.0, -1.5);
    CHECK(max_abs(y - tp::oscillator_exact(y0, -3.5)) < 1e-8);
  }
}

TEST_SUITE_END();
