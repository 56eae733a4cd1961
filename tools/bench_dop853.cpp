// Times DOP853 on the Arenstorf orbit over one period at rtol = atol = 1e-10 (the problem of
// Hairer, Nørsett & Wanner, Solving ODEs I, Sec. II.0) and prints the median time per solve
// and the number of evaluations of f. Wall-clock and process CPU time are both reported: on a
// shared machine the CPU time is the steadier of the two.
//   usage: bench_dop853 [solves per repetition = 200] [repetitions = 15]

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "lib/ode/dop853.hpp"
#include "lib/ode/integrate.hpp"

namespace {

constexpr double mu = 0.012277471;
constexpr double period = 17.0652165601579625588917206249;

void arenstorf(double /*t*/, const dgsim::Vec& y, dgsim::Vec& dydt) {
  const double mu1 = 1.0 - mu;
  const double r1 = (y[0] + mu) * (y[0] + mu) + y[1] * y[1];
  const double r2 = (y[0] - mu1) * (y[0] - mu1) + y[1] * y[1];
  const double d1 = r1 * std::sqrt(r1);
  const double d2 = r2 * std::sqrt(r2);
  dydt[0] = y[2];
  dydt[1] = y[3];
  dydt[2] = y[0] + 2.0 * y[3] - mu1 * (y[0] + mu) / d1 - mu * (y[0] - mu1) / d2;
  dydt[3] = y[1] - 2.0 * y[2] - mu1 * y[1] / d1 - mu * y[1] / d2;
}

}  // namespace

int main(int argc, char** argv) {
  const long solves = argc > 1 ? std::atol(argv[1]) : 200;
  const int repetitions = argc > 2 ? std::atoi(argv[2]) : 15;
  const dgsim::ode::Rhs f = arenstorf;
  dgsim::Vec y0(4);
  y0 << 0.994, 0.0, 0.0, -2.00158510637908252240537862224;
  dgsim::ode::Dop853 stepper({1e-10, 1e-10});

  dgsim::Vec y1;
  std::vector<double> per_solve_us;
  std::vector<double> cpu_per_solve_us;
  for (int r = 0; r < repetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    for (long i = 0; i < solves; ++i) y1 = dgsim::ode::integrate_adaptive(stepper, f, y0, 0.0, period);
    const std::clock_t cpu_stop = std::clock();
    const auto stop = std::chrono::steady_clock::now();
    per_solve_us.push_back(std::chrono::duration<double, std::micro>(stop - start).count() /
                           static_cast<double>(solves));
    cpu_per_solve_us.push_back(1e6 * static_cast<double>(cpu_stop - cpu_start) / CLOCKS_PER_SEC /
                               static_cast<double>(solves));
  }
  std::sort(per_solve_us.begin(), per_solve_us.end());
  std::sort(cpu_per_solve_us.begin(), cpu_per_solve_us.end());
  const auto& s = stepper.stats();
  fmt::print("dop853 arenstorf rtol=atol=1e-10: {:.1f} us per solve (median of {} x {} solves; min {:.1f}, max {:.1f})\n",
             per_solve_us[per_solve_us.size() / 2], repetitions, solves, per_solve_us.front(),
             per_solve_us.back());
  fmt::print("cpu time: {:.1f} us per solve (median)\n", cpu_per_solve_us[cpu_per_solve_us.size() / 2]);
  fmt::print("n_rhs {} n_steps {} n_rejected {} closure {:.3g}\n", s.n_rhs, s.n_steps, s.n_rejected,
             (y1 - y0).cwiseAbs().maxCoeff());
  return 0;
}
