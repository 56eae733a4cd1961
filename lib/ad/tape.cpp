#include "lib/ad/tape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "lib/ad/divdiff.hpp"
#include "lib/core/error.hpp"

namespace dgsim::ad {

using Index = Eigen::Index;

// ---------------------------------------------------------------------------------------------
// Tape bookkeeping

template <class S>
void BasicTape<S>::clear() {
  n_ = 0;
  released_ = false;
  grad_of_.clear();  // keeps its capacity
}

template <class S>
void BasicTape<S>::truncate(int n) {
  if (n < 0 || n > n_) throw Error(fmt::format("ad: truncate({}) on a tape of {} operations", n, n_));
  n_ = n;
  grad_of_.clear();  // gradients of the forgotten part are gone too
}

template <class S>
std::size_t BasicTape<S>::bytes(int first) const {
  std::size_t sum = 0;
  for (int i = std::max(first, 0); i < n_; ++i) sum += static_cast<std::size_t>(nodes_[static_cast<std::size_t>(i)].value.size());
  return sum * sizeof(S);
}

template <class S>
void BasicTape<S>::shrink() { nodes_.resize(static_cast<std::size_t>(n_)); }

template <class S>
typename BasicTape<S>::Node& BasicTape<S>::push(Op op, int a, int b, int c) {
  if (static_cast<std::size_t>(n_) == nodes_.size()) nodes_.emplace_back();
  Node& nd = nodes_[static_cast<std::size_t>(n_++)];
  nd.op = op;
  nd.fn = Fn::tanh;
  nd.in[0] = a;
  nd.in[1] = b;
  nd.in[2] = c;
  nd.in[3] = nd.in[4] = -1;
  nd.i0 = nd.i1 = 0;
  nd.s = 0.0;
  nd.needs_grad = record_needs_grad_ && ((a >= 0 && node(a).needs_grad) || (b >= 0 && node(b).needs_grad) ||
                                         (c >= 0 && node(c).needs_grad));
  return nd;
}

namespace {

// Inputs of a node that gradients flow into: the first two, and an affine node's bias or a
// triple product's third factor.
int diff_inputs(Op op) { return op == Op::affine || op == Op::mul3 ? 3 : 2; }

template <class S>
BasicTape<S>& tape_of(BasicVar<S> a) {
  if (a.tape == nullptr || a.id < 0) throw Error("ad: operation on an empty Var");
  return *a.tape;
}

template <class S>
BasicTape<S>& tape_of(BasicVar<S> a, BasicVar<S> b) {
  BasicTape<S>& t = tape_of(a);
  if (b.tape != &t) throw Error("ad: operands live on different tapes");
  return t;
}

// A float tape's vectorised kernels: the double kernels on double copies of the inputs, in
// per-thread buffers (the conversions cost little beside tanh and its divided differences).
std::vector<double>& double_buffer(int slot, Index n) {
  thread_local std::vector<double> buffers[7];
  std::vector<double>& b = buffers[slot];
  b.resize(static_cast<std::size_t>(n));
  return b;
}

template <class S>
const double* as_double(const S* x, Index n, int slot) {
  if constexpr (std::is_same_v<S, double>) {
    return x;
  } else {
    std::vector<double>& b = double_buffer(slot, n);
    std::copy(x, x + n, b.begin());
    return b.data();
  }
}

template <class S>
void check_same_shape(const char* what, const MatS<S>& a, const MatS<S>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols())
    throw Error(fmt::format("ad: {}: shapes [{}, {}] and [{}, {}] differ", what, a.rows(), a.cols(),
                            b.rows(), b.cols()));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Operations: record the node and compute its value.

template <class S>
BasicVar<S> matmul(BasicVar<S> a, BasicVar<S> b, bool trans_a, bool trans_b) {
  BasicTape<S>& t = tape_of(a, b);
  const MatS<S>& A = t.node(a.id).value;
  const MatS<S>& B = t.node(b.id).value;
  const Index k_a = trans_a ? A.rows() : A.cols();
  const Index k_b = trans_b ? B.cols() : B.rows();
  if (k_a != k_b)
    throw Error(fmt::format("ad: matmul: inner dimensions {} and {} differ", k_a, k_b));
  auto& y = t.push(Op::matmul, a.id, b.id);  // after the checks: a failed op records nothing
  y.i0 = trans_a;
  y.i1 = trans_b;
  y.value.resize(trans_a ? A.cols() : A.rows(), trans_b ? B.rows() : B.cols());
  if (k_a == 1) {
    // An outer product (the [B, 1] x [1, C] of a scalar output layer's gradient): column j
    // is a's column (or row) times one entry of b, a plain vectorised scaling.
    MatS<S>& Y = y.value;
    for (Index j = 0; j < Y.cols(); ++j) {
      const S bj = trans_b ? B(j, 0) : B(0, j);
      if (trans_a) Y.col(j) = A.row(0).transpose() * bj;
      else Y.col(j) = A.col(0) * bj;
    }
  } else if (k_a <= 8) {
    // Nearly an outer product: a plain loop over the result beats a GEMM call, which would
    // pack its operands for nothing.
    if (!trans_a && !trans_b) y.value.noalias() = A.lazyProduct(B);
    else if (trans_a && !trans_b) y.value.noalias() = A.transpose().lazyProduct(B);
    else if (!trans_a && trans_b) y.value.noalias() = A.lazyProduct(B.transpose());
    else y.value.noalias() = A.transpose().lazyProduct(B.transpose());
  } else if (!trans_a && !trans_b) y.value.noalias() = A * B;
  else if (trans_a && !trans_b) y.value.noalias() = A.transpose() * B;
  else if (!trans_a && trans_b) y.value.noalias() = A * B.transpose();
  else y.value.noalias() = A.transpose() * B.transpose();
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> affine(BasicVar<S> x, BasicVar<S> w, BasicVar<S> row) {
  BasicTape<S>& t = tape_of(x, w);
  tape_of(x, row);
  const MatS<S>& X = t.node(x.id).value;
  const MatS<S>& W = t.node(w.id).value;
  const MatS<S>& R = t.node(row.id).value;
  if (X.cols() != W.rows() || R.rows() != 1 || R.cols() != W.cols())
    throw Error(fmt::format("ad: affine: shapes [{}, {}] x [{}, {}] + [{}, {}] do not match", X.rows(), X.cols(),
                            W.rows(), W.cols(), R.rows(), R.cols()));
  auto& y = t.push(Op::affine, x.id, w.id, row.id);
  y.value.resize(X.rows(), W.cols());
  if (X.cols() <= 8) {
    // Nearly an outer product (see matmul): each column of the result built where it stays in
    // cache, then the bias added; one pass over the result in memory instead of three. Rounded
    // as the bias plus Eigen's lazy product, (x0 w0 + x1 w1) + ... in that order.
    for (Index j = 0; j < W.cols(); ++j) {
      auto col = y.value.col(j);
      if (X.cols() == 0) col.setZero();
      else col.noalias() = X.col(0) * W(0, j);
      for (Index k = 1; k < X.cols(); ++k) col.noalias() += X.col(k) * W(k, j);
      col.array() += R(0, j);
    }
  } else {
    // Start from the broadcast bias and let the GEMM accumulate (beta = 1): one pass fewer
    // over the result than a product followed by a bias addition.
    for (Index j = 0; j < W.cols(); ++j) y.value.col(j).setConstant(R(0, j));
    y.value.noalias() += X * W;
  }
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> add(BasicVar<S> a, BasicVar<S> b) {
  BasicTape<S>& t = tape_of(a, b);
  check_same_shape("add", t.node(a.id).value, t.node(b.id).value);
  auto& y = t.push(Op::add, a.id, b.id);
  y.value = t.node(a.id).value + t.node(b.id).value;
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> sub(BasicVar<S> a, BasicVar<S> b) {
  BasicTape<S>& t = tape_of(a, b);
  check_same_shape("sub", t.node(a.id).value, t.node(b.id).value);
  auto& y = t.push(Op::sub, a.id, b.id);
  y.value = t.node(a.id).value - t.node(b.id).value;
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> add_row(BasicVar<S> a, BasicVar<S> row) {
  BasicTape<S>& t = tape_of(a, row);
  const MatS<S>& A = t.node(a.id).value;
  const MatS<S>& R = t.node(row.id).value;
  if (R.rows() != 1 || R.cols() != A.cols())
    throw Error(fmt::format("ad: add_row: row [{}, {}] does not match [{}, {}]", R.rows(), R.cols(),
                            A.rows(), A.cols()));
  auto& y = t.push(Op::add_row, a.id, row.id);
  y.value.resize(A.rows(), A.cols());
  for (Index j = 0; j < A.cols(); ++j) y.value.col(j) = A.col(j).array() + R(0, j);
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> mul(BasicVar<S> a, BasicVar<S> b) {
  BasicTape<S>& t = tape_of(a, b);
  check_same_shape("mul", t.node(a.id).value, t.node(b.id).value);
  auto& y = t.push(Op::mul, a.id, b.id);
  y.value = t.node(a.id).value.cwiseProduct(t.node(b.id).value);
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> scale(BasicVar<S> a, double s) {
  BasicTape<S>& t = tape_of(a);
  auto& y = t.push(Op::scale, a.id, -1);
  y.s = s;
  y.value = static_cast<S>(s) * t.node(a.id).value;
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> add_scalar(BasicVar<S> a, double s) {
  BasicTape<S>& t = tape_of(a);
  auto& y = t.push(Op::add_scalar, a.id, -1);
  y.s = s;
  y.value = t.node(a.id).value.array() + static_cast<S>(s);
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> sum_rows(BasicVar<S> a) {
  BasicTape<S>& t = tape_of(a);
  auto& y = t.push(Op::sum_rows, a.id, -1);
  y.value = t.node(a.id).value.colwise().sum();
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> sum_cols(BasicVar<S> a) {
  BasicTape<S>& t = tape_of(a);
  auto& y = t.push(Op::sum_cols, a.id, -1);
  y.value = t.node(a.id).value.rowwise().sum();
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> sum_all(BasicVar<S> a) {
  BasicTape<S>& t = tape_of(a);
  auto& y = t.push(Op::sum_all, a.id, -1);
  y.value.resize(1, 1);
  y.value(0, 0) = t.node(a.id).value.sum();
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> mean_rows(BasicVar<S> a) { return scale(sum_rows(a), 1.0 / static_cast<double>(a.rows())); }
template <class S>
BasicVar<S> mean_cols(BasicVar<S> a) { return scale(sum_cols(a), 1.0 / static_cast<double>(a.cols())); }
template <class S>
BasicVar<S> mean_all(BasicVar<S> a) { return scale(sum_all(a), 1.0 / static_cast<double>(a.value().size())); }

template <class S>
BasicVar<S> bcast_rows(BasicVar<S> a, Index rows) {
  BasicTape<S>& t = tape_of(a);
  const MatS<S>& A = t.node(a.id).value;
  if (A.rows() != 1) throw Error("ad: bcast_rows needs a single row");
  auto& y = t.push(Op::bcast_rows, a.id, -1);
  y.i0 = static_cast<int>(rows);
  y.value.resize(rows, A.cols());
  for (Index j = 0; j < A.cols(); ++j) y.value.col(j).setConstant(A(0, j));
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> bcast_cols(BasicVar<S> a, Index cols) {
  BasicTape<S>& t = tape_of(a);
  const MatS<S>& A = t.node(a.id).value;
  if (A.cols() != 1) throw Error("ad: bcast_cols needs a single column");
  auto& y = t.push(Op::bcast_cols, a.id, -1);
  y.i0 = static_cast<int>(cols);
  y.value.resize(A.rows(), cols);
  for (Index j = 0; j < cols; ++j) y.value.col(j) = A.col(0);
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> bcast_all(BasicVar<S> a, Index rows, Index cols) {
  BasicTape<S>& t = tape_of(a);
  const MatS<S>& A = t.node(a.id).value;
  if (A.size() != 1) throw Error("ad: bcast_all needs a [1, 1] value");
  auto& y = t.push(Op::bcast_all, a.id, -1);
  y.i0 = static_cast<int>(rows);
  y.i1 = static_cast<int>(cols);
  y.value.setConstant(rows, cols, A(0, 0));
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> square(BasicVar<S> a) {
  BasicTape<S>& t = tape_of(a);
  auto& y = t.push(Op::square, a.id, -1);
  y.value = t.node(a.id).value.array().square();
  return t.var(t.size() - 1);
}

namespace {

// dst(r) = src((r + s) mod R) for one column (dst = with add_to ? dst + shifted : shifted).
template <class Src, class Dst>
void shift_column(const Src& src, Dst&& dst, Index s, bool add_to) {
  const Index r = src.size();
  const Index k = r == 0 ? 0 : ((s % r) + r) % r;  // shift in [0, r)
  if (add_to) {
    dst.head(r - k) += src.segment(k, r - k);
    dst.tail(k) += src.head(k);
  } else {
    dst.head(r - k) = src.segment(k, r - k);
    dst.tail(k) = src.head(k);
  }
}

}  // namespace

template <class S>
BasicVar<S> shift_rows(BasicVar<S> a, Index s) {
  BasicTape<S>& t = tape_of(a);
  auto& y = t.push(Op::shift_rows, a.id, -1);
  const MatS<S>& A = t.node(a.id).value;
  y.i0 = static_cast<int>(s);
  y.value.resize(A.rows(), A.cols());
  for (Index j = 0; j < A.cols(); ++j) shift_column(A.col(j), y.value.col(j), s, false);
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> neighbours(BasicVar<S> a, int k, Index stride) {
  BasicTape<S>& t = tape_of(a);
  const MatS<S>& A = t.node(a.id).value;
  if (k < 1 || k % 2 == 0) throw Error(fmt::format("ad: neighbours: window {} is not odd and positive", k));
  auto& y = t.push(Op::neighbours, a.id, -1);
  y.i0 = k;
  y.i1 = static_cast<int>(stride);
  const Index c = A.cols();
  y.value.resize(A.rows(), k * c);
  for (int j = 0; j < k; ++j)
    for (Index col = 0; col < c; ++col) shift_column(A.col(col), y.value.col(j * c + col), (j - k / 2) * stride, false);
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> neighbours_adjoint(BasicVar<S> a, int k, Index stride) {
  BasicTape<S>& t = tape_of(a);
  const MatS<S>& A = t.node(a.id).value;
  if (k < 1 || A.cols() % k != 0) throw Error(fmt::format("ad: neighbours_adjoint: {} columns do not split in {}", A.cols(), k));
  auto& y = t.push(Op::neighbours_adjoint, a.id, -1);
  y.i0 = k;
  y.i1 = static_cast<int>(stride);
  const Index c = A.cols() / k;
  y.value.setZero(A.rows(), c);
  for (int j = 0; j < k; ++j)
    for (Index col = 0; col < c; ++col) shift_column(A.col(j * c + col), y.value.col(col), -(j - k / 2) * stride, true);
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> reshape(BasicVar<S> a, Index rows, Index cols) {
  BasicTape<S>& t = tape_of(a);
  const MatS<S>& A = t.node(a.id).value;
  if (rows * cols != A.size())
    throw Error(fmt::format("ad: cannot reshape [{}, {}] to [{}, {}]", A.rows(), A.cols(), rows, cols));
  auto& y = t.push(Op::reshape, a.id, -1);
  y.i0 = static_cast<int>(rows);
  y.i1 = static_cast<int>(cols);
  y.value.resize(rows, cols);
  y.value = Eigen::Map<const MatS<S>>(A.data(), rows, cols);
  return t.var(t.size() - 1);
}

template <class S>
BasicVar<S> apply(Fn f, BasicVar<S> a) {
  BasicTape<S>& t = tape_of(a);
  auto& y = t.push(Op::fn, a.id, -1);
  y.fn = f;
  const MatS<S>& A = t.node(a.id).value;
  y.value.resize(A.rows(), A.cols());
  switch (f) {
    case Fn::sin: y.value = A.array().sin(); break;
    case Fn::cos: y.value = A.array().cos(); break;
    case Fn::tanh:
      if constexpr (std::is_same_v<S, double>) {
        detail::tanh_batch(A.data(), y.value.data(), A.size());
      } else {
        std::vector<double>& out = double_buffer(6, A.size());
        detail::tanh_batch(as_double(A.data(), A.size(), 0), out.data(), A.size());
        std::copy(out.begin(), out.end(), y.value.data());
      }
      break;
    case Fn::sigmoid:
    case Fn::softplus: {
      const S* x = A.data();
      S* out = y.value.data();
      for (Index i = 0; i < A.size(); ++i) out[i] = static_cast<S>(detail::fn_value(f, static_cast<double>(x[i])));
      break;
    }
  }
  return t.var(t.size() - 1);
}

namespace {

// g .* (1 - y^2) and g .* (y - y^2): a gradient through tanh and sigmoid, from their values y,
// in one pass (these run on the largest matrices of a backward sweep).
template <class S>
BasicVar<S> tanh_grad(BasicVar<S> g, BasicVar<S> y) {
  BasicTape<S>& t = tape_of(g, y);
  auto& r = t.push(Op::tanh_grad, g.id, y.id);
  const MatS<S>& Y = t.node(y.id).value;
  r.value = t.node(g.id).value.array() * (S(1) - Y.array().square());
  return t.var(t.size() - 1);
}

// s * a .* b .* c, rounded as scale(mul(mul(a, b), c), s): one pass instead of three, and
// one node instead of three.
template <class S>
BasicVar<S> mul3(BasicVar<S> a, BasicVar<S> b, BasicVar<S> c, double s) {
  BasicTape<S>& t = tape_of(a, b);
  tape_of(a, c);
  auto& r = t.push(Op::mul3, a.id, b.id, c.id);
  r.s = s;
  r.value = static_cast<S>(s) * (t.node(a.id).value.array() * t.node(b.id).value.array() * t.node(c.id).value.array()).matrix();
  return t.var(t.size() - 1);
}

// Both partials of tanh_grad's backward, g .* (1 - b^2) (tanh_grad(g, b)) and -2 g .* a .* b
// (mul3(g, a, b, -2)), as those two nodes with the same values, in one pass over g, a and b
// instead of two: five passes over the arrays instead of seven, and these are among the
// largest arrays of a second-order sweep (HNN's training).
template <class S>
std::pair<BasicVar<S>, BasicVar<S>> tanh_grad_partials(BasicVar<S> g, BasicVar<S> a, BasicVar<S> b) {
  BasicTape<S>& t = tape_of(g, a);
  tape_of(g, b);
  t.push(Op::tanh_grad, g.id, b.id);
  const int first = t.size() - 1;
  auto& r2 = t.push(Op::mul3, g.id, a.id, b.id);
  r2.s = -2.0;
  const MatS<S>& G = t.node(g.id).value;
  const MatS<S>& A = t.node(a.id).value;
  const MatS<S>& B = t.node(b.id).value;
  check_same_shape("tanh_grad", G, A);
  check_same_shape("tanh_grad", G, B);
  MatS<S>& y1 = t.node(first).value;
  MatS<S>& y2 = r2.value;
  y1.resize(G.rows(), G.cols());
  y2.resize(G.rows(), G.cols());
  const S* __restrict pg = G.data();
  const S* __restrict pa = A.data();
  const S* __restrict pb = B.data();
  S* __restrict o1 = y1.data();
  S* __restrict o2 = y2.data();
  const S s = static_cast<S>(-2.0);
  for (Index i = 0; i < G.size(); ++i) {  // rounded as tanh_grad and mul3 round
    o1[i] = pg[i] * (S(1) - pb[i] * pb[i]);
    o2[i] = s * (pg[i] * pa[i] * pb[i]);
  }
  return {t.var(first), t.var(first + 1)};
}

template <class S>
BasicVar<S> sigmoid_grad(BasicVar<S> g, BasicVar<S> y) {
  BasicTape<S>& t = tape_of(g, y);
  auto& r = t.push(Op::sigmoid_grad, g.id, y.id);
  const MatS<S>& Y = t.node(y.id).value;
  r.value = t.node(g.id).value.array() * Y.array() * (S(1) - Y.array());
  return t.var(t.size() - 1);
}

// Records divdiff(a, b), or (given g) its backward: the pair g .* d/da divdiff(a, b) and
// g .* d/db divdiff(a, b) = g .* d/da divdiff(b, a) as two divdiff_vjp nodes, computed in one
// pass (for tanh they share every intermediate).
template <class S>
struct DivdiffNodes {
  BasicVar<S> first, second;
};

template <class S>
DivdiffNodes<S> record_divdiff(Fn f, BasicVar<S> a, BasicVar<S> b, BasicVar<S> fa, BasicVar<S> fb, BasicVar<S> g) {
  BasicTape<S>& t = tape_of(a, b);
  tape_of(a, fa);
  tape_of(a, fb);
  const bool vjp = g.id >= 0;
  const int ia = a.id, ib = b.id, ifa = fa.id, ifb = fb.id;
  auto setup = [&](Op op, int x, int y, int fx, int fy) {
    auto& nd = t.push(op, x, y);
    nd.fn = f;
    nd.in[2] = fx;
    nd.in[3] = fy;
    nd.in[4] = g.id;
    return t.size() - 1;
  };
  const MatS<S>& A = t.node(ia).value;
  const MatS<S>& B = t.node(ib).value;
  const MatS<S>& FA = t.node(ifa).value;
  const MatS<S>& FB = t.node(ifb).value;
  check_same_shape("divdiff", A, B);
  check_same_shape("divdiff", A, FA);
  check_same_shape("divdiff", B, FB);
  if (vjp) check_same_shape("divdiff", A, t.node(g.id).value);
  const int first = setup(vjp ? Op::divdiff_vjp : Op::divdiff, ia, ib, ifa, ifb);
  const int second = vjp ? setup(Op::divdiff_vjp, ib, ia, ifb, ifa) : -1;
  MatS<S>& y0 = t.node(first).value;
  y0.resize(A.rows(), A.cols());
  S* out0 = y0.data();
  S* out1 = nullptr;
  if (vjp) {
    MatS<S>& y1 = t.node(second).value;
    y1.resize(A.rows(), A.cols());
    out1 = y1.data();
  }
  const S* pa = A.data();
  const S* pb = B.data();
  const S* pfa = FA.data();
  const S* pfb = FB.data();
  const S* pg = vjp ? t.node(g.id).value.data() : nullptr;
  const Index n = A.size();
  if (f == Fn::tanh) {
    const double *da = as_double(pa, n, 0), *db = as_double(pb, n, 1), *dfa = as_double(pfa, n, 2), *dfb = as_double(pfb, n, 3);
    const double* dg = vjp ? as_double(pg, n, 4) : nullptr;
    if constexpr (std::is_same_v<S, double>) {
      if (vjp) detail::dd_tanh_partials_batch(da, db, dfa, dfb, dg, out0, out1, n);
      else detail::dd_tanh_batch(da, db, dfa, dfb, out0, n);
    } else {
      std::vector<double>& o0 = double_buffer(5, n);
      std::vector<double>& o1 = double_buffer(6, vjp ? n : 0);
      if (vjp) detail::dd_tanh_partials_batch(da, db, dfa, dfb, dg, o0.data(), o1.data(), n);
      else detail::dd_tanh_batch(da, db, dfa, dfb, o0.data(), n);
      std::copy(o0.begin(), o0.end(), out0);
      if (vjp) std::copy(o1.begin(), o1.end(), out1);
    }
    return {t.var(first), vjp ? t.var(second) : BasicVar<S>{}};
  }
  // Each entry in double, rounded once to S (for a float tape: the kernels are double only).
  auto d = [](S x) { return static_cast<double>(x); };
  if (vjp) {
    for (Index i = 0; i < n; ++i) {
      out0[i] = static_cast<S>(d(pg[i]) * detail::dd_da(f, d(pa[i]), d(pb[i]), d(pfa[i]), d(pfb[i])));
      out1[i] = static_cast<S>(d(pg[i]) * detail::dd_da(f, d(pb[i]), d(pa[i]), d(pfb[i]), d(pfa[i])));
    }
  } else {
    for (Index i = 0; i < n; ++i) out0[i] = static_cast<S>(detail::dd(f, d(pa[i]), d(pb[i]), d(pfa[i]), d(pfb[i])));
  }
  return {t.var(first), vjp ? t.var(second) : BasicVar<S>{}};
}

}  // namespace

template <class S>
BasicVar<S> divdiff(Fn f, BasicVar<S> a, BasicVar<S> b, BasicVar<S> fa, BasicVar<S> fb) { return record_divdiff(f, a, b, fa, fb, BasicVar<S>{}).first; }

// ---------------------------------------------------------------------------------------------
// Reverse sweeps

template <class S>
bool BasicTape<S>::wants(int id, Sweep sweep) const {
  if (id < 0) return false;
  switch (sweep) {
    case Sweep::all: return node(id).needs_grad;
    case Sweep::restricted: return mark_[static_cast<std::size_t>(id)] != 0;
    case Sweep::discrete: return pair_of_[static_cast<std::size_t>(id)] >= 0;
  }
  return false;
}

template <class S>
void BasicTape<S>::check_own(BasicVar<S> v, const char* what) const {
  if (v.tape != this || v.id < 0 || v.id >= n_) throw Error(fmt::format("ad: {} of a Var of another tape", what));
}

template <class S>
void BasicTape<S>::accumulate(int target, int g) {
  int& slot = grad_of_[static_cast<std::size_t>(target)];
  const int old = slot;
  slot = old < 0 ? g : add(var(old), var(g)).id;
  if (!releasing_) return;
  if (slots_.size() < static_cast<std::size_t>(n_)) slots_.resize(static_cast<std::size_t>(n_), 0);
  ++slots_[static_cast<std::size_t>(slot)];
  if (old >= 0 && --slots_[static_cast<std::size_t>(old)] == 0) release(old);
}

template <class S>
void BasicTape<S>::release(int id) {
  Matrix& v = node(id).value;
  if (id < counted_) live_ -= static_cast<std::size_t>(v.size()) * sizeof(S);
  Matrix().swap(v);
}

// In a discrete sweep, the factor multiplying the other operand of a product: the average of
// its values at u and v (Eq. 9), or the shared value itself if it does not depend on the state.
template <class S>
BasicVar<S> BasicTape<S>::other_factor(int id, Sweep sweep) {
  if (sweep != Sweep::discrete) return var(id);
  const int q = pair_of_[static_cast<std::size_t>(id)];
  if (q < 0) return var(id);
  return scale(add(var(id), var(q)), 0.5);
}

template <class S>
void BasicTape<S>::propagate(int id, int gid, Sweep sweep) {
  const bool discrete = sweep == Sweep::discrete;
  // Copies: recording new nodes may not move nodes (deque), but keep the code obviously safe.
  const Op op = node(id).op;
  const Fn f = node(id).fn;
  const int a = node(id).in[0], b = node(id).in[1];
  const int i0 = node(id).i0, i1 = node(id).i1;
  const double s = node(id).s;
  const BasicVar<S> g = var(gid);
  const bool wa = wants(a, sweep), wb = wants(b, sweep);

  switch (op) {
    case Op::leaf: break;
    case Op::matmul: {
      // y = op(a) op(b); d op(a) = g op(b)^T, d op(b) = op(a)^T g, transposed back if needed.
      const bool ta = i0 != 0, tb = i1 != 0;
      if (wa) {
        const BasicVar<S> B = other_factor(b, sweep);
        accumulate(a, (ta ? matmul(B, g, tb, true) : matmul(g, B, false, !tb)).id);
      }
      if (wb) {
        const BasicVar<S> A = other_factor(a, sweep);
        accumulate(b, (tb ? matmul(g, A, true, ta) : matmul(A, g, !ta, false)).id);
      }
      break;
    }
    case Op::affine: {  // y = a b + row
      if (wa) accumulate(a, matmul(g, other_factor(b, sweep), false, true).id);
      if (wb) accumulate(b, matmul(other_factor(a, sweep), g, true, false).id);
      const int row = node(id).in[2];
      if (wants(row, sweep)) accumulate(row, sum_rows(g).id);
      break;
    }
    case Op::add:
      if (wa) accumulate(a, gid);
      if (wb) accumulate(b, gid);
      break;
    case Op::sub:
      if (wa) accumulate(a, gid);
      if (wb) accumulate(b, scale(g, -1.0).id);
      break;
    case Op::add_row:
      if (wa) accumulate(a, gid);
      if (wb) accumulate(b, sum_rows(g).id);
      break;
    case Op::mul:
      if (wa) accumulate(a, mul(g, other_factor(b, sweep)).id);
      if (wb) accumulate(b, mul(g, other_factor(a, sweep)).id);
      break;
    case Op::scale:
      if (wa) accumulate(a, scale(g, s).id);
      break;
    case Op::add_scalar:
      if (wa) accumulate(a, gid);
      break;
    case Op::sum_rows:
      if (wa) accumulate(a, bcast_rows(g, node(a).value.rows()).id);
      break;
    case Op::sum_cols:
      if (wa) accumulate(a, bcast_cols(g, node(a).value.cols()).id);
      break;
    case Op::sum_all:
      if (wa) accumulate(a, bcast_all(g, node(a).value.rows(), node(a).value.cols()).id);
      break;
    case Op::bcast_rows:
      if (wa) accumulate(a, sum_rows(g).id);
      break;
    case Op::bcast_cols:
      if (wa) accumulate(a, sum_cols(g).id);
      break;
    case Op::bcast_all:
      if (wa) accumulate(a, sum_all(g).id);
      break;
    case Op::square:
      if (!wa) break;
      if (discrete) {  // (a^2 - b^2) / (a - b) = a + b
        accumulate(a, mul(g, add(var(a), var(pair_of_[static_cast<std::size_t>(a)]))).id);
      } else {
        accumulate(a, scale(mul(g, var(a)), 2.0).id);
      }
      break;
    case Op::shift_rows:
      if (wa) accumulate(a, shift_rows(g, -i0).id);
      break;
    case Op::neighbours:
      if (wa) accumulate(a, neighbours_adjoint(g, i0, i1).id);
      break;
    case Op::neighbours_adjoint:
      if (wa) accumulate(a, neighbours(g, i0, i1).id);
      break;
    case Op::reshape:
      if (wa) accumulate(a, reshape(g, node(a).value.rows(), node(a).value.cols()).id);
      break;
    case Op::fn: {
      if (!wa) break;
      if (discrete) {
        const int q = pair_of_[static_cast<std::size_t>(id)];
        const int aq = pair_of_[static_cast<std::size_t>(a)];
        accumulate(a, mul(g, divdiff(f, var(a), var(aq), var(id), var(q))).id);
        break;
      }
      switch (f) {
        case Fn::tanh: accumulate(a, tanh_grad(g, var(id)).id); break;
        case Fn::sigmoid: accumulate(a, sigmoid_grad(g, var(id)).id); break;
        case Fn::softplus: accumulate(a, mul(g, sigmoid(var(a))).id); break;
        case Fn::sin: accumulate(a, mul(g, cos(var(a))).id); break;
        case Fn::cos: accumulate(a, scale(mul(g, sin(var(a))), -1.0).id); break;
      }
      break;
    }
    case Op::tanh_grad:  // r = a .* (1 - b^2): dr/da = 1 - b^2, dr/db = -2 a b
      if (discrete) throw Error("ad: discrete differentiation through a derivative is not supported");
      if (wa && wb) {
        const auto [da, db] = tanh_grad_partials(g, var(a), var(b));
        accumulate(a, da.id);
        accumulate(b, db.id);
        break;
      }
      if (wa) accumulate(a, tanh_grad(g, var(b)).id);
      if (wb) accumulate(b, mul3(g, var(a), var(b), -2.0).id);
      break;
    case Op::mul3: {  // r = s a .* b .* c
      if (discrete) throw Error("ad: discrete differentiation through a derivative is not supported");
      const int c = node(id).in[2];
      if (wa) accumulate(a, mul3(g, var(b), var(c), s).id);
      if (wb) accumulate(b, mul3(g, var(a), var(c), s).id);
      if (wants(c, sweep)) accumulate(c, mul3(g, var(a), var(b), s).id);
      break;
    }
    case Op::sigmoid_grad:  // r = a .* (b - b^2): dr/da = b - b^2, dr/db = a (1 - 2b)
      if (discrete) throw Error("ad: discrete differentiation through a derivative is not supported");
      if (wa) accumulate(a, sigmoid_grad(g, var(b)).id);
      if (wb) accumulate(b, mul(mul(g, var(a)), add_scalar(scale(var(b), -2.0), 1.0)).id);
      break;
    case Op::divdiff: {
      if (discrete) throw Error("ad: discrete differentiation through a divided difference is not supported");
      const int fa = node(id).in[2], fb = node(id).in[3];
      if (!wa && !wb) break;
      const DivdiffNodes<S> d = record_divdiff(f, var(a), var(b), var(fa), var(fb), g);
      if (wa) accumulate(a, d.first.id);
      if (wb) accumulate(b, d.second.id);
      break;
    }
    case Op::divdiff_vjp:
      throw Error("ad: a discrete gradient can be differentiated once, not twice");
  }
}

template <class S>
void BasicTape<S>::backward(BasicVar<S> loss, bool create_graph) {
  check_own(loss, "backward");
  const int n0 = n_;
  grad_of_.assign(static_cast<std::size_t>(n0), -1);
  if (!node(loss.id).needs_grad) return;
  record_needs_grad_ = create_graph;
  const MatS<S>& l = node(loss.id).value;
  grad_of_[static_cast<std::size_t>(loss.id)] = constant(l.rows(), l.cols(), 1.0).id;
  try {
    for (int id = loss.id; id >= 0; --id) {
      const int g = grad_of_[static_cast<std::size_t>(id)];
      if (g >= 0 && node(id).needs_grad) propagate(id, g, Sweep::all);
    }
  } catch (...) {
    record_needs_grad_ = true;
    throw;
  }
  record_needs_grad_ = true;
}

template <class S>
std::size_t BasicTape<S>::backward_releasing(BasicVar<S> loss) {
  check_own(loss, "backward_releasing");
  const int n0 = n_;
  grad_of_.assign(static_cast<std::size_t>(n0), -1);
  live_ = bytes(0);
  counted_ = n0;
  std::size_t peak = live_;
  if (!node(loss.id).needs_grad) return peak;
  slots_.assign(static_cast<std::size_t>(n0), 0);
  record_needs_grad_ = false;
  releasing_ = true;
  released_ = true;
  // The bytes of the nodes recorded since `from`, counted into live_ and the peak.
  auto count_new = [&](int from) {
    for (int i = from; i < n_; ++i) live_ += static_cast<std::size_t>(node(i).value.size()) * sizeof(S);
    counted_ = n_;
    peak = std::max(peak, live_);
  };
  const MatS<S>& l = node(loss.id).value;
  const int seed = constant(l.rows(), l.cols(), 1.0).id;
  count_new(seed);
  accumulate(loss.id, seed);
  try {
    for (int id = loss.id; id >= 0; --id) {
      const int g = grad_of_[static_cast<std::size_t>(id)];
      const Op op = node(id).op;
      if (op == Op::leaf) continue;  // leaves keep their values and gradients
      if (g >= 0 && node(id).needs_grad) {
        const int mark = n_;
        propagate(id, g, Sweep::all);
        count_new(mark);
        // The node's gradient is spent; so is every node the propagation recorded that no
        // gradient slot holds (intermediates such as the product inside g .* a .* b).
        grad_of_[static_cast<std::size_t>(id)] = -1;
        if (slots_.size() < static_cast<std::size_t>(n_)) slots_.resize(static_cast<std::size_t>(n_), 0);
        if (--slots_[static_cast<std::size_t>(g)] == 0) release(g);
        for (int i = mark; i < n_; ++i)
          if (slots_[static_cast<std::size_t>(i)] == 0) release(i);
      }
      // Every consumer of this value has been swept, and so has the node itself.
      if (id != loss.id) release(id);
    }
  } catch (...) {
    record_needs_grad_ = true;
    releasing_ = false;
    throw;
  }
  record_needs_grad_ = true;
  releasing_ = false;
  return peak;
}

template <class S>
BasicVar<S> BasicTape<S>::grad(BasicVar<S> v) {
  check_own(v, "grad");
  if (released_ && node(v.id).op != Op::leaf)
    throw Error(fmt::format("ad: grad of node {}, not a leaf, after backward_releasing (it keeps the leaves' gradients only)", v.id));
  const auto i = static_cast<std::size_t>(v.id);
  if (i < grad_of_.size() && grad_of_[i] >= 0) return var(grad_of_[i]);
  return constant(node(v.id).value.rows(), node(v.id).value.cols(), 0.0);
}

template <class S>
BasicVar<S> BasicTape<S>::gradient(BasicVar<S> y, BasicVar<S> x, bool create_graph) {
  check_own(y, "gradient");
  check_own(x, "gradient");
  const int n0 = n_;
  grad_of_.assign(static_cast<std::size_t>(n0), -1);
  // Mark the nodes that depend on x; only those receive gradients.
  mark_.assign(static_cast<std::size_t>(n0), 0);
  mark_[static_cast<std::size_t>(x.id)] = 1;
  for (int id = x.id + 1; id <= y.id; ++id) {
    const Node& nd = node(id);
    char m = 0;
    for (int k = 0; k < diff_inputs(nd.op); ++k) m = m || (nd.in[k] >= 0 && mark_[static_cast<std::size_t>(nd.in[k])]);
    mark_[static_cast<std::size_t>(id)] = m;
  }
  if (!mark_[static_cast<std::size_t>(y.id)]) return constant(x.rows(), x.cols(), 0.0);
  record_needs_grad_ = create_graph;
  const MatS<S>& l = node(y.id).value;
  grad_of_[static_cast<std::size_t>(y.id)] = constant(l.rows(), l.cols(), 1.0).id;
  try {
    for (int id = y.id; id > x.id; --id) {
      const int g = grad_of_[static_cast<std::size_t>(id)];
      if (g >= 0 && mark_[static_cast<std::size_t>(id)]) propagate(id, g, Sweep::restricted);
    }
  } catch (...) {
    record_needs_grad_ = true;
    throw;
  }
  record_needs_grad_ = true;
  const BasicVar<S> result = var(grad_of_[static_cast<std::size_t>(x.id)]);
  grad_of_.clear();  // grad() reports backward() only
  return result;
}

template <class S>
BasicVar<S> BasicTape<S>::discrete_gradient(BasicVar<S> h_u, BasicVar<S> h_v, BasicVar<S> u, BasicVar<S> v, bool create_graph) {
  for (BasicVar<S> x : {h_u, h_v, u, v}) check_own(x, "discrete_gradient");
  const int n0 = n_;
  pair_of_.assign(static_cast<std::size_t>(n0), -1);
  grad_of_.assign(static_cast<std::size_t>(n0), -1);
  check_same_shape("discrete_gradient", node(u.id).value, node(v.id).value);

  // Pair the nodes of the two recordings of H, walking both graphs together from the output.
  // A node shared by both (parameters, constants) does not depend on the state and stays
  // unpaired; the sweep then treats it as a constant.
  stack_.clear();
  if (h_u.id != h_v.id) {
    pair_of_[static_cast<std::size_t>(h_u.id)] = h_v.id;
    stack_.push_back(h_u.id);
  }
  while (!stack_.empty()) {
    const int p = stack_.back();
    stack_.pop_back();
    const int q = pair_of_[static_cast<std::size_t>(p)];
    const Node& np = node(p);
    const Node& nq = node(q);
    if (np.op != nq.op || np.fn != nq.fn || np.i0 != nq.i0 || np.i1 != nq.i1 || np.s != nq.s ||
        np.value.rows() != nq.value.rows() || np.value.cols() != nq.value.cols())
      throw Error(fmt::format("ad: discrete_gradient: H(u) and H(v) were recorded differently "
                              "(nodes {} and {})", p, q));
    if (np.op == Op::leaf) continue;
    for (int k = 0; k < diff_inputs(np.op); ++k) {
      const int ip = np.in[k], iq = nq.in[k];
      if (ip < 0 || ip == iq) continue;
      int& slot = pair_of_[static_cast<std::size_t>(ip)];
      if (slot < 0) {
        slot = iq;
        stack_.push_back(ip);
      } else if (slot != iq) {
        throw Error("ad: discrete_gradient: H(u) and H(v) share intermediate values inconsistently");
      }
    }
  }
  if (pair_of_[static_cast<std::size_t>(u.id)] != v.id) return constant(u.rows(), u.cols(), 0.0);

  record_needs_grad_ = create_graph;
  const MatS<S>& l = node(h_u.id).value;
  grad_of_[static_cast<std::size_t>(h_u.id)] = constant(l.rows(), l.cols(), 1.0).id;
  try {
    for (int id = h_u.id; id >= 0; --id) {
      const int g = grad_of_[static_cast<std::size_t>(id)];
      if (g >= 0 && pair_of_[static_cast<std::size_t>(id)] >= 0) propagate(id, g, Sweep::discrete);
    }
  } catch (...) {
    record_needs_grad_ = true;
    throw;
  }
  record_needs_grad_ = true;
  const int g = grad_of_[static_cast<std::size_t>(u.id)];
  grad_of_.clear();  // grad() reports backward() only
  return g >= 0 ? var(g) : constant(u.rows(), u.cols(), 0.0);
}

// ---------------------------------------------------------------------------------------------
// The two precisions.

#define DGSIM_AD_INSTANTIATE(S)                                                                   \
  template class BasicTape<S>;                                                                     \
  template BasicVar<S> matmul(BasicVar<S>, BasicVar<S>, bool, bool);                               \
  template BasicVar<S> affine(BasicVar<S>, BasicVar<S>, BasicVar<S>);                              \
  template BasicVar<S> add(BasicVar<S>, BasicVar<S>);                                              \
  template BasicVar<S> sub(BasicVar<S>, BasicVar<S>);                                              \
  template BasicVar<S> add_row(BasicVar<S>, BasicVar<S>);                                          \
  template BasicVar<S> mul(BasicVar<S>, BasicVar<S>);                                              \
  template BasicVar<S> scale(BasicVar<S>, double);                                                 \
  template BasicVar<S> add_scalar(BasicVar<S>, double);                                            \
  template BasicVar<S> sum_rows(BasicVar<S>);                                                      \
  template BasicVar<S> sum_cols(BasicVar<S>);                                                      \
  template BasicVar<S> sum_all(BasicVar<S>);                                                       \
  template BasicVar<S> mean_rows(BasicVar<S>);                                                     \
  template BasicVar<S> mean_cols(BasicVar<S>);                                                     \
  template BasicVar<S> mean_all(BasicVar<S>);                                                      \
  template BasicVar<S> bcast_rows(BasicVar<S>, Index);                                             \
  template BasicVar<S> bcast_cols(BasicVar<S>, Index);                                             \
  template BasicVar<S> bcast_all(BasicVar<S>, Index, Index);                                       \
  template BasicVar<S> square(BasicVar<S>);                                                        \
  template BasicVar<S> shift_rows(BasicVar<S>, Index);                                             \
  template BasicVar<S> reshape(BasicVar<S>, Index, Index);                                         \
  template BasicVar<S> neighbours(BasicVar<S>, int, Index);                                        \
  template BasicVar<S> neighbours_adjoint(BasicVar<S>, int, Index);                                \
  template BasicVar<S> apply(Fn, BasicVar<S>);                                                     \
  template BasicVar<S> divdiff(Fn, BasicVar<S>, BasicVar<S>, BasicVar<S>, BasicVar<S>);

DGSIM_AD_INSTANTIATE(float)
DGSIM_AD_INSTANTIATE(double)
#undef DGSIM_AD_INSTANTIATE

}  // namespace dgsim::ad
