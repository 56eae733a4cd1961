#pragma once
// Training of the learned models on consecutive states of a dataset (DESIGN.md §6; PAPER.md).
//
// Pairs. A training pair is (u_n, u_{n+1}, Δt_n) of one series; the test split is scored the
// same way. Every loss compares a model's estimate of the mean slope over the pair with the
// measured one, (u_{n+1} - u_n)/Δt, by the mean of squares over pairs and components:
//
//   dg        DGNet, paper Eq. 11:  Ḡ ∇̄H(u_{n+1}, u_n)                 (explicit: no solve)
//   euler, rk2, rk4, dopri5
//             NODE / HNN through one integrator step: (û_{n+1} - u_n)/Δt, û_{n+1} from the
//             Runge–Kutta stages recorded on the tape (lib/ode's Butcher tableaux), so the
//             loss is back-propagated through every stage (as the authors' torchdiffeq code).
//   leapfrog  SRNN: one Störmer–Verlet step (kick-drift-kick) with the separable H = T(p) + V(q).
//
// dopri5: the batch is integrated as one system (as torchdiffeq does: one error norm over the
// whole batch), in the normalised time s in [0, 1] with du/ds = Δt_n f(u), so pairs with
// different Δt share the step sequence. The integration is recorded on the tape as it goes,
// with lib/ode's dopri5 controller (Hairer's initial step and PI control, rtol/atol as given;
// defaults rtol 1e-7, atol 1e-9, torchdiffeq's defaults): a step is attempted by recording its
// stages, its error norm is computed from their values, and a rejected attempt is cut from the
// tape (Tape::truncate) and retried with a smaller step; the FSAL stage of an accepted step is
// the first stage of the next. The choice of the step sizes is not differentiated (it is
// piecewise constant in θ almost everywhere): the loss is back-propagated through the stages
// of the accepted steps only.
//
// Optimisation (STYLE.md §5): optimize(objective, theta, adam, first, last, callbacks) runs
// Adam steps; a callback that returns true stops. The batch of iteration i is drawn by
// Rng(seed, RngStream::training, i) alone, so a run resumed at iteration i from a saved model
// and Adam state continues bit-identically (same thread count: the GEMM's summation order may
// depend on it).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "lib/ad/tape.hpp"
#include "lib/io/dataset_file.hpp"
#include "lib/nn/adam.hpp"
#include "lib/nn/model.hpp"
#include "lib/ode/stepper.hpp"

