#include "lib/nn/layers.hpp"

#include <Eigen/QR>

#include "lib/core/error.hpp"

namespace dgsim::nn {

Linear add_linear(Params& params, const std::string& name, int in, int out, bool bias) {
  Linear l;
  l.in = in;
  l.out = out;
  l.w = params.add(name + ".W", in, out);
  if (bias) l.b = params.add(name + ".b", 1, out);
  return l;
}

template <class S>
ad::BasicVar<S> forward(const Linear& layer, const std::vector<ad::BasicVar<S>>& p, ad::BasicVar<S> x) {
  const ad::BasicVar<S> w = p[static_cast<std::size_t>(layer.w)];
  return layer.b >= 0 ? ad::affine(x, w, p[static_cast<std::size_t>(layer.b)]) : ad::matmul(x, w);
}

Conv1d add_conv1d(Params& params, const std::string& name, int in, int out, int kernel, bool bias) {
  if (kernel < 1 || kernel % 2 == 0) throw ConfigError("nn: Conv1d kernel must be odd and positive");
  Conv1d c;
  c.in = in;
  c.out = out;
  c.kernel = kernel;
  c.w = params.add(name + ".W", kernel * in, out);
  if (bias) c.b = params.add(name + ".b", 1, out);
  return c;
}

template <class S>
ad::BasicVar<S> forward(const Conv1d& layer, const std::vector<ad::BasicVar<S>>& p, ad::BasicVar<S> x, Eigen::Index batch) {
  // Site k's neighbour k + j is row + j * batch.
  const ad::BasicVar<S> cols = layer.kernel == 1 ? x : ad::neighbours(x, layer.kernel, batch);
  const ad::BasicVar<S> w = p[static_cast<std::size_t>(layer.w)];
  return layer.b >= 0 ? ad::affine(cols, w, p[static_cast<std::size_t>(layer.b)]) : ad::matmul(cols, w);
}

Mlp add_mlp(Params& params, const std::string& name, const std::vector<int>& sizes, ad::Fn act, bool out_bias) {
  Mlp m;
  m.act = act;
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    const bool last = i + 2 == sizes.size();
    m.layers.push_back(add_linear(params, name + "." + std::to_string(i), sizes[i], sizes[i + 1], !last || out_bias));
  }
  return m;
}

template <class S>
ad::BasicVar<S> forward(const Mlp& mlp, const std::vector<ad::BasicVar<S>>& p, ad::BasicVar<S> x) {
  for (std::size_t i = 0; i < mlp.layers.size(); ++i) {
    x = forward(mlp.layers[i], p, x);
    if (i + 1 < mlp.layers.size()) x = ad::apply(mlp.act, x);
  }
  return x;
}

Mat orthogonal(Eigen::Index rows, Eigen::Index cols, Rng& rng) {
  const bool tall = rows >= cols;
  const Eigen::Index m = tall ? rows : cols, n = tall ? cols : rows;
  Mat a(m, n);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < m; ++i) a(i, j) = rng.normal();
  const Eigen::HouseholderQR<Mat> qr(a);
  Mat q = qr.householderQ() * Mat::Identity(m, n);
  const Mat& r = qr.matrixQR();
  for (Eigen::Index j = 0; j < n; ++j)
    if (r(j, j) < 0) q.col(j) *= -1.0;
  if (tall) return q;
  return q.transpose();
}

void init_orthogonal(Params& params, const Linear& layer, Rng& rng) {
  params.view(layer.w) = orthogonal(layer.in, layer.out, rng);
  if (layer.b >= 0) params.view(layer.b).setZero();
}

void init_orthogonal(Params& params, const Conv1d& layer, Rng& rng) {
  params.view(layer.w) = orthogonal(static_cast<Eigen::Index>(layer.kernel) * layer.in, layer.out, rng);
  if (layer.b >= 0) params.view(layer.b).setZero();
}

void init_orthogonal(Params& params, const Mlp& mlp, Rng& rng) {
  for (const Linear& l : mlp.layers) init_orthogonal(params, l, rng);
}

#define DGSIM_NN_LAYERS(S)                                                                                    \
  template ad::BasicVar<S> forward(const Linear&, const std::vector<ad::BasicVar<S>>&, ad::BasicVar<S>);            \
  template ad::BasicVar<S> forward(const Conv1d&, const std::vector<ad::BasicVar<S>>&, ad::BasicVar<S>, Eigen::Index); \
  template ad::BasicVar<S> forward(const Mlp&, const std::vector<ad::BasicVar<S>>&, ad::BasicVar<S>);
DGSIM_NN_LAYERS(float)
DGSIM_NN_LAYERS(double)
#undef DGSIM_NN_LAYERS

}  // namespace dgsim::nn
