#pragma once
// Störmer–Verlet (leapfrog), kick-drift-kick: symplectic, time-reversible, order 2. The SRNN
// baseline.

#include "lib/ode/stepper.hpp"

namespace dgsim::ode {

// For a separable Hamiltonian H(q, p) = T(p) + V(q) with the state laid out as y = (q, p),
// two halves of equal size m = dim / 2, and f(t, y) = (q', p') where q' depends on p only and
// p' on q only. One step of size dt:
//   p_half = p + dt/2 p'(q),  q_new = q + dt q'(p_half),  p_new = p_half + dt/2 p'(q_new).
// It takes the full right-hand side f and uses the relevant half of each evaluation: the
// q-half of f(t + dt/2, (q, p_half)) and the p-half of f(t + dt, (q_new, p_half)). The last
// p-half is the first kick of the next step (FSAL, reused while q is unchanged), so a step
// costs 2 evaluations. For a non-separable f the result is not the Störmer–Verlet method.
// Precondition: dim is even (ConfigError otherwise).
class Leapfrog : public Stepper {
 public:
  std::string name() const override { return "leapfrog"; }
  int order() const override { return 2; }
  bool requires_separable() const override { return true; }
  void step(const Rhs& f, double t, Vec& y, double dt) override;
  void reset() override { have_kick_ = false; }

 private:
  Vec dydt_;       // [dim] f at the latest evaluation
  Vec p_dot_;      // [m] p'(q_kick_)
  Vec q_kick_;     // [m] the q at which p_dot_ was evaluated
  bool have_kick_ = false;
};

}  // namespace dgsim::ode
