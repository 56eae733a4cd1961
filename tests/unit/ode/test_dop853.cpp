#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "lib/ode/dop853.hpp"
#include "lib/ode/integrate.hpp"
#include "tests/unit/ode/test_problems.hpp"

using dgsim::Mat;
using dgsim::Vec;
namespace ode = dgsim::ode;
namespace tp = dgsim::ode::test;

TEST_SUITE_BEGIN("unit");

// Reference counts from Hairer's DOP853 (Fortran) on the Arenstorf orbit over one period with
// ITOL = 0, RTOL = ATOL = tol, H = 0 (automatic start), IOUT = 0: NFCN includes f(t0, y0), the
// evaluation in HINIT and f(t_end, y_end) after the last step.
TEST_CASE("dop853: Arenstorf orbit takes as many evaluations as Hairer's code and closes") {
  const ode::Rhs f = tp::arenstorf;
  const Vec y0 = tp::arenstorf_y0();
  struct Case {
    double tol;
    long n_rhs;
  };
  for (const Case c : {Case{1e-6, 1035}, Case{1e-10, 2785}}) {
    CAPTURE(c.tol);
    ode::Dop853 stepper({c.tol, c.tol});
    const Vec y1 = ode::integrate_adaptive(stepper, f, y0, 0.0, tp::arenstorf_period);
    const auto& s = stepper.stats();
    CHECK(s.n_rhs == c.n_rhs);
    CHECK(s.n_rhs == 2 + 12 * s.n_steps + 11 * s.n_rejected);
    // The orbit is periodic, so the distance from y0 after one period is the global error.
    // Tolerances bound local errors; this orbit amplifies perturbations strongly (a change of
    // 1e-8 in x(0) moves y(T) by about 2e-2), so the global error is a few thousand times tol
    // at every tolerance from 1e-6 to 1e-10. The bound checks that proportionality.
    const double closure = (y1 - y0).cwiseAbs().maxCoeff();
    CHECK(closure < 2e4 * c.tol);
  }
}

TEST_SUITE_END();
