#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "lib/core/error.hpp"
#include "lib/ode/butcher.hpp"

using dgsim::Vec;
namespace ode = dgsim::ode;

TEST_SUITE_BEGIN("unit");

TEST_CASE("Butcher tableaux are explicit and consistent") {
  for (const auto& name : ode::tableau_names()) {
    CAPTURE(name);
    const ode::ButcherTableau& t = ode::tableau(name);
    CHECK(t.name == name);
    const int s = t.stages();
    REQUIRE(t.a.rows() == s);
    REQUIRE(t.a.cols() == s);
    REQUIRE(t.c.size() == s);
    for (int i = 0; i < s; ++i) {
      for (int j = i; j < s; ++j) CHECK(t.a(i, j) == 0.0);
      double row_sum = 0.0;
      for (int j = 0; j < s; ++j) row_sum += t.a(i, j);
      CHECK(row_sum == doctest::Approx(t.c(i)).epsilon(1e-14));
    }
    CHECK(t.b.sum() == doctest::Approx(1.0).epsilon(1e-14));
    if (t.b_hat.size() > 0) CHECK(t.b_hat.sum() == doctest::Approx(1.0).epsilon(1e-14));
    if (t.fsal) {
      for (int j = 0; j < s; ++j) CHECK(t.a(s - 1, j) == t.b(j));
      CHECK(t.c(s - 1) == 1.0);
    }
  }
}

// Order conditions (Hairer, Nørsett & Wanner, Solving ODEs I, Table II.2.2) up to order 4,
// and the quadrature conditions sum_i b_i c_i^{k-1} = 1/k up to the full order.
TEST_CASE("Butcher tableaux satisfy their order conditions") {
  for (const auto& name : ode::tableau_names()) {
    CAPTURE(name);
    const ode::ButcherTableau& t = ode::tableau(name);
    auto check_weights = [&](const Vec& b, int order) {
      const Vec& c = t.c;
      const Vec ac = t.a * c;
      const Vec c2 = c.cwiseProduct(c);
      const Vec ac2 = t.a * c2;
      const Vec aac = t.a * ac;
      Vec c_pow = Vec::Ones(c.size());
      for (int k = 1; k <= order; ++k) {
        CAPTURE(k);
        CHECK(b.dot(c_pow) == doctest::Approx(1.0 / k).epsilon(1e-13));
        c_pow = c_pow.cwiseProduct(c);
      }
      if (order >= 3) CHECK(b.dot(ac) == doctest::Approx(1.0 / 6.0).epsilon(1e-13));
      if (order >= 4) {
        CHECK(b.dot(c.cwiseProduct(ac)) == doctest::Approx(1.0 / 8.0).epsilon(1e-13));
        CHECK(b.dot(ac2) == doctest::Approx(1.0 / 12.0).epsilon(1e-13));
        CHECK(b.dot(aac) == doctest::Approx(1.0 / 24.0).epsilon(1e-13));
      }
    };
    check_weights(t.b, t.order);
    if (t.b_hat.size() > 0) check_weights(t.b_hat, t.embedded_order);
  }
  CHECK(ode::tableau("euler").order == 1);
  CHECK(ode::tableau("rk2").order == 2);
  CHECK(ode::tableau("rk4").order == 4);
  CHECK(ode::tableau("dopri5").order == 5);
  CHECK(ode::tableau("dop853").order == 8);
}

TEST_CASE("tableau of an unknown name throws ConfigError listing the known ones") {
  try {
    ode::tableau("rk5");
    FAIL("no exception");
  } catch (const dgsim::ConfigError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("'rk5'") != std::string::npos);
    CHECK(msg.find("dopri5") != std::string::npos);
  }
}

TEST_SUITE_END();
