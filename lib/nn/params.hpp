#pragma once
// All trainable parameters of a model in one vector θ, with named matrix views into it.
// Optimizers work on θ and its gradient as flat vectors; networks see named matrices.

#include <string>
#include <vector>

#include "lib/ad/tape.hpp"
#include "lib/core/types.hpp"

namespace dgsim::nn {

class Params {
 public:
  // Adds a zero-initialised [rows, cols] parameter and returns its index. Views taken before
  // an add() are invalidated.
  int add(const std::string& name, Eigen::Index rows, Eigen::Index cols);

  int count() const { return static_cast<int>(entries_.size()); }
  const std::string& name(int i) const { return entries_[static_cast<std::size_t>(i)].name; }
  int find(const std::string& name) const;  // -1 if absent
  Eigen::Map<Mat> view(int i);
  Eigen::Map<const Mat> view(int i) const;

  Vec& theta() { return theta_; }              // [total]
  const Vec& theta() const { return theta_; }

  // Records every parameter on the tape as a leaf requiring a gradient (on a float tape, θ
  // rounded to float); out[i] is parameter i.
  template <class S>
  void bind(ad::BasicTape<S>& tape, std::vector<ad::BasicVar<S>>& out) const;
  // Flat gradient dθ [total] from the last tape.backward(); bound is what bind() returned.
  template <class S>
  void gradient(ad::BasicTape<S>& tape, const std::vector<ad::BasicVar<S>>& bound, Vec& g) const;

 private:
  struct Entry {
    std::string name;
    Eigen::Index rows, cols, offset;
  };
  std::vector<Entry> entries_;
  Vec theta_;
};

}  // namespace dgsim::nn
