#pragma once
// Learned models of du/dt = f(u) (DESIGN.md §1, §6; PAPER.md "Networks").
//
//   NODE   f(u) = network(u)                      (no energy)
//   HNN    f(u) = G ∇H(u)                         (HNN++ for PDEs: the same with G = D or D2)
//   SRNN   f(u) = S ∇H(u), H = T(p) + V(q)        (two networks; leapfrog in training)
//   DGNet  (u' - u)/Δt = Ḡ ∇̄H(u', u)             (paper Eq. 6; trained with Eq. 11)
//
// Energies: ODEs an MLP dim -> hidden -> hidden -> 1 (tanh, no output bias); PDEs on N
// periodic sites a Conv1d(1 -> hidden, kernel 3), tanh, a per-site layer hidden -> hidden,
// tanh, a per-site layer hidden -> 1 without bias, summed over sites. NODE uses the same
// networks with dim outputs (ODE) or one output per site (PDE), its output layer with a
// bias as in the paper's code (ModelConfig::node_bias).
// G: S = [[0, I], [-I, 0]] on u = (q, p), optionally minus R = diag(0, g I) with a learned
// friction g >= 0; D = [-1, 0, 1]/(2Δx) and D2 = [1, -2, 1]/Δx² as periodic stencils.
// Gradients are Euclidean (∂H/∂u), as in the paper's code; a 1/Δx of the discrete L2 inner
// product would be absorbed by the learned H.
//
// Use on a tape: tape.clear(); model.bind(tape); then the Var functions; after
// tape.backward(loss), model.gradient(g) gives dθ. States are batches [B, dim], one per row.
//
//   nn::Model model(config);                          // weights from config.seed
//   nn::Adam adam({}, model.params().theta().size());
//   ad::Tape tape; Vec g;
//   for (...) {                                       // one DGNet training step
//     tape.clear();
//     model.bind(tape);
//     ad::Var loss = nn::dgnet_loss(model, tape.leaf(u0), tape.leaf(u1), dt);   // Eq. 11
//     tape.backward(loss);
//     model.gradient(g);
//     adam.step(model.params().theta(), g);
//     model.project();
//   }
//   // HNN on known derivatives instead: nn::derivative_loss(model, tape.leaf(u), tape.leaf(dudt)).
//   Mat f = model.discrete_time_derivative(u, v);                  // Ḡ ∇̄H(u, v), [B, dim]
//   Mat J = model.discrete_time_derivative_jacobian(u_vec, v_vec);  // ∂/∂v, [dim, dim]

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "lib/ad/tape.hpp"
#include "lib/nn/layers.hpp"
#include "lib/nn/params.hpp"

namespace dgsim::nn {

enum class ModelKind { node, hnn, srnn, dgnet };
enum class Structure { S, D, D2 };

std::string to_string(ModelKind kind);   // "node", "hnn", "srnn", "dgnet"
std::string to_string(Structure s);      // "S", "D", "D2"
ModelKind parse_model_kind(const std::string& name);  // ConfigError if unknown
Structure parse_structure(const std::string& name);

struct ModelConfig {
  ModelKind kind = ModelKind::dgnet;
  bool pde = false;            // periodic 1-D field (conv network) or ODE state (MLP)
  int dim = 2;                 // ODE: state size, q then p (even for S); PDE: sites N
  int hidden = 200;            // hidden width / channels
  int kernel = 3;              // PDE: kernel of the first convolution (odd)
  Structure structure = Structure::S;
  double dx = 1.0;             // PDE grid spacing, for D and D2
  bool friction = false;       // ODE with S only: G = S - diag(0, g I), g learned, g >= 0
  bool node_bias = true;       // NODE only: a bias on the output layer (model files written
                               // before it existed read as: ODE without, PDE with)
  ad::Fn activation = ad::Fn::tanh;
  std::uint64_t seed = 0;      // initial weights: Rng(seed, RngStream::init_weights, 0)
};

class Model {
 public:
  explicit Model(const ModelConfig& config);  // ConfigError on an inconsistent config

  const ModelConfig& config() const { return config_; }
  Params& params() { return params_; }
  const Params& params() const { return params_; }
  bool has_energy() const { return config_.kind != ModelKind::node; }

  // Records the parameters (and constant operators) on `tape`; call after each tape.clear()
  // and before the Var functions below. The tape may be a double or a float one (θ is then
  // rounded to float); the model keeps one bound tape of each precision, and the Var
  // functions run on the one of their arguments' precision.
  template <class S>
  void bind(ad::BasicTape<S>& tape);

