#include "lib/nn/model.hpp"

#include <fmt/format.h>

#include "lib/core/error.hpp"
#include "lib/core/rng.hpp"

namespace dgsim::nn {

using ad::Var;

std::string to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::node: return "node";
    case ModelKind::hnn: return "hnn";
    case ModelKind::srnn: return "srnn";
    case ModelKind::dgnet: return "dgnet";
  }
  return "?";
}

std::string to_string(Structure s) {
  switch (s) {
    case Structure::S: return "S";
    case Structure::D: return "D";
    case Structure::D2: return "D2";
  }
  return "?";
}

ModelKind parse_model_kind(const std::string& name) {
  for (ModelKind k : {ModelKind::node, ModelKind::hnn, ModelKind::srnn, ModelKind::dgnet})
    if (to_string(k) == name) return k;
  throw ConfigError(fmt::format("unknown model '{}' (known: node, hnn, srnn, dgnet)", name));
}

Structure parse_structure(const std::string& name) {
  for (Structure s : {Structure::S, Structure::D, Structure::D2})
    if (to_string(s) == name) return s;
  throw ConfigError(fmt::format("unknown structure matrix '{}' (known: S, D, D2)", name));
}

Model::Model(const ModelConfig& config) : config_(config) {
  const ModelConfig& c = config_;
  if (c.dim < 1 || c.hidden < 1) throw ConfigError("model: dim and hidden must be positive");
  if (c.pde && c.structure == Structure::S) throw ConfigError("model: a PDE model needs structure D or D2");
  if (!c.pde && c.structure != Structure::S) throw ConfigError("model: an ODE model needs structure S");
  if (!c.pde && c.dim % 2 != 0) throw ConfigError(fmt::format("model: an ODE state (q, p) has even size, not {}", c.dim));
  if (c.friction && (c.pde || c.kind == ModelKind::node))
    throw ConfigError("model: friction needs an ODE energy model with structure S");
  if (c.kind == ModelKind::srnn && c.pde) throw ConfigError("model: SRNN is defined for ODEs only");
  if (c.pde && !(c.dx > 0)) throw ConfigError(fmt::format("model: grid spacing dx must be positive, not {}", c.dx));

  const int h = c.hidden, n = c.dim, m = n / 2;
  if (c.pde) {
    const bool node = c.kind == ModelKind::node;
    conv_ = add_conv1d(params_, "conv1", 1, h, c.kernel, true);
    site1_ = add_linear(params_, "conv2", h, h, true);
    site2_ = add_linear(params_, "conv3", h, 1, node && c.node_bias);
  } else if (c.kind == ModelKind::srnn) {
    mlp_ = add_mlp(params_, "T", {m, h, h, 1}, c.activation, false);
    mlp2_ = add_mlp(params_, "V", {m, h, h, 1}, c.activation, false);
  } else {
    const bool node = c.kind == ModelKind::node;
    mlp_ = add_mlp(params_, "mlp", {n, h, h, node ? n : 1}, c.activation, node && c.node_bias);
  }
  if (c.friction) friction_ = params_.add("friction", 1, 1);  // g, from 0

  Rng rng(c.seed, RngStream::init_weights, 0);
  if (c.pde) {
    init_orthogonal(params_, conv_, rng);
    init_orthogonal(params_, site1_, rng);
    init_orthogonal(params_, site2_, rng);
  } else {
    init_orthogonal(params_, mlp_, rng);
    if (c.kind == ModelKind::srnn) init_orthogonal(params_, mlp2_, rng);
  }

  if (!c.pde) {
    s_matrix_ = Mat::Zero(n, n);  // S = [[0, I], [-I, 0]]
    s_matrix_.topRightCorner(m, m).setIdentity();
    s_matrix_.bottomLeftCorner(m, m) = -Mat::Identity(m, m);
    select_q_ = Mat::Zero(n, m);
    select_q_.topRows(m).setIdentity();
    select_p_ = Mat::Zero(n, m);
    select_p_.bottomRows(m).setIdentity();
    p_mask_ = Mat::Zero(1, n);
    p_mask_.rightCols(m).setOnes();
  }
}

template <class S>
void Model::bind(ad::BasicTape<S>& tape) {
  Bound<S>& b = bound_on<S>();
  b.tape = &tape;
  params_.bind(tape, b.p);
  if (!config_.pde) {
    b.s = tape.leaf(s_matrix_);
    b.sq = tape.leaf(select_q_);
    b.sp = tape.leaf(select_p_);
    b.mask = tape.leaf(p_mask_);
  }
}

