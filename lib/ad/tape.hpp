#pragma once
// Reverse-mode automatic differentiation over batched Eigen matrices, with automatic
// discrete differentiation (DGNet paper, Section 3.3, Theorem 4, Eq. 10).
//
// A Tape records a flat list of matrix operations; each operation's value is computed when it
// is recorded. Values are batches: one row per sample. backward() is an iterative reverse
// sweep that itself records the gradient computation on the tape, so a gradient is an ordinary
// Var that can be used in a loss and differentiated again (HNN training needs d/dθ of a loss of
// ∇H). discrete_gradient() does the same for the discrete gradient ∇̄H(u, v).
//
// Usage:
//   Tape tape;
//   Var x = tape.leaf(x0, true);                   // [B, n], requires a gradient
//   Var h = sum_cols(tanh(matmul(x, w)));          // [B, 1]
//   tape.backward(h, true);                        // d(sum h)/d(leaves), recorded
//   Var gx = tape.grad(x);                         // [B, n], differentiable again
//
// Buffers are reused: after clear() the same sequence of operations reuses the node storage,
// so a loop that records the same graph every step does no heap allocation per op (beyond
// what BLAS itself does). Training steps use backward_releasing instead, which frees the
// graph as it sweeps (its peak memory is the forward graph's) and so allocates it again in
// the next step, from memory the process keeps (keep_freed_memory, lib/core/memory.hpp).
//
// Precision: BasicTape<S> holds values of scalar S, float or double. Tape and Var are the
// double tape (what dgsim uses unless told otherwise); a float tape runs its matrix products
// in single precision (sgemm) and evaluates the scalar kernels (tanh, divided differences)
// in double, rounding each result once.

#include <cstddef>
#include <deque>
#include <vector>

#include "lib/core/types.hpp"

namespace dgsim::ad {

template <class S>
using MatS = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;

template <class S>
class BasicTape;

// Handle to a value recorded on a tape. Valid until the tape's next clear(); references from
// value() stay valid while the tape grows.
template <class S>
struct BasicVar {
  BasicTape<S>* tape = nullptr;
  int id = -1;

  const MatS<S>& value() const;
  Eigen::Index rows() const { return value().rows(); }
  Eigen::Index cols() const { return value().cols(); }
};

// Elementwise functions with a derivative and a cancellation-free divided difference.
enum class Fn { tanh, sigmoid, softplus, sin, cos };

enum class Op {
  leaf,
  matmul,        // op(a) op(b); i0, i1 = transpose flags
  affine,        // a b + in[2] (a row broadcast over rows)
  add,
  sub,
  add_row,       // a [R, C] + b [1, C] broadcast over rows
  mul,           // elementwise
  scale,         // s * a
  add_scalar,    // a + s
  sum_rows,      // [R, C] -> [1, C]
  sum_cols,      // [R, C] -> [R, 1]
  sum_all,       // [R, C] -> [1, 1]
  bcast_rows,    // [1, C] -> [i0, C]
  bcast_cols,    // [R, 1] -> [R, i0]
  bcast_all,     // [1, 1] -> [i0, i1]
  square,
  shift_rows,    // y.row(r) = a.row((r + i0) mod R)
  reshape,       // column-major reinterpretation as [i0, i1]
  neighbours,    // [R, C] -> [R, i0*C], block j = shift_rows(a, (j - i0/2) * i1)
  neighbours_adjoint,  // [R, i0*C] -> [R, C], the adjoint of neighbours
  fn,            // f(a), f = fn
  tanh_grad,     // a .* (1 - b^2), b = tanh(x): a gradient through tanh
  sigmoid_grad,  // a .* (b - b^2), b = sigmoid(x)
  divdiff,       // (f(a) - f(b)) / (a - b), f = fn; in[2], in[3] = f(a), f(b)
  divdiff_vjp,   // in[4] .* d/da divdiff(a, b); the backward of divdiff, not differentiable
  mul3,          // s * a .* b .* in[2], in one pass: recorded by sweeps (tanh_grad's backward)
};

template <class S>
class BasicTape {
 public:
  using Scalar = S;
  using Matrix = MatS<S>;
  using Var = BasicVar<S>;

  BasicTape() = default;
  BasicTape(const BasicTape&) = delete;
  BasicTape& operator=(const BasicTape&) = delete;

  // Forgets all recorded operations but keeps their buffers for reuse.
  void clear();
  int size() const { return n_; }
  // Forgets the operations recorded after the first n (0 <= n <= size()); Vars of those first
  // n stay valid with their values. Lets a caller keep a recorded prefix (parameters, H(u) of
  // a fixed u) and re-record only what follows it.
  void truncate(int n);
  // Bytes held by the values of operations first..size()-1: the memory of that part of the
  // recorded graph.
  std::size_t bytes(int first = 0) const;
  // Frees the storage of operations beyond size() (kept for reuse by clear() and truncate()).
  void shrink();

