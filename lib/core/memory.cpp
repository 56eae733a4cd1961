#include "lib/core/memory.hpp"

#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace dgsim {

double memory_limit(double bytes, const std::string& cgroup_limit_text) {
  std::istringstream in(cgroup_limit_text);
  double limit = 0;
  if (!(in >> limit) || !(limit > 0)) return bytes;  // "max", empty or unreadable: no limit
  return std::min(bytes, limit);
}

double usable_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  double bytes = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 8.0 * 1073741824.0;
  const auto limit_in = [&bytes](const std::string& path) {
    std::ifstream f(path);
    if (!f) return;
    std::stringstream text;
    text << f.rdbuf();
    bytes = memory_limit(bytes, text.str());
  };
  // The process's groups in /proc/self/cgroup ("0::/a/b" for cgroup v2, "4:memory:/a/b" for
  // v1's memory controller) and their ancestors, as the host mounts them; a container may see
  // its own group at the root instead.
  std::ifstream groups("/proc/self/cgroup");
  for (std::string line; std::getline(groups, line);) {
    const auto c1 = line.find(':'), c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    const std::string controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string root, file;
    if (controllers.empty()) root = "/sys/fs/cgroup", file = "/memory.max";
    else if (controllers == "memory") root = "/sys/fs/cgroup/memory", file = "/memory.limit_in_bytes";
    else continue;
    for (std::string dir = line.substr(c2 + 1); dir.size() > 1; dir = dir.substr(0, dir.find_last_of('/')))
      limit_in(root + dir + file);
  }
  limit_in("/sys/fs/cgroup/memory.max");
  limit_in("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  return bytes;
}

bool keep_freed_memory() {
  if (const char* m = std::getenv("DGSIM_MALLOC"); m && std::string(m) == "default") return false;
#if defined(__GLIBC__)
  // Setting either threshold also turns off glibc's dynamic adjustment of both, which starts
  // at 128 KiB (mmap) and 256 KiB (trim) and returns freed memory too eagerly for training.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc accepts; larger blocks are mapped
  mallopt(M_TRIM_THRESHOLD, -1);         // never give the heap's top back
  // One arena for all threads: a thread's own arena is made of 64 MiB heaps that glibc
  // unmaps as soon as one is free, whatever the trim threshold.
  mallopt(M_ARENA_MAX, 1);
  return true;
#else
  return false;
#endif
}

}  // namespace dgsim
