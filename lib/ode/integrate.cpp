#include "lib/ode/integrate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "lib/core/error.hpp"
#include "lib/ode/rk_stages.hpp"

namespace dgsim::ode {
namespace {

void start_run(Stepper& stepper) {
  stepper.reset();
  stepper.stats() = Stats{};
}

void check_finite(const Stepper& stepper, const Vec& y, double t, double dt) {
  if (!y.allFinite()) {
    throw NumericalError(fmt::format("{}: non-finite state", stepper.name()), t, dt,
                         stepper.stats().n_steps);
  }
}

// Counts attempted steps of one driver call against max_steps.
struct StepBudget {
  long max_steps;
  long used = 0;
  void take(const Stepper& stepper, double t, double dt) {
    if (used >= max_steps) {
      throw NumericalError(fmt::format("{}: more than {} steps", stepper.name(), max_steps), t, dt,
                           stepper.stats().n_steps);
    }
    ++used;
  }
};

// Number of equal steps of size at most dt covering `interval`; a relative slack of 1e-12
// keeps rounding in the output times from adding a step.
long n_fixed_steps(double interval, double dt) {
  if (dt <= 0.0) return 1;
  const double n = std::ceil(std::abs(interval) / dt * (1.0 - 1e-12));
  return n < 1.0 ? 1 : static_cast<long>(n);
}

// Fixed-step integration from t0 to t1 in n equal steps; on_step(t) after each.
template <class OnStep>
void run_fixed(Stepper& stepper, const Rhs& f, Vec& y, double t0, double t1, long n, StepBudget& budget,
               OnStep&& on_step) {
  const double h = (t1 - t0) / static_cast<double>(n);
  for (long k = 0; k < n; ++k) {
    const double t = t0 + static_cast<double>(k) * h;
    budget.take(stepper, t, h);
    stepper.step(f, t, y, h);
    const double t_next = k + 1 == n ? t1 : t0 + static_cast<double>(k + 1) * h;
    check_finite(stepper, y, t_next, h);
    on_step(t_next);
  }
}

// Adaptive integration of (t, y) to t_end, as in Hairer's codes: a step that would end
// within 1% of a step before t_end, or beyond it, is set to end exactly at t_end.
// on_accept(t_prev, t) after each accepted step; dt carries the proposed step in and out.
template <class OnAccept>
void run_adaptive(Stepper& stepper, const Rhs& f, double& t, Vec& y, double t_end, double& dt,
                  StepBudget& budget, OnAccept&& on_accept) {
  const double direction = t_end >= t ? 1.0 : -1.0;
  dt = direction * std::abs(dt);
  while ((t_end - t) * direction > 0.0) {
    budget.take(stepper, t, dt);
    if (detail::step_underflow(t, dt)) {
      throw NumericalError(fmt::format("{}: step size underflow", stepper.name()), t, dt,
                           stepper.stats().n_steps);
    }
    bool last = false;
    if ((t + 1.01 * dt - t_end) * direction > 0.0) {
      dt = t_end - t;
      last = true;
    }
    const double t_prev = t;
    if (stepper.try_step(f, t, y, dt) == StepResult::accepted) {
      if (last) t = t_end;
      check_finite(stepper, y, t, dt);
      on_accept(t_prev, t);
    }
  }
}

// The first step of an adaptive run: given, or Hairer's rule.
double first_step(Stepper& stepper, const Rhs& f, double t0, const Vec& y0, double t1,
                  const DriverOptions& opt) {
  stepper.set_dt_max(opt.dt_max > 0.0 ? opt.dt_max : std::abs(t1 - t0));
  return opt.dt_initial > 0.0 ? opt.dt_initial : stepper.initial_step(f, t0, y0, t1);
}

// Solution at each of `times`, passed to emit(i, t, y).
template <class Emit>
void solve_at_times(Stepper& stepper, const Rhs& f, const Vec& y0, const std::vector<double>& times,
                    const DriverOptions& opt, Emit&& emit) {
  for (std::size_t i = 1; i < times.size(); ++i) {
    if (!(times[i] > times[i - 1])) {
      throw ConfigError(fmt::format("output times must be strictly increasing (times[{}] = {}, times[{}] = {})",
                                    i - 1, times[i - 1], i, times[i]));
    }
  }
  if (!y0.allFinite()) throw ConfigError("initial state is not finite");
  start_run(stepper);
  StepBudget budget{opt.max_steps};
  Vec y = y0;
  const long n_times = static_cast<long>(times.size());
  if (n_times == 0) return;
  emit(0, times[0], y);
  if (n_times == 1) return;

  if (!stepper.adaptive()) {
    for (long i = 1; i < n_times; ++i) {
      const double t0 = times[i - 1];
      const double t1 = times[i];
      run_fixed(stepper, f, y, t0, t1, n_fixed_steps(t1 - t0, opt.dt), budget, [](double) {});
      emit(i, t1, y);
    }
    return;
  }

  double t = times[0];
  double dt = first_step(stepper, f, t, y, times.back(), opt);
  if (stepper.has_dense_output()) {
    // One run to the last time; interior outputs are interpolated inside accepted steps.
    long next = 1;
    Vec y_out(y.size());
    run_adaptive(stepper, f, t, y, times.back(), dt, budget, [&](double, double t_now) {
      while (next < n_times && times[next] <= t_now) {
        if (times[next] == t_now) {
          emit(next, times[next], y);
        } else {
          stepper.dense_output(times[next], y_out);
          emit(next, times[next], y_out);
        }
        ++next;
      }
    });
    return;
  }
  for (long i = 1; i < n_times; ++i) {
    run_adaptive(stepper, f, t, y, times[i], dt, budget, [](double, double) {});
    emit(i, times[i], y);
  }
}

}  // namespace

Mat integrate_times(Stepper& stepper, const Rhs& f, const Vec& y0, const std::vector<double>& times,
                    const DriverOptions& opt, const Observer& observer) {
  Mat out(static_cast<Eigen::Index>(times.size()), y0.size());
  solve_at_times(stepper, f, y0, times, opt, [&](long i, double t, const Vec& y) {
    out.row(i) = y.transpose();
    if (observer) observer(i, t, y);
  });
  return out;
}

Vec integrate_adaptive(Stepper& stepper, const Rhs& f, const Vec& y0, double t0, double t1,
                       const DriverOptions& opt, const Observer& observer) {
  if (!y0.allFinite()) throw ConfigError("initial state is not finite");
  start_run(stepper);
  StepBudget budget{opt.max_steps};
  Vec y = y0;
  if (observer) observer(0, t0, y);
  if (t1 == t0) return y;
  long i = 0;
  if (!stepper.adaptive()) {
    run_fixed(stepper, f, y, t0, t1, n_fixed_steps(t1 - t0, opt.dt), budget, [&](double t) {
      if (observer) observer(++i, t, y);
    });
    return y;
  }
  double t = t0;
  double dt = first_step(stepper, f, t0, y, t1, opt);
  run_adaptive(stepper, f, t, y, t1, dt, budget, [&](double, double t_now) {
    if (observer) observer(++i, t_now, y);
  });
  return y;
}

Vec integrate_const(Stepper& stepper, const Rhs& f, const Vec& y0, double t0, double dt, long n,
                    const Observer& observer) {
  if (!(dt > 0.0) || n < 0) {
    throw ConfigError(fmt::format("integrate_const needs dt > 0 and n >= 0 (got dt = {}, n = {})", dt, n));
  }
  std::vector<double> times(static_cast<std::size_t>(n) + 1);
  for (long k = 0; k <= n; ++k) times[static_cast<std::size_t>(k)] = t0 + static_cast<double>(k) * dt;
  DriverOptions opt;
  opt.dt = dt;
  opt.max_steps = std::max(opt.max_steps, 2 * n + 1);
  Vec last = y0;
  solve_at_times(stepper, f, y0, times, opt, [&](long i, double t, const Vec& y) {
    if (i == n) last = y;
    if (observer) observer(i, t, y);
  });
  return last;
}

}  // namespace dgsim::ode
