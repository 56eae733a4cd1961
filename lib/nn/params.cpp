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

template <class S>
void Params::bind(ad::BasicTape<S>& tape, std::vector<ad::BasicVar<S>>& out) const {
  out.resize(entries_.size());
  for (int i = 0; i < count(); ++i) out[static_cast<std::size_t>(i)] = tape.leaf(view(i), true);
}

template <class S>
void Params::gradient(ad::BasicTape<S>& tape, const std::vector<ad::BasicVar<S>>& bound, Vec& g) const {
  g.resize(theta_.size());
  for (int i = 0; i < count(); ++i) {
    const Entry& e = entries_[static_cast<std::size_t>(i)];
    const ad::MatS<S>& gi = tape.grad(bound[static_cast<std::size_t>(i)]).value();
    Eigen::Map<Mat>(g.data() + e.offset, e.rows, e.cols) = gi.template cast<double>();
  }
}

template void Params::bind(ad::BasicTape<float>&, std::vector<ad::BasicVar<float>>&) const;
template void Params::bind(ad::BasicTape<double>&, std::vector<ad::BasicVar<double>>&) const;
template void Params::gradient(ad::BasicTape<float>&, const std::vector<ad::BasicVar<float>>&, Vec&) const;
template void Params::gradient(ad::BasicTape<double>&, const std::vector<ad::BasicVar<double>>&, Vec&) const;

}  // namespace dgsim::nn
