#pragma once
// Integrator interfaces (odeint's split): the system says what (a right-hand side f), the
// stepper takes one step (never logs or writes files), the driver (integrate.hpp) loops.
//
// Any plain callable works as a right-hand side:
//   dgsim::ode::Rhs f = [](double t, const dgsim::Vec& y, dgsim::Vec& dydt) { dydt = -y; };
//   auto stepper = dgsim::ode::make_stepper("dop853", {1e-10, 1e-10});
//   dgsim::Mat ys = dgsim::ode::integrate_times(*stepper, f, y0, times);  // [n_times, dim]

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/core/types.hpp"

namespace dgsim::ode {

// y' = f(t, y). dydt arrives sized like y; f must not resize it or keep references.
using Rhs = std::function<void(double t, const Vec& y, Vec& dydt)>;

// Counters of one integration; reset by the driver at the start of a run.
struct Stats {
  long n_steps = 0;     // accepted steps
  long n_rejected = 0;  // rejected steps (adaptive only)
  long n_rhs = 0;       // evaluations of f
  long n_newton = 0;    // Newton iterations (implicit steppers only)
  double max_residual = 0.0;  // worst final Newton residual (implicit steppers only)
  long n_jacobians = 0; // Jacobian evaluations (implicit steppers only)
};

struct Tolerances {
  double rtol = 1e-10;
  double atol = 1e-10;
};

enum class StepResult { accepted, rejected };

// Fixed- and variable-step one-step methods.
class Stepper {
 public:
  virtual ~Stepper() = default;
  virtual std::string name() const = 0;
  virtual int order() const = 0;
  virtual bool adaptive() const { return false; }
  // Needs the state laid out as (q, p) halves with q' depending on p only and p' on q only.
  virtual bool requires_separable() const { return false; }

  // Fixed step: advance y from t to t + dt in place. Adaptive methods take one step of their
  // higher-order formula without error control.
  virtual void step(const Rhs& f, double t, Vec& y, double dt) = 0;

  // Adaptive: try a step of size dt from (t, y). On acceptance, y and t advance; in both
  // cases dt becomes the proposed next step. Fixed-step methods always accept.
  virtual StepResult try_step(const Rhs& f, double& t, Vec& y, double& dt);

  // Adaptive: a first step size for integrating from (t, y) towards t_end, signed like
  // t_end - t and at most dt_max() in magnitude (Hairer's HINIT for dopri5 and dop853). May
  // evaluate f (counted in stats) and keep f(t, y) for the first try_step. Fixed-step
  // methods return t_end - t.
  virtual double initial_step(const Rhs& f, double t, const Vec& y, double t_end);

  // Adaptive: largest |dt| that try_step and initial_step propose (0: unbounded).
  void set_dt_max(double dt_max) { dt_max_ = dt_max; }
  double dt_max() const { return dt_max_; }

  // Dense output after an accepted step: y(t_prev + theta*(t - t_prev)) for theta in [0, 1].
  // Valid until the next try_step. It may evaluate f lazily (dop853: 3 evaluations, once per
  // step, only when asked): the callable given to that try_step must still be alive, so pass
  // an Rhs object rather than a lambda converted to a temporary at the call.
  virtual bool has_dense_output() const { return false; }
  virtual void dense_output(double t_out, Vec& y_out);

  // Forget any cached state (FSAL derivative, dense coefficients) before a new run. Steppers
  // with a cached derivative recompute it when y differs from the state it was taken at, but
  // not when only t or f changed: call reset() before reusing a stepper on another problem.
  virtual void reset() {}

  Stats& stats() { return stats_; }
  const Stats& stats() const { return stats_; }

 protected:
  Stats stats_;
  double dt_max_ = 0.0;
};

struct StepperInfo {
  std::string name;
  std::string description;
  int order;
  bool adaptive;
};

// The explicit integrators by CLI name: euler, rk2, rk4, dopri5, dop853, leapfrog.
// Throws ConfigError naming the known ones for an unknown name.
std::unique_ptr<Stepper> make_stepper(const std::string& name, const Tolerances& tol = {});
const std::vector<StepperInfo>& stepper_table();

}  // namespace dgsim::ode
