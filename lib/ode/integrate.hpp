#pragma once
// Drivers: loop a stepper over an interval, with an observer. Scheme-agnostic.

#include <functional>
#include <vector>

#include "lib/ode/stepper.hpp"

namespace dgsim::ode {

struct DriverOptions {
  double dt = 0.0;           // fixed-step methods: step size (0: one step per output interval)
  double dt_initial = 0.0;   // adaptive methods: first step (0: automatic, Hairer's rule)
  double dt_max = 0.0;       // adaptive methods: largest step (0: the whole interval, as Hairer)
  long max_steps = 1000000;  // attempted steps per call; exceeded -> NumericalError
};

// Called with each output (index into the output times, time, state).
using Observer = std::function<void(long i, double t, const Vec& y)>;

// Every driver resets the stepper (reset()) and its stats() at the start, so stats() then
// describe this call only. Adaptive runs follow Hairer's codes: a step that would pass the
// end, or stop within 1% of a step before it, is set to end exactly there, and the run fails
// with NumericalError when 0.1 |dt| <= 2.3e-16 |t| (step-size underflow). Any driver throws
// NumericalError when the state becomes non-finite (with t, dt and the number of accepted
// steps), and ConfigError for a non-finite initial state.

// Solve y' = f(t, y), y(times[0]) = y0, and return y at every time in `times` (strictly
// increasing, else ConfigError), one row each: [n_times, dim]; row 0 is y0. Adaptive steppers
// with dense output run once to times.back() and interpolate inside accepted steps; others stop
// exactly at each output time. Fixed-step steppers take ceil(interval / dt) equal steps per
// output interval (with a relative slack of 1e-12 against rounding in the times). The observer
// sees each row as it is produced, with t exactly times[i]. Throws NumericalError on step-size
// underflow, on a non-finite state or when max_steps is exceeded.
Mat integrate_times(Stepper& stepper, const Rhs& f, const Vec& y0, const std::vector<double>& times,
                    const DriverOptions& opt = {}, const Observer& observer = {});

// Adaptive integration from t0 to t1 (t1 < t0 integrates backwards); the observer sees the
// initial state (i = 0) and then every accepted step (i = 1, 2, ...), the last at exactly t1.
// Returns y(t1). A fixed-step stepper takes ceil(|t1 - t0| / opt.dt) equal steps (one if
// opt.dt = 0).
Vec integrate_adaptive(Stepper& stepper, const Rhs& f, const Vec& y0, double t0, double t1,
                       const DriverOptions& opt = {}, const Observer& observer = {});

// n equal steps of size dt > 0 from t0; the observer sees all n + 1 states, at t0 + i dt.
// Returns the last. An adaptive stepper integrates with error control between these times
// (default DriverOptions) and reports them through its dense output.
Vec integrate_const(Stepper& stepper, const Rhs& f, const Vec& y0, double t0, double dt, long n,
                    const Observer& observer = {});

}  // namespace dgsim::ode
