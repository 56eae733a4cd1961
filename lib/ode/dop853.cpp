#include "lib/ode/dop853.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "lib/ode/dop853_coefficients.hpp"
#include "lib/ode/initial_step.hpp"

namespace dgsim::ode {
namespace {

namespace co = detail::dop853;

// Hairer's DOP853 controller constants (beta = 0, so no PI term).
constexpr double safe = 0.9;
constexpr double fac1 = 0.333;  // largest reduction dt_new / dt
constexpr double fac2 = 6.0;    // largest increase
constexpr double expo1 = 1.0 / 8.0;

}  // namespace

Dop853::Dop853(const Tolerances& tol) : tol_(tol) {
  for (int i = 0; i < n_all; ++i) {
    for (int j = 0; j < i; ++j) rows_[i].add(j, co::a[i][j]);
    kp_[i] = &k_[i];
  }
}

void Dop853::reset() {
  have_k0_ = false;
  swap_pending_ = false;
  dense_valid_ = false;
  dense_ready_ = false;
  last_rejected_ = false;
}

void Dop853::resize(Eigen::Index n) {
  for (auto& k : k_) k.resize(n);
  for (auto& c : cont_) c.resize(n);
  y_trial_.resize(n);
  y_stage_.resize(n);
  y_f0_.resize(n);
  y_old_.resize(n);
  reset();
}

void Dop853::ensure_first_stage(const Rhs& f, double t, const Vec& y) {
  if (k_[0].size() != y.size()) resize(y.size());
  if (swap_pending_) {
    k_[0].swap(k_[fsal_stage]);
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
  dense_ready_ = false;
}

void Dop853::run_stages(const Rhs& f, double t, const Vec& y, double dt) {
  for (int i = 1; i < n_stages; ++i) {
    detail::combine(y, dt, rows_[i], kp_, y_stage_);
    f(t + co::c[i] * dt, y_stage_, k_[i]);
  }
  stats_.n_rhs += n_stages - 1;
}

double Dop853::initial_step(const Rhs& f, double t, const Vec& y, double t_end) {
  if (k_[0].size() != y.size()) resize(y.size());
  f(t, y, k_[0]);
  y_f0_ = y;
  have_k0_ = true;
  swap_pending_ = false;
  dense_valid_ = false;
  const double h = detail::hairer_initial_step(f, t, y, t_end, k_[0], 8, dt_max_, tol_, y_stage_, k_[1]);
  stats_.n_rhs += 2;
  return h;
}

void Dop853::accept(const Rhs& f, double& t, Vec& y, double h) {
  f(t + h, y_trial_, k_[fsal_stage]);
  ++stats_.n_rhs;
  y_old_ = y;
  y_f0_.swap(y_trial_);
  y = y_f0_;
  swap_pending_ = true;
  f_last_ = &f;
  t_old_ = t;
  h_old_ = h;
  t += h;
  dense_valid_ = true;
  ++stats_.n_steps;
}

void Dop853::step(const Rhs& f, double t, Vec& y, double dt) {
  ensure_first_stage(f, t, y);
  run_stages(f, t, y, dt);
  detail::combine(y, dt, rows_[fsal_stage], kp_, y_trial_);
  accept(f, t, y, dt);
}

StepResult Dop853::try_step(const Rhs& f, double& t, Vec& y, double& dt) {
  ensure_first_stage(f, t, y);
  const double h = dt;
  run_stages(f, t, y, h);

  // New solution and both error estimates in one sweep over the components.
  const Eigen::Index n = y.size();
  const double* k[n_stages];
  for (int j = 0; j < n_stages; ++j) k[j] = k_[j].data();
  double err5 = 0.0;
  double err3 = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    double bk = 0.0;
    double e5 = 0.0;
    for (int j = 0; j < n_stages; ++j) {
      bk += co::b[j] * k[j][i];
      e5 += co::er[j] * k[j][i];
    }
    y_trial_[i] = y[i] + h * bk;
    const double sk = tol_.atol + tol_.rtol * std::max(std::abs(y[i]), std::abs(y_trial_[i]));
    const double e3 = bk - co::bhh1 * k[0][i] - co::bhh2 * k[8][i] - co::bhh3 * k[11][i];
    err3 += (e3 / sk) * (e3 / sk);
    err5 += (e5 / sk) * (e5 / sk);
  }
  double deno = err5 + 0.01 * err3;
  if (deno <= 0.0) deno = 1.0;
  const double err = std::abs(h) * err5 * std::sqrt(1.0 / (static_cast<double>(n) * deno));

  if (!std::isfinite(err)) {  // overflow or NaN in f: retry with the largest reduction
    dt = h * fac1;
    last_rejected_ = true;
    ++stats_.n_rejected;
    return StepResult::rejected;
  }

  const double fac11 = std::pow(err, expo1);
  const double fac = std::max(1.0 / fac2, std::min(1.0 / fac1, fac11 / safe));
  double h_new = h / fac;

  if (err <= 1.0) {
    accept(f, t, y, h);
    const double direction = h >= 0.0 ? 1.0 : -1.0;
    if (dt_max_ > 0.0 && std::abs(h_new) > dt_max_) h_new = direction * dt_max_;
    if (last_rejected_) h_new = direction * std::min(std::abs(h_new), std::abs(h));
    last_rejected_ = false;
    dt = h_new;
    return StepResult::accepted;
  }
  dt = h / std::min(1.0 / fac1, fac11 / safe);
  last_rejected_ = true;
  ++stats_.n_rejected;
  return StepResult::rejected;
}

void Dop853::prepare_dense() {
  const double h = h_old_;
  for (int s = 13; s < n_all; ++s) {
    detail::combine(y_old_, h, rows_[s], kp_, y_stage_);
    (*f_last_)(t_old_ + co::c[s] * h, y_stage_, k_[s]);
  }
  stats_.n_rhs += 3;
  const Eigen::Index n = y_old_.size();
  for (Eigen::Index i = 0; i < n; ++i) {
    const double y_diff = y_f0_[i] - y_old_[i];
    const double bspl = h * k_[0][i] - y_diff;
    cont_[0][i] = y_old_[i];
    cont_[1][i] = y_diff;
    cont_[2][i] = bspl;
    cont_[3][i] = y_diff - h * k_[fsal_stage][i] - bspl;
    for (int r = 0; r < 4; ++r) {
      double s = 0.0;
      for (int j = 0; j < n_all; ++j) s += co::d[r][j] * k_[j][i];
      cont_[4 + r][i] = h * s;
    }
  }
  dense_ready_ = true;
}

void Dop853::dense_output(double t_out, Vec& y_out) {
  if (!dense_valid_) throw std::logic_error("dop853: dense output needs an accepted step");
  if (!dense_ready_) prepare_dense();
  const double s = (t_out - t_old_) / h_old_;
  const double s1 = 1.0 - s;
  const Eigen::Index n = y_old_.size();
  y_out.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double conpar = cont_[4][i] + s * (cont_[5][i] + s1 * (cont_[6][i] + s * cont_[7][i]));
    y_out[i] = cont_[0][i] +
               s * (cont_[1][i] + s1 * (cont_[2][i] + s * (cont_[3][i] + s1 * conpar)));
  }
}

}  // namespace dgsim::ode
