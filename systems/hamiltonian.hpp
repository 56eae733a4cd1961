#pragma once
// Shared pieces of the canonical Hamiltonian systems u = (q, p), G = S = [[0, I], [-I, 0]].

#include "systems/system.hpp"

namespace dgsim::systems {

SparseMat canonical_S(int n);                 // [2n, 2n]
void apply_S(const Vec& g, Vec& out);          // out = S g, in place safe: out != g required
SparseMat dense_to_sparse(const Mat& m);

}  // namespace dgsim::systems