namespace dgsim::nn {

// Consecutive-state pairs, one per row.
struct PairSet {
  Mat u0;  // [P, dim] u_n
  Mat u1;  // [P, dim] u_{n+1}
  Vec dt;         // [P] the model's step from u_n (Δt_n unless make_pairs got a step)
  Vec target_dt;  // [P] the time from u_n to u_{n+1}: the target is (u_{n+1} - u_n) / target_dt
  std::vector<long> traj, step;  // [P] series and time index n of each pair (make_pairs only)
  long size() const { return static_cast<long>(u0.rows()); }
};

// The pairs of a split (0 train, 1 test) of a dataset: per-pair split when the file has one
// (measured data), else the trajectory's split. fixed_dt > 0 replaces every Δt by it, in the
// target and in the step; step_dt > 0 replaces the model's step only, the target keeps the
// stored time grid (the DGNet authors' real-pendulum scripts: measured targets, steps of 1/6).
// At most one of them is > 0; 0 keeps the stored time grid.
PairSet make_pairs(const io::TrajectorySet& d, int split, double fixed_dt = 0.0, double step_dt = 0.0);

// Rows `idx` of `all` into `out` (buffers reused).
void gather(const PairSet& all, const std::vector<long>& idx, PairSet& out);

// The pair indices of iteration `iteration`: all of them in order when batch <= 0 or
// batch >= n_pairs, else `batch` distinct indices drawn by Rng(seed, RngStream::training,
// iteration), in increasing order.
std::vector<long> batch_indices(long n_pairs, long batch, std::uint64_t seed, long iteration);

enum class Scheme { dg, euler, rk2, rk4, dopri5, leapfrog };
std::string to_string(Scheme s);
Scheme parse_scheme(const std::string& name);  // ConfigError naming the known ones

// The scheme a model trains with by default (dgnet: dg, srnn: leapfrog, node/hnn: rk2), and
// whether a model can train with a scheme (ConfigError saying which ones it accepts).
Scheme default_scheme(ModelKind kind);
void check_scheme(ModelKind kind, Scheme s);

struct LossOptions {
  Scheme scheme = Scheme::dg;
  double rtol = 1e-7;      // dopri5 only
  double atol = 1e-9;
  long max_steps = 10000;  // dopri5: accepted + rejected steps per pair set; NumericalError beyond
  // dopri5 training (PairObjective): bound on the memory of a batch's recorded graph, forward
  // and backward, in bytes (0: none). A batch whose graph would exceed it is recorded again in
  // chunks of rows with the accepted step sizes of a first pass: the same loss and gradient for
  // one more forward pass.
  double max_graph_bytes = 0;
  // Record the training losses on float tapes (PairObjective): single-precision products
  // (sgemm), as the paper's PyTorch code trains its ODE models; θ, the gradient sum and Adam
  // stay double, and θ is rounded to float when bound.
  bool float32 = false;
};

// Clears `tape` (double or float), binds the model to it and records the loss of `batch`
// ([1, 1]). dopri5: the accepted step sizes (normalised time, they sum to 1) go to *steps when
// given.
template <class S>
ad::BasicVar<S> record_loss(Model& model, ad::BasicTape<S>& tape, const PairSet& batch, const LossOptions& opt,
                            std::vector<double>* steps = nullptr);

// The loss over all pairs (mean over pairs and components), evaluated in chunks of at most
// `chunk` pairs without weight gradients; NaN when there are no pairs. `workers` threads share
// the chunks (the first uses `model` and `tape`, the others copies); the result does not depend
// on their number.
double evaluate_loss(Model& model, ad::Tape& tape, const PairSet& pairs, const LossOptions& opt, long chunk = 500,
                     int workers = 1);

// The implicit DGNet step (paper Eq. 6) for a batch: solves (u1 - u0)/Δt = Ḡ ∇̄H(u1, u0) for
// every row by Newton's method on the batch (Jacobians by one backward sweep per component,
// so meant for ODE-sized states), started from the explicit midpoint step, until the largest
// update is below tol (the authors' xtol 1e-12). Rows that do not converge within max_iter are
// counted in *not_converged and keep the last iterate.
Mat dg_step(Model& model, const Mat& u0, const Vec& dt, double tol = 1e-12, int max_iter = 50, long* not_converged = nullptr);

struct ImplicitScores {
  double one_step = 0;   // mean over test pairs and components of (û_{n+1} - u_{n+1})^2, û by dg_step
  double rollout = 0;    // mean of (û - u)^2 over each run of consecutive test pairs rolled out from its first state
  long n_runs = 0;
  long not_converged = 0;
};
// DGNet's implicit predictions on a pair set made by make_pairs, each over the time from u_n to
// u_{n+1} (target_dt; done once after training; the per-iteration test loss is the explicit
// Eq. 11). Solved `chunk` pairs (or runs) at a time: each row's Newton iteration is its own,
// so the chunks only bound the memory (two-body's 99,800 test pairs at once took 8 GB).
ImplicitScores implicit_scores(Model& model, const PairSet& test, long chunk = 2048);

// What optimize() minimises: the loss of iteration i at θ and its gradient.
class Objective {
 public:
  virtual ~Objective() = default;
  virtual double evaluate_with_gradient(const Vec& theta, long iteration, Vec& grad) = 0;
  virtual void after_step(Vec& theta) { (void)theta; }  // e.g. keep constrained parameters feasible
};

// dopri5 training under LossOptions::max_graph_bytes: what decides whether the next batch is
// recorded whole, and the size of its chunks. Byte counts follow the shapes only, so the
// decisions are deterministic; checkpoints keep this so that a resumed training makes the same.
struct GraphEstimate {
  double row_step_bytes = 0;   // forward graph of the integration per pair and accepted step
  // Peak graph during the backward sweep / before it. Until measured, 1.25: the releasing
  // sweep's peak is the forward graph (measured 1.00), with a margin.
  double backward_factor = 1.25;
  long last_steps = 0;         // accepted steps of the last batch (0: none yet)
};

// Mini-batch (or full-batch) loss of a model on a pair set. With workers > 1 the batch is
// split into that many contiguous row blocks, each recorded on its own tape by its own copy
// of the model on its own thread (data parallelism: every operation, not only the GEMMs, runs
// in parallel); the losses and gradients are combined in a fixed order, weighted by the block
// sizes. The result is deterministic for a given number of workers; it may differ in the
// last bits between different numbers.
class PairObjective : public Objective {
 public:
  // theta must be model.params().theta() (the model evaluates its own parameters).
  PairObjective(Model& model, const PairSet& train, long batch, std::uint64_t seed, LossOptions opt, int workers = 1);
  double evaluate_with_gradient(const Vec& theta, long iteration, Vec& grad) override;
  void after_step(Vec& theta) override;
  // dopri5 training: accepted and rejected steps and evaluations of f on the batch, summed
  // over every evaluate_with_gradient so far (zero for the other schemes).
  const ode::Stats& dopri5_stats() const { return dopri5_stats_; }
  // dopri5 training: how many evaluate_with_gradient calls recorded their batch in chunks, to
  // stay within LossOptions::max_graph_bytes.
  long dopri5_chunked() const { return chunked_; }
  // The largest recorded graph (after the backward sweep, less the batch's inputs and the
  // parameters) of the last call, summed over the workers: what max_graph_bytes bounds.
  double dopri5_graph_bytes() const { return graph_bytes_; }
  const GraphEstimate& graph_estimate() const { return est_; }
  void set_graph_estimate(const GraphEstimate& e) { est_ = e; }

