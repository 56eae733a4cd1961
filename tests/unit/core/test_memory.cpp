#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "lib/core/memory.hpp"

TEST_SUITE_BEGIN("unit");

TEST_CASE("memory: a cgroup limit lowers the physical memory, \"max\" and unreadable texts do not") {
  const double gib = 1073741824.0;
  CHECK(dgsim::memory_limit(24 * gib, "max\n") == 24 * gib);
  CHECK(dgsim::memory_limit(24 * gib, "4294967296\n") == 4 * gib);
  CHECK(dgsim::memory_limit(4 * gib, "9223372036854771712\n") == 4 * gib);  // cgroup v1's "unlimited"
  CHECK(dgsim::memory_limit(24 * gib, "") == 24 * gib);
  CHECK(dgsim::memory_limit(24 * gib, "0\n") == 24 * gib);
}

TEST_CASE("memory: the usable memory is positive and at most the machine's (/proc/meminfo MemTotal)") {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kib = 0;
  while (meminfo >> key && key != "MemTotal:") meminfo.ignore(256, '\n');
  meminfo >> kib;
  REQUIRE(kib > 0);
  const double usable = dgsim::usable_memory_bytes();
  CHECK(usable > 0);
  CHECK(usable <= kib * 1024);  // glibc's _SC_PHYS_PAGES is the kernel's total RAM, MemTotal
}

TEST_CASE("memory: DGSIM_MALLOC=default keeps glibc's thresholds; otherwise freed memory stays with the process") {
  setenv("DGSIM_MALLOC", "default", 1);
  CHECK_FALSE(dgsim::keep_freed_memory());
  unsetenv("DGSIM_MALLOC");
#if defined(__GLIBC__)
  REQUIRE(dgsim::keep_freed_memory());
  // 64 blocks of 1 MiB, written and freed: under glibc's defaults the first is mapped and
  // unmapped and the rest are trimmed from the heap's top once freed (trim threshold 2 MiB
  // by then); with the thresholds set, nearly all of it is kept for reuse.
  std::vector<char*> blocks;
  for (int i = 0; i < 64; ++i) {
    auto* b = static_cast<char*>(std::malloc(1 << 20));
    REQUIRE(b != nullptr);
    for (int k = 0; k < (1 << 20); k += 4096) b[k] = static_cast<char>(k);
    blocks.push_back(b);
  }
  for (char* b : blocks) std::free(b);
  CHECK(mallinfo2().fordblks >= std::size_t{60} << 20);
  // The same from another thread (a training worker): with one arena its blocks come from the
  // main arena (the one mallinfo2 reports) and stay there once freed, where a thread's own
  // arena would unmap its free heaps.
  const std::size_t before = mallinfo2().arena;
  std::thread worker([] {
    std::vector<char*> mine;
    for (int i = 0; i < 256; ++i) {
      auto* b = static_cast<char*>(std::malloc(1 << 20));
      if (b == nullptr) return;
      for (int k = 0; k < (1 << 20); k += 4096) b[k] = static_cast<char>(k);
      mine.push_back(b);
    }
    for (char* b : mine) std::free(b);
  });
  worker.join();
  CHECK(mallinfo2().arena >= before + (std::size_t{180} << 20));
  CHECK(mallinfo2().fordblks >= std::size_t{240} << 20);
#endif
}