template <class S>
void Model::check_bound(ad::BasicVar<S> u) const {
  const Bound<S>& b = bound_on<S>();
  if (b.tape == nullptr || u.tape != b.tape) throw Error("model: bind() the model to the tape of its input first");
}

template <class S>
ad::BasicVar<S> Model::state_energy(ad::BasicVar<S> u) {
  const Bound<S>& b = bound_on<S>();
  if (config_.kind == ModelKind::srnn)  // H = T(p) + V(q)
    return ad::add(forward(mlp_, b.p, ad::matmul(u, b.sp)), forward(mlp2_, b.p, ad::matmul(u, b.sq)));
  return forward(mlp_, b.p, u);
}

template <class S>
ad::BasicVar<S> Model::field_energy(ad::BasicVar<S> u) {
  // u [B, N] -> site-major column [B*N, 1] -> [B*N, hidden] -> [B*N, 1] -> [B, N].
  const Bound<S>& bd = bound_on<S>();
  const Eigen::Index b = u.rows(), n = u.cols();
  const ad::Fn f = config_.activation;
  ad::BasicVar<S> x = ad::reshape(u, b * n, 1);
  x = ad::apply(f, forward(conv_, bd.p, x, b));
  x = ad::apply(f, forward(site1_, bd.p, x));
  x = ad::reshape(forward(site2_, bd.p, x), b, n);
  return config_.kind == ModelKind::node ? x : ad::sum_cols(x);
}

template <class S>
ad::BasicVar<S> Model::energy(ad::BasicVar<S> u) {
  check_bound(u);
  if (u.cols() != config_.dim) throw ConfigError(fmt::format("model: state has {} components, expected {}", u.cols(), config_.dim));
  if (!has_energy()) throw ConfigError("model: NODE has no energy");
  return config_.pde ? field_energy(u) : state_energy(u);
}

template <class S>
ad::BasicVar<S> Model::energy_gradient(ad::BasicVar<S> u) {
  return bound_on<S>().tape->gradient(energy(u), u, true);
}

template <class S>
ad::BasicVar<S> Model::apply_structure(ad::BasicVar<S> grad) {
  using V = ad::BasicVar<S>;
  const Bound<S>& bd = bound_on<S>();
  const Eigen::Index b = grad.rows(), n = grad.cols();
  switch (config_.structure) {
    case Structure::S: {
      V y = ad::matmul(grad, bd.s, false, true);  // rows: (S g)^T = g^T S^T
      if (friction_ >= 0) {  // - R g with R = diag(0, g I)
        const V rg = ad::mul(ad::mul(grad, ad::bcast_rows(bd.mask, b)), ad::bcast_all(bd.p[static_cast<std::size_t>(friction_)], b, n));
        y = ad::sub(y, rg);
      }
      return y;
    }
    case Structure::D:
    case Structure::D2: {
      // Periodic neighbours of site k are rows ±B of the site-major column.
      const V x = ad::reshape(grad, b * n, 1);
      const V next = ad::shift_rows(x, b), prev = ad::shift_rows(x, -b);
      const double dx = config_.dx;
      const V y = config_.structure == Structure::D
                      ? ad::scale(ad::sub(next, prev), 1.0 / (2.0 * dx))
                      : ad::scale(ad::add(ad::sub(next, ad::scale(x, 2.0)), prev), 1.0 / (dx * dx));
      return ad::reshape(y, b, n);
    }
  }
  return grad;
}

template <class S>
ad::BasicVar<S> Model::time_derivative(ad::BasicVar<S> u) {
  if (config_.kind == ModelKind::node) {
    check_bound(u);
    return config_.pde ? field_energy(u) : forward(mlp_, bound_on<S>().p, u);
  }
  return apply_structure(energy_gradient(u));
}

template <class S>
ad::BasicVar<S> Model::kinetic_gradient(ad::BasicVar<S> p) {
  if (config_.kind != ModelKind::srnn) throw ConfigError("model: only SRNN has a separate kinetic energy");
  check_bound(p);
  const Bound<S>& b = bound_on<S>();
  return b.tape->gradient(forward(mlp_, b.p, p), p, true);
}

template <class S>
ad::BasicVar<S> Model::potential_gradient(ad::BasicVar<S> q) {
  if (config_.kind != ModelKind::srnn) throw ConfigError("model: only SRNN has a separate potential energy");
  check_bound(q);
  const Bound<S>& b = bound_on<S>();
  return b.tape->gradient(forward(mlp2_, b.p, q), q, true);
}

