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
// (glibc: a fixed mmap threshold of 32 MiB, no trimming of the heap, one arena for all
// threads; elsewhere nothing). A training step frees its graph as its backward sweep goes
// (ad::Tape::backward_releasing) and records it again in the next step, and its buffers
// change shape between steps (a dopri5 batch recorded in chunks, a varying number of steps).
// Memory given back to the system is faulted in, zeroed, again: with a trim threshold of
// 1 GiB, Cahn-Hilliard HNN++ dopri5 at batch 200 (`bench_train --kdv ch.h5 --only
// hnn-dopri5-kdv-b200`, a 2.3 GiB graph) took 11.3 CPU s and 564,000 page faults per
// iteration, against 2.9 s and none without trimming; with glibc's default thresholds, in
// chunks of 1 GiB, 3.1 s against 2.55 s. So the process keeps its peak for its lifetime.
// DGSIM_MALLOC=default in the environment keeps glibc's settings. Returns whether the
// settings were made. Call once at start-up, before other threads exist; results do not
// depend on it.
bool keep_freed_memory();

}  // namespace dgsim