  // A leaf holding a copy of m (rounded to S). requires_grad: whether backward() computes
  // its gradient.
  template <class Derived>
  Var leaf(const Eigen::MatrixBase<Derived>& m, bool requires_grad = false) {
    Node& nd = push(Op::leaf, -1, -1);
    nd.value = m.template cast<S>();
    nd.needs_grad = requires_grad;
    return {this, n_ - 1};
  }
  // A leaf of shape [rows, cols] filled with c.
  Var constant(Eigen::Index rows, Eigen::Index cols, double c) {
    Node& nd = push(Op::leaf, -1, -1);
    nd.value.setConstant(rows, cols, static_cast<S>(c));
    return {this, n_ - 1};
  }

  // Reverse sweep from `loss`, seeded with ones of loss's shape (so a batch of energies [B, 1]
  // gives per-sample gradients). Gradients are recorded on the tape; with create_graph they
  // can be differentiated again, without it they are treated as constants by later sweeps.
  void backward(Var loss, bool create_graph = false);

  // backward(loss) for the last sweep of a graph (a training step's loss): the same gradients,
  // bit for bit, but each value is freed as soon as the sweep no longer needs it: the values of
  // the operations the sweep has passed and the gradients already propagated. Its peak memory
  // is then about the forward graph's instead of about three times it. Afterwards only the
  // leaves, the loss and the leaves' gradients (grad(), which throws for any other Var until
  // the next clear()) keep their values: clear() the tape before recording on it again.
  // Returns the peak of bytes(0) during the sweep.
  std::size_t backward_releasing(Var loss);

  // Gradient of the last backward() with respect to v (zeros if v does not influence it, or if
  // gradient() or discrete_gradient() ran since).
  Var grad(Var v);

  // d(sum of y's entries)/dx, x any earlier Var (a leaf with or without requires_grad, or an
  // intermediate). Only the part of the graph between x and y is swept, so e.g. ∇H(u) costs no
  // weight gradients. With create_graph the result can be differentiated again (HNN losses).
  Var gradient(Var y, Var x, bool create_graph = true);

  // Automatic discrete differentiation. h_u and h_v are the same function H (the same sequence
  // of operations, sharing parameters) recorded on two states u and v (leaves of equal shape).
  // Returns ∇̄H(u, v), shape of u, with H(u) - H(v) = ∇̄H·(u - v) per sample, ∇̄H(u, u) = ∇H(u)
  // and ∇̄H(u, v) = ∇̄H(v, u). Linear operations use their adjoint, elementwise functions the
  // divided difference (Eq. 10), products the averaged product rule (Eq. 9). Recorded on the
  // tape, so a loss of it can be differentiated once more (e.g. with respect to the weights).
  // u and v need not require gradients. H may use every operation except the gradient-only
  // ones (tanh_grad, sigmoid_grad, divdiff, divdiff_vjp, mul3): a discrete gradient of a gradient is
  // not defined here, and an Error says so.
  Var discrete_gradient(Var h_u, Var h_v, Var u, Var v, bool create_graph = true);

  const Matrix& value(Var v) const { return nodes_[static_cast<std::size_t>(v.id)].value; }

 private:
  struct Node {
    Op op = Op::leaf;
    Fn fn = Fn::tanh;
    int in[5] = {-1, -1, -1, -1, -1};
    int i0 = 0, i1 = 0;
    double s = 0.0;
    bool needs_grad = false;
    Matrix value;
  };

 public:
  // Used by the operation functions below (and to inspect a tape, e.g. to count FLOPs).
  Node& push(Op op, int a, int b, int c = -1);  // c: a third differentiated input (affine's bias)
  Node& node(int id) { return nodes_[static_cast<std::size_t>(id)]; }
  const Node& node(int id) const { return nodes_[static_cast<std::size_t>(id)]; }
  Var var(int id) { return {this, id}; }

 private:
  void accumulate(int target, int g);
  void release(int id);  // frees node id's value (backward_releasing)

  enum class Sweep { all, restricted, discrete };
  void propagate(int id, int g, Sweep sweep);
  bool wants(int id, Sweep sweep) const;
  Var other_factor(int id, Sweep sweep);
  void check_own(Var v, const char* what) const;

