#include "lib/core/interrupt.hpp"

#include <csignal>

#include "lib/core/error.hpp"

namespace dgsim {
namespace {
volatile std::sig_atomic_t g_flag = 0;
extern "C" void on_signal(int) { g_flag = 1; }
}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupt_requested() { return g_flag != 0; }

void throw_if_interrupted() {
  if (g_flag != 0) throw Interrupted("interrupted by signal; stopped cleanly");
}

void request_interrupt() { g_flag = 1; }

}  // namespace dgsim
