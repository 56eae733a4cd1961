// A model bound to a float tape computes what it computes on a double tape, to single
// precision: every kind's time derivative, DGNet's discrete one, and the losses' dθ.
#include <doctest/doctest.h>

#include "lib/core/rng.hpp"
#include "lib/nn/model.hpp"
#include "tests/unit/gaussian_mat.hpp"

using namespace dgsim;
using namespace dgsim::nn;

namespace {

Mat random_mat(Eigen::Index r, Eigen::Index c, std::uint64_t index, double scale = 1.0) {
  return test::gaussian_mat(r, c, 13, RngStream::training, index, scale);
}

double rel_err(const Mat& got, const Mat& ref) { return (got - ref).cwiseAbs().maxCoeff() / ref.cwiseAbs().maxCoeff(); }

std::vector<ModelConfig> configs() {
  std::vector<ModelConfig> out;
  for (ModelKind k : {ModelKind::node, ModelKind::hnn, ModelKind::srnn, ModelKind::dgnet}) {
    ModelConfig c;
    c.kind = k;
    c.dim = 4;
    c.hidden = 16;
    c.seed = 5;
    c.friction = k == ModelKind::hnn || k == ModelKind::dgnet;
    out.push_back(c);
  }
  for (ModelKind k : {ModelKind::node, ModelKind::hnn, ModelKind::dgnet}) {
    ModelConfig c;
    c.kind = k;
    c.pde = true;
    c.dim = 9;
    c.hidden = 8;
    c.structure = k == ModelKind::dgnet ? Structure::D2 : Structure::D;
    c.dx = 0.4;
    c.seed = 6;
    out.push_back(c);
  }
  return out;
}

// The loss the model's kind trains with (on u0, u1, dt = 0.1), its value and dθ, on a tape of
// precision S.
template <class S>
double loss_and_gradient(Model& model, const Mat& u0, const Mat& u1, Vec& g) {
  ad::BasicTape<S> tape;
  model.bind(tape);
  const ad::BasicVar<S> a = tape.leaf(u0), b = tape.leaf(u1);
  const ad::BasicVar<S> loss = model.config().kind == ModelKind::dgnet
                                   ? dgnet_loss(model, a, b, 0.1)
                                   : derivative_loss(model, a, tape.leaf((u1 - u0) / 0.1));
  tape.backward(loss);
  model.template gradient<S>(g);
  return static_cast<double>(loss.value()(0, 0));
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("nn: a model on a float tape matches the double tape to single precision") {
  for (const ModelConfig& c : configs()) {
    INFO("model ", to_string(c.kind), c.pde ? " (PDE)" : " (ODE)");
    Model model(c);
    const Mat u0 = random_mat(6, c.dim, 1), u1 = u0 + 0.05 * random_mat(6, c.dim, 2);
    if (c.friction) model.params().view(model.params().find("friction"))(0, 0) = 0.3;

    // Both tapes bound at once: each Var function runs on its argument's tape.
    ad::BasicTape<float> ft;
    ad::Tape dt;
    model.bind(ft);
    model.bind(dt);
    const Mat f_float = model.time_derivative(ft.leaf(u0)).value().cast<double>();
    const Mat f_double = model.time_derivative(dt.leaf(u0)).value();
    CHECK(rel_err(f_float, f_double) < 1e-5);
    CHECK(rel_err(f_float, f_double) > 0.0);
    if (c.kind != ModelKind::node) {
      const Mat d_float = model.discrete_time_derivative(ft.leaf(u0), ft.leaf(u1)).value().cast<double>();
      const Mat d_double = model.discrete_time_derivative(dt.leaf(u0), dt.leaf(u1)).value();
      CHECK(rel_err(d_float, d_double) < 1e-5);
    }

    Vec g_float, g_double;
    const double l_float = loss_and_gradient<float>(model, u0, u1, g_float);
    const double l_double = loss_and_gradient<double>(model, u0, u1, g_double);
    CHECK(std::abs(l_float - l_double) < 1e-5 * l_double);
    REQUIRE(g_float.size() == model.params().theta().size());
    CHECK((g_float - g_double).cwiseAbs().maxCoeff() < 1e-4 * g_double.cwiseAbs().maxCoeff());
  }
}
