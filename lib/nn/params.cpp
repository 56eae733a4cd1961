#include "lib/nn/params.hpp"

#include "lib/core/error.hpp"

namespace dgsim::nn {

int Params::add(const std::string& name, Eigen::Index rows, Eigen::Index cols) {
  if (find(name) >= 0) throw Error("nn: duplicate parameter name '" + name + "'");
  const Eigen::Index offset = theta_.size();
  theta_.conservativeResize(offset + rows * cols);
  theta_.tail(rows * cols).setZero();
  entries_.push_back({name, rows, cols, offset});
  return count() - 1;
}

int Params::find(const std::string& name) const {
  for (int i = 0; i < count(); ++i)
    if (entries_[static_cast<std::size_t>(i)].name == name) return i;
  return -1;
}

Eigen::Map<Mat> Params::view(int i) {
  const Entry& e = entries_[static_cast<std::size_t>(i)];
  return {theta_.data() + e.offset, e.rows, e.cols};
}

Eigen::Map<const Mat> Params::view(int i) const {
  const Entry& e = entries_[static_cast<std::size_t>(i)];
  return {theta_.data() + e.offset, e.rows, e.cols};
}

void Params::bind(ad::Tape& tape, std::vector<ad::Var>& out) const {
  out.resize(entries_.size());
  for (int i = 0; i < count(); ++i) out[static_cast<std::size_t>(i)] = tape.leaf(view(i), true);
}

void Params::gradient(ad::Tape& tape, const std::vector<ad::Var>& bound, Vec& g) const {
  g.resize(theta_.size());
  for (int i = 0; i < count(); ++i) {
    const Entry& e = entries_[static_cast<std::size_t>(i)];
    const Mat& gi = tape.grad(bound[static_cast<std::size_t>(i)]).value();
    Eigen::Map<Mat>(g.data() + e.offset, e.rows, e.cols) = gi;
  }
}

}  // namespace dgsim::nn
