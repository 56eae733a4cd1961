#pragma once
// Hairer's starting step-size selection (HINIT of DOPRI5 and DOP853; Hairer, Nørsett &
// Wanner, Solving ODEs I, Sec. II.4): an explicit Euler step of size h0 = 0.01 |y|/|f| gives
// an estimate of the second derivative, and the step is chosen so that
// h^order * max(|f|, |y''|) = 0.01, limited to 100 h0 and dt_max.

#include "lib/ode/stepper.hpp"

namespace dgsim::ode::detail {

// f0 = f(t, y), already evaluated. Evaluates f once more (at t + h0) into f1, using y1 as
// work; both are sized like y. Norms are scaled by sk = atol + rtol |y_i| and, as in Hairer's
// code, not divided by the dimension. dt_max = 0 means |t_end - t|. Returns a step signed like
// t_end - t.
double hairer_initial_step(const Rhs& f, double t, const Vec& y, double t_end, const Vec& f0,
                           int order, double dt_max, const Tolerances& tol, Vec& y1, Vec& f1);

}  // namespace dgsim::ode::detail