  template <class S> ad::BasicVar<S> energy(ad::BasicVar<S> u);           // H(u) [B, 1]
  template <class S> ad::BasicVar<S> energy_gradient(ad::BasicVar<S> u);  // ∇H(u) [B, dim], differentiable in θ
  template <class S> ad::BasicVar<S> time_derivative(ad::BasicVar<S> u);  // f(u) [B, dim], differentiable in θ
  template <class S>
  ad::BasicVar<S> discrete_time_derivative(ad::BasicVar<S> u, ad::BasicVar<S> v);  // Ḡ ∇̄H(u, v) [B, dim]
  // SRNN only, for leapfrog: ∂T/∂p and ∂V/∂q [B, dim/2] of H = T(p) + V(q), differentiable in θ.
  template <class S> ad::BasicVar<S> kinetic_gradient(ad::BasicVar<S> p);
  template <class S> ad::BasicVar<S> potential_gradient(ad::BasicVar<S> q);
  template <class S> ad::BasicVar<S> apply_structure(ad::BasicVar<S> grad);  // G grad [B, dim]

  // dθ [theta size] after tape.backward(loss) on the bound tape of precision S.
  template <class S = double>
  void gradient(Vec& g) const;
  // Keeps constrained parameters feasible (friction g >= 0); call after each optimizer step.
  void project();

  // Plain evaluations on an internal tape (they rebind the model to it).
  Mat energy(const Mat& u);                                     // [B, 1]
  Mat time_derivative(const Mat& u);                            // [B, dim]
  Mat discrete_time_derivative(const Mat& u, const Mat& v);     // [B, dim]
  // ∂(Ḡ ∇̄H(u, v))/∂v [dim, dim] for one pair of states, for Newton on the DG step (Eq. 6).
  Mat discrete_time_derivative_jacobian(const Vec& u, const Vec& v);

 private:
  template <class S> ad::BasicVar<S> field_energy(ad::BasicVar<S> u);  // PDE energy or NODE output
  template <class S> ad::BasicVar<S> state_energy(ad::BasicVar<S> u);  // ODE energy
  template <class S> void check_bound(ad::BasicVar<S> u) const;         // u lives on the bound tape

  // What bind() recorded on the tape of one precision.
  template <class S>
  struct Bound {
    ad::BasicTape<S>* tape = nullptr;
    std::vector<ad::BasicVar<S>> p;
    ad::BasicVar<S> s, sq, sp, mask;
  };
  template <class S>
  Bound<S>& bound_on() {
    if constexpr (std::is_same_v<S, float>) return bound_f_;
    else return bound_d_;
  }
  template <class S>
  const Bound<S>& bound_on() const {
    if constexpr (std::is_same_v<S, float>) return bound_f_;
    else return bound_d_;
  }

  ModelConfig config_;
  Params params_;
  Mlp mlp_, mlp2_;          // ODE networks (SRNN: mlp_ = T(p), mlp2_ = V(q))
  Conv1d conv_;             // PDE networks
  Linear site1_, site2_;
  int friction_ = -1;       // index of g [1, 1]
  Mat s_matrix_, select_q_, select_p_, p_mask_;  // constants of S, SRNN and friction
  Bound<double> bound_d_;
  Bound<float> bound_f_;

  // The tape of the plain evaluations; a copied model gets a fresh one.
  struct Scratch {
    std::unique_ptr<ad::Tape> tape = std::make_unique<ad::Tape>();
    Scratch() = default;
    Scratch(const Scratch&) : Scratch() {}
    Scratch& operator=(const Scratch&) { return *this; }
    Scratch(Scratch&&) = default;
    Scratch& operator=(Scratch&&) = default;
    ~Scratch() = default;
  };
  Scratch scratch_;
};

// Mean over all entries of (pred - target)^2.
template <class S>
ad::BasicVar<S> mse(ad::BasicVar<S> pred, ad::BasicVar<S> target);

// DGNet's loss (paper Eq. 11, as the authors' code computes it): the mean over the batch and
// the components of ((u1 - u0)/dt - Ḡ ∇̄H(u1, u0))^2. u0, u1 [B, dim] consecutive states.
template <class S>
ad::BasicVar<S> dgnet_loss(Model& model, ad::BasicVar<S> u0, ad::BasicVar<S> u1, double dt);

// Loss on known time derivatives (HNN's original training): mean of (f(u) - dudt)^2.
template <class S>
ad::BasicVar<S> derivative_loss(Model& model, ad::BasicVar<S> u, ad::BasicVar<S> dudt);

}  // namespace dgsim::nn
