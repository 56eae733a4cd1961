#pragma once
// DOP853: the explicit Runge–Kutta method of order 8 of Dormand & Prince with Hairer's error
// estimator, step-size control, starting step and dense output of order 7, following his
// DOP853 code (Hairer, Nørsett & Wanner, Solving ODEs I, 2nd ed., Sec. II.10).

#include "lib/ode/rk_stages.hpp"
#include "lib/ode/stepper.hpp"

namespace dgsim::ode {

// Adaptive, order 8; 12 stages per attempt plus f(t_new, y_new) after an accepted step,
// which is the first stage of the next one (FSAL). So, as in Hairer's code, a run costs
//   n_rhs = 2 (f(t0, y0) and one more for the starting step, if chosen automatically)
//         + 11 per attempted step + 1 per accepted step
//         + 3 per accepted step whose dense output was asked for.
//
// Error (scalar tolerances, Hairer's ITOL = 0): with sk_i = atol + rtol max(|y0_i|, |y1_i|),
//   e5 = sum_i (err5_i / sk_i)^2,  e3 = sum_i (err3_i / sk_i)^2,
//   err = |dt| e5 / sqrt(n (e5 + 0.01 e3)),
// where err5 (order 5) and err3 (order 3) are the two embedded estimates; accepted when
// err <= 1. Next step: dt_new = dt / clamp(err^(1/8) / safe, 1/fac2, 1/fac1) with safe = 0.9,
// fac1 = 0.333, fac2 = 6 (beta = 0: no PI stabilisation); after a rejection the next accepted
// step does not grow, and |dt_new| <= dt_max(). A non-finite error counts as a rejection with
// the largest reduction, fac1. Hairer's stiffness detection is not implemented.
//
// Dense output of order 7 uses 3 extra stages; they are evaluated only when dense_output is
// first called after an accepted step (see Stepper::dense_output on the lifetime of f).
//
// Stats: n_steps accepted, n_rejected every rejection (Hairer's NREJCT leaves out those before
// the first accepted step), n_rhs every evaluation of f, as Hairer's NFCN.
// Works on any callable f(t, y, dydt) (see stepper.hpp).
class Dop853 : public Stepper {
 public:
  explicit Dop853(const Tolerances& tol = {});

  std::string name() const override { return "dop853"; }
  int order() const override { return 8; }
  bool adaptive() const override { return true; }
  bool has_dense_output() const override { return true; }

  void step(const Rhs& f, double t, Vec& y, double dt) override;
  StepResult try_step(const Rhs& f, double& t, Vec& y, double& dt) override;
  double initial_step(const Rhs& f, double t, const Vec& y, double t_end) override;
  void dense_output(double t_out, Vec& y_out) override;
  void reset() override;

  const Tolerances& tolerances() const { return tol_; }

 private:
  static constexpr int n_stages = 12;
  static constexpr int fsal_stage = 12;  // k_[12] = f(t_new, y_new)
  static constexpr int n_all = 16;       // with the 3 dense-output stages
  void resize(Eigen::Index n);
  void ensure_first_stage(const Rhs& f, double t, const Vec& y);
  void run_stages(const Rhs& f, double t, const Vec& y, double dt);
  void accept(const Rhs& f, double& t, Vec& y, double h);
  void prepare_dense();

  Tolerances tol_;
  detail::StageRow rows_[n_all];  // sparse rows of a
  Vec k_[n_all];                  // [dim] each
  const Vec* kp_[n_all];
  Vec y_trial_, y_stage_;  // [dim]
  Vec y_f0_;               // [dim] the state at which k_[0] was evaluated
  Vec y_old_;              // [dim] start of the last accepted step
  Vec cont_[8];            // [dim] each, dense-output polynomial coefficients
  bool have_k0_ = false;
  bool swap_pending_ = false;  // k_[12] is the next k_[0]; kept in place for dense output
  bool dense_valid_ = false;   // an accepted step is available for dense output
  bool dense_ready_ = false;   // cont_ computed for it
  const Rhs* f_last_ = nullptr;  // the f of that step, for the lazy dense stages
  double t_old_ = 0.0;
  double h_old_ = 0.0;
  bool last_rejected_ = false;
};

}  // namespace dgsim::ode
