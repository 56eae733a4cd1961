#pragma once
// Cooperative interruption: SIGINT/SIGTERM set a flag that long loops poll; they then stop
// cleanly (checkpoint, remove temporary files) and throw dgsim::Interrupted (exit code 75).

namespace dgsim {

void install_interrupt_handlers();  // idempotent
bool interrupt_requested();
void throw_if_interrupted();       // throws Interrupted when the flag is set
void request_interrupt();          // for tests

}  // namespace dgsim
