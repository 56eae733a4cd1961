#include "lib/ode/explicit_rk.hpp"

namespace dgsim::ode {

ExplicitRk::ExplicitRk(const std::string& tableau_name) : tableau_(&tableau(tableau_name)) {
  const int s = tableau_->stages();
  rows_.resize(s + 1);
  for (int i = 0; i < s; ++i) {
    for (int j = 0; j < i; ++j) rows_[i].add(j, tableau_->a(i, j));
    rows_[s].add(i, tableau_->b(i));
  }
  k_.resize(s);
  kp_.resize(s);
  for (int i = 0; i < s; ++i) kp_[i] = &k_[i];
}

void ExplicitRk::step(const Rhs& f, double t, Vec& y, double dt) {
  const int s = tableau_->stages();
  if (y_stage_.size() != y.size()) {
    for (auto& k : k_) k.resize(y.size());
    y_stage_.resize(y.size());
  }
  for (int i = 0; i < s; ++i) {
    if (rows_[i].count == 0) {
      f(t + tableau_->c(i) * dt, y, k_[i]);
    } else {
      detail::combine(y, dt, rows_[i], kp_.data(), y_stage_);
      f(t + tableau_->c(i) * dt, y_stage_, k_[i]);
    }
  }
  detail::combine(y, dt, rows_[s], kp_.data(), y);  // element-wise, so in place is safe
  stats_.n_rhs += s;
  ++stats_.n_steps;
}

}  // namespace dgsim::ode
