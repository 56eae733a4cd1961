#include "lib/ad/divdiff.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace dgsim::ad::detail {
namespace {

constexpr double pi = 3.14159265358979323846;

// T(h) = tanh(h) / h = sum_k c_k h^(2k) and its derivative T'(h), for |h| <= 1/8: the series
// (radius pi/2) has terms below (0.0064)^k there, so nine terms give full double precision and
// the switch to the closed forms below loses nothing. Consecutive states and Newton iterates
// make most arguments tiny, so this polynomial is the common path and tanh(h) is rarely called.
constexpr double tanhc_small = 0.125;
constexpr double tanhc_coef[9] = {1.0,
                                  -1.0 / 3.0,
                                  2.0 / 15.0,
                                  -17.0 / 315.0,
                                  62.0 / 2835.0,
                                  -1382.0 / 155925.0,
                                  21844.0 / 6081075.0,
                                  -929569.0 / 638512875.0,
                                  6404582.0 / 10854718875.0};

// Written out (not as loops over the coefficients) so the batched loops vectorise.
constexpr double c0 = tanhc_coef[0], c1 = tanhc_coef[1], c2 = tanhc_coef[2], c3 = tanhc_coef[3],
                 c4 = tanhc_coef[4], c5 = tanhc_coef[5], c6 = tanhc_coef[6], c7 = tanhc_coef[7],
                 c8 = tanhc_coef[8];

inline double tanhc_series(double y) {  // y = h^2
  return c0 + y * (c1 + y * (c2 + y * (c3 + y * (c4 + y * (c5 + y * (c6 + y * (c7 + y * c8)))))));
}

inline double tanhc_deriv_series(double h, double y) {  // sum_k 2k c_k h^(2k-1)
  return h * (2 * c1 + y * (4 * c2 + y * (6 * c3 + y * (8 * c4 + y * (10 * c5 + y * (12 * c6 + y * (14 * c7 + y * 16 * c8)))))));
}

}  // namespace

// tanh within a few ulps, several times faster than std::tanh: the series above where
// |x| <= 1/8, else (1 - e)/(1 + e) with e = exp(-2|x|) < 0.78, where 1 - e loses < 2 bits.
double tanh(double x) {
  const double ax = std::abs(x);
  if (ax <= tanhc_small) return x * tanhc_series(x * x);
  if (ax >= 20.0) return std::copysign(1.0, x);  // 1 - tanh(20) < 1e-17
  const double e = std::exp(-2.0 * ax);
  return std::copysign((1.0 - e) / (1.0 + e), x);
}

namespace {

// exp(y) for y in [-40, 0], branch-free so that loops over it vectorise: y = k ln2 + r with
// |r| <= ln2/2 (ln2 split in two so k ln2_hi is exact), exp(r) by its Taylor polynomial to
// degree 13 (truncation < 1e-17 relative), times 2^k assembled in the exponent bits.
inline double exp_neg(double y) {
  constexpr double log2e = 1.4426950408889634, ln2_hi = 0.693145751953125, ln2_lo = 1.4286068203094173e-06;
  constexpr double shifter = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  const double kd = y * log2e + shifter;
  const double k = kd - shifter;
  const double r = (y - k * ln2_hi) - k * ln2_lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  std::int64_t kbits, sbits;
  std::memcpy(&kbits, &kd, sizeof kd);
  std::memcpy(&sbits, &shifter, sizeof shifter);
  const std::int64_t scale_bits = (kbits - sbits + 1023) << 52;  // 2^k
  double scale;
  std::memcpy(&scale, &scale_bits, sizeof scale);
  return p * scale;
}

}  // namespace

// The batched kernels are built for AVX-512, AVX2 and the baseline, chosen at run time: they
// are most of the non-GEMM work of a training step and the vector units make them 4-8x
// faster, while the binary stays portable.
#if defined(__x86_64__) && defined(__GNUC__)
#define DGSIM_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DGSIM_VECTOR_CLONES
#endif

DGSIM_VECTOR_CLONES void tanh_batch(const double* x, double* __restrict out, long n) {
  for (long i = 0; i < n; ++i) {
    const double ax = std::abs(x[i]);
    const double small = x[i] * tanhc_series(x[i] * x[i]);
    const double e = exp_neg(-2.0 * std::min(ax, 20.0));
    const double large = std::copysign((1.0 - e) / (1.0 + e), x[i]);
    out[i] = ax <= tanhc_small ? small : large;
  }
  // NaN propagates through `large`; |x| >= 20 gives 1 - e = 1 exactly (e < 5e-18).
}

