#include <doctest/doctest.h>

#include <fstream>
#include <string>

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
