#pragma once
// How much memory this process may use, for defaults that scale with the machine, and how the
// allocator keeps what it frees.

#include <string>

namespace dgsim {

// Bytes of memory this process may use: the machine's physical memory, or its control group's
// limit when lower (a batch job's or a container's: cgroup v2's memory.max of its group and
// the group's ancestors, or cgroup v1's memory.limit_in_bytes).
double usable_memory_bytes();

// The lower of `bytes` and the limit in a cgroup limit file's text: a byte count; "max", an
// empty or an unreadable text mean no limit.
double memory_limit(double bytes, const std::string& cgroup_limit_text);

// Keeps memory freed by the process for its own reuse instead of returning it to the system
// at once (glibc: fixed mmap threshold of 32 MiB and trim threshold of 1 GiB; elsewhere
// nothing). Training records graphs whose node buffers change shape between iterations (a
// dopri5 batch recorded in chunks, a varying number of steps); with glibc's default
// thresholds each such buffer went back to the system and was faulted in, zeroed, again,
// which cost a fifth of the CPU time of a chunked Cahn-Hilliard HNN++ dopri5 training
// (`[DGSIM_MALLOC=default] bench_train --kdv ch.h5 --only hnn-dopri5-kdv-b200-1gib`: 3.1
// against 2.55 CPU s per iteration, 57,000 against 6,500 page faults). DGSIM_MALLOC=default
// in the environment keeps glibc's thresholds. Returns whether the thresholds were set. Call
// once at start-up, before other threads exist; results do not depend on it.
bool keep_freed_memory();

}  // namespace dgsim
