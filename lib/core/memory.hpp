#pragma once
// How much memory this process may use, for defaults that scale with the machine.

#include <string>

namespace dgsim {

// Bytes of memory this process may use: the machine's physical memory, or its control group's
// limit when lower (a batch job's or a container's: cgroup v2's memory.max of its group and
// the group's ancestors, or cgroup v1's memory.limit_in_bytes).
double usable_memory_bytes();

// The lower of `bytes` and the limit in a cgroup limit file's text: a byte count; "max", an
// empty or an unreadable text mean no limit.
double memory_limit(double bytes, const std::string& cgroup_limit_text);

}  // namespace dgsim