namespace {

// tanh(h) / h for any h: exact at 0; elsewhere tanh and the division are relatively accurate.
double tanhc(double h) {
  if (std::abs(h) <= tanhc_small) return tanhc_series(h * h);
  return detail::tanh(h) / h;
}

// R(y) = sum_{k>=1} y^(k-1) / (2k+1)!, so that sinh x - x = x^3 R(x^2). Used for y <= 4,
// where 13 terms reach full precision (the next term is below 1e-19 relative).
double sinh_minus_x_over_cube(double y) {
  static constexpr std::array<double, 13> c = [] {
    std::array<double, 13> r{};
    double f = 6.0;  // 3!
    for (int k = 1; k <= 13; ++k) {
      r[static_cast<std::size_t>(k - 1)] = 1.0 / f;
      f *= (2.0 * k + 2.0) * (2.0 * k + 3.0);
    }
    return r;
  }();
  double s = c[12];
  for (int k = 11; k >= 0; --k) s = s * y + c[static_cast<std::size_t>(k)];
  return s;
}

// T(h) and T'(h) together. For 1/8 < |h| < 1 the direct (h sech^2 h - tanh h) / h^2 cancels,
// so T' uses (2h - sinh 2h) / (2 h^2 cosh^2 h) with sinh x - x from its series (terms of one
// sign); for |h| >= 1 the direct form loses at most a factor 4.
void tanhc_and_deriv(double h, double& t, double& dt) {
  if (std::abs(h) <= tanhc_small) {
    const double y = h * h;
    t = tanhc_series(y);
    dt = tanhc_deriv_series(h, y);
    return;
  }
  const double th = detail::tanh(h);
  const double sech2 = 1.0 - th * th;
  t = th / h;
  if (std::abs(h) < 1.0) dt = -4.0 * h * sinh_minus_x_over_cube(4.0 * h * h) * sech2;
  else dt = (sech2 * h - th) / (h * h);
}

double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

double sigmoid_deriv(double x) {
  const double e = std::exp(-std::abs(x));
  return e / ((1.0 + e) * (1.0 + e));
}

double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

// sin(x) / x and its derivative; the series (alternating, |x| < 1, terms falling by > 20x)
// replaces (x cos x - sin x) / x^2 where that cancels.
double sinc(double x) { return x == 0.0 ? 1.0 : std::sin(x) / x; }

double sinc_deriv(double x) {
  if (std::abs(x) >= 1.0) return (x * std::cos(x) - std::sin(x)) / (x * x);
  // sum_{k>=1} (-1)^k 2k x^(2k-1) / (2k+1)!, 11 terms.
  const double y = x * x;
  double s = 0.0;
  double f = 1.0;
  for (int k = 1; k <= 11; ++k) f *= (2.0 * k) * (2.0 * k + 1.0);
  for (int k = 11; k >= 1; --k) {
    const double term = (k % 2 ? -1.0 : 1.0) * (2.0 * k) / f;
    s = s * y + term;
    f /= (2.0 * k) * (2.0 * k + 1.0);
  }
  return x * s;
}

// 16-point Gauss-Legendre rule on [0, 1].
struct Gauss16 {
  std::array<double, 16> x{}, w{};
  Gauss16() {
    const int n = 16;
    for (int i = 0; i < n; ++i) {
      double z = std::cos(pi * (i + 0.75) / (n + 0.5));
      double dp = 0.0;
      for (int it = 0; it < 100; ++it) {
        double p0 = 1.0, p1 = z;
        for (int k = 2; k <= n; ++k) {
          const double p2 = ((2.0 * k - 1.0) * z * p1 - (k - 1.0) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = n * (z * p1 - p0) / (z * z - 1.0);
        const double dz = p1 / dp;
        z -= dz;
        if (std::abs(dz) < 1e-16) break;
      }
      x[static_cast<std::size_t>(i)] = 0.5 * (1.0 + z);
      w[static_cast<std::size_t>(i)] = 1.0 / ((1.0 - z * z) * dp * dp);
    }
  }
};

}  // namespace

double dd_tanh(double a, double b, double ta, double tb) {
  // tanh a - tanh b = tanh(a - b) (1 - tanh a tanh b): no difference of close numbers.
  return tanhc(a - b) * (1.0 - ta * tb);
}

double dd_tanh_da(double a, double b, double ta, double tb) {
  // d/da [T(h) (1 - ta tb)] with T(h) = tanh(h)/h, h = a - b, d ta/da = 1 - ta^2.
  double t, dt;
  tanhc_and_deriv(a - b, t, dt);
  return dt * (1.0 - ta * tb) - t * (1.0 - ta * ta) * tb;
}

DGSIM_VECTOR_CLONES void dd_tanh_batch(const double* a, const double* b, const double* ta, const double* tb,
                                       double* __restrict out, long n) {
  for (long i = 0; i < n; ++i) {
    const double h = a[i] - b[i];
    out[i] = tanhc_series(h * h) * (1.0 - ta[i] * tb[i]);
  }
  for (long i = 0; i < n; ++i)
    if (!(std::abs(a[i] - b[i]) <= tanhc_small)) out[i] = dd_tanh(a[i], b[i], ta[i], tb[i]);
}

DGSIM_VECTOR_CLONES void dd_tanh_partials_batch(const double* a, const double* b, const double* ta, const double* tb,
                                                const double* g, double* __restrict da, double* __restrict db, long n) {
  for (long i = 0; i < n; ++i) {
    const double h = a[i] - b[i], y = h * h;
    const double t = tanhc_series(y), dt = tanhc_deriv_series(h, y);
    const double c = dt * (1.0 - ta[i] * tb[i]);
    da[i] = g[i] * (c - t * (1.0 - ta[i] * ta[i]) * tb[i]);
    db[i] = g[i] * (-c - t * (1.0 - tb[i] * tb[i]) * ta[i]);
  }
  for (long i = 0; i < n; ++i)
    if (!(std::abs(a[i] - b[i]) <= tanhc_small)) {
      da[i] = g[i] * dd_tanh_da(a[i], b[i], ta[i], tb[i]);
      db[i] = g[i] * dd_tanh_da(b[i], a[i], tb[i], ta[i]);
    }
}

// sigmoid(x) = (1 + tanh(x/2)) / 2.
double dd_sigmoid(double a, double b, double sa, double sb) {
  return 0.25 * dd_tanh(0.5 * a, 0.5 * b, 2.0 * sa - 1.0, 2.0 * sb - 1.0);
}

double dd_sigmoid_da(double a, double b, double sa, double sb) {
  return 0.125 * dd_tanh_da(0.5 * a, 0.5 * b, 2.0 * sa - 1.0, 2.0 * sb - 1.0);
}

double dd_softplus(double a, double b) {
  const double lo = std::min(a, b), hi = std::max(a, b), h = hi - lo;
  if (h == 0.0) return sigmoid(a);
  // softplus(hi) - softplus(lo) = log1p(sigmoid(lo) expm1(h)), an argument >= 0.
  if (h <= 30.0) return std::log1p(sigmoid(lo) * std::expm1(h)) / h;
  return (softplus(hi) - softplus(lo)) / h;
}

double dd_softplus_da(double a, double b) {
  // d/da dd = integral_0^1 s sigmoid'(b + s h) ds. sigmoid' is analytic in a strip of half
  // width pi, so for |h| <= 4 sixteen Gauss points reach full precision; beyond, the direct
  // (sigmoid(a) - dd) / h no longer cancels.
  const double h = a - b;
  if (std::abs(h) > 4.0) return (sigmoid(a) - dd_softplus(a, b)) / h;
  static const Gauss16 g;
  double s = 0.0;
  for (std::size_t i = 0; i < 16; ++i) s += g.w[i] * g.x[i] * sigmoid_deriv(b + g.x[i] * h);
  return s;
}

// sin a - sin b = 2 cos(m) sin(h/2), m = (a + b)/2.
double dd_sin(double a, double b) {
  const double m = 0.5 * a + 0.5 * b, h = a - b;
  return std::cos(m) * sinc(0.5 * h);
}

double dd_sin_da(double a, double b) {
  const double m = 0.5 * a + 0.5 * b, h = a - b;
  return 0.5 * (-std::sin(m) * sinc(0.5 * h) + std::cos(m) * sinc_deriv(0.5 * h));
}

// cos a - cos b = -2 sin(m) sin(h/2).
double dd_cos(double a, double b) {
  const double m = 0.5 * a + 0.5 * b, h = a - b;
  return -std::sin(m) * sinc(0.5 * h);
}

double dd_cos_da(double a, double b) {
  const double m = 0.5 * a + 0.5 * b, h = a - b;
  return -0.5 * (std::cos(m) * sinc(0.5 * h) + std::sin(m) * sinc_deriv(0.5 * h));
}

double dd(Fn f, double a, double b, double fa, double fb) {
  switch (f) {
    case Fn::tanh: return dd_tanh(a, b, fa, fb);
    case Fn::sigmoid: return dd_sigmoid(a, b, fa, fb);
    case Fn::softplus: return dd_softplus(a, b);
    case Fn::sin: return dd_sin(a, b);
    case Fn::cos: return dd_cos(a, b);
  }
  return 0.0;
}

double dd_da(Fn f, double a, double b, double fa, double fb) {
  switch (f) {
    case Fn::tanh: return dd_tanh_da(a, b, fa, fb);
    case Fn::sigmoid: return dd_sigmoid_da(a, b, fa, fb);
    case Fn::softplus: return dd_softplus_da(a, b);
    case Fn::sin: return dd_sin_da(a, b);
    case Fn::cos: return dd_cos_da(a, b);
  }
  return 0.0;
}

double fn_value(Fn f, double x) {
  switch (f) {
    case Fn::tanh: return detail::tanh(x);
    case Fn::sigmoid: return sigmoid(x);
    case Fn::softplus: return softplus(x);
    case Fn::sin: return std::sin(x);
    case Fn::cos: return std::cos(x);
  }
  return 0.0;
}

}  // namespace dgsim::ad::detail

namespace dgsim::ad {

double divdiff_value(Fn f, double a, double b) {
  return detail::dd(f, a, b, detail::fn_value(f, a), detail::fn_value(f, b));
}

double divdiff_da_value(Fn f, double a, double b) {
  return detail::dd_da(f, a, b, detail::fn_value(f, a), detail::fn_value(f, b));
}

}  // namespace dgsim::ad
