#pragma once
// Version of dgsim and the git commit it was built from (generated at build time).

namespace dgsim {

const char* version();     // e.g. "0.1.0"
const char* git_commit();  // short sha, "-dirty" when the tree had changes, or "unknown"

}  // namespace dgsim
