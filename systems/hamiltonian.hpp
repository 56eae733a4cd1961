#pragma once
// Shared pieces of the canonical Hamiltonian systems u = (q, p), G = S = [[0, I], [-I, 0]].

#include "systems/system.hpp"

namespace dgsim::systems {

SparseMat canonical_S(int n);                 // [2n, 2n]
void apply_S(const Vec& g, Vec& out);          // out = S g, in place safe: out != g required
SparseMat dense_to_sparse(const Mat& m);

// u = (r cos φ, r sin φ) with φ ~ U(0, 2π), r ~ U(r_min, r_max): the HNN-style initial
// states of the one-degree-of-freedom systems.
void sample_ring(Rng& rng, double r_min, double r_max, Vec& u);

}  // namespace dgsim::systems
