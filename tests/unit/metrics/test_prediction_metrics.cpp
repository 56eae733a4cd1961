// The paper's prediction metrics on hand-made arrays with known answers.
#include <doctest/doctest.h>

#include <vector>

#include "lib/core/error.hpp"
#include "lib/metrics/prediction.hpp"

using namespace dgsim;
using namespace dgsim::metrics;

TEST_SUITE_BEGIN("unit");

TEST_CASE("metrics: mean squared error") {
  CHECK(mean_squared_error({1.0, 2.0, 3.0, 4.0}, {1.0, 0.0, 3.0, 2.0}) == doctest::Approx(2.0));
  CHECK(mean_squared_error({0.5}, {0.5}) == 0.0);
  CHECK_THROWS_AS(mean_squared_error({1.0}, {1.0, 2.0}), ConfigError);
  CHECK_THROWS_AS(mean_squared_error({}, {}), ConfigError);
}

TEST_CASE("metrics: energy error leaves out the initial time") {
  // 2 series x 3 times; the k = 0 column differs but must not count.
  const std::vector<double> pred = {9.0, 1.0, 2.0, -9.0, 0.0, 3.0};
  const std::vector<double> truth = {0.0, 1.0, 0.0, 0.0, 1.0, 1.0};
  // squared errors at k >= 1: 0, 4, 1, 4 -> mean 9/4
  CHECK(energy_error(pred, truth, 2, 3) == doctest::Approx(2.25));
  CHECK_THROWS_AS(energy_error(pred, truth, 3, 3), ConfigError);
  CHECK_THROWS_AS(energy_error({1.0}, {1.0}, 1, 1), ConfigError);
}

TEST_CASE("metrics: state error leaves out the shared initial state") {
  // 2 series x 2 times x 2 components; the k = 0 rows differ but do not count
  const std::vector<double> pred = {9.0, 9.0, 1.0, 2.0, 9.0, 9.0, 0.0, 0.0};
  const std::vector<double> truth = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0};
  // squared errors at k = 1: 1, 4, 0, 9 -> mean 14/4
  CHECK(state_error(pred, truth, 2, 2, 2) == doctest::Approx(3.5));
  CHECK_THROWS_AS(state_error(pred, truth, 2, 2, 3), ConfigError);
  CHECK_THROWS_AS(state_error(pred, truth, 4, 1, 2), ConfigError);
}

TEST_CASE("metrics: one-step error in difference quotients") {
  // two pairs of dimension 2, dt 0.5 and 0.25
  const std::vector<double> pred = {1.0, 1.0, 2.0, 2.0};
  const std::vector<double> truth = {1.5, 1.0, 2.0, 1.75};
  // quotient errors: -1, 0, 0, 1 -> mean 0.5
  CHECK(one_step_error(pred, truth, {0.5, 0.25}, 2) == doctest::Approx(0.5));
  CHECK_THROWS_AS(one_step_error(pred, truth, {0.5}, 2), ConfigError);
}

TEST_CASE("metrics: drift and increase of a series") {
  const std::vector<double> q = {1.0, 1.5, 0.5, 10.0, 10.0, 13.0};  // 2 series x 3 times
  const Drift d = max_drift(q, {1.0, 10.0}, 2, 3);
  CHECK(d.worst_abs == doctest::Approx(3.0));
  CHECK(d.worst_rel == doctest::Approx(0.5));
  CHECK(d.trajectory == 0);
  CHECK(d.step == 1);
  const Drift u = max_drift(q, {}, 2, 3);
  CHECK(u.worst_rel == doctest::Approx(3.0));
  CHECK(u.trajectory == 1);
  CHECK(u.step == 2);
  CHECK(max_increase(q, 2, 3) == doctest::Approx(3.0));
  CHECK(max_increase({3.0, 2.0, 2.0, 1.0}, 1, 4) == doctest::Approx(0.0));
  CHECK(max_increase({3.0, 2.0, 1.0}, 1, 3) == doctest::Approx(-1.0));
}

TEST_SUITE_END();
