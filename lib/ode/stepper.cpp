#include "lib/ode/stepper.hpp"

#include <fmt/format.h>

#include <functional>
#include <stdexcept>

#include "lib/core/error.hpp"
#include "lib/ode/dop853.hpp"
#include "lib/ode/dopri5.hpp"
#include "lib/ode/explicit_rk.hpp"
#include "lib/ode/leapfrog.hpp"

namespace dgsim::ode {

StepResult Stepper::try_step(const Rhs& f, double& t, Vec& y, double& dt) {
  step(f, t, y, dt);
  t += dt;
  return StepResult::accepted;
}

double Stepper::initial_step(const Rhs& /*f*/, double t, const Vec& /*y*/, double t_end) {
  return t_end - t;
}

void Stepper::dense_output(double /*t_out*/, Vec& /*y_out*/) {
  throw std::logic_error(fmt::format("stepper '{}' has no dense output", name()));
}

namespace {

struct Entry {
  StepperInfo info;
  std::function<std::unique_ptr<Stepper>(const Tolerances&)> make;
};

// The one list of explicit integrators.
const std::vector<Entry>& entries() {
  static const std::vector<Entry> table = {
      {{"euler", "explicit Euler, fixed step", 1, false},
       [](const Tolerances&) { return std::make_unique<ExplicitRk>("euler"); }},
      {{"rk2", "explicit midpoint Runge-Kutta, fixed step", 2, false},
       [](const Tolerances&) { return std::make_unique<ExplicitRk>("rk2"); }},
      {{"rk4", "classical Runge-Kutta, fixed step", 4, false},
       [](const Tolerances&) { return std::make_unique<ExplicitRk>("rk4"); }},
      {{"dopri5", "Dormand-Prince 5(4), adaptive, dense output of order 4", 5, true},
       [](const Tolerances& tol) { return std::make_unique<Dopri5>(tol); }},
      {{"dop853", "Dormand-Prince 8(5,3) after Hairer, adaptive, dense output of order 7", 8, true},
       [](const Tolerances& tol) { return std::make_unique<Dop853>(tol); }},
      {{"leapfrog", "Stormer-Verlet kick-drift-kick, fixed step, separable (q, p) systems only", 2, false},
       [](const Tolerances&) { return std::make_unique<Leapfrog>(); }},
  };
  return table;
}

}  // namespace

const std::vector<StepperInfo>& stepper_table() {
  static const std::vector<StepperInfo> infos = [] {
    std::vector<StepperInfo> v;
    for (const auto& e : entries()) v.push_back(e.info);
    return v;
  }();
  return infos;
}

std::unique_ptr<Stepper> make_stepper(const std::string& name, const Tolerances& tol) {
  for (const auto& e : entries()) {
    if (e.info.name == name) {
      if (e.info.adaptive && !(tol.rtol > 0.0 && tol.atol >= 0.0)) {
        throw ConfigError(fmt::format("tolerances of '{}' must be rtol > 0, atol >= 0 (got rtol = {}, atol = {})",
                                      name, tol.rtol, tol.atol));
      }
      return e.make(tol);
    }
  }
  std::string known;
  for (const auto& e : entries()) known += (known.empty() ? "" : ", ") + e.info.name;
  throw ConfigError(fmt::format("unknown integrator '{}' (known: {})", name, known));
}

}  // namespace dgsim::ode
