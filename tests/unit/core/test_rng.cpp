#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "lib/core/rng.hpp"

using dgsim::Rng;
using dgsim::RngStream;

TEST_SUITE_BEGIN("unit");

TEST_CASE("rng: same address gives the same sequence and different addresses differ") {
  Rng a(42, RngStream::initial_state, 7), b(42, RngStream::initial_state, 7);
  for (int i = 0; i < 100; ++i) CHECK(a.next_u64() == b.next_u64());
  Rng c(42, RngStream::initial_state, 8), d(42, RngStream::noise, 7), e(43, RngStream::initial_state, 7);
  Rng ref(42, RngStream::initial_state, 7);
  const auto r = ref.next_u64();
  CHECK(c.next_u64() != r);
  CHECK(d.next_u64() != r);
  CHECK(e.next_u64() != r);
}

TEST_CASE("rng: uniform and normal moments match their distributions") {
  Rng rng(1);
  const int n = 200000;
  double s = 0, s2 = 0, z = 0, z2 = 0, z4 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    s += u;
    s2 += u * u;
    const double g = rng.normal();
    z += g;
    z2 += g * g;
    z4 += g * g * g * g;
  }
  // Standard errors: mean of U ~ 0.29/sqrt(n) = 6.5e-4; use 5 sigma.
  CHECK(std::abs(s / n - 0.5) < 3.5e-3);
  CHECK(std::abs(s2 / n - 1.0 / 3.0) < 3.5e-3);
  CHECK(std::abs(z / n) < 1.2e-2);
  CHECK(std::abs(z2 / n - 1.0) < 1.6e-2);
  CHECK(std::abs(z4 / n - 3.0) < 0.1);
}

TEST_CASE("rng: below(n) is uniform over 0 to n-1") {
  Rng rng(3);
  int counts[5] = {};
  for (int i = 0; i < 50000; ++i) ++counts[rng.below(5)];
  for (int c : counts) CHECK(std::abs(c - 10000) < 500);  // 5 sigma ~ 450
}

TEST_SUITE_END();
