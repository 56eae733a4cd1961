#pragma once
// Shared pieces of the 1-D periodic finite-difference PDEs (KdV, Cahn–Hilliard) on the grid
// x_k = k Δx, k = 0..M-1, Δx = L / M (DGNet paper, Eq. 4).

#include "systems/system.hpp"

namespace dgsim::systems {

// D = [-1, 0, 1] / (2Δx), cyclic   [M, M]
SparseMat periodic_d1(int m, double dx);
// D2 = [1, -2, 1] / Δx², cyclic   [M, M]; every row has its three entries stored.
SparseMat periodic_d2(int m, double dx);

// out = D2 u, cyclic (out must not alias u).
void apply_periodic_d2(const Vec& u, double dx, Vec& out);
// out = D2 (u + v), cyclic, without a temporary (out must alias neither).
void apply_periodic_d2_of_sum(const Vec& u, const Vec& v, double dx, Vec& out);
// out = D u, cyclic (out must not alias u).
void apply_periodic_d1(const Vec& u, double dx, Vec& out);

// Σ_k (u_{k+1} - u_k)², cyclic; Δx² Σ_k Dx2(u)_k in the paper's notation.
double sum_squared_differences(const Vec& u);

// Position in a compressed column-major matrix's value array of each diagonal entry   [M]
std::vector<Eigen::Index> diagonal_positions(const SparseMat& a);

// jac = c · pattern + diag(d), writing into jac's values when it already has pattern's
// sparsity (no allocation), else copying the pattern first. `diag_pos` are pattern's diagonal
// positions; the pattern must store every diagonal entry.
void scaled_plus_diagonal(const SparseMat& pattern, const std::vector<Eigen::Index>& diag_pos, double c,
                          const Vec& d, SparseMat& jac);

// The grid node coordinates x_k = k L / M.
Grid periodic_grid(int m, double length);

// Reads an integer grid-size parameter; ConfigError unless it is a whole number >= min_m.
int grid_size_param(const Params& p, const std::string& name, int min_m);

}  // namespace dgsim::systems
