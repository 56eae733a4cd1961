#pragma once
// Adam (Kingma & Ba) on a flat parameter vector, as PyTorch's torch.optim.Adam computes it,
// including its weight decay: an L2 term weight_decay * θ added to the gradient (not AdamW).

#include <cstdint>

#include "lib/core/types.hpp"

namespace dgsim::nn {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  // > 0: cosine decay of the learning rate, lr (1 + cos(π min(t, T) / T)) / 2 at step t + 1 of
  // T = decay_steps (lr at the first step, near 0 at the last); 0: constant lr (torch's default).
  std::int64_t decay_steps = 0;
};

class Adam {
 public:
  Adam(const AdamOptions& options, Eigen::Index n);

  // One update of theta [n] given the gradient of the loss [n].
  void step(Vec& theta, const Vec& grad);

  const AdamOptions& options() const { return options_; }
  double learning_rate() const;  // of the next step
  std::int64_t steps() const { return t_; }
  const Vec& first_moment() const { return m_; }   // [n]
  const Vec& second_moment() const { return v_; }  // [n]
  // Restores a saved state (for checkpoints); sizes must match.
  void set_state(std::int64_t steps, const Vec& m, const Vec& v);

 private:
  AdamOptions options_;
  std::int64_t t_ = 0;
  Vec m_, v_, g_;
};

}  // namespace dgsim::nn
