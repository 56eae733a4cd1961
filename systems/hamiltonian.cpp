#include "systems/hamiltonian.hpp"

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

}  // namespace dgsim::systems
