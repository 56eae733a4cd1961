#pragma once
// Layers over a Params store: Linear, periodic Conv1d, MLP. A layer holds the indices of its
// parameters; forward() takes the parameters as recorded on a tape (float or double) by
// Params::bind().
//
// Layout of fields on a periodic 1-D grid: a batch of B states of N sites is a [B*N, C] matrix
// with site-major rows, row = site * B + sample. This is the column-major reshape of the [B, N]
// state batch, so a 1x1 convolution is one GEMM and a periodic neighbour is a row shift by ±B.

#include <string>
#include <vector>

#include "lib/ad/tape.hpp"
#include "lib/core/rng.hpp"
#include "lib/nn/params.hpp"

namespace dgsim::nn {

// y = x W + b; x [R, in], W [in, out], b [1, out] (optional).
struct Linear {
  int w = -1, b = -1;
  int in = 0, out = 0;
};
Linear add_linear(Params& params, const std::string& name, int in, int out, bool bias);
template <class S>
ad::BasicVar<S> forward(const Linear& layer, const std::vector<ad::BasicVar<S>>& p, ad::BasicVar<S> x);

// Periodic 1-D convolution (cross-correlation, as PyTorch's Conv1d with circular padding
// (kernel - 1)/2): y[site] = sum_j x[site + j - (kernel - 1)/2] W_j + b; x [B*N, in] site-major,
// W [kernel*in, out] with tap j in rows j*in .. (j+1)*in - 1, b [1, out]. kernel is odd;
// kernel 1 is a per-site linear layer. One GEMM on the periodic neighbourhoods (im2col).
struct Conv1d {
  int w = -1, b = -1;
  int in = 0, out = 0, kernel = 1;
};
Conv1d add_conv1d(Params& params, const std::string& name, int in, int out, int kernel, bool bias);
template <class S>
ad::BasicVar<S> forward(const Conv1d& layer, const std::vector<ad::BasicVar<S>>& p, ad::BasicVar<S> x, Eigen::Index batch);

// Linear layers with an activation after each but the last.
struct Mlp {
  std::vector<Linear> layers;
  ad::Fn act = ad::Fn::tanh;
};
// sizes = {in, hidden..., out}; out_bias: whether the last layer has a bias.
Mlp add_mlp(Params& params, const std::string& name, const std::vector<int>& sizes, ad::Fn act, bool out_bias);
template <class S>
ad::BasicVar<S> forward(const Mlp& mlp, const std::vector<ad::BasicVar<S>>& p, ad::BasicVar<S> x);

// A [rows, cols] matrix with orthonormal columns (rows >= cols) or rows (rows < cols), from
// the QR factorisation of a Gaussian matrix with the signs fixed by diag(R) (as PyTorch's
// orthogonal_ and HNN do), so the result is deterministic given rng.
Mat orthogonal(Eigen::Index rows, Eigen::Index cols, Rng& rng);

// Orthogonal weights, zero biases. A convolution's [kernel*in, out] weight is orthogonal as a
// whole, matching an orthogonal [out, in*kernel] PyTorch weight.
void init_orthogonal(Params& params, const Linear& layer, Rng& rng);
void init_orthogonal(Params& params, const Conv1d& layer, Rng& rng);
void init_orthogonal(Params& params, const Mlp& mlp, Rng& rng);

}  // namespace dgsim::nn
