#include "lib/ode/butcher.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lib/core/error.hpp"
#include "lib/ode/dop853_coefficients.hpp"

namespace dgsim::ode {
namespace {

ButcherTableau make_euler() {
  ButcherTableau t;
  t.name = "euler";
  t.order = 1;
  t.a = Mat::Zero(1, 1);
  t.b = Vec::Ones(1);
  t.c = Vec::Zero(1);
  return t;
}

ButcherTableau make_rk2() {
  ButcherTableau t;
  t.name = "rk2";
  t.order = 2;
  t.a = Mat::Zero(2, 2);
  t.a(1, 0) = 0.5;
  t.b = Vec(2);
  t.b << 0.0, 1.0;
  t.c = Vec(2);
  t.c << 0.0, 0.5;
  return t;
}

ButcherTableau make_rk4() {
  ButcherTableau t;
  t.name = "rk4";
  t.order = 4;
  t.a = Mat::Zero(4, 4);
  t.a(1, 0) = 0.5;
  t.a(2, 1) = 0.5;
  t.a(3, 2) = 1.0;
  t.b = Vec(4);
  t.b << 1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0;
  t.c = Vec(4);
  t.c << 0.0, 0.5, 0.5, 1.0;
  return t;
}

ButcherTableau make_dopri5() {
  ButcherTableau t;
  t.name = "dopri5";
  t.order = 5;
  t.embedded_order = 4;
  t.fsal = true;
  t.a = Mat::Zero(7, 7);
  t.a(1, 0) = 1.0 / 5.0;
  t.a.row(2).head(2) << 3.0 / 40.0, 9.0 / 40.0;
  t.a.row(3).head(3) << 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0;
  t.a.row(4).head(4) << 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0;
  t.a.row(5).head(5) << 9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0,
      -5103.0 / 18656.0;
  t.a.row(6).head(6) << 35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0,
      11.0 / 84.0;
  t.b = t.a.row(6).transpose();
  t.b_hat = Vec(7);
  t.b_hat << 5179.0 / 57600.0, 0.0, 7571.0 / 16695.0, 393.0 / 640.0, -92097.0 / 339200.0,
      187.0 / 2100.0, 1.0 / 40.0;
  t.c = Vec(7);
  t.c << 0.0, 0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0;
  return t;
}

ButcherTableau make_dop853() {
  namespace k = detail::dop853;
  ButcherTableau t;
  t.name = "dop853";
  t.order = 8;
  const int s = k::n_stages;
  t.a = Mat::Zero(s, s);
  t.b = Vec(s);
  t.c = Vec(s);
  for (int i = 0; i < s; ++i) {
    for (int j = 0; j < i; ++j) t.a(i, j) = k::a[i][j];
    t.b(i) = k::b[i];
    t.c(i) = k::c[i];
  }
  return t;
}

}  // namespace

const std::vector<std::string>& tableau_names() {
  static const std::vector<std::string> names = {"euler", "rk2", "rk4", "dopri5", "dop853"};
  return names;
}

const ButcherTableau& tableau(const std::string& name) {
  // Built once on first use (thread-safe static initialisation).
  static const std::vector<ButcherTableau> tables = {make_euler(), make_rk2(), make_rk4(),
                                                     make_dopri5(), make_dop853()};
  for (const auto& t : tables) {
    if (t.name == name) return t;
  }
  throw ConfigError(fmt::format("unknown Butcher tableau '{}' (known: {})", name,
                                fmt::join(tableau_names(), ", ")));
}

}  // namespace dgsim::ode
