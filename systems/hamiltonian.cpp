#include "systems/hamiltonian.hpp"

#include <cmath>
#include <vector>

namespace dgsim::systems {

SparseMat canonical_S(int n) {
  std::vector<Eigen::Triplet<double>> t;
  for (int i = 0; i < n; ++i) {
    t.emplace_back(i, n + i, 1.0);
    t.emplace_back(n + i, i, -1.0);
  }
  SparseMat s(2 * n, 2 * n);
  s.setFromTriplets(t.begin(), t.end());
  return s;
}

void apply_S(const Vec& g, Vec& out) {
  const auto n = g.size() / 2;
  out.resize(g.size());
  out.head(n) = g.tail(n);
  out.tail(n) = -g.head(n);
}

SparseMat dense_to_sparse(const Mat& m) { return m.sparseView(); }

void sample_ring(Rng& rng, double r_min, double r_max, Vec& u) {
  const double phi = rng.uniform(0.0, 2.0 * M_PI);
  const double r = rng.uniform(r_min, r_max);
  u.resize(2);
  u << r * std::cos(phi), r * std::sin(phi);
}

}  // namespace dgsim::systems
