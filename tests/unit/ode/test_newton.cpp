#include <doctest/doctest.h>

#include <cmath>

#include "lib/ode/newton.hpp"

using dgsim::Vec;
using dgsim::ode::NewtonOptions;
using dgsim::ode::NewtonStatus;
using dgsim::ode::SparseMat;
using dgsim::ode::SparseNewton;

namespace {

// F(x) = (x0² + x1² - 4, x0 - x1): root (√2, √2).
void circle_line(const Vec& x, Vec& r) {
  r.resize(2);
  r << x[0] * x[0] + x[1] * x[1] - 4.0, x[0] - x[1];
}
void circle_line_jac(const Vec& x, SparseMat& j) {
  Eigen::Matrix2d d;
  d << 2.0 * x[0], 2.0 * x[1], 1.0, -1.0;
  j = d.sparseView();
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("newton: converges to the exact root and reports iterations and residual") {
  SparseNewton newton;
  Vec x(2);
  x << 1.0, 2.0;
  const auto res = newton.solve(circle_line, circle_line_jac, x, NewtonOptions{1e-12, 20});
  CHECK(res.converged());
  CHECK(std::abs(x[0] - std::sqrt(2.0)) < 1e-14);
  CHECK(std::abs(x[1] - std::sqrt(2.0)) < 1e-14);
  CHECK(res.residual < 1e-13);
  CHECK(res.iterations >= 2);
  CHECK(res.iterations <= 8);
  CHECK(res.evaluations == res.iterations + 2);  // initial, one per update, one after the last correction
  // Second solve with the same pattern reuses the symbolic analysis.
  x << 3.0, 1.0;
  CHECK(newton.solve(circle_line, circle_line_jac, x, NewtonOptions{1e-12, 20}).converged());
  CHECK(newton.n_analyses() == 1);
}

TEST_CASE("newton: quadratic convergence of the corrections") {
  // Scalar F(x) = exp(x) - 2 as a 1x1 sparse problem; corrections shrink quadratically.
  std::vector<double> steps;
  const SparseNewton::Residual f = [&](const Vec& x, Vec& r) {
    r.resize(1);
    r[0] = std::exp(x[0]) - 2.0;
  };
  const SparseNewton::Jacobian jac = [](const Vec& x, SparseMat& j) {
    j.resize(1, 1);
    j.setZero();
    j.insert(0, 0) = std::exp(x[0]);
  };
  Vec x = Vec::Constant(1, 1.5);
  double prev = std::abs(x[0] - std::log(2.0));
  for (int k = 0; k < 3; ++k) {
    const auto res = SparseNewton().solve(f, jac, x, NewtonOptions{1e300, 1});  // one update
    CHECK(res.iterations == 1);
    const double err = std::abs(x[0] - std::log(2.0));
    CHECK(err <= 1.0 * prev * prev);  // |e_{k+1}| <= C |e_k|², C = max|F''|/(2 min|F'|) < 1 here
    prev = err;
  }
}

TEST_CASE("newton: failures are return values") {
  SparseNewton newton;
  Vec x(2);
  x << 1.0, 2.0;
  // An unreachable tolerance: the corrections stall at round-off.
  auto res = newton.solve(circle_line, circle_line_jac, x, NewtonOptions{1e-30, 6});
  CHECK(res.status == NewtonStatus::max_iterations);
  CHECK(res.iterations == 6);
  // Non-finite residual.
  const SparseNewton::Residual nan_f = [](const Vec& y, Vec& r) { r = Vec::Constant(y.size(), std::nan("")); };
  x << 1.0, 2.0;
  res = newton.solve(nan_f, circle_line_jac, x, NewtonOptions{});
  CHECK(res.status == NewtonStatus::non_finite);
  // Singular Jacobian.
  const SparseNewton::Jacobian zero_j = [](const Vec&, SparseMat& j) {
    j.resize(2, 2);
    j.setZero();
    j.insert(0, 0) = 0.0;
    j.insert(1, 1) = 0.0;
  };
  x << 1.0, 2.0;
  res = newton.solve(circle_line, zero_j, x, NewtonOptions{});
  CHECK(res.status == NewtonStatus::singular);
  CHECK_FALSE(res.converged());
}

TEST_SUITE_END();
