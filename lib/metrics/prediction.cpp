#include "lib/metrics/prediction.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "lib/core/error.hpp"

namespace dgsim::metrics {

namespace {

void check_sizes(const char* what, size_t a, size_t b) {
  if (a != b || a == 0) throw ConfigError(fmt::format("{}: arrays of {} and {} entries (need equal, non-zero)", what, a, b));
}

}  // namespace

double mean_squared_error(const std::vector<double>& a, const std::vector<double>& b) {
  check_sizes("mean squared error", a.size(), b.size());
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s / static_cast<double>(a.size());
}

double state_error(const std::vector<double>& u_pred, const std::vector<double>& u_true, long n_traj, long n_time,
                   long dim) {
  check_sizes("rollout error", u_pred.size(), u_true.size());
  if (dim < 1 || u_pred.size() != static_cast<size_t>(n_traj * n_time * dim) || n_time < 2)
    throw ConfigError(fmt::format("rollout error: {} values for {} series of {} times of dimension {} (need at least 2 times)",
                                  u_pred.size(), n_traj, n_time, dim));
  double s = 0.0;
  for (long j = 0; j < n_traj; ++j)
    for (auto i = static_cast<size_t>((j * n_time + 1) * dim); i < static_cast<size_t>((j + 1) * n_time * dim); ++i)
      s += (u_pred[i] - u_true[i]) * (u_pred[i] - u_true[i]);
  return s / static_cast<double>(n_traj * (n_time - 1) * dim);
}

double energy_error(const std::vector<double>& h_pred, const std::vector<double>& h_true, long n_traj, long n_time) {
  return state_error(h_pred, h_true, n_traj, n_time, 1);
}

double one_step_error(const std::vector<double>& pred, const std::vector<double>& truth, const std::vector<double>& dt,
                      long dim) {
  check_sizes("one-step error", pred.size(), truth.size());
  if (dim < 1 || pred.size() != dt.size() * static_cast<size_t>(dim))
    throw ConfigError(fmt::format("one-step error: {} values for {} steps of dimension {}", pred.size(), dt.size(), dim));
  double s = 0.0;
  for (size_t p = 0; p < dt.size(); ++p)
    for (long i = 0; i < dim; ++i) {
      const size_t k = p * static_cast<size_t>(dim) + static_cast<size_t>(i);
      const double e = (pred[k] - truth[k]) / dt[p];
      s += e * e;
    }
  return s / static_cast<double>(pred.size());
}

Drift max_drift(const std::vector<double>& values, const std::vector<double>& scale, long n_traj, long n_time) {
  if (values.size() != static_cast<size_t>(n_traj * n_time) || (!scale.empty() && scale.size() != static_cast<size_t>(n_traj)))
    throw ConfigError(fmt::format("drift: {} values and {} scales for {} series of {} times", values.size(), scale.size(),
                                  n_traj, n_time));
  Drift d;
  for (long j = 0; j < n_traj; ++j) {
    const double q0 = values[static_cast<size_t>(j * n_time)];
    const double s = scale.empty() ? 1.0 : scale[static_cast<size_t>(j)];
    for (long k = 0; k < n_time; ++k) {
      const double a = std::abs(values[static_cast<size_t>(j * n_time + k)] - q0);
      d.worst_abs = std::max(d.worst_abs, a);
      if (a / s > d.worst_rel || d.trajectory < 0) {
        d.worst_rel = std::max(d.worst_rel, a / s);
        d.trajectory = j;
        d.step = k;
      }
    }
  }
  return d;
}

double max_increase(const std::vector<double>& values, long n_traj, long n_time) {
  if (values.size() != static_cast<size_t>(n_traj * n_time))
    throw ConfigError(fmt::format("increase: {} values for {} series of {} times", values.size(), n_traj, n_time));
  double worst = -std::numeric_limits<double>::infinity();
  for (long j = 0; j < n_traj; ++j)
    for (long k = 0; k + 1 < n_time; ++k)
      worst = std::max(worst, values[static_cast<size_t>(j * n_time + k + 1)] - values[static_cast<size_t>(j * n_time + k)]);
  return worst;
}

}  // namespace dgsim::metrics
