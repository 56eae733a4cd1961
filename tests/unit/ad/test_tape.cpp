#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>

#include "lib/ad/tape.hpp"
#include "lib/core/error.hpp"
#include "lib/core/rng.hpp"
#include "tests/unit/gaussian_mat.hpp"

using namespace dgsim;
using namespace dgsim::ad;

namespace {

using Build = std::function<Var(Var)>;  // x -> any matrix-valued function of x

Mat random_mat(Eigen::Index r, Eigen::Index c, std::uint64_t index, double scale = 1.0) {
  return test::gaussian_mat(r, c, 7, RngStream::training, index, scale);
}

// L(x) = sum(f(x) .* W) with W a fixed random weight of f's shape.
double loss_value(const Build& f, const Mat& x0, const Mat& w) {
  Tape t;
  const Var y = f(t.leaf(x0, true));  // requires_grad: f may differentiate internally
  return (y.value().array() * w.array()).sum();
}

Mat weight_for(const Build& f, const Mat& x0, std::uint64_t index) {
  Tape t;
  const Var y = f(t.leaf(x0, true));
  return random_mat(y.rows(), y.cols(), index);
}

Mat first_grad(const Build& f, const Mat& x0, const Mat& w) {
  Tape t;
  const Var x = t.leaf(x0, true);
  const Var loss = sum_all(mul(f(x), t.leaf(w)));
  t.backward(loss);
  return t.grad(x).value();
}

// Central differences of L along every coordinate of x.
Mat fd_grad(const std::function<double(const Mat&)>& L, const Mat& x0, double eps) {
  Mat g(x0.rows(), x0.cols());
  for (Eigen::Index i = 0; i < x0.size(); ++i) {
    Mat xp = x0, xm = x0;
    xp.data()[i] += eps;
    xm.data()[i] -= eps;
    g.data()[i] = (L(xp) - L(xm)) / (2 * eps);
  }
  return g;
}

void check_close(const Mat& got, const Mat& ref, double tol, const std::string& what) {
  INFO(what);
  REQUIRE(got.rows() == ref.rows());
  REQUIRE(got.cols() == ref.cols());
  const double err = (got - ref).cwiseAbs().maxCoeff();
  const double scale = std::max(1.0, ref.cwiseAbs().maxCoeff());
  INFO("max error ", err, " scale ", scale);
  CHECK(err <= tol * scale);
}

// Gradient against finite differences, and the gradient of a loss of the gradient
// (create_graph) against finite differences of the first-order gradient.
void check_op(const std::string& name, const Build& f, Eigen::Index r, Eigen::Index c, bool second = true) {
  const Mat x0 = random_mat(r, c, 1, 0.7);
  const Mat w = weight_for(f, x0, 2);
  const Mat g = first_grad(f, x0, w);
  check_close(g, fd_grad([&](const Mat& x) { return loss_value(f, x, w); }, x0, 1e-6), 1e-7, name + " first order");
  // The releasing sweep gives the same gradient, bit for bit.
  Tape rt;
  const Var xr = rt.leaf(x0, true);
  rt.backward_releasing(sum_all(mul(f(xr), rt.leaf(w))));
  CHECK_MESSAGE((rt.grad(xr).value() - g).cwiseAbs().maxCoeff() == 0.0, name, " releasing sweep, first order");
  if (!second) return;
  const Mat w2 = random_mat(r, c, 3);
  Tape t;
  const Var x = t.leaf(x0, true);
  t.backward(sum_all(mul(f(x), t.leaf(w))), true);
  const Var gx = t.grad(x);
  check_close(gx.value(), g, 1e-14, name + " create_graph gives the same gradient");
  t.backward(sum_all(mul(gx, t.leaf(w2))));
  const Mat h = t.grad(x).value();
  const Mat ref = fd_grad([&](const Mat& xx) { return (first_grad(f, xx, w).array() * w2.array()).sum(); }, x0, 1e-6);
  check_close(h, ref, 1e-7, name + " second order");
  rt.clear();  // records again on the nodes whose values the sweep freed
  const Var xr2 = rt.leaf(x0, true);
  rt.backward(sum_all(mul(f(xr2), rt.leaf(w))), true);
  rt.backward_releasing(sum_all(mul(rt.grad(xr2), rt.leaf(w2))));
  CHECK_MESSAGE((rt.grad(xr2).value() - h).cwiseAbs().maxCoeff() == 0.0, name, " releasing sweep, second order");
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("ad: matmul with every transpose against finite differences") {
  const Mat c34 = random_mat(3, 4, 10), c43 = random_mat(4, 3, 11), c25 = random_mat(2, 5, 12);
  // x is [3, 4] below; constants make each product well-formed.
  check_op("x c", [&](Var x) { return tanh(matmul(x, x.tape->leaf(c43))); }, 3, 4);
  check_op("x^T c", [&](Var x) { return tanh(matmul(x, x.tape->leaf(c34), true, false)); }, 3, 4);
  check_op("x c^T", [&](Var x) { return tanh(matmul(x, x.tape->leaf(c34), false, true)); }, 3, 4);
  check_op("x^T c^T", [&](Var x) { return tanh(matmul(x, x.tape->leaf(c43), true, true)); }, 3, 4);
  check_op("c x^T", [&](Var x) { return tanh(matmul(x.tape->leaf(c25), x, true, true)); }, 5, 2);
  check_op("x^T x", [&](Var x) { return matmul(x, x, true, false); }, 3, 4);
  check_op("x x^T", [&](Var x) { return matmul(x, x, false, true); }, 3, 4);
  check_op("affine x c + row", [&](Var x) { return tanh(affine(x, x.tape->leaf(c43), sum_rows(matmul(x, x.tape->leaf(c43))))); }, 3, 4);
  check_op("affine c x + row", [&](Var x) { return tanh(affine(x.tape->leaf(Mat(c25.transpose())), x, sum_rows(x))); }, 2, 4);
  check_op("affine x x^T + row", [&](Var x) { return affine(x, matmul(x, x, true, false), sum_rows(sin(x))); }, 3, 4);
}

TEST_CASE("ad: affine equals the product plus the broadcast row, on both of its paths") {
  for (Eigen::Index k : {1, 3, 8, 9, 40}) {  // up to 8 inner indices a plain loop, then GEMM
    CAPTURE(k);
    const Mat x0 = random_mat(37, k, 20), w0 = random_mat(k, 11, 21), r0 = random_mat(1, 11, 22);
    Tape t;
    const Var x = t.leaf(x0), w = t.leaf(w0), r = t.leaf(r0);
    const Mat got = affine(x, w, r).value();
    const Mat ref = (x0 * w0).rowwise() + r0.row(0);
    check_close(got, ref, 1e-15, "affine");
  }
}

TEST_CASE("ad: a product over one inner index is the outer product, exactly, with every transpose") {
  const Mat a = random_mat(7, 1, 70), b = random_mat(1, 5, 71);
  Mat outer(7, 5);
  for (Eigen::Index i = 0; i < 7; ++i)
    for (Eigen::Index j = 0; j < 5; ++j) outer(i, j) = a(i, 0) * b(0, j);
  Tape t;
  const Var va = t.leaf(a), vat = t.leaf(Mat(a.transpose())), vb = t.leaf(b), vbt = t.leaf(Mat(b.transpose()));
  CHECK(matmul(va, vb).value() == outer);
  CHECK(matmul(vat, vb, true, false).value() == outer);
  CHECK(matmul(va, vbt, false, true).value() == outer);
  CHECK(matmul(vat, vbt, true, true).value() == outer);
  check_op("outer product", [&](Var x) { return tanh(matmul(x, x.tape->leaf(b))); }, 7, 1);
}

TEST_CASE("ad: elementwise and broadcast operations against finite differences") {
  check_op("add", [](Var x) { return add(x, square(x)); }, 3, 4);
  check_op("sub", [](Var x) { return sub(sin(x), mul(x, x)); }, 3, 4);
  check_op("add_row", [](Var x) { return tanh(add_row(x, sum_rows(x))); }, 3, 4);
  check_op("mul", [](Var x) { return mul(x, cos(x)); }, 3, 4);
  check_op("scale add_scalar", [](Var x) { return tanh(add_scalar(scale(x, 1.7), 0.3)); }, 3, 4);
  check_op("square", [](Var x) { return square(square(x)); }, 3, 4);
  check_op("sum_rows", [](Var x) { return square(sum_rows(x)); }, 3, 4);
  check_op("sum_cols", [](Var x) { return square(sum_cols(x)); }, 3, 4);
  check_op("sum_all", [](Var x) { return square(sum_all(x)); }, 3, 4);
  check_op("means", [](Var x) { return add(square(bcast_rows(mean_rows(x), 3)), square(bcast_cols(mean_cols(x), 4))); }, 3, 4);
  check_op("mean_all", [](Var x) { return sin(mean_all(x)); }, 3, 4);
  check_op("bcast_rows", [](Var x) { return tanh(bcast_rows(sum_rows(x), 5)); }, 3, 4);
  check_op("bcast_cols", [](Var x) { return tanh(bcast_cols(sum_cols(x), 2)); }, 3, 4);
  check_op("bcast_all", [](Var x) { return tanh(bcast_all(sum_all(x), 2, 2)); }, 3, 4);
  check_op("shift_rows +2", [](Var x) { return mul(shift_rows(x, 2), x); }, 5, 3);
  check_op("shift_rows -1", [](Var x) { return mul(shift_rows(x, -1), sin(x)); }, 5, 3);
  check_op("neighbours", [](Var x) { return mul(neighbours(x, 3, 2), neighbours(sin(x), 3, 2)); }, 6, 2);
  check_op("neighbours_adjoint", [](Var x) { return square(neighbours_adjoint(x, 3, 2)); }, 6, 6);
  check_op("reshape", [](Var x) { return mul(reshape(x, 2, 6), reshape(sin(x), 2, 6)); }, 3, 4);
}

TEST_CASE("ad: activations against finite differences") {
  check_op("tanh", [](Var x) { return tanh(scale(x, 1.5)); }, 3, 4);
  check_op("sigmoid", [](Var x) { return sigmoid(scale(x, 2.0)); }, 3, 4);
  check_op("softplus", [](Var x) { return softplus(scale(x, 2.0)); }, 3, 4);
  check_op("sin", [](Var x) { return sin(scale(x, 2.0)); }, 3, 4);
  check_op("cos", [](Var x) { return cos(scale(x, 2.0)); }, 3, 4);
  // Third order through the derivative ops: differentiate a loss of the second-order graph.
  check_op("tanh of gradient", [](Var x) {
    Tape& t = *x.tape;
    t.backward(sum_all(tanh(x)), true);
    return t.grad(x);
  }, 3, 4);
  // A gradient through tanh whose incoming gradient depends on x too: the sweeps then take
  // both partials of tanh_grad (in one pass).
  check_op("tanh of a state-dependent gradient", [](Var x) {
    Tape& t = *x.tape;
    t.backward(sum_all(mul(tanh(x), sin(x))), true);
    return t.grad(x);
  }, 3, 4);
  check_op("sigmoid of gradient", [](Var x) {
    Tape& t = *x.tape;
    t.backward(sum_all(sigmoid(x)), true);
    return t.grad(x);
  }, 3, 4);
}

TEST_CASE("ad: divided differences against finite differences in both arguments") {
  for (Fn f : {Fn::tanh, Fn::sigmoid, Fn::softplus, Fn::sin, Fn::cos}) {
    const Mat b0 = random_mat(3, 4, 20, 0.5);
    // a = x, b = 0.5 x + b0: both arguments depend on x, at mixed distances.
    check_op("divdiff", [&](Var x) {
      const Var b = add(scale(x, 0.5), x.tape->leaf(b0));
      return divdiff(f, x, b, apply(f, x), apply(f, b));
    }, 3, 4, false);
    // Equal arguments: the derivative of f'(x) = dd(x, x) is f''(x) = 2 d/da dd(x, x).
    check_op("divdiff equal", [&](Var x) {
      const Var b = scale(x, 1.0);
      return divdiff(f, x, b, apply(f, x), apply(f, b));
    }, 3, 4, false);
  }
  Tape t;
  const Var x = t.leaf(random_mat(2, 2, 5), true);
  const Var y = t.leaf(random_mat(2, 2, 6), true);
  t.backward(sum_all(divdiff(Fn::tanh, x, y, tanh(x), tanh(y))), true);
  const Var gx = t.grad(x);
  CHECK_THROWS_AS(t.backward(sum_all(gx)), dgsim::Error);
}

TEST_CASE("ad: gradient restricted to one input matches backward and differentiates again") {
  const Mat x0 = random_mat(4, 3, 50), w0 = random_mat(3, 5, 51), c0 = random_mat(4, 3, 52);
  auto h = [](Var x, Var w) { return sum_cols(tanh(matmul(x, w))); };  // [B, 1]
  Tape t;
  const Var x = t.leaf(x0);  // no requires_grad: gradient() works on any Var
  const Var w = t.leaf(w0, true);
  const Var gx = t.gradient(h(x, w), x);
  Tape t2;
  const Var x2 = t2.leaf(x0, true);
  t2.backward(h(x2, t2.leaf(w0)));
  CHECK((gx.value() - t2.grad(x2).value()).cwiseAbs().maxCoeff() == 0.0);
  // d/dw sum(c .* ∇_x H) against finite differences.
  t.backward(sum_all(mul(gx, t.leaf(c0))));
  const Mat gw = t.grad(w).value();
  auto loss = [&](const Mat& ww) {
    Tape s;
    const Var xs = s.leaf(x0);
    return (s.gradient(h(xs, s.leaf(ww)), xs).value().array() * c0.array()).sum();
  };
  check_close(gw, fd_grad(loss, w0, 1e-6), 1e-7, "restricted gradient, then weights");
}

TEST_CASE("ad: shape errors throw and record nothing") {
  Tape t;
  const Var a = t.leaf(Mat::Ones(2, 3)), b = t.leaf(Mat::Ones(3, 2));
  const int n = t.size();
  CHECK_THROWS_AS(add(a, b), dgsim::Error);
  CHECK_THROWS_AS(mul(a, b), dgsim::Error);
  CHECK_THROWS_AS(matmul(a, a), dgsim::Error);
  CHECK_THROWS_AS(add_row(a, b), dgsim::Error);
  CHECK_THROWS_AS(reshape(a, 4, 2), dgsim::Error);
  CHECK_THROWS_AS(divdiff(Fn::tanh, a, b, a, b), dgsim::Error);
  CHECK(t.size() == n);
  Tape other;
  CHECK_THROWS_AS(add(a, other.leaf(Mat::Ones(2, 3))), dgsim::Error);
  CHECK(matmul(a, b).value().isApprox(Mat::Constant(2, 2, 3.0)));
}


TEST_CASE("ad: bytes counts the values recorded, truncate and clear forget them") {
  Tape tape;
  const Var x = tape.leaf(Mat::Ones(3, 4));
  CHECK(tape.bytes() == 12 * sizeof(double));
  const int mark = tape.size();
  const Var y = tanh(matmul(x, tape.leaf(Mat::Ones(4, 2))));  // [4, 2] leaf, [3, 2] product and tanh
  CHECK(y.rows() == 3);
  CHECK(tape.bytes(mark) == (8 + 6 + 6) * sizeof(double));
  CHECK(tape.bytes() == (12 + 20) * sizeof(double));
  tape.truncate(mark);
  CHECK(tape.bytes() == 12 * sizeof(double));
  tape.shrink();  // frees the forgotten operations' storage; what is kept stays valid
  CHECK(tape.value(x) == Mat::Ones(3, 4));
  tape.clear();
  CHECK(tape.bytes() == 0);
}

namespace {

// An HNN-like training loss: H(u) = sum tanh(u W1 + b1) w2, ∇H recorded (create_graph), then
// `steps` explicit Euler steps u += h ∇H(u) and the squared distance to a target.
template <class S>
BasicVar<S> hnn_loss(BasicTape<S>& t, const std::vector<BasicVar<S>>& p, BasicVar<S> u, BasicVar<S> target, int steps) {
  for (int s = 0; s < steps; ++s) {
    const BasicVar<S> h = matmul(tanh(affine(u, p[0], p[1])), p[2]);
    u = add(u, scale(t.gradient(h, u), 0.1));
  }
  return mean_all(square(sub(u, target)));
}

}  // namespace

TEST_CASE_TEMPLATE("ad: the releasing sweep frees the graph as it goes and gives backward's gradients", S, double, float) {
  const Mat u0 = random_mat(40, 6, 60), target = random_mat(40, 6, 61);
  const std::vector<Mat> p0{random_mat(6, 30, 62, 0.4), random_mat(1, 30, 63), random_mat(30, 1, 64, 0.4)};
  auto record = [&](BasicTape<S>& t, std::vector<BasicVar<S>>& p) {
    t.clear();
    p.clear();
    for (const Mat& m : p0) p.push_back(t.leaf(m, true));
    return hnn_loss(t, p, t.leaf(u0), t.leaf(target), 8);
  };
  BasicTape<S> ref, rel;
  std::vector<BasicVar<S>> p_ref, p_rel;
  const BasicVar<S> l_ref = record(ref, p_ref);
  const std::size_t forward = ref.bytes();
  ref.backward(l_ref);
  const std::size_t after = ref.bytes();
  for (int pass = 0; pass < 2; ++pass) {  // the second pass records on nodes whose values were freed
    CAPTURE(pass);
    const BasicVar<S> l_rel = record(rel, p_rel);
    CHECK(rel.bytes() == forward);
    const std::size_t peak = rel.backward_releasing(l_rel);
    for (size_t i = 0; i < p0.size(); ++i)
      CHECK((rel.grad(p_rel[i]).value() - ref.grad(p_ref[i]).value()).cwiseAbs().maxCoeff() == 0);
    CHECK(l_rel.value()(0, 0) == l_ref.value()(0, 0));
    // The recorded sweep more than doubles the graph; the releasing one stays near the
    // forward graph, and leaves only the leaves, the loss and the gradients behind.
    CHECK(after > 2 * forward);
    CHECK(peak >= forward);
    CHECK(peak < forward * 5 / 4);
    // Leaves: u0, the target, the seeds of ∇H ([40, 1] per step); the loss; p and its gradient.
    std::size_t kept = sizeof(S) * static_cast<std::size_t>(u0.size() + target.size() + 8 * 40 + 1);
    for (const Mat& m : p0) kept += 2 * sizeof(S) * static_cast<std::size_t>(m.size());
    CHECK(rel.bytes() == kept);
  }
  // Intermediates' gradients are gone: asking for one is an error, not zeros.
  const BasicVar<S> l_rel = record(rel, p_rel);
  const BasicVar<S> hidden = tanh(p_rel[0]);
  const BasicVar<S> l2 = add(l_rel, sum_all(hidden));
  rel.backward_releasing(l2);
  CHECK_THROWS_AS(rel.grad(hidden), dgsim::Error);
  CHECK(rel.grad(p_rel[0]).rows() == p0[0].rows());
}

TEST_SUITE_END();
