#pragma once
// Test problems with exact or published reference solutions, shared by the ode tests.

#include <cmath>

#include "lib/ode/stepper.hpp"

namespace dgsim::ode::test {

// Harmonic oscillator q' = p, p' = -q, state (q, p); exact: rotation by angle t.
inline void oscillator(double /*t*/, const Vec& y, Vec& dydt) {
  dydt[0] = y[1];
  dydt[1] = -y[0];
}
inline Vec oscillator_exact(const Vec& y0, double t) {
  Vec y(2);
  y << y0[0] * std::cos(t) + y0[1] * std::sin(t), -y0[0] * std::sin(t) + y0[1] * std::cos(t);
  return y;
}

// Restricted three-body problem (Arenstorf orbit), state (x, y, x', y'); Hairer, Nørsett &
// Wanner, Solving ODEs I, eq. (II.0.1). The orbit below is periodic with period arenstorf_period.
constexpr double arenstorf_mu = 0.012277471;
constexpr double arenstorf_period = 17.0652165601579625588917206249;
inline Vec arenstorf_y0() {
  Vec y(4);
  y << 0.994, 0.0, 0.0, -2.00158510637908252240537862224;
  return y;
}
inline void arenstorf(double /*t*/, const Vec& y, Vec& dydt) {
  const double mu = arenstorf_mu;
  const double mu1 = 1.0 - mu;
  const double r1 = (y[0] + mu) * (y[0] + mu) + y[1] * y[1];
  const double r2 = (y[0] - mu1) * (y[0] - mu1) + y[1] * y[1];
  const double d1 = r1 * std::sqrt(r1);
  const double d2 = r2 * std::sqrt(r2);
  dydt[0] = y[2];
  dydt[1] = y[3];
  dydt[2] = y[0] + 2.0 * y[3] - mu1 * (y[0] + mu) / d1 - mu * (y[0] - mu1) / d2;
  dydt[3] = y[1] - 2.0 * y[2] - mu1 * y[1] / d1 - mu * y[1] / d2;
}

// Kepler problem, GM = 1, state (x, y, vx, vy): started at pericentre of an orbit with
// semi-major axis 1 and eccentricity e, so the period is 2 pi.
inline void kepler(double /*t*/, const Vec& y, Vec& dydt) {
  const double r2 = y[0] * y[0] + y[1] * y[1];
  const double r3 = r2 * std::sqrt(r2);
  dydt[0] = y[2];
  dydt[1] = y[3];
  dydt[2] = -y[0] / r3;
  dydt[3] = -y[1] / r3;
}
inline Vec kepler_y0(double e) {
  Vec y(4);
  y << 1.0 - e, 0.0, 0.0, std::sqrt((1.0 + e) / (1.0 - e));
  return y;
}
// Exact state at time t from Kepler's equation E - e sin E = t, solved by Newton.
inline Vec kepler_exact(double e, double t) {
  const double m = std::remainder(t, 2.0 * M_PI);
  double big_e = m + e * std::sin(m);
  for (int it = 0; it < 50; ++it) {
    const double step = (big_e - e * std::sin(big_e) - m) / (1.0 - e * std::cos(big_e));
    big_e -= step;
    if (std::abs(step) < 1e-16) break;
  }
  const double c = std::cos(big_e);
  const double s = std::sin(big_e);
  const double b = std::sqrt(1.0 - e * e);
  const double rdot_den = 1.0 - e * c;
  Vec y(4);
  y << c - e, b * s, -s / rdot_den, b * c / rdot_den;
  return y;
}

}  // namespace dgsim::ode::test