template <class S>
ad::BasicVar<S> Model::discrete_time_derivative(ad::BasicVar<S> u, ad::BasicVar<S> v) {
  const ad::BasicVar<S> hu = energy(u), hv = energy(v);
  return apply_structure(bound_on<S>().tape->discrete_gradient(hu, hv, u, v, true));
}

template <class S>
void Model::gradient(Vec& g) const {
  const Bound<S>& b = bound_on<S>();
  if (b.tape == nullptr) throw Error("model: gradient() before bind()");
  params_.gradient(*b.tape, b.p, g);
}

void Model::project() {
  if (friction_ >= 0) {
    auto g = params_.view(friction_);
    g(0, 0) = std::max(g(0, 0), 0.0);
  }
}

Mat Model::energy(const Mat& u) {
  scratch_.tape->clear();
  bind(*scratch_.tape);
  return energy(scratch_.tape->leaf(u)).value();
}

Mat Model::time_derivative(const Mat& u) {
  scratch_.tape->clear();
  bind(*scratch_.tape);
  return time_derivative(scratch_.tape->leaf(u)).value();
}

Mat Model::discrete_time_derivative(const Mat& u, const Mat& v) {
  scratch_.tape->clear();
  bind(*scratch_.tape);
  return discrete_time_derivative(scratch_.tape->leaf(u), scratch_.tape->leaf(v)).value();
}

Mat Model::discrete_time_derivative_jacobian(const Vec& u, const Vec& v) {
  ad::Tape& t = *scratch_.tape;
  t.clear();
  bind(t);
  const Var uu = t.leaf(u.transpose()), vv = t.leaf(v.transpose());
  const Var f = discrete_time_derivative(uu, vv);  // [1, dim]
  const Eigen::Index n = u.size();
  Mat jac(n, n);
  Mat e = Mat::Zero(1, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    e.setZero();
    e(0, i) = 1.0;
    jac.row(i) = t.gradient(ad::mul(f, t.leaf(e)), vv, false).value();
  }
  return jac;
}

template <class S>
ad::BasicVar<S> mse(ad::BasicVar<S> pred, ad::BasicVar<S> target) {
  return ad::mean_all(ad::square(ad::sub(pred, target)));
}

template <class S>
ad::BasicVar<S> dgnet_loss(Model& model, ad::BasicVar<S> u0, ad::BasicVar<S> u1, double dt) {
  const ad::BasicVar<S> target = ad::scale(ad::sub(u1, u0), 1.0 / dt);
  return mse(model.discrete_time_derivative(u1, u0), target);
}

template <class S>
ad::BasicVar<S> derivative_loss(Model& model, ad::BasicVar<S> u, ad::BasicVar<S> dudt) {
  return mse(model.time_derivative(u), dudt);
}

// The two precisions.
#define DGSIM_NN_MODEL(S)                                                                                   \
  template void Model::bind(ad::BasicTape<S>&);                                                             \
  template void Model::check_bound(ad::BasicVar<S>) const;                                                  \
  template ad::BasicVar<S> Model::energy(ad::BasicVar<S>);                                                  \
  template ad::BasicVar<S> Model::energy_gradient(ad::BasicVar<S>);                                         \
  template ad::BasicVar<S> Model::time_derivative(ad::BasicVar<S>);                                         \
  template ad::BasicVar<S> Model::discrete_time_derivative(ad::BasicVar<S>, ad::BasicVar<S>);               \
  template ad::BasicVar<S> Model::kinetic_gradient(ad::BasicVar<S>);                                        \
  template ad::BasicVar<S> Model::potential_gradient(ad::BasicVar<S>);                                      \
  template ad::BasicVar<S> Model::apply_structure(ad::BasicVar<S>);                                         \
  template void Model::gradient<S>(Vec&) const;                                                             \
  template ad::BasicVar<S> mse(ad::BasicVar<S>, ad::BasicVar<S>);                                           \
  template ad::BasicVar<S> dgnet_loss(Model&, ad::BasicVar<S>, ad::BasicVar<S>, double);                    \
  template ad::BasicVar<S> derivative_loss(Model&, ad::BasicVar<S>, ad::BasicVar<S>);
DGSIM_NN_MODEL(float)
DGSIM_NN_MODEL(double)
#undef DGSIM_NN_MODEL

}  // namespace dgsim::nn
