#pragma once
// The real pendulum of Schmidt & Lipson (Science 2009), as HNN and DGNet use it: measured angle
// q and angular velocity p of a damped pendulum. Its true H is unknown; the analysis energy of
// the HNN/DGNet papers is H = c (1 - cos q) + p²/m with c = 2.4, m = 1, and G = S - R with
// R = diag(0, friction) (friction is what a DGNet model learns; 0 here).
//
// load_real_pendulum() turns the measurement file (`real_pend_h_1.txt`: a header line, then
// rows "trial t o v") into one dgsim trajectory on the measured, non-uniform times, with
// HNN's time-ordered split of the consecutive pairs (see ../shared/data/real_pendulum).

#include <string>

#include "lib/io/dataset_file.hpp"
#include "systems/system.hpp"

namespace dgsim::systems {

class RealPendulum final : public System {
 public:
  explicit RealPendulum(Params params);
  static std::vector<ParamSpec> param_specs();

  std::string name() const override { return "real-pendulum"; }
  int dim() const override { return 2; }
  Capabilities capabilities() const override { return {true, true, true, false}; }
  std::vector<std::string> state_names() const override { return {"q", "p"}; }
  double energy(const Vec& u) const override;
  void energy_grad(const Vec& u, Vec& grad) const override;
  void energy_hessian(const Vec& u, SparseMat& hess) const override;
  void apply_G(const Vec& g, Vec& out) const override;
  const SparseMat& structure_matrix() const override { return G_; }
  void sample_initial_state(Rng& rng, Vec& u) const override;  // uniform over the measured range

 private:
  double c_, m_, friction_;
  SparseMat G_;
};

struct LoadConfig {
  std::string input;         // path of the measurement file
  Params params;             // overrides of RealPendulum's parameters
  double test_fraction = 0.2;  // HNN's test_split = 0.8 keeps 80 % of the pairs for training
  std::string command_line;  // provenance
};

// Reads and converts the file; IoError "PATH: line N: ..." for malformed rows, wrong column
// counts, non-finite values or non-increasing times.
io::TrajectorySet load_real_pendulum(const LoadConfig& cfg);

}  // namespace dgsim::systems
