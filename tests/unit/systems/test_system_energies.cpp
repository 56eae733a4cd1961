// Walks the registry: every simulated system's ∇H against central differences of H, its
// Hessian against central differences of ∇H, rhs against G ∇H, apply_G against the stored G.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>

#include "lib/core/error.hpp"
#include "systems/registry.hpp"

using namespace dgsim;
using namespace dgsim::systems;

namespace {

// A random state near the system's initial distribution, with every component perturbed so
// that no special structure (zeros, symmetry) hides an error.
Vec test_state(const System& sys, std::uint64_t index) {
  Rng rng(2024, RngStream::initial_state, index);
  Vec u;
  sys.sample_initial_state(rng, u);
  for (Eigen::Index i = 0; i < u.size(); ++i) u[i] += 0.1 * rng.uniform(-1.0, 1.0);
  return u;
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("systems: every registered system has a consistent energy and gradient and Hessian and G") {
  for (const auto& entry : system_table()) {
    if (!entry.factory) continue;
    CAPTURE(entry.name);
    const auto sys = make_system(entry.name);
    const int n = sys->dim();
    for (std::uint64_t trial = 0; trial < 3; ++trial) {
      const Vec u = test_state(*sys, trial);
      REQUIRE(u.size() == n);
      REQUIRE(u.allFinite());
      Vec g, g_plus, g_minus;
      sys->energy_grad(u, g);
      SparseMat hess;
      sys->energy_hessian(u, hess);
      const Mat hd(hess);
      CHECK((hd - hd.transpose()).lpNorm<Eigen::Infinity>() <= 1e-12 * (1.0 + hd.lpNorm<Eigen::Infinity>()));
      double g_err = 0.0, h_err = 0.0;
      for (int i = 0; i < n; ++i) {
        const double h = 1e-5 * (1.0 + std::abs(u[i]));
        Vec up = u, um = u;
        up[i] += h;
        um[i] -= h;
        g_err = std::max(g_err, std::abs((sys->energy(up) - sys->energy(um)) / (2.0 * h) - g[i]));
        sys->energy_grad(up, g_plus);
        sys->energy_grad(um, g_minus);
        h_err = std::max(h_err, ((g_plus - g_minus) / (2.0 * h) - hd.col(i)).lpNorm<Eigen::Infinity>());
      }
      // Central differences: truncation O(h²) ~ 1e-10 times third derivatives, round-off ε|H|/h.
      CHECK(g_err <= 1e-7 * (1.0 + g.lpNorm<Eigen::Infinity>() + std::abs(sys->energy(u))));
      CHECK(h_err <= 1e-7 * (1.0 + hd.lpNorm<Eigen::Infinity>() + g.lpNorm<Eigen::Infinity>()));

      // rhs = G ∇H, with G both applied and stored.
      Vec f, gg;
      sys->rhs(u, f);
      sys->apply_G(g, gg);
      const Vec gs = sys->structure_matrix() * g;
      const double scale = 1.0 + f.lpNorm<Eigen::Infinity>();
      CHECK((f - gg).lpNorm<Eigen::Infinity>() <= 1e-12 * scale);
      CHECK((f - gs).lpNorm<Eigen::Infinity>() <= 1e-12 * scale);

      // Structure of G: skew for conservative systems; for dissipative ones the symmetric part
      // (G + Gᵀ)/2 is negative semi-definite (uᵀGu <= 0: D2, or S - R with friction);
      // 1ᵀG = 0 when mass is conserved.
      const Mat G(sys->structure_matrix());
      const auto caps = sys->capabilities();
      if (caps.dissipative) {
        const Eigen::SelfAdjointEigenSolver<Mat> es(Mat(0.5 * (G + G.transpose())));
        CHECK(es.eigenvalues().maxCoeff() <= 1e-9 * G.lpNorm<Eigen::Infinity>());
      } else {
        CHECK((G + G.transpose()).lpNorm<Eigen::Infinity>() <= 1e-12 * G.lpNorm<Eigen::Infinity>());
      }
      if (caps.mass) {
        CHECK(G.colwise().sum().lpNorm<Eigen::Infinity>() <= 1e-12 * G.lpNorm<Eigen::Infinity>());
        CHECK(std::abs(Vec::Ones(n).dot(f)) <= 1e-11 * scale * n);
      }
    }
  }
}

TEST_CASE("systems: PDE grids and parameters") {
  const auto kdv = make_system("kdv");
  CHECK(kdv->dim() == 50);
  const Grid g = kdv->grid();
  CHECK(g.n_spatial_dims == 1);
  CHECK(g.boundary == "periodic");
  CHECK(g.length == 10.0);
  REQUIRE(g.x.size() == 50);
  CHECK(g.x[1] == doctest::Approx(0.2));
  CHECK(kdv->energy_polynomial_degree() == 3);
  const Vec ones = Vec::Ones(50);
  CHECK(kdv->mass(ones) == doctest::Approx(10.0));
  CHECK(make_system("kdv", {{"M", 200}})->dim() == 200);
  CHECK_THROWS_AS(make_system("kdv", {{"M", 50.5}}), ConfigError);
  CHECK_THROWS_AS(make_system("kdv", {{"M", 2}}), ConfigError);

  const auto ch = make_system("cahn-hilliard");
  CHECK(ch->dim() == 50);
  CHECK(ch->grid().x[1] == doctest::Approx(0.02));
  CHECK(ch->capabilities().dissipative);
  CHECK(ch->capabilities().mass);
  CHECK(ch->energy_polynomial_degree() == 4);
  CHECK(make_system("cahn-hilliard", {{"M", 800}})->dim() == 800);
}

TEST_CASE("systems: PDE energies match the paper's formulas written out directly") {
  // KdV: H = Δx Σ(-α/6 u³ - β/2 Dx2(u)), Dx2 = ((u_{k+1}-u_k)² + (u_k-u_{k-1})²)/(2Δx²).
  const auto kdv = make_system("kdv");
  const auto ch = make_system("cahn-hilliard");
  for (const System* sys : {kdv.get(), ch.get()}) {
    const Vec u = test_state(*sys, 7);
    const int m = sys->dim();
    const double dx = sys->grid().x[1];
    double h = 0.0;
    for (int k = 0; k < m; ++k) {
      const double up = u[(k + 1) % m], um = u[(k + m - 1) % m];
      const double dx2 = ((up - u[k]) * (up - u[k]) + (u[k] - um) * (u[k] - um)) / (2.0 * dx * dx);
      if (sys == kdv.get())
        h += dx * (u[k] * u[k] * u[k] - 0.5 * dx2);  // α = -6, β = 1
      else
        h += dx * (-0.5 * u[k] * u[k] + 0.25 * std::pow(u[k], 4) + 0.5 * 0.0005 * dx2);
    }
    CHECK(sys->energy(u) == doctest::Approx(h).epsilon(1e-13));
  }
}

TEST_CASE("systems: KdV initial states are two solitons reversed with probability one half") {
  const auto kdv = make_system("kdv");
  const auto never = make_system("kdv", {{"p_reverse", 0.0}});
  const auto always = make_system("kdv", {{"p_reverse", 1.0}});
  int reversed = 0;
  for (std::uint64_t i = 0; i < 200; ++i) {
    Vec u, u0, u1;
    Rng r(5, RngStream::initial_state, i), r0(5, RngStream::initial_state, i), r1(5, RngStream::initial_state, i);
    kdv->sample_initial_state(r, u);
    never->sample_initial_state(r0, u0);
    always->sample_initial_state(r1, u1);
    CHECK(u1 == u0.reverse());
    if (u == u1 && u != u0) ++reversed;
    CHECK((u == u0 || u == u1));
    // Peaks of 2κ² sech² with κ in [0.5, 2]: at most 2·2² = 8 (two tails add little).
    CHECK(u.maxCoeff() <= 8.1);
    CHECK(u.maxCoeff() >= 0.49);
    CHECK(u.minCoeff() > 0.0);
    // Without reversal the first soliton's peak lies within a node of x = L d1 in [2, 3].
    double best = 0.0;
    for (int k = 9; k <= 16; ++k) best = std::max(best, u0[k]);
    CHECK(best >= 0.49);
  }
  CHECK(reversed > 70);  // Binomial(200, 1/2): mean 100, sd 7
  CHECK(reversed < 130);
}

TEST_CASE("systems: two-body initial states are HNN's random_config with one velocity factor") {
  // HNN's random_config: positions U(0.5, 1.5) per component, body 2 opposite body 1, and the
  // velocity of the circular orbit about the centre of mass, (-y, x) / (2 r^1.5), times one
  // factor 1 + 0.05 N(0, 1). So the velocity is tangent to the orbit and only its speed varies.
  const auto sys = make_system("two-body");
  const int n = 4000;
  double sum = 0.0, sum2 = 0.0;
  for (int i = 0; i < n; ++i) {
    Rng rng(7, RngStream::initial_state, static_cast<std::uint64_t>(i));
    Vec u;
    sys->sample_initial_state(rng, u);
    const Eigen::Vector2d q = u.segment<2>(0), v = u.segment<2>(4);  // m = 1: p = v
    CHECK(q.minCoeff() >= 0.5);
    CHECK(q.maxCoeff() <= 1.5);
    CHECK((u.segment<2>(2) + q).norm() == 0.0);
    CHECK((u.segment<2>(6) + v).norm() == 0.0);
    const double r = q.norm();
    const Eigen::Vector2d circular = Eigen::Vector2d(-q[1], q[0]) / (2.0 * std::pow(r, 1.5));
    CHECK(std::abs(q.dot(v)) <= 1e-14 * r * v.norm());              // tangent
    CHECK(v[0] * circular[0] >= 0.0);                                // same sense of rotation
    const double factor = v.norm() / circular.norm();
    sum += factor;
    sum2 += factor * factor;
  }
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  CHECK(mean == doctest::Approx(1.0).epsilon(0.005));  // standard error 0.05 / sqrt(4000) = 0.0008
  CHECK(sd == doctest::Approx(0.05).epsilon(0.05));
}

TEST_SUITE_END();
