#pragma once
// Drivers: loop a stepper over an interval, with an observer. Scheme-agnostic.

#include <functional>
#include <vector>

#include "lib/ode/stepper.hpp"

namespace dgsim::ode {

struct DriverOptions {
  double dt = 0.0;           // fixed-step methods: step size (0: one step per output interval)
  double dt_initial = 0.0;   // adaptive methods: first step (0: automatic, Hairer's rule)
  double dt_max = 0.0;       // adaptive methods: largest step (0: unbounded)
  long max_steps = 1000000;  // per call; exceeded -> NumericalError
};

// Called with each output (index into the output times, time, state).
using Observer = std::function<void(long i, double t, const Vec& y)>;

// Solve y' = f(t, y), y(times[0]) = y0, and return y at every time in `times` (strictly
// increasing), one row each: [n_times, dim]. Adaptive steppers with dense output interpolate;
// others stop exactly at each output time. Fixed-step steppers take ceil(interval / dt)
// equal steps per output interval. Throws NumericalError on step-size underflow, on a
// non-finite state or when max_steps is exceeded.
Mat integrate_times(Stepper& stepper, const Rhs& f, const Vec& y0, const std::vector<double>& times,
                    const DriverOptions& opt = {}, const Observer& observer = {});

// Adaptive integration from t0 to t1; the observer sees every accepted step. Returns y(t1).
Vec integrate_adaptive(Stepper& stepper, const Rhs& f, const Vec& y0, double t0, double t1,
                       const DriverOptions& opt = {}, const Observer& observer = {});

// n equal steps of size dt from t0; the observer sees all n + 1 states. Returns the last.
Vec integrate_const(Stepper& stepper, const Rhs& f, const Vec& y0, double t0, double dt, long n,
                    const Observer& observer = {});

}  // namespace dgsim::ode