 private:
  // The training tapes of one precision, per worker (probe: created when first needed).
  template <class S>
  struct Tapes {
    std::vector<std::unique_ptr<ad::BasicTape<S>>> main, probe;
  };
  template <class S>
  Tapes<S>& tapes_on() {
    if constexpr (std::is_same_v<S, float>) return tapes_f_;
    else return tapes_d_;
  }
  template <class S>
  double evaluate(const Vec& theta, long iteration, Vec& grad);
  template <class S>
  void replay_in_chunks(const Vec& theta, const std::vector<Model*>& models, Eigen::Index b);

  Model& model_;
  const PairSet& train_;
  long batch_;
  std::uint64_t seed_;
  LossOptions opt_;
  int workers_;
  std::vector<Model> copies_;                     // [workers - 1]
  Tapes<double> tapes_d_;                         // LossOptions::float32 picks one
  Tapes<float> tapes_f_;
  std::vector<PairSet> parts_;                    // [workers]
  std::vector<Vec> grads_;                        // [workers]
  std::vector<double> losses_;                    // [workers]
  PairSet scratch_;
  ode::Stats dopri5_stats_;
  GraphEstimate est_;  // dopri5 under max_graph_bytes
  double graph_bytes_ = 0;
  long chunked_ = 0;
  bool over_logged_ = false;
  std::vector<double> replay_steps_;
  std::vector<PairSet> chunks_;
  std::vector<Vec> chunk_grads_;
};

struct StepInfo {
  long iteration;  // the iteration just completed (0-based)
  double loss;     // its loss, at θ before the update
};
using Callback = std::function<bool(const StepInfo&)>;

// Runs iterations first..last-1: loss and gradient, an Adam step, objective.after_step, then
// every callback (all of them are called; any returning true stops after this iteration).
// Returns the number of iterations completed, i.e. the next iteration to run. A non-finite
// loss or gradient, or a NumericalError of the objective, throws NumericalError naming the
// iteration (1-based) before θ is updated, so θ and Adam still hold the state at the start of
// that iteration.
long optimize(Objective& objective, Vec& theta, Adam& adam, long first, long last,
              const std::vector<Callback>& callbacks = {});

// FNV-1a 64-bit hash of the bytes of a double array, as 16 hex digits (dataset identity).
std::string checksum(const std::vector<double>& data);

}  // namespace dgsim::nn
