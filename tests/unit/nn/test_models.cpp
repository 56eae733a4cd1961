#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "lib/ad/tape.hpp"
#include "lib/core/error.hpp"
#include "lib/core/rng.hpp"
#include "lib/nn/adam.hpp"
#include "lib/nn/layers.hpp"
#include "lib/nn/model.hpp"
#include "lib/nn/state.hpp"
#include "tests/unit/gaussian_mat.hpp"

using namespace dgsim;
using namespace dgsim::nn;
using ad::Var;

namespace {

Mat random_mat(Eigen::Index r, Eigen::Index c, std::uint64_t index, double scale = 1.0) {
  return test::gaussian_mat(r, c, 5, RngStream::training, index, scale);
}

ModelConfig ode_config(ModelKind kind, int hidden = 8) {
  ModelConfig c;
  c.kind = kind;
  c.dim = 4;
  c.hidden = hidden;
  c.seed = 3;
  return c;
}

ModelConfig pde_config(ModelKind kind, Structure s = Structure::D) {
  ModelConfig c;
  c.kind = kind;
  c.pde = true;
  c.dim = 7;
  c.hidden = 5;
  c.structure = s;
  c.dx = 0.3;
  c.seed = 4;
  return c;
}

// Loss of the model on a fresh tape; with g, also dθ.
using LossFn = std::function<Var(Model&, ad::Tape&)>;

double eval_loss(Model& model, const LossFn& loss, Vec* g) {
  ad::Tape t;
  model.bind(t);
  const Var l = loss(model, t);
  if (g) {
    t.backward(l);
    model.gradient(*g);
  }
  return l.value()(0, 0);
}

void check_theta_gradient(Model& model, const LossFn& loss, const char* what) {
  Vec g;
  eval_loss(model, loss, &g);
  Vec& theta = model.params().theta();
  const Vec theta0 = theta;
  double worst = 0, scale = 1e-300;
  for (Eigen::Index i = 0; i < theta.size(); ++i) {
    const double h = 1e-6 * std::max(1.0, std::abs(theta0(i)));
    theta(i) = theta0(i) + h;
    const double lp = eval_loss(model, loss, nullptr);
    theta(i) = theta0(i) - h;
    const double lm = eval_loss(model, loss, nullptr);
    theta(i) = theta0(i);
    worst = std::max(worst, std::abs((lp - lm) / (2 * h) - g(i)));
    scale = std::max(scale, std::abs(g(i)));
  }
  INFO(what, ": worst error ", worst, " of gradient scale ", scale);
  CHECK(worst <= 1e-6 * std::max(scale, 1.0));
}

bool bit_equal(const Mat& a, const Mat& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("nn: orthogonal initialisation is orthonormal and deterministic") {
  Rng r1(9, RngStream::init_weights, 0), r2(9, RngStream::init_weights, 0), r3(10, RngStream::init_weights, 0);
  const Mat tall = orthogonal(7, 3, r1), wide = orthogonal(3, 7, r1);
  CHECK((tall.transpose() * tall - Mat::Identity(3, 3)).norm() < 1e-14);
  CHECK((wide * wide.transpose() - Mat::Identity(3, 3)).norm() < 1e-14);
  CHECK(bit_equal(orthogonal(7, 3, r2), tall));
  CHECK(!bit_equal(orthogonal(7, 3, r3), tall));
  const Model a(ode_config(ModelKind::hnn)), b(ode_config(ModelKind::hnn));
  CHECK(bit_equal(a.params().theta(), b.params().theta()));
  Model c = a;  // copies have their own evaluation tape
  const Mat u = random_mat(2, 4, 1);
  CHECK(bit_equal(c.energy(u), Model(a).energy(u)));
}

TEST_CASE("nn: periodic Conv1d matches a direct loop") {
  const int batch = 3, sites = 5, cin = 2, cout = 4, k = 3;
  Params p;
  const Conv1d conv = add_conv1d(p, "c", cin, cout, k, true);
  p.theta() = random_mat(p.theta().size(), 1, 1);
  const Mat x = random_mat(batch * sites, cin, 2);  // row = site * batch + sample
  ad::Tape t;
  std::vector<Var> pv;
  p.bind(t, pv);
  const Mat y = forward(conv, pv, t.leaf(x), batch).value();
  Mat ref = Mat::Zero(batch * sites, cout);
  for (int s = 0; s < sites; ++s)
    for (int b = 0; b < batch; ++b)
      for (int j = 0; j < k; ++j) {
        const int src = ((s + j - 1) % sites + sites) % sites;
        ref.row(s * batch + b) += x.row(src * batch + b) * p.view(conv.w).middleRows(j * cin, cin);
      }
  ref.rowwise() += p.view(conv.b).row(0);
  CHECK((y - ref).cwiseAbs().maxCoeff() < 1e-14);
}

TEST_CASE("nn: PDE energy is translation invariant and D conserves mass and energy") {
  Model model(pde_config(ModelKind::dgnet));
  const Mat u = random_mat(2, 7, 3);
  Mat shifted(2, 7);
  for (int k = 0; k < 7; ++k) shifted.col(k) = u.col((k + 2) % 7);
  const Mat h = model.energy(u), hs = model.energy(shifted);
  CHECK((h - hs).cwiseAbs().maxCoeff() < 1e-13);
  const Mat v = u + 0.01 * random_mat(2, 7, 4);
  const Mat f = model.discrete_time_derivative(u, v);
  // Mass: 1ᵀ D = 0. Energy: H(v) - H(u) = ∇̄H·(v - u) = Δt ∇̄H·D∇̄H = 0 for skew D.
  ad::Tape t;
  model.bind(t);
  const Var uu = t.leaf(u), vv = t.leaf(v);
  const Mat dg = t.discrete_gradient(model.energy(uu), model.energy(vv), uu, vv).value();
  for (int b = 0; b < 2; ++b) {
    CHECK(std::abs(f.row(b).sum()) < 1e-12 * f.row(b).cwiseAbs().sum());
    CHECK(std::abs(f.row(b).dot(dg.row(b))) < 1e-12 * (f.row(b).cwiseAbs() * dg.row(b).cwiseAbs().transpose()).sum());
  }
}

TEST_CASE("nn: HNN and DGNet time derivatives agree with finite differences of H") {
  for (const ModelConfig& c : {ode_config(ModelKind::hnn), ode_config(ModelKind::srnn), pde_config(ModelKind::hnn),
                               pde_config(ModelKind::dgnet, Structure::D2)}) {
    Model model(c);
    const Mat u = random_mat(3, c.dim, 5, 0.8);
    ad::Tape t;
    model.bind(t);
    const Mat grad = model.energy_gradient(t.leaf(u)).value();
    Mat fd(u.rows(), u.cols());
    for (Eigen::Index i = 0; i < u.size(); ++i) {
      Mat up = u, um = u;
      up.data()[i] += 1e-6;
      um.data()[i] -= 1e-6;
      fd.data()[i] = ((model.energy(up) - model.energy(um)).sum()) / 2e-6;
    }
    CHECK((grad - fd).cwiseAbs().maxCoeff() < 1e-7 * std::max(1.0, fd.cwiseAbs().maxCoeff()));
    // ∇̄H(u, u) = ∇H(u), hence Ḡ∇̄H(u, u) = G∇H(u).
    const Mat f = model.time_derivative(u), fdg = model.discrete_time_derivative(u, u);
    CHECK((f - fdg).cwiseAbs().maxCoeff() <= 1e-14 * std::max(1.0, f.cwiseAbs().maxCoeff()));
  }
  // S applied to ∇H: (∂H/∂p, -∂H/∂q).
  Model hnn(ode_config(ModelKind::hnn));
  const Mat u = random_mat(2, 4, 6);
  ad::Tape t;
  hnn.bind(t);
  const Mat g = hnn.energy_gradient(t.leaf(u)).value();
  const Mat f = hnn.time_derivative(u);
  CHECK((f.leftCols(2) - g.rightCols(2)).norm() < 1e-15);
  CHECK((f.rightCols(2) + g.leftCols(2)).norm() < 1e-15);
}

TEST_CASE("nn: loss gradients with respect to all weights against finite differences") {
  const Mat u0 = random_mat(5, 4, 7, 0.7), u1 = u0 + 0.05 * random_mat(5, 4, 8), dudt = random_mat(5, 4, 9);
  const Mat p0 = random_mat(3, 7, 10, 0.7), p1 = p0 + 0.05 * random_mat(3, 7, 11);
  const LossFn dg_ode = [&](Model& m, ad::Tape& t) { return dgnet_loss(m, t.leaf(u0), t.leaf(u1), 0.1); };
  const LossFn dg_pde = [&](Model& m, ad::Tape& t) { return dgnet_loss(m, t.leaf(p0), t.leaf(p1), 0.1); };
  const LossFn deriv = [&](Model& m, ad::Tape& t) { return derivative_loss(m, t.leaf(u0), t.leaf(dudt)); };
  const LossFn deriv_pde = [&](Model& m, ad::Tape& t) {
    return derivative_loss(m, t.leaf(p0), t.leaf(random_mat(3, 7, 12)));
  };
  {
    Model m(ode_config(ModelKind::dgnet));
    check_theta_gradient(m, dg_ode, "DGNet ODE");
  }
  {
    ModelConfig c = ode_config(ModelKind::dgnet);
    c.friction = true;
    Model m(c);
    m.params().view(m.params().find("friction"))(0, 0) = 0.3;
    check_theta_gradient(m, dg_ode, "DGNet with friction");
  }
  for (Structure s : {Structure::D, Structure::D2}) {
    Model m(pde_config(ModelKind::dgnet, s));
    check_theta_gradient(m, dg_pde, "DGNet PDE");
  }
  for (ModelKind k : {ModelKind::hnn, ModelKind::srnn, ModelKind::node}) {
    Model m(ode_config(k));
    check_theta_gradient(m, deriv, "derivative loss ODE");
  }
  for (ModelKind k : {ModelKind::hnn, ModelKind::node}) {
    Model m(pde_config(k));
    check_theta_gradient(m, deriv_pde, "derivative loss PDE");
  }
  // HNN trained through an explicit midpoint (RK2) step: every stage is a tape operation.
  const LossFn rk2 = [&](Model& m, ad::Tape& t) {
    const double dt = 0.1;
    const Var x0 = t.leaf(u0);
    const Var k1 = m.time_derivative(x0);
    const Var k2 = m.time_derivative(ad::add(x0, ad::scale(k1, dt / 2)));
    return mse(ad::add(x0, ad::scale(k2, dt)), t.leaf(u1));
  };
  for (ModelKind k : {ModelKind::hnn, ModelKind::node}) {
    Model m(ode_config(k));
    check_theta_gradient(m, rk2, "RK2 step loss");
  }
}

TEST_CASE("nn: Jacobian of the discrete time derivative with respect to v") {
  Model m(pde_config(ModelKind::dgnet));
  const Vec u = random_mat(7, 1, 13), v = u + 0.1 * random_mat(7, 1, 14);
  const Mat jac = m.discrete_time_derivative_jacobian(u, v);
  Mat fd(7, 7);
  for (int j = 0; j < 7; ++j) {
    Vec vp = v, vm = v;
    vp(j) += 1e-6;
    vm(j) -= 1e-6;
    fd.col(j) = (m.discrete_time_derivative(u.transpose(), vp.transpose()) -
                 m.discrete_time_derivative(u.transpose(), vm.transpose())).transpose() / 2e-6;
  }
  CHECK((jac - fd).cwiseAbs().maxCoeff() < 1e-6 * std::max(1.0, fd.cwiseAbs().maxCoeff()));
}

TEST_CASE("nn: Adam follows PyTorch's update with L2 weight decay") {
  AdamOptions o;
  o.lr = 0.1;
  o.weight_decay = 0.5;
  Adam adam(o, 2);
  Vec theta(2), g(2);
  theta << 1.0, -2.0;
  g << 0.3, 0.0;
  Vec m = Vec::Zero(2), v = Vec::Zero(2), ref = theta;
  for (int t = 1; t <= 3; ++t) {
    const Vec gg = g + o.weight_decay * ref;
    m = 0.9 * m + 0.1 * gg;
    v = 0.999 * v + 0.001 * gg.cwiseAbs2();
    const double bc1 = 1 - std::pow(0.9, t), bc2 = 1 - std::pow(0.999, t);
    ref.array() -= (o.lr / bc1) * m.array() / (v.array().sqrt() / std::sqrt(bc2) + o.eps);
    adam.step(theta, g);
    CHECK((theta - ref).cwiseAbs().maxCoeff() < 1e-15);
  }
  CHECK(adam.steps() == 3);
}

TEST_CASE("nn: Adam with cosine decay scales each step by (1 + cos(pi t / T)) / 2") {
  AdamOptions o;
  o.lr = 0.1;
  o.decay_steps = 4;
  Adam adam(o, 1), constant({0.1}, 1);
  CHECK(adam.learning_rate() == 0.1);
  Vec theta = Vec::Constant(1, 1.0), theta_c = theta;
  const Vec g = Vec::Constant(1, 0.3);
  // With a constant gradient every Adam step moves theta by lr (up to eps): the step ratio is
  // the schedule.
  for (int t = 0; t < 6; ++t) {
    const double want = 0.05 * (1.0 + std::cos(M_PI * std::min(t, 4) / 4.0));
    CHECK(adam.learning_rate() == doctest::Approx(want).epsilon(1e-15));
    const Vec before = theta, before_c = theta_c;
    adam.step(theta, g);
    constant.step(theta_c, g);
    CHECK((before - theta)(0) == doctest::Approx(want).epsilon(1e-6));
    CHECK((before_c - theta_c)(0) == doctest::Approx(0.1).epsilon(1e-6));
  }
  CHECK(adam.learning_rate() == 0.0);  // after T steps: no further movement
}

TEST_CASE("nn: export and import of model and optimizer state is bit-exact") {
  for (const ModelConfig& c0 : {ode_config(ModelKind::dgnet), pde_config(ModelKind::hnn), ode_config(ModelKind::srnn)}) {
    ModelConfig c = c0;
    c.seed = 0xfedcba9876543210ull;  // above 2^63: stored as the int64 bit pattern
    Model model(c);
    AdamOptions o;
    o.weight_decay = 1e-4;
    o.decay_steps = 7;  // mid-schedule at the export
    Adam adam(o, model.params().theta().size());
    const Mat u0 = random_mat(4, c.dim, 20), u1 = u0 + 0.01 * random_mat(4, c.dim, 21);
    auto train_step = [&](Model& m, Adam& opt) {
      ad::Tape t;
      m.bind(t);
      const Var l = c.kind == ModelKind::dgnet ? dgnet_loss(m, t.leaf(u0), t.leaf(u1), 0.01)
                                               : derivative_loss(m, t.leaf(u0), t.leaf(u1));
      t.backward(l);
      Vec g;
      m.gradient(g);
      opt.step(m.params().theta(), g);
    };
    for (int i = 0; i < 3; ++i) train_step(model, adam);

    const ModelState s = export_state(model, &adam);
    RestoredModel r = import_state(s);
    REQUIRE(r.adam.has_value());
    CHECK(r.model.config().seed == c.seed);
    CHECK(bit_equal(r.model.params().theta(), model.params().theta()));
    CHECK(bit_equal(r.adam->first_moment(), adam.first_moment()));
    CHECK(bit_equal(r.adam->second_moment(), adam.second_moment()));
    CHECK(r.adam->steps() == adam.steps());
    const ModelState s2 = export_state(r.model, &*r.adam);
    REQUIRE(s2.arrays.size() == s.arrays.size());
    for (std::size_t i = 0; i < s.arrays.size(); ++i) {
      CHECK(s2.arrays[i].first == s.arrays[i].first);
      CHECK(bit_equal(s2.arrays[i].second, s.arrays[i].second));
    }
    CHECK(s2.attributes == s.attributes);
    // Training continues identically.
    train_step(model, adam);
    train_step(r.model, *r.adam);
    CHECK(bit_equal(r.model.params().theta(), model.params().theta()));

    // Without an optimizer.
    const RestoredModel plain = import_state(export_state(model));
    CHECK(!plain.adam.has_value());
    CHECK(bit_equal(plain.model.params().theta(), model.params().theta()));

    // Malformed states name what is wrong.
    ModelState bad = s;
    bad.arrays.pop_back();
    CHECK_THROWS_AS(import_state(bad), IoError);
    bad = s;
    bad.arrays[0].second.resize(1, 1);
    CHECK_THROWS_AS(import_state(bad), IoError);
    bad = s;
    bad.attributes["dim"] = 2.5;
    CHECK_THROWS_AS(import_state(bad), IoError);
    bad = s;
    bad.attributes["kind"] = std::string("hnm");
    CHECK_THROWS_AS(import_state(bad), IoError);
    bad = s;
    bad.arrays.emplace_back("params/extra", Mat::Zero(1, 1));
    CHECK_THROWS_AS(import_state(bad), IoError);
  }
}

TEST_CASE("nn: inconsistent configurations are rejected") {
  ModelConfig c = ode_config(ModelKind::hnn);
  c.dim = 3;
  CHECK_THROWS_AS(Model{c}, ConfigError);
  c = pde_config(ModelKind::hnn);
  c.structure = Structure::S;
  CHECK_THROWS_AS(Model{c}, ConfigError);
  CHECK_THROWS_AS(parse_model_kind("hnm"), ConfigError);
}

TEST_CASE("nn: NODE's output layer has a bias that shifts f by a constant and older ODE files read without it") {
  for (const bool pde : {false, true}) {
    ModelConfig c = pde ? pde_config(ModelKind::node) : ode_config(ModelKind::node);
    Model model(c);
    const std::string bias = pde ? "conv3.b" : "mlp.2.b";
    const int i = model.params().find(bias);
    REQUIRE(i >= 0);
    const Mat u = random_mat(3, c.dim, 30);
    const Mat f0 = model.time_derivative(u);
    Mat shift = random_mat(1, pde ? 1 : c.dim, 31);
    model.params().view(i) = shift;
    const Mat f1 = model.time_derivative(u);
    for (Eigen::Index r = 0; r < u.rows(); ++r)
      for (Eigen::Index k = 0; k < u.cols(); ++k) CHECK(f1(r, k) - f0(r, k) == doctest::Approx(shift(0, pde ? 0 : k)).epsilon(1e-12));

    // A state written before the attribute existed: the ODE NODE had no output bias, the PDE NODE had one.
    ModelConfig old = c;
    old.node_bias = pde;
    ModelState s = export_state(Model(old));
    CHECK(s.attributes.count("node_bias") == 1);
    s.attributes.erase("node_bias");
    const RestoredModel r = import_state(s);
    CHECK(r.model.config().node_bias == pde);
    CHECK(r.model.params().find(bias) == (pde ? i : -1));
    // Energy models never have one, so their files carry no attribute.
    CHECK(export_state(Model(pde ? pde_config(ModelKind::hnn) : ode_config(ModelKind::dgnet))).attributes.count("node_bias") == 0);
  }
}

TEST_SUITE_END();
