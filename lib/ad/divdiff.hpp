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

double fn_value(Fn f, double x);
double tanh(double x);  // within a few ulps of tanh, faster than std::tanh

}  // namespace dgsim::ad::detail
