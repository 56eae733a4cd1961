// A float tape (BasicTape<float>) computes what the double tape computes, to single precision:
// values, first and second derivatives, and discrete gradients.
#include <doctest/doctest.h>

#include <cmath>

#include "lib/ad/tape.hpp"
#include "lib/core/rng.hpp"
#include "tests/unit/gaussian_mat.hpp"

using namespace dgsim;
using namespace dgsim::ad;

namespace {

using FTape = BasicTape<float>;
using FVar = BasicVar<float>;

Mat random_mat(Eigen::Index r, Eigen::Index c, std::uint64_t index, double scale = 1.0) {
  return test::gaussian_mat(r, c, 11, RngStream::training, index, scale);
}

// A small energy network of either precision: H(x) = tanh(x W1 + b1) w2, [B, 1].
template <class S>
BasicVar<S> energy(BasicVar<S> x, BasicVar<S> w1, BasicVar<S> b1, BasicVar<S> w2) {
  return matmul(tanh(affine(x, w1, b1)), w2);
}

// Largest entry of |got - ref| relative to the largest entry of |ref|.
double rel_err(const MatS<float>& got, const Mat& ref) {
  return (got.cast<double>() - ref).cwiseAbs().maxCoeff() / ref.cwiseAbs().maxCoeff();
}

struct Weights {
  Mat x = random_mat(16, 3, 1), w1 = random_mat(3, 32, 2, 0.6), b1 = random_mat(1, 32, 3, 0.3),
      w2 = random_mat(32, 1, 4, 0.2), c = random_mat(16, 3, 5);
};

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("ad: a float tape stores single precision and matches the double tape's values and gradients") {
  const Weights p;
  FTape ft;
  Tape dt;
  const FVar fx = ft.leaf(p.x, true), fw1 = ft.leaf(p.w1, true);
  const Var dx = dt.leaf(p.x, true), dw1 = dt.leaf(p.w1, true);
  const FVar fh = energy(fx, fw1, ft.leaf(p.b1), ft.leaf(p.w2));
  const Var dh = energy(dx, dw1, dt.leaf(p.b1), dt.leaf(p.w2));
  CHECK(ft.bytes() * 2 == dt.bytes());  // every recorded value is a float
  CHECK(rel_err(fh.value(), dh.value()) < 1e-6);
  CHECK(rel_err(fh.value(), dh.value()) > 0.0);  // really rounded to float, not double underneath
  ft.backward(fh);
  dt.backward(dh);
  CHECK(rel_err(ft.grad(fx).value(), dt.grad(dx).value()) < 1e-5);
  CHECK(rel_err(ft.grad(fw1).value(), dt.grad(dw1).value()) < 1e-5);
}

TEST_CASE("ad: a float tape differentiates a loss of a gradient (HNN) like the double tape") {
  const Weights p;
  auto grad_w1 = [&](auto& tape) {
    auto x = tape.leaf(p.x);
    auto w1 = tape.leaf(p.w1, true);
    auto gx = tape.gradient(energy(x, w1, tape.leaf(p.b1), tape.leaf(p.w2)), x);  // ∇H(x), recorded
    tape.backward(sum_all(square(sub(gx, tape.leaf(p.c)))));
    return tape.grad(w1).value();
  };
  FTape ft;
  Tape dt;
  const MatS<float> f = grad_w1(ft);
  const Mat d = grad_w1(dt);
  CHECK(rel_err(f, d) < 1e-5);
}

TEST_CASE("ad: a float tape's discrete gradient satisfies H(u) - H(v) = dgH . (u - v) to single precision") {
  const Weights p;
  const Mat u0 = random_mat(16, 3, 6), v0 = u0 + 1e-2 * random_mat(16, 3, 7);
  FTape ft;
  const FVar w1 = ft.leaf(p.w1), b1 = ft.leaf(p.b1), w2 = ft.leaf(p.w2);
  const FVar u = ft.leaf(u0), v = ft.leaf(v0);
  const FVar hu = energy(u, w1, b1, w2), hv = energy(v, w1, b1, w2);
  const FVar g = ft.discrete_gradient(hu, hv, u, v);
  // The identity in double, from the float results: the float error of H is ~1e-7 |H|.
  const Eigen::VectorXd lhs = (hu.value() - hv.value()).cast<double>();
  const Eigen::VectorXd rhs = (g.value().cast<double>().array() * (u0 - v0).array()).rowwise().sum();
  const double h_scale = hu.value().cwiseAbs().maxCoeff();
  CHECK((lhs - rhs).cwiseAbs().maxCoeff() < 1e-6 * h_scale);
  // And it is the double tape's discrete gradient to single precision.
  Tape dt;
  const Var dw1 = dt.leaf(p.w1), db1 = dt.leaf(p.b1), dw2 = dt.leaf(p.w2);
  const Var du = dt.leaf(u0), dv = dt.leaf(v0);
  const Var dg = dt.discrete_gradient(energy(du, dw1, db1, dw2), energy(dv, dw1, db1, dw2), du, dv);
  CHECK(rel_err(g.value(), dg.value()) < 1e-5);
}
