#include "lib/core/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace dgsim::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
std::mutex g_mutex;
}  // namespace

void set_level(Level l) { g_level.store(static_cast<int>(l)); }
Level level() { return static_cast<Level>(g_level.load()); }

void write(Level l, std::string_view message) {
  static constexpr const char* prefix[] = {"error: ", "warning: ", "", "debug: "};
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "dgsim: %s%.*s\n", prefix[static_cast<int>(l)], static_cast<int>(message.size()),
               message.data());
  std::fflush(stderr);
}

}  // namespace dgsim::log
