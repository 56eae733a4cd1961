#include "systems/periodic.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "lib/core/error.hpp"

namespace dgsim::systems {
namespace {

SparseMat cyclic_stencil(int m, double lower, double centre, double upper) {
  std::vector<Eigen::Triplet<double>> t;
  t.reserve(static_cast<size_t>(3 * m));
  for (int k = 0; k < m; ++k) {
    t.emplace_back(k, (k + m - 1) % m, lower);
    t.emplace_back(k, k, centre);  // stored even when zero (D), so patterns stay fixed
    t.emplace_back(k, (k + 1) % m, upper);
  }
  SparseMat a(m, m);
  a.setFromTriplets(t.begin(), t.end());
  a.makeCompressed();
  return a;
}

}  // namespace

SparseMat periodic_d1(int m, double dx) { return cyclic_stencil(m, -0.5 / dx, 0.0, 0.5 / dx); }

SparseMat periodic_d2(int m, double dx) {
  const double c = 1.0 / (dx * dx);
  return cyclic_stencil(m, c, -2.0 * c, c);
}

void apply_periodic_d2(const Vec& u, double dx, Vec& out) {
  const Eigen::Index m = u.size();
  out.resize(m);
  const double c = 1.0 / (dx * dx);
  out[0] = c * (u[m - 1] - 2.0 * u[0] + u[1]);
  for (Eigen::Index k = 1; k + 1 < m; ++k) out[k] = c * (u[k - 1] - 2.0 * u[k] + u[k + 1]);
  out[m - 1] = c * (u[m - 2] - 2.0 * u[m - 1] + u[0]);
}

void apply_periodic_d2_of_sum(const Vec& u, const Vec& v, double dx, Vec& out) {
  const Eigen::Index m = u.size();
  out.resize(m);
  const double c = 1.0 / (dx * dx);
  const auto s = [&](Eigen::Index k) { return u[k] + v[k]; };
  out[0] = c * (s(m - 1) - 2.0 * s(0) + s(1));
  for (Eigen::Index k = 1; k + 1 < m; ++k) out[k] = c * (s(k - 1) - 2.0 * s(k) + s(k + 1));
  out[m - 1] = c * (s(m - 2) - 2.0 * s(m - 1) + s(0));
}

void apply_periodic_d1(const Vec& u, double dx, Vec& out) {
  const Eigen::Index m = u.size();
  out.resize(m);
  const double c = 0.5 / dx;
  out[0] = c * (u[1] - u[m - 1]);
  for (Eigen::Index k = 1; k + 1 < m; ++k) out[k] = c * (u[k + 1] - u[k - 1]);
  out[m - 1] = c * (u[0] - u[m - 2]);
}

double sum_squared_differences(const Vec& u) {
  const Eigen::Index m = u.size();
  double s = 0.0;
  for (Eigen::Index k = 0; k + 1 < m; ++k) s += (u[k + 1] - u[k]) * (u[k + 1] - u[k]);
  return s + (u[0] - u[m - 1]) * (u[0] - u[m - 1]);
}

std::vector<Eigen::Index> diagonal_positions(const SparseMat& a) {
  std::vector<Eigen::Index> pos(static_cast<size_t>(a.cols()), -1);
  for (Eigen::Index j = 0; j < a.outerSize(); ++j)
    for (Eigen::Index p = a.outerIndexPtr()[j]; p < a.outerIndexPtr()[j + 1]; ++p)
      if (a.innerIndexPtr()[p] == j) pos[static_cast<size_t>(j)] = p;
  return pos;
}

void scaled_plus_diagonal(const SparseMat& pattern, const std::vector<Eigen::Index>& diag_pos, double c,
                          const Vec& d, SparseMat& jac) {
  const bool same = jac.isCompressed() && jac.rows() == pattern.rows() && jac.cols() == pattern.cols() &&
                    jac.nonZeros() == pattern.nonZeros() &&
                    std::equal(pattern.outerIndexPtr(), pattern.outerIndexPtr() + pattern.outerSize() + 1,
                               jac.outerIndexPtr()) &&
                    std::equal(pattern.innerIndexPtr(), pattern.innerIndexPtr() + pattern.nonZeros(),
                               jac.innerIndexPtr());
  if (!same) jac = pattern;
  const double* src = pattern.valuePtr();
  double* dst = jac.valuePtr();
  for (Eigen::Index p = 0; p < pattern.nonZeros(); ++p) dst[p] = c * src[p];
  for (size_t j = 0; j < diag_pos.size(); ++j) dst[diag_pos[j]] += d[static_cast<Eigen::Index>(j)];
}

Grid periodic_grid(int m, double length) {
  Grid g;
  g.n_spatial_dims = 1;
  g.length = length;
  g.boundary = "periodic";
  g.x.resize(static_cast<size_t>(m));
  for (int k = 0; k < m; ++k) g.x[static_cast<size_t>(k)] = length * k / m;
  return g;
}

int grid_size_param(const Params& p, const std::string& name, int min_m) {
  const double v = p.at(name);
  if (!(v >= min_m) || v != std::floor(v) || v > 1e8)
    throw ConfigError(fmt::format("parameter '{}' must be a whole number >= {}, got {}", name, min_m, v));
  return static_cast<int>(v);
}

}  // namespace dgsim::systems
