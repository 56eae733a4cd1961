#include "lib/ode/dopri5.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "lib/ode/butcher.hpp"
#include "lib/ode/initial_step.hpp"

namespace dgsim::ode {
namespace {

// Hairer's DOPRI5 controller constants.
constexpr double safe = 0.9;
constexpr double fac1 = 0.2;  // largest reduction dt_new / dt
constexpr double fac2 = 10.0;  // largest increase
constexpr double beta = 0.04;
constexpr double expo1 = 0.2 - beta * 0.75;

// Shampine's dense-output coefficients used by Hairer's DOPRI5 (stage 2 does not enter).
constexpr double dense_d[7] = {-12715105075.0 / 11282082432.0, 0.0,
                               87487479700.0 / 32700410799.0,  -10690763975.0 / 1880347072.0,
                               701980252875.0 / 199316789632.0, -1453857185.0 / 822651844.0,
                               69997945.0 / 29380423.0};

}  // namespace

Dopri5::Dopri5(const Tolerances& tol) : tol_(tol) {
  const ButcherTableau& tab = tableau("dopri5");
  for (int i = 0; i < n_stages; ++i) {
    for (int j = 0; j < i; ++j) rows_[i].add(j, tab.a(i, j));
    c_[i] = tab.c(i);
    e_[i] = tab.b(i) - tab.b_hat(i);
    d_[i] = dense_d[i];
    kp_[i] = &k_[i];
  }
}

void Dopri5::reset() {
  have_k0_ = false;
  swap_pending_ = false;
  dense_valid_ = false;
  control_.reset();
}

void Dopri5::resize(Eigen::Index n) {
  for (auto& k : k_) k.resize(n);
  y_trial_.resize(n);
  y_stage_.resize(n);
  y_f0_.resize(n);
  y_old_.resize(n);
  reset();
}

void Dopri5::ensure_first_stage(const Rhs& f, double t, const Vec& y) {
  if (k_[0].size() != y.size()) resize(y.size());
  if (swap_pending_) {
    k_[0].swap(k_[n_stages - 1]);
    swap_pending_ = false;
  }
  // The cached derivative is reused only for the very state it was evaluated at.
  if (!have_k0_ || y != y_f0_) {
    f(t, y, k_[0]);
    ++stats_.n_rhs;
    y_f0_ = y;
    have_k0_ = true;
  }
  dense_valid_ = false;
}

void Dopri5::run_stages(const Rhs& f, double t, const Vec& y, double dt) {
  for (int i = 1; i < n_stages - 1; ++i) {
    detail::combine(y, dt, rows_[i], kp_, y_stage_);
    f(t + c_[i] * dt, y_stage_, k_[i]);
  }
  detail::combine(y, dt, rows_[n_stages - 1], kp_, y_trial_);
  f(t + dt, y_trial_, k_[n_stages - 1]);
  stats_.n_rhs += n_stages - 1;
}

double Dopri5::initial_step(const Rhs& f, double t, const Vec& y, double t_end) {
  if (k_[0].size() != y.size()) resize(y.size());
  f(t, y, k_[0]);
  y_f0_ = y;
  have_k0_ = true;
  swap_pending_ = false;
  dense_valid_ = false;
  const double h = detail::hairer_initial_step(f, t, y, t_end, k_[0], 5, dt_max_, tol_, y_stage_, k_[1]);
  stats_.n_rhs += 2;
  return h;
}

void Dopri5::step(const Rhs& f, double t, Vec& y, double dt) {
  ensure_first_stage(f, t, y);
  run_stages(f, t, y, dt);
  y_old_ = y;
  y_f0_.swap(y_trial_);
  y = y_f0_;
  swap_pending_ = true;
  t_old_ = t;
  h_old_ = dt;
  dense_valid_ = true;
  ++stats_.n_steps;
}

StepResult Dopri5::try_step(const Rhs& f, double& t, Vec& y, double& dt) {
  ensure_first_stage(f, t, y);
  const double h = dt;
  run_stages(f, t, y, h);

  const Eigen::Index n = y.size();
  double err = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    double e = 0.0;
    for (int j = 0; j < n_stages; ++j) e += e_[j] * k_[j][i];
    e *= h;
    const double sk = tol_.atol + tol_.rtol * std::max(std::abs(y[i]), std::abs(y_trial_[i]));
    err += (e / sk) * (e / sk);
  }
  err = std::sqrt(err / static_cast<double>(n));

  double h_new = h;
  if (!control_.judge(err, h_new, dt_max_)) {
    dt = h_new;
    ++stats_.n_rejected;
    return StepResult::rejected;
  }
  y_old_ = y;
  y_f0_.swap(y_trial_);  // k_[6] = f(t + h, y_f0_) becomes the next first stage
  y = y_f0_;
  swap_pending_ = true;
  t_old_ = t;
  h_old_ = h;
  t += h;
  dense_valid_ = true;
  ++stats_.n_steps;
  dt = h_new;
  return StepResult::accepted;
}

bool Dopri5Control::judge(double err, double& h, double dt_max) {
  if (!std::isfinite(err)) {  // overflow or NaN in f: retry with the largest reduction
    h *= fac1;
    last_rejected_ = true;
    return false;
  }
  const double fac11 = std::pow(err, expo1);
  double fac = fac11 / std::pow(fac_old_, beta);
  fac = std::max(1.0 / fac2, std::min(1.0 / fac1, fac / safe));
  double h_new = h / fac;
  if (err <= 1.0) {
    fac_old_ = std::max(err, 1e-4);
    const double direction = h >= 0.0 ? 1.0 : -1.0;
    if (dt_max > 0.0 && std::abs(h_new) > dt_max) h_new = direction * dt_max;
    if (last_rejected_) h_new = direction * std::min(std::abs(h_new), std::abs(h));
    last_rejected_ = false;
    h = h_new;
    return true;
  }
  h /= std::min(1.0 / fac1, fac11 / safe);
  last_rejected_ = true;
  return false;
}

void Dopri5::dense_output(double t_out, Vec& y_out) {
  if (!dense_valid_) throw std::logic_error("dopri5: dense output needs an accepted step");
  const Vec& k_new = k_[n_stages - 1];  // f(t_new, y_new); the swap is still pending
  const double theta = (t_out - t_old_) / h_old_;
  const double theta1 = 1.0 - theta;
  const double h = h_old_;
  const Eigen::Index n = y_old_.size();
  y_out.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double y_diff = y_f0_[i] - y_old_[i];
    const double bspl = h * k_[0][i] - y_diff;
    const double c3 = y_diff - h * k_new[i] - bspl;
    double c4 = 0.0;
    for (int j = 0; j < n_stages; ++j) c4 += d_[j] * k_[j][i];
    c4 *= h;
    y_out[i] = y_old_[i] + theta * (y_diff + theta1 * (bspl + theta * (c3 + theta1 * c4)));
  }
}

}  // namespace dgsim::ode
