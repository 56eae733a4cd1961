// Discrete gradients of every registered system: the defining identities, the Jacobians
// against finite differences, the quadrature, DVDM against AVF, and method selection.
#include <doctest/doctest.h>

#include <cmath>

#include "lib/core/error.hpp"
#include "systems/discrete_gradients.hpp"
#include "systems/registry.hpp"

using namespace dgsim;
using namespace dgsim::systems;

namespace {

Vec perturbed_state(const System& sys, std::uint64_t index, double amount) {
  Rng rng(99, RngStream::initial_state, index);
  Vec u;
  sys.sample_initial_state(rng, u);
  for (Eigen::Index i = 0; i < u.size(); ++i) u[i] += amount * rng.uniform(-1.0, 1.0);
  return u;
}

std::vector<std::string> methods_for(const System& sys) {
  std::vector<std::string> m = {"gonzalez", "itoh-abe", "avf"};
  if (sys.capabilities().mass) m.push_back("dvdm");
  return m;
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("discrete gradients: the DG identity H(v) - H(u) = dg.(v - u) and dg(u u) = grad H(u) hold on every system") {
  for (const auto& entry : system_table()) {
    if (!entry.factory) continue;
    const auto sys = make_system(entry.name);
    for (const auto& name : methods_for(*sys)) {
      CAPTURE(entry.name);
      CAPTURE(name);
      SystemDgProblem p(*sys, parse_dg_method(*sys, name));
      for (std::uint64_t trial = 0; trial < 4; ++trial) {
        const Vec u = perturbed_state(*sys, trial, 0.05);
        Vec v = perturbed_state(*sys, trial + 100, 0.05);
        // AVF by a fixed Gauss–Legendre rule is exact only for polynomial H; otherwise its
        // quadrature error O(|v - u|^16) vanishes below round-off only for nearby states
        // (as within a time step), so test it there.
        if (name == "avf" && sys->energy_polynomial_degree() == 0) v = u + 0.02 * (v - u);
        Vec dg, g;
        p.discrete_gradient(v, u, dg);
        const double dh = sys->energy(v) - sys->energy(u);
        // Round-off of H itself: a few ε times the sum of the magnitudes of its terms.
        const double h_scale = std::abs(sys->energy(v)) + std::abs(sys->energy(u)) +
                               dg.cwiseAbs().dot((v - u).cwiseAbs());
        CHECK(std::abs(dh - dg.dot(v - u)) <= 1e-13 * h_scale);
        // Half the coordinates coincident (Itoh–Abe's and Gonzalez's small-increment branches).
        Vec v_half = v;
        for (Eigen::Index i = 0; i < v.size(); i += 2) v_half[i] = u[i];
        p.discrete_gradient(v_half, u, dg);
        const double dh_half = sys->energy(v_half) - sys->energy(u);
        CHECK(std::abs(dh_half - dg.dot(v_half - u)) <=
              1e-13 * (std::abs(sys->energy(v_half)) + std::abs(sys->energy(u)) +
                       dg.cwiseAbs().dot((v_half - u).cwiseAbs())));
        p.discrete_gradient(u, u, dg);
        sys->energy_grad(u, g);
        CHECK((dg - g).lpNorm<Eigen::Infinity>() <= 1e-14 * (1.0 + g.lpNorm<Eigen::Infinity>()));
        // Consistency to first order: |∇̄H(w, u) - ∇H(u)| <= ~|∂∇̄H/∂v| |w - u| for w near u.
        const Vec w = u + 1e-4 * (v - u);
        p.discrete_gradient(w, u, dg);
        SparseMat hess;
        sys->energy_hessian(u, hess);
        const double lipschitz = Mat(hess).cwiseAbs().rowwise().sum().maxCoeff();
        CHECK((dg - g).lpNorm<Eigen::Infinity>() <=
              2.0 * lipschitz * (w - u).lpNorm<Eigen::Infinity>() + 1e-12 * (1.0 + g.lpNorm<Eigen::Infinity>()));
      }
    }
  }
}

TEST_CASE("discrete gradients: Jacobians in v match central differences on every system") {
  for (const auto& entry : system_table()) {
    if (!entry.factory) continue;
    const auto sys = make_system(entry.name);
    for (const auto& name : methods_for(*sys)) {
      CAPTURE(entry.name);
      CAPTURE(name);
      SystemDgProblem p(*sys, parse_dg_method(*sys, name));
      const Vec u = perturbed_state(*sys, 3, 0.05);
      const Vec v = perturbed_state(*sys, 203, 0.05);
      SparseMat jac;
      p.discrete_gradient_jacobian(v, u, jac);
      const Mat j(jac);
      Vec fp, fm;
      double err = 0.0;
      for (Eigen::Index i = 0; i < v.size(); ++i) {
        const double h = 1e-5 * (1.0 + std::abs(v[i]));
        Vec vp = v, vm = v;
        vp[i] += h;
        vm[i] -= h;
        p.discrete_gradient(vp, u, fp);
        p.discrete_gradient(vm, u, fm);
        err = std::max(err, ((fp - fm) / (2.0 * h) - j.col(i)).lpNorm<Eigen::Infinity>());
      }
      CHECK(err <= 1e-6 * (1.0 + j.lpNorm<Eigen::Infinity>()));
    }
  }
}

TEST_CASE("discrete gradients: Jacobians at coincident arguments are the Hessian halves") {
  // For every method ∂∇̄H/∂v at v = u is ∇²H(u)/2 for symmetric methods; Itoh–Abe's is the
  // lower triangle of ∇²H with the diagonal halved. Both follow from ∇̄H(u, u) = ∇H(u).
  for (const std::string name : {"mass-spring", "pendulum", "two-body"}) {
    const auto sys = make_system(name);
    const Vec u = perturbed_state(*sys, 11, 0.05);
    SparseMat hess;
    sys->energy_hessian(u, hess);
    const Mat h(hess);
    for (const std::string m : {"gonzalez", "avf", "itoh-abe"}) {
      CAPTURE(name);
      CAPTURE(m);
      SystemDgProblem p(*sys, parse_dg_method(*sys, m));
      SparseMat jac;
      p.discrete_gradient_jacobian(u, u, jac);
      Mat expect = 0.5 * h;
      if (m == "itoh-abe") {
        expect = h.triangularView<Eigen::StrictlyLower>();
        expect.diagonal() = 0.5 * h.diagonal();
      }
      CHECK((Mat(jac) - expect).lpNorm<Eigen::Infinity>() <= 1e-9 * (1.0 + h.lpNorm<Eigen::Infinity>()));
    }
  }
}

TEST_CASE("discrete gradients: Gauss-Legendre rules integrate polynomials of degree 2n - 1 exactly") {
  std::vector<double> x, w;
  for (int n = 1; n <= 10; ++n) {
    gauss_legendre01(n, x, w);
    for (int deg = 0; deg <= 2 * n - 1; ++deg) {
      double s = 0.0;
      for (int q = 0; q < n; ++q) s += w[static_cast<size_t>(q)] * std::pow(x[static_cast<size_t>(q)], deg);
      CHECK(s == doctest::Approx(1.0 / (deg + 1)).epsilon(1e-14));
    }
  }
  CHECK(avf_nodes(*make_system("mass-spring")) == 1);
  CHECK(avf_nodes(*make_system("kdv")) == 2);
  CHECK(avf_nodes(*make_system("cahn-hilliard")) == 2);
  CHECK(avf_nodes(*make_system("pendulum")) == kAvfDefaultNodes);
}

TEST_CASE("discrete gradients: DVDM equals AVF on KdV and Cahn-Hilliard") {
  for (const std::string name : {"kdv", "cahn-hilliard"}) {
    CAPTURE(name);
    const auto sys = make_system(name);
    SystemDgProblem dvdm(*sys, DgMethod::dvdm), avf(*sys, DgMethod::avf);
    const Vec u = perturbed_state(*sys, 1, 0.1);
    const Vec v = perturbed_state(*sys, 2, 0.1);
    Vec a, b;
    dvdm.discrete_gradient(v, u, a);
    avf.discrete_gradient(v, u, b);
    CHECK((a - b).lpNorm<Eigen::Infinity>() <= 1e-13 * (1.0 + b.lpNorm<Eigen::Infinity>()));
    SparseMat ja, jb;
    dvdm.discrete_gradient_jacobian(v, u, ja);
    avf.discrete_gradient_jacobian(v, u, jb);
    CHECK(Mat(ja - jb).lpNorm<Eigen::Infinity>() <= 1e-13 * (1.0 + Mat(jb).lpNorm<Eigen::Infinity>()));
  }
}

TEST_CASE("discrete gradients: method names and defaults and errors") {
  CHECK(default_dg_method(*make_system("kdv")) == "dvdm");
  CHECK(default_dg_method(*make_system("cahn-hilliard")) == "dvdm");
  CHECK(default_dg_method(*make_system("mass-spring")) == "avf");
  CHECK(default_dg_method(*make_system("pendulum")) == "gonzalez");
  CHECK(default_dg_method(*make_system("two-body")) == "gonzalez");
  const auto sys = make_system("pendulum");
  CHECK(parse_dg_method(*sys, "") == DgMethod::gonzalez);
  CHECK(parse_dg_method(*sys, "itoh-abe") == DgMethod::itoh_abe);
  try {
    parse_dg_method(*sys, "midpoint");
    FAIL("no exception");
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("'midpoint'") != std::string::npos);
    CHECK(msg.find("gonzalez, itoh-abe, avf, dvdm") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_dg_method(*sys, "dvdm"), ConfigError);
  // Every preset that asks for dg has a usable default method.
  for (const auto& entry : system_table()) {
    if (!entry.factory) continue;
    for (const auto& preset : entry.presets) {
      if (preset.integrator != "dg") continue;
      CAPTURE(entry.name);
      CHECK_NOTHROW(parse_dg_method(*make_system(entry.name), ""));
      CHECK(preset.rtol > 0.0);
    }
  }
}

TEST_SUITE_END();
