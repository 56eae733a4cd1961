#pragma once
// Fixed-step explicit Runge–Kutta stepper driven by a Butcher tableau (euler, rk2, rk4).

#include <string>
#include <vector>

#include "lib/ode/butcher.hpp"
#include "lib/ode/rk_stages.hpp"
#include "lib/ode/stepper.hpp"

namespace dgsim::ode {

// One step: k_i = f(t + c_i dt, y + dt sum_j a_ij k_j), y += dt sum_i b_i k_i; s evaluations
// of f per step. Works on any callable f(t, y, dydt) (see stepper.hpp). Work vectors are sized
// on the first step and reused while the dimension stays the same.
class ExplicitRk : public Stepper {
 public:
  // tableau_name: euler, rk2, rk4 (any name known to tableau(); dopri5 and dop853 are run
  // without error control). Throws ConfigError for an unknown name.
  explicit ExplicitRk(const std::string& tableau_name);

  std::string name() const override { return tableau_->name; }
  int order() const override { return tableau_->order; }
  void step(const Rhs& f, double t, Vec& y, double dt) override;

 private:
  const ButcherTableau* tableau_;
  std::vector<detail::StageRow> rows_;  // [s] sparse rows of a; rows_[s] holds b
  std::vector<Vec> k_;                  // [s][dim] stage derivatives
  std::vector<const Vec*> kp_;          // [s] pointers to k_
  Vec y_stage_;                         // [dim]
};

}  // namespace dgsim::ode
