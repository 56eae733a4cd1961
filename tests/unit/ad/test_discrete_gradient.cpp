#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "lib/ad/divdiff.hpp"
#include "lib/ad/tape.hpp"
#include "lib/core/rng.hpp"
#include "tests/unit/gaussian_mat.hpp"

using namespace dgsim;
using namespace dgsim::ad;

namespace {

using LD = long double;

// n-point Gauss-Legendre rule on [0, 1], in long double.
struct Gauss {
  std::vector<LD> x, w;
  explicit Gauss(int n) : x(static_cast<std::size_t>(n)), w(static_cast<std::size_t>(n)) {
    const LD pi = 3.141592653589793238462643383279502884L;
    for (int i = 0; i < n; ++i) {
      LD z = std::cos(pi * (i + 0.75L) / (n + 0.5L)), dp = 0;
      for (int it = 0; it < 100; ++it) {
        LD p0 = 1, p1 = z;
        for (int k = 2; k <= n; ++k) {
          const LD p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = n * (z * p1 - p0) / (z * z - 1);
        const LD dz = p1 / dp;
        z -= dz;
        if (std::fabs(dz) < 1e-19L) break;
      }
      x[static_cast<std::size_t>(i)] = (1 + z) / 2;
      w[static_cast<std::size_t>(i)] = 1 / ((1 - z * z) * dp * dp);
    }
  }
};

LD sig(LD x) { return 1 / (1 + std::exp(-x)); }

// f, f', f'' in long double.
LD f0(Fn f, LD x) {
  switch (f) {
    case Fn::tanh: return std::tanh(x);
    case Fn::sigmoid: return sig(x);
    case Fn::softplus: return std::log1p(std::exp(x));
    case Fn::sin: return std::sin(x);
    case Fn::cos: return std::cos(x);
  }
  return 0;
}
LD f1(Fn f, LD x) {
  switch (f) {
    case Fn::tanh: return 1 - std::tanh(x) * std::tanh(x);
    case Fn::sigmoid: return sig(x) * (1 - sig(x));
    case Fn::softplus: return sig(x);
    case Fn::sin: return std::cos(x);
    case Fn::cos: return -std::sin(x);
  }
  return 0;
}
LD f2(Fn f, LD x) {
  switch (f) {
    case Fn::tanh: return -2 * std::tanh(x) * (1 - std::tanh(x) * std::tanh(x));
    case Fn::sigmoid: return sig(x) * (1 - sig(x)) * (1 - 2 * sig(x));
    case Fn::softplus: return sig(x) * (1 - sig(x));
    case Fn::sin: return -std::sin(x);
    case Fn::cos: return -std::cos(x);
  }
  return 0;
}

// dd(a, b) = int_0^1 f'(b + s h) ds and d/da dd = int_0^1 s f''(b + s h) ds: no cancellation.
LD dd_ref(Fn f, LD a, LD b) {
  static const Gauss g(24);
  const LD h = a - b;
  if (std::fabs(h) > 2) return (f0(f, a) - f0(f, b)) / h;
  LD s = 0;
  for (std::size_t i = 0; i < g.x.size(); ++i) s += g.w[i] * f1(f, b + g.x[i] * h);
  return s;
}
LD dd_da_ref(Fn f, LD a, LD b) {
  static const Gauss g(24);
  const LD h = a - b;
  if (std::fabs(h) > 2) return (f1(f, a) - dd_ref(f, a, b)) / h;
  LD s = 0;
  for (std::size_t i = 0; i < g.x.size(); ++i) s += g.w[i] * g.x[i] * f2(f, b + g.x[i] * h);
  return s;
}

Mat random_mat(Eigen::Index r, Eigen::Index c, std::uint64_t index, double scale = 1.0) {
  return test::gaussian_mat(r, c, 11, RngStream::init_weights, index, scale);
}

// A scalar-per-sample energy H(x) [B, 1] on a tape, with parameters as leaves.
struct Net {
  std::vector<Mat> p;
  std::function<Var(Var, const std::vector<Var>&)> h;
};

// MLP n -> m -> m -> 1 with tanh, the shape of the paper's ODE energy.
Net mlp(int n, int m) {
  Net net;
  net.p = {random_mat(n, m, 1, 1.0 / std::sqrt(n)), random_mat(1, m, 2, 0.3), random_mat(m, m, 3, 1.0 / std::sqrt(m)),
           random_mat(1, m, 4, 0.3), random_mat(m, 1, 5, 1.0 / std::sqrt(m))};
  net.h = [](Var x, const std::vector<Var>& w) {
    const Var a1 = tanh(add_row(matmul(x, w[0]), w[1]));
    const Var a2 = tanh(add_row(matmul(a1, w[2]), w[3]));
    return matmul(a2, w[4]);
  };
  return net;
}

// A function using every operation discrete differentiation supports, including products of
// two state-dependent factors, row shifts (coupling samples) and reshapes; returns [1, 1].
Net mixed(int n, int m) {
  Net net;
  net.p = {random_mat(n, m, 6, 1.0 / std::sqrt(n)), random_mat(1, m, 7, 0.3), random_mat(m, m, 8, 0.2),
           random_mat(m, 1, 9, 0.5)};
  net.h = [m](Var x, const std::vector<Var>& w) {
    const Var z = add_row(matmul(x, w[0]), w[1]);  // [B, m]
    const Eigen::Index b = z.rows();
    const Var p = mul(tanh(z), sigmoid(shift_rows(z, 1)));
    const Var q = reshape(softplus(reshape(scale(z, 0.7), m, b)), b, m);
    const Var r = add(square(sin(z)), cos(add_scalar(z, 0.2)));
    const Var bil = matmul(p, r, true, false);  // [m, m], bilinear in the state
    const Var e1 = sum_all(mul(bil, w[2]));
    const Var e2 = sum_all(matmul(sub(q, bcast_rows(mean_rows(q), b)), w[3]));
    const Var e3 = sum_all(affine(p, scale(bil, 0.1), sum_rows(r)));  // bilinear with a state-dependent bias
    return add(add(e1, e3), add(e2, sum_all(square(sum_cols(x)))));
  };
  return net;
}

// The paper's PDE energy in small: periodic conv (kernel 3) 1 -> m, tanh, per-site m -> m, tanh,
// per-site m -> 1, summed over the sites of each sample; x [B, N].
Net conv_net(int m) {
  Net net;
  net.p = {random_mat(3, m, 10, 0.8), random_mat(1, m, 11, 0.3), random_mat(m, m, 12, 1.0 / std::sqrt(m)),
           random_mat(1, m, 13, 0.3), random_mat(m, 1, 14, 1.0 / std::sqrt(m))};
  net.h = [](Var x, const std::vector<Var>& w) {
    const Eigen::Index b = x.rows(), n = x.cols();
    const Var col = reshape(x, b * n, 1);  // site-major rows
    const Var a1 = tanh(add_row(matmul(neighbours(col, 3, b), w[0]), w[1]));
    const Var a2 = tanh(add_row(matmul(a1, w[2]), w[3]));
    return sum_cols(reshape(matmul(a2, w[4]), b, n));
  };
  return net;
}

std::vector<Var> leaves(Tape& t, const std::vector<Mat>& p, bool requires_grad) {
  std::vector<Var> v;
  for (const Mat& m : p) v.push_back(t.leaf(m, requires_grad));
  return v;
}

Mat grad_h(const Net& net, const Mat& x0) {
  Tape t;
  const Var x = t.leaf(x0, true);
  t.backward(net.h(x, leaves(t, net.p, false)));
  return t.grad(x).value();
}

Mat discrete_grad(const Net& net, const Mat& u0, const Mat& v0) {
  Tape t;
  const auto w = leaves(t, net.p, false);
  const Var u = t.leaf(u0), v = t.leaf(v0);
  return t.discrete_gradient(net.h(u, w), net.h(v, w), u, v).value();
}

// H(u) - H(v) = int_0^1 ∇H(v + s (u - v))·(u - v) ds, per sample (row), by composite Gauss rules;
// only ordinary gradients enter, so there is no cancellation between H values.
Vec energy_difference(const Net& net, const Mat& u, const Mat& v, bool per_row) {
  static const Gauss g(16);
  const int panels = 8;
  const Mat d = u - v;
  Vec acc = Vec::Zero(per_row ? u.rows() : 1);
  for (int k = 0; k < panels; ++k)
    for (std::size_t i = 0; i < g.x.size(); ++i) {
      const double s = static_cast<double>((k + g.x[i]) / panels);
      const Mat gr = grad_h(net, v + s * d);
      const double wt = static_cast<double>(g.w[i] / panels);
      if (per_row) acc += wt * (gr.array() * d.array()).rowwise().sum().matrix();
      else acc(0) += wt * (gr.array() * d.array()).sum();
    }
  return acc;
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("ad: divided differences and their a-derivatives are accurate for any distance") {
  const double hs[] = {0, 1e-15, -1e-15, 1e-12, 1e-9, -1e-6, 1e-4, 1e-2, 0.1249, 0.125, -0.1251, -0.3, 0.5, 0.99, 1.0, 1.01, 1.9, -2.1, 3.9, 4.1, 10};
  const double as[] = {-3.1, -0.7, 0.0, 0.4, 2.5, 6.0};
  double worst = 0;
  for (Fn f : {Fn::tanh, Fn::sigmoid, Fn::softplus, Fn::sin, Fn::cos})
    for (double a : as)
      for (double h : hs) {
        const double b = a - h;
        const LD r0 = dd_ref(f, a, b), r1 = dd_da_ref(f, a, b);
        const double e0 = static_cast<double>(std::fabs(divdiff_value(f, a, b) - r0) / std::max(std::fabs(r0), 0.05L));
        const double e1 = static_cast<double>(std::fabs(divdiff_da_value(f, a, b) - r1) / std::max(std::fabs(r1), 0.05L));
        INFO("f ", static_cast<int>(f), " a ", a, " h ", h, " dd ", static_cast<double>(r0), " dd_a ", static_cast<double>(r1));
        CHECK(e0 < 1e-14);
        CHECK(e1 < 1e-14);
        worst = std::max({worst, e0, e1});
      }
  MESSAGE("worst relative error of divided differences: ", worst);
}

TEST_CASE("ad: batched tanh divided differences equal the scalar kernels") {
  const long n = 400;
  std::vector<double> a(n), b(n), ta(n), tb(n), out(n), da(n), db(n), one(n, 1.0);
  Rng rng(3);
  for (long i = 0; i < n; ++i) {
    a[static_cast<std::size_t>(i)] = rng.uniform(-4, 4);
    b[static_cast<std::size_t>(i)] = a[static_cast<std::size_t>(i)] - rng.normal() * std::pow(10.0, -static_cast<double>(i % 17));
    ta[static_cast<std::size_t>(i)] = std::tanh(a[static_cast<std::size_t>(i)]);
    tb[static_cast<std::size_t>(i)] = std::tanh(b[static_cast<std::size_t>(i)]);
  }
  detail::dd_tanh_batch(a.data(), b.data(), ta.data(), tb.data(), out.data(), n);
  detail::dd_tanh_partials_batch(a.data(), b.data(), ta.data(), tb.data(), one.data(), da.data(), db.data(), n);
  // Equal up to rounding (the batched kernels may be built with fused multiply-adds).
  auto close = [](double x, double ref) { return std::abs(x - ref) <= 1e-15 * std::abs(ref) + 4e-16; };
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    CHECK(close(out[i], detail::dd_tanh(a[i], b[i], ta[i], tb[i])));
    CHECK(close(da[i], detail::dd_tanh_da(a[i], b[i], ta[i], tb[i])));
    CHECK(close(db[i], detail::dd_tanh_da(b[i], a[i], tb[i], ta[i])));
  }
}

TEST_CASE("ad: the fast tanh is within a few ulps of tanh") {
  double worst = 0;
  for (int i = -200000; i <= 200000; ++i) {
    const double x = i * 1.3e-4 + 1e-9;
    const LD ref = std::tanh(static_cast<LD>(x));
    const double ulps = static_cast<double>(std::fabs(detail::tanh(x) - ref) / std::fabs(ref)) / 1.1102230246251565e-16;
    worst = std::max(worst, ulps);
  }
  for (double x : {0.0, 1e-300, -1e-20, 19.99, 20.0, 25.0, -800.0}) CHECK(std::abs(detail::tanh(x) - std::tanh(x)) <= 2e-16 * std::abs(std::tanh(x)));
  MESSAGE("fast tanh: worst error ", worst, " units of 2^-53 relative");
  CHECK(worst <= 8);
  // The vectorised batch version.
  std::vector<double> xs;
  for (int i = -300000; i <= 300000; ++i) xs.push_back(i * 1.1e-4 + 3e-10);
  for (double x : {0.0, -0.0, 1e-300, 0.125, -0.125, 0.12500000000000003, 19.99, 20.0, 25.0, -800.0, 1e308}) xs.push_back(x);
  std::vector<double> ys(xs.size(), 0.0);
  detail::tanh_batch(xs.data(), ys.data(), static_cast<long>(xs.size()));
  double worst_batch = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const LD ref = std::tanh(static_cast<LD>(xs[i]));
    if (ref == 0) {
      CHECK(ys[i] == 0.0);
      continue;
    }
    worst_batch = std::max(worst_batch, static_cast<double>(std::fabs(ys[i] - ref) / std::fabs(ref)) / 1.1102230246251565e-16);
  }
  MESSAGE("batched tanh: worst error ", worst_batch, " units of 2^-53 relative");
  CHECK(worst_batch <= 8);
  double nan_in = std::nan(""), nan_out = 0;
  detail::tanh_batch(&nan_in, &nan_out, 1);
  CHECK(std::isnan(nan_out));
}

TEST_CASE("ad: discrete gradient identity holds for distances from 1e-15 to 1") {
  const int b = 6, n = 4;
  const Net nets[] = {mlp(n, 24), mixed(n, 5), conv_net(7)};
  for (int which = 0; which < 3; ++which) {
    const Net& net = nets[which];
    const bool per_row = which != 1;
    const Mat u = random_mat(b, n, 30);
    double worst = 0;
    for (int k = 0; k <= 15; ++k) {
      const Mat v = u - std::pow(10.0, -k) * random_mat(b, n, 31 + static_cast<std::uint64_t>(k));
      const Mat d = u - v;
      const Mat dg = discrete_grad(net, u, v);
      const Vec ref = energy_difference(net, u, v, per_row);
      const Mat terms = dg.array() * d.array();
      const Vec lhs = per_row ? Vec(terms.rowwise().sum()) : Vec::Constant(1, terms.sum());
      const Vec scale = per_row ? Vec(terms.cwiseAbs().rowwise().sum()) : Vec::Constant(1, terms.cwiseAbs().sum());
      for (Eigen::Index i = 0; i < lhs.size(); ++i) {
        const double rel = std::abs(lhs(i) - ref(i)) / scale(i);
        INFO("network ", which, " |u - v| ~ 1e-", k, " sample ", i);
        CHECK(rel <= 1e-12);
        worst = std::max(worst, rel);
      }
      // Symmetric in (u, v).
      const Mat dg_swapped = discrete_grad(net, v, u);
      CHECK((dg_swapped - dg).cwiseAbs().maxCoeff() <= 1e-15 * (1 + dg.cwiseAbs().maxCoeff()));
    }
    MESSAGE("network ", which, ": worst relative error of H(u) - H(v) = dg·(u - v): ", worst);
    // At u = v it is the gradient.
    const Mat dg = discrete_grad(net, u, u);
    const Mat g = grad_h(net, u);
    CHECK((dg - g).cwiseAbs().maxCoeff() <= 1e-15 * (1 + g.cwiseAbs().maxCoeff()));
  }
}

TEST_CASE("ad: loss of a discrete gradient differentiates correctly with respect to weights") {
  const Net net = mlp(3, 7);
  const Mat u = random_mat(4, 3, 40);
  const Mat c = random_mat(4, 3, 41);
  for (double dist : {0.0, 1e-9, 1e-3, 0.5}) {
    const Mat v = u - dist * random_mat(4, 3, 42);
    // L(θ) = sum(c .* ∇̄H_θ(u, v)^2)
    auto loss = [&](const std::vector<Mat>& p, std::vector<Mat>* grads) {
      Tape t;
      const auto w = leaves(t, p, grads != nullptr);
      const Var uu = t.leaf(u), vv = t.leaf(v);
      const Var dg = t.discrete_gradient(net.h(uu, w), net.h(vv, w), uu, vv);
      const Var l = sum_all(mul(square(dg), t.leaf(c)));
      if (grads) {
        t.backward(l);
        for (const Var& wi : w) grads->push_back(t.grad(wi).value());
      }
      return l.value()(0, 0);
    };
    std::vector<Mat> g;
    loss(net.p, &g);
    for (std::size_t i = 0; i < net.p.size(); ++i) {
      const Mat& p0 = net.p[i];
      Mat fd(p0.rows(), p0.cols());
      for (Eigen::Index j = 0; j < p0.size(); ++j) {
        std::vector<Mat> pp = net.p, pm = net.p;
        pp[i].data()[j] += 1e-6;
        pm[i].data()[j] -= 1e-6;
        fd.data()[j] = (loss(pp, nullptr) - loss(pm, nullptr)) / 2e-6;
      }
      INFO("distance ", dist, " parameter ", i);
      CHECK((g[i] - fd).cwiseAbs().maxCoeff() <= 1e-7 * std::max(1.0, fd.cwiseAbs().maxCoeff()));
    }
  }
}

TEST_CASE("ad: tanh divided difference is accurate on both sides of its series branch") {
  // tanh(h)/h comes from a series for |h| < 0.25 and from tanh otherwise; b = 0 isolates it.
  double worst = 0.0;
  for (int i = -3000; i <= 3000; ++i) {
    const double h = 1e-4 * i;
    const double v = dgsim::ad::divdiff_value(dgsim::ad::Fn::tanh, h, 0.0);
    const long double ref = h == 0.0 ? 1.0L : std::tanh(static_cast<long double>(h)) / static_cast<long double>(h);
    worst = std::max(worst, static_cast<double>(std::abs((v - ref) / ref)));
  }
  CHECK(worst < 5e-16);
}

TEST_SUITE_END();
