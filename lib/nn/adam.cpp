#include "lib/nn/adam.hpp"

#include <algorithm>
#include <cmath>

#include "lib/core/error.hpp"

namespace dgsim::nn {

Adam::Adam(const AdamOptions& options, Eigen::Index n)
    : options_(options), m_(Vec::Zero(n)), v_(Vec::Zero(n)), g_(Vec::Zero(n)) {}

double Adam::learning_rate() const {
  const AdamOptions& o = options_;
  if (o.decay_steps <= 0) return o.lr;
  const double done = static_cast<double>(std::min(t_, o.decay_steps)) / static_cast<double>(o.decay_steps);
  return 0.5 * o.lr * (1.0 + std::cos(M_PI * done));
}

void Adam::step(Vec& theta, const Vec& grad) {
  if (theta.size() != m_.size() || grad.size() != m_.size())
    throw Error("nn: Adam: parameter and gradient sizes do not match the optimizer");
  const double lr = learning_rate();
  ++t_;
  const AdamOptions& o = options_;
  g_ = grad;
  if (o.weight_decay != 0.0) g_ += o.weight_decay * theta;
  m_ = o.beta1 * m_ + (1.0 - o.beta1) * g_;
  v_ = o.beta2 * v_ + (1.0 - o.beta2) * g_.cwiseAbs2();
  const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(t_));
  const double step = lr / bc1;
  theta.array() -= step * m_.array() / (v_.array().sqrt() / std::sqrt(bc2) + o.eps);
}

void Adam::set_state(std::int64_t steps, const Vec& m, const Vec& v) {
  if (m.size() != m_.size() || v.size() != v_.size()) throw Error("nn: Adam: saved state has the wrong size");
  t_ = steps;
  m_ = m;
  v_ = v;
}

}  // namespace dgsim::nn
