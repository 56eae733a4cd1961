#pragma once
// Dormand–Prince 5(4) with Hairer's step-size control and dense output (as in his DOPRI5
// code; Hairer, Nørsett & Wanner, Solving ODEs I, Sec. II.4-II.6). The DGNet paper's
// "ada. DP".

#include "lib/ode/rk_stages.hpp"
#include "lib/ode/stepper.hpp"

namespace dgsim::ode {

// The step-size control of Dopri5::try_step on its own (the PI control described for Dopri5
// below), for callers that run the stages themselves (the training code records them on an
// autodiff tape).
class Dopri5Control {
 public:
  // err: the error norm of a step of size h. Returns whether the step is accepted; h becomes
  // the step to try next (at most dt_max in magnitude when dt_max > 0).
  bool judge(double err, double& h, double dt_max = 0.0);
  void reset() { *this = Dopri5Control(); }

 private:
  double fac_old_ = 1e-4;
  bool last_rejected_ = false;
};

// Adaptive explicit RK of order 5 with an embedded order-4 estimate; 7 stages, FSAL, so 6
// evaluations of f per attempted step.
//
// Error: err = sqrt(mean_i (e_i / sk_i)^2), e = y5 - y4, sk_i = atol + rtol max(|y0_i|, |y1_i|).
// Step accepted when err <= 1. Next step (Hairer's PI controller, "Lund stabilisation"):
//   fac = err^(1/5 - 0.75 beta) / err_prev^beta / safe,  dt_new = dt / clamp(fac, 1/fac2, 1/fac1)
// with safe = 0.9, fac1 = 0.2, fac2 = 10, beta = 0.04; after a rejection the factor is not
// stabilised and the next accepted step does not grow. A non-finite error (f overflowed or
// returned NaN) counts as a rejection with the largest reduction, fac1.
// Dense output: Hairer's continuous extension of order 4 (Shampine's coefficients), computed
// from the stages without further evaluations.
// Works on any callable f(t, y, dydt) (see stepper.hpp).
class Dopri5 : public Stepper {
 public:
  explicit Dopri5(const Tolerances& tol = {});

  std::string name() const override { return "dopri5"; }
  int order() const override { return 5; }
  bool adaptive() const override { return true; }
  bool has_dense_output() const override { return true; }

  void step(const Rhs& f, double t, Vec& y, double dt) override;
  StepResult try_step(const Rhs& f, double& t, Vec& y, double& dt) override;
  double initial_step(const Rhs& f, double t, const Vec& y, double t_end) override;
  void dense_output(double t_out, Vec& y_out) override;
  void reset() override;

  const Tolerances& tolerances() const { return tol_; }

 private:
  static constexpr int n_stages = 7;
  void resize(Eigen::Index n);
  // Makes k_[0] = f(t, y), reusing the FSAL stage of the last accepted step when y is that state.
  void ensure_first_stage(const Rhs& f, double t, const Vec& y);
  void run_stages(const Rhs& f, double t, const Vec& y, double dt);

  Tolerances tol_;
  detail::StageRow rows_[n_stages];  // sparse rows of a; rows_[6] is b (the FSAL stage)
  double c_[n_stages];
  double e_[n_stages];  // b - b_hat
  double d_[n_stages];  // dense-output coefficients
  Vec k_[n_stages];     // [dim] each; k_[6] = f(t + dt, y_trial_)
  const Vec* kp_[n_stages];
  Vec y_trial_, y_stage_;  // [dim]
  Vec y_f0_;               // [dim] the state at which k_[0] was evaluated
  Vec y_old_;              // [dim] start of the last accepted step, for dense output
  bool have_k0_ = false;
  bool swap_pending_ = false;  // after acceptance k_[6] is the next k_[0]; kept for dense output
  bool dense_valid_ = false;
  double t_old_ = 0.0;
  double h_old_ = 0.0;
  Dopri5Control control_;
};

}  // namespace dgsim::ode
