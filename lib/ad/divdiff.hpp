#pragma once
// Scalar kernels of the divided differences used by automatic discrete differentiation
// (DGNet paper, Eq. 10): dd(a, b) = (f(a) - f(b)) / (a - b), = f'(a) at a = b, and its partial
// derivative d/da dd(a, b) (needed to differentiate a discrete gradient with respect to the
// weights). Each is written in a form without catastrophic cancellation, so it keeps its
// accuracy for any a - b, from 0 through 1e-15 to large; there is no threshold below which
// a different, less accurate formula takes over. fa, fb are f(a), f(b), passed in because the
// forward pass has already computed them.

#include "lib/ad/tape.hpp"

namespace dgsim::ad::detail {

double dd_tanh(double a, double b, double ta, double tb);
double dd_tanh_da(double a, double b, double ta, double tb);
double dd_sigmoid(double a, double b, double sa, double sb);
double dd_sigmoid_da(double a, double b, double sa, double sb);
double dd_softplus(double a, double b);
double dd_softplus_da(double a, double b);
double dd_sin(double a, double b);
double dd_sin_da(double a, double b);
double dd_cos(double a, double b);
double dd_cos_da(double a, double b);

// Batched tanh kernels over n entries: out = dd; da, db = g .* d/da dd, g .* d/db dd. One vectorisable
// pass uses the small-|a - b| series for every entry, a second pass redoes the few entries
// with |a - b| > 1/8 with the closed forms.
void dd_tanh_batch(const double* a, const double* b, const double* ta, const double* tb, double* __restrict out, long n);
void dd_tanh_partials_batch(const double* a, const double* b, const double* ta, const double* tb, const double* g,
                            double* __restrict da, double* __restrict db, long n);

// Any f: dd(a, b) and d/da dd(a, b), given fa = f(a), fb = f(b).
double dd(Fn f, double a, double b, double fa, double fb);
double dd_da(Fn f, double a, double b, double fa, double fb);

double fn_value(Fn f, double x);
double tanh(double x);  // within a few ulps of tanh, faster than std::tanh
void tanh_batch(const double* x, double* out, long n);  // the same, vectorised; out = tanh(x)

}  // namespace dgsim::ad::detail
