#include "systems/system.hpp"

namespace dgsim::systems {

void System::rhs(const Vec& u, Vec& dudt) const {
  Vec grad(u.size());
  energy_grad(u, grad);
  apply_G(grad, dudt);
}

}  // namespace dgsim::systems
