#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>

#include "lib/core/error.hpp"
#include "lib/ode/discrete_gradient.hpp"

using dgsim::Mat;
using dgsim::NumericalError;
using dgsim::Vec;
using dgsim::ode::DiscreteGradientOptions;
using dgsim::ode::DiscreteGradientProblem;
using dgsim::ode::DiscreteGradientStepper;
using dgsim::ode::SparseMat;

namespace {

// H = ½ uᵀ A u with the midpoint discrete gradient A (u + v)/2: the DG step is then the
// implicit midpoint rule, whose one-step map is the Cayley transform
//   u' = (I - Δt/2 G A)⁻¹ (I + Δt/2 G A) u.
class Quadratic final : public DiscreteGradientProblem {
 public:
  Quadratic() : A_(3, 3), Gd_(3, 3) {
    A_ << 2.0, 0.5, 0.0, 0.5, 1.0, 0.2, 0.0, 0.2, 3.0;
    Gd_ << 0.0, 1.0, -0.5, -1.0, 0.0, 2.0, 0.5, -2.0, 0.0;
    G_ = Gd_.sparseView();
  }
  int dim() const override { return 3; }
  void discrete_gradient(const Vec& v, const Vec& u, Vec& out) override { out = 0.5 * A_ * (u + v); }
  void discrete_gradient_jacobian(const Vec&, const Vec&, SparseMat& jac) override {
    jac = (0.5 * A_).sparseView();
  }
  const SparseMat& G() const override { return G_; }
  Mat A_, Gd_;
  SparseMat G_;
};

// H = Σ u⁴/4 with AVF ∇̄H_i = (u³ + u²v + uv² + v³)/4, G = [[0, 1], [-1, 0]]; nonlinear.
class Quartic final : public DiscreteGradientProblem {
 public:
  Quartic() : G_(2, 2) {
    G_.insert(0, 1) = 1.0;
    G_.insert(1, 0) = -1.0;
  }
  int dim() const override { return 2; }
  void discrete_gradient(const Vec& v, const Vec& u, Vec& out) override {
    out = 0.25 * (u.array() + v.array()) * (u.array().square() + v.array().square());
    if (poison) out[0] = std::nan("");
  }
  void discrete_gradient_jacobian(const Vec& v, const Vec& u, SparseMat& jac) override {
    const Vec d = 0.25 * (u.array().square() + 2.0 * u.array() * v.array() + 3.0 * v.array().square());
    jac = Mat(d.asDiagonal()).sparseView();
  }
  const SparseMat& G() const override { return G_; }
  static double energy(const Vec& u) { return 0.25 * u.array().pow(4).sum(); }
  SparseMat G_;
  bool poison = false;
};

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("dg stepper: a quadratic energy gives exactly the Cayley map") {
  Quadratic p;
  DiscreteGradientStepper stepper(p);
  Vec u(3);
  u << 0.3, -1.0, 0.7;
  const double dt = 0.1;
  const Mat I = Mat::Identity(3, 3);
  const Mat cayley = (I - 0.5 * dt * p.Gd_ * p.A_).lu().solve(I + 0.5 * dt * p.Gd_ * p.A_);
  Vec ref = u;
  for (int n = 0; n < 50; ++n) {
    stepper.step(n * dt, u, dt);
    ref = cayley * ref;
  }
  CHECK((u - ref).lpNorm<Eigen::Infinity>() < 1e-13);
  CHECK(stepper.stats().n_steps == 50);
  CHECK(stepper.stats().n_newton >= 50);
  CHECK(stepper.n_analyses() == 1);
}

TEST_CASE("dg stepper: every initial guess conserves H of a nonlinear problem") {
  for (auto guess : {DiscreteGradientOptions::Guess::explicit_euler, DiscreteGradientOptions::Guess::previous_increment,
                     DiscreteGradientOptions::Guess::extrapolated}) {
    Quartic p;
    DiscreteGradientOptions opt;
    opt.guess = guess;
    DiscreteGradientStepper stepper(p, opt);
    Vec u(2);
    u << 1.0, 0.2;
    const double h0 = Quartic::energy(u);
    double drift = 0.0;
    for (int n = 0; n < 2000; ++n) {
      stepper.step(n * 0.05, u, 0.05);
      drift = std::max(drift, std::abs(Quartic::energy(u) - h0));
    }
    CHECK(drift < 1e-13);
    CHECK(stepper.stats().max_residual < 1e-10);
  }
}

TEST_CASE("dg stepper: Newton failure and non-finite states throw NumericalError with the step") {
  Quartic p;
  DiscreteGradientOptions opt;
  opt.tol = 1e-30;  // unreachable
  opt.max_iter = 5;
  DiscreteGradientStepper stepper(p, opt);
  Vec u(2);
  u << 1.0, 0.2;
  const Vec u_before = u;
  try {
    stepper.step(0.25, u, 0.05);
    FAIL("no exception");
  } catch (const NumericalError& e) {
    CHECK(e.t() == 0.25);
    CHECK(e.dt() == 0.05);
    CHECK(e.step() == 0);
  }
  CHECK(u == u_before);

  Quartic bad;
  bad.poison = true;
  DiscreteGradientStepper s2(bad);
  CHECK_THROWS_AS(s2.step(0.0, u, 0.05), NumericalError);
  Vec nan_state = Vec::Constant(2, std::nan(""));
  DiscreteGradientStepper s3(p);
  CHECK_THROWS_AS(s3.step(0.0, nan_state, 0.05), NumericalError);
}

TEST_CASE("dg driver: output times and substeps") {
  Quadratic p;
  DiscreteGradientStepper stepper(p);
  Vec u0(3);
  u0 << 0.3, -1.0, 0.7;
  const std::vector<double> times = {0.0, 0.2, 0.4, 1.0};
  const Mat ys = dgsim::ode::integrate_dg_times(stepper, u0, times, 2);
  CHECK(ys.rows() == 4);
  CHECK(ys.cols() == 3);
  CHECK(ys.row(0).transpose() == u0);
  CHECK(stepper.stats().n_steps == 6);
  // Same as stepping by hand.
  Vec u = u0;
  DiscreteGradientStepper manual(p);
  manual.step(0.0, u, 0.1);
  manual.step(0.1, u, 0.1);
  CHECK((ys.row(1).transpose() - u).norm() < 1e-15);
  CHECK_THROWS_AS(dgsim::ode::integrate_dg_times(stepper, u0, {0.0, 0.0}, 1), dgsim::ConfigError);
}

TEST_SUITE_END();
