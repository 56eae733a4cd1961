#pragma once
// Conservation-law checks on stored series: a conserved quantity's worst drift, or a
// non-increasing quantity's worst increase, with the trajectory and step where it happens.

#include <cstdint>
#include <string>
#include <vector>

namespace dgsim::metrics {

enum class LawKind { conserved, non_increasing };

struct LawReport {
  std::string law;      // e.g. "energy", "mass"
  LawKind kind;
  double worst = 0.0;   // conserved: max_k |Q_k - Q_0| / scale; non-increasing: max_k (Q_k+1 - Q_k) / scale
  long trajectory = -1; // global index of the worst trajectory
  long step = -1;       // time index where the worst value happens
  double tol = 0.0;
  bool ok = true;       // worst <= tol
};

// values: [n_traj, n_time] row-major; scale: [n_traj] positive reference magnitudes (e.g. |H_0|);
// index: [n_traj] global trajectory indices used in the report.
LawReport check_law(const std::string& law, LawKind kind, const std::vector<double>& values,
                    const std::vector<double>& scale, long n_traj, long n_time,
                    const std::vector<std::int64_t>& index, double tol);

const char* to_string(LawKind kind);

}  // namespace dgsim::metrics
