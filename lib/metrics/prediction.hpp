#pragma once
// The DGNet paper's prediction metrics (PAPER.md "Metrics"), as plain functions on arrays, so
// they can be tested on hand-made inputs. Arrays are row-major with the shapes given.
//
//   Deriv.  mean over test states and components of (du/dt_model - du/dt_true)²
//           -> mean_squared_error(model_dudt, true_dudt)
//   Energy  mean over series and time indices k >= 1 of (H_true(u_pred) - H_true(u_true))²
//           -> energy_error(h_pred, h_true, n_traj, n_time)
//   Mass    ("local mass", Table 2) mean over series, time indices k >= 1 and sites of
//           (u_pred - u_true)² -> state_error(u_pred, u_true, n_traj, n_time, dim)
//   Diff.   (real pendulum) one-step prediction error, as the mean squared difference of
//           difference quotients ((û_{k+1} - u_k) - (u_{k+1} - u_k)) / Δt_k over the pairs
//           -> one_step_error(u_next_pred, u_next_true, dt, dim)
// plus the drift of a conserved quantity (total mass Σu, learned energy) along each series.

#include <vector>

namespace dgsim::metrics {

// Mean over all entries of (a - b)²; ConfigError when the sizes differ or are zero.
double mean_squared_error(const std::vector<double>& a, const std::vector<double>& b);

// values: [n_traj, n_time]; mean of (pred - true)² over all series and k = 1 .. n_time - 1
// (the shared initial state k = 0 is left out, as in the paper's "t >= Δt").
double energy_error(const std::vector<double>& h_pred, const std::vector<double>& h_true, long n_traj,
                    long n_time);

// u: [n_traj, n_time, dim]; mean of (pred - true)² over all series, k = 1 .. n_time - 1 and
// components (the shared initial state left out, as the authors' state MSE).
double state_error(const std::vector<double>& u_pred, const std::vector<double>& u_true, long n_traj, long n_time,
                   long dim);

// pred, truth: [n_pairs, dim] states after one step; dt: [n_pairs] the steps.
double one_step_error(const std::vector<double>& pred, const std::vector<double>& truth,
                      const std::vector<double>& dt, long dim);

struct Drift {
  double worst_abs = 0.0;  // max over series and k of |Q_k - Q_0|
  double worst_rel = 0.0;  // max over series and k of |Q_k - Q_0| / scale_j
  long trajectory = -1;    // row (0-based) of the worst relative drift
  long step = -1;          // its time index
};

// values: [n_traj, n_time]; scale: [n_traj] positive reference magnitudes (e.g. Σ|u_0| or
// max(|H_0|, 1)); empty scale = 1.
Drift max_drift(const std::vector<double>& values, const std::vector<double>& scale, long n_traj, long n_time);

// Largest increase Q_{k+1} - Q_k over all series and steps (<= 0 for a non-increasing Q).
double max_increase(const std::vector<double>& values, long n_traj, long n_time);

}  // namespace dgsim::metrics