  std::deque<Node> nodes_;  // a deque: values keep their address while the tape grows
  int n_ = 0;
  std::vector<int> grad_of_;    // node id -> id of its accumulated gradient (or -1)
  std::vector<int> pair_of_;    // u-side node id -> v-side node id (discrete gradient)
  std::vector<int> stack_;
  std::vector<char> mark_;
  bool record_needs_grad_ = true;  // false while recording a sweep without create_graph
  // backward_releasing: how many gradient slots (grad_of_) hold each node, and the bytes held.
  bool releasing_ = false;
  bool released_ = false;  // since the last backward_releasing: grad() of leaves only
  std::vector<int> slots_;
  std::size_t live_ = 0;  // bytes of the values of nodes below counted_
  int counted_ = 0;
};

// ---- operations; every argument must live on the same tape ----
template <class S> BasicVar<S> matmul(BasicVar<S> a, BasicVar<S> b, bool trans_a = false, bool trans_b = false);  // op(a) op(b)
template <class S> BasicVar<S> affine(BasicVar<S> x, BasicVar<S> w, BasicVar<S> row);  // x [R, K] w [K, C] + row [1, C]: a linear layer, one pass
template <class S> BasicVar<S> add(BasicVar<S> a, BasicVar<S> b);
template <class S> BasicVar<S> sub(BasicVar<S> a, BasicVar<S> b);
template <class S> BasicVar<S> add_row(BasicVar<S> a, BasicVar<S> row);  // a [R, C] + row [1, C]
template <class S> BasicVar<S> mul(BasicVar<S> a, BasicVar<S> b);        // elementwise
template <class S> BasicVar<S> scale(BasicVar<S> a, double s);
template <class S> BasicVar<S> add_scalar(BasicVar<S> a, double s);
template <class S> BasicVar<S> sum_rows(BasicVar<S> a);  // [R, C] -> [1, C]
template <class S> BasicVar<S> sum_cols(BasicVar<S> a);  // [R, C] -> [R, 1]
template <class S> BasicVar<S> sum_all(BasicVar<S> a);   // [R, C] -> [1, 1]
template <class S> BasicVar<S> mean_rows(BasicVar<S> a);
template <class S> BasicVar<S> mean_cols(BasicVar<S> a);
template <class S> BasicVar<S> mean_all(BasicVar<S> a);
template <class S> BasicVar<S> bcast_rows(BasicVar<S> a, Eigen::Index rows);  // [1, C] -> [rows, C]
template <class S> BasicVar<S> bcast_cols(BasicVar<S> a, Eigen::Index cols);  // [R, 1] -> [R, cols]
template <class S> BasicVar<S> bcast_all(BasicVar<S> a, Eigen::Index rows, Eigen::Index cols);
template <class S> BasicVar<S> square(BasicVar<S> a);
template <class S> BasicVar<S> shift_rows(BasicVar<S> a, Eigen::Index s);  // y.row(r) = a.row((r + s) mod R), periodic
template <class S> BasicVar<S> reshape(BasicVar<S> a, Eigen::Index rows, Eigen::Index cols);  // column-major order kept
// Periodic neighbourhoods (im2col of a periodic 1-D convolution): [R, C] -> [R, k*C] whose
// column block j is shift_rows(a, (j - k/2) * stride); k odd. With site-major rows
// (stride = batch size) block j holds each site's neighbour j - k/2.
template <class S> BasicVar<S> neighbours(BasicVar<S> a, int k, Eigen::Index stride);
template <class S> BasicVar<S> neighbours_adjoint(BasicVar<S> a, int k, Eigen::Index stride);  // [R, k*C] -> [R, C]
template <class S> BasicVar<S> apply(Fn f, BasicVar<S> a);
template <class S> BasicVar<S> tanh(BasicVar<S> a) { return apply(Fn::tanh, a); }
template <class S> BasicVar<S> sigmoid(BasicVar<S> a) { return apply(Fn::sigmoid, a); }
template <class S> BasicVar<S> softplus(BasicVar<S> a) { return apply(Fn::softplus, a); }
template <class S> BasicVar<S> sin(BasicVar<S> a) { return apply(Fn::sin, a); }
template <class S> BasicVar<S> cos(BasicVar<S> a) { return apply(Fn::cos, a); }

// Divided difference (f(a) - f(b)) / (a - b), f'(a) where a = b; fa, fb are f(a), f(b) as
// recorded (used to save work). Differentiable once in a and b.
template <class S>
BasicVar<S> divdiff(Fn f, BasicVar<S> a, BasicVar<S> b, BasicVar<S> fa, BasicVar<S> fb);

// Scalar kernels, exposed for tests: the divided difference of f at (a, b) and its partial
// derivative in a, accurate to a few ulps also when a and b are close or equal.
double divdiff_value(Fn f, double a, double b);
double divdiff_da_value(Fn f, double a, double b);

template <class S>
const MatS<S>& BasicVar<S>::value() const {
  return tape->value(*this);
}

// The double tape: what dgsim records unless a training asks for float.
using Tape = BasicTape<double>;
using Var = BasicVar<double>;

}  // namespace dgsim::ad
