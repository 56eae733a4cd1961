#pragma once
// Logging to stderr. The macros do not evaluate their fmt arguments when the level is off.
//   DGSIM_LOG_INFO("wrote {} trajectories to {}", n, path);

#include <fmt/format.h>

#include <string_view>

namespace dgsim::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

void set_level(Level level);
Level level();
inline bool enabled(Level l) { return static_cast<int>(l) <= static_cast<int>(level()); }
void write(Level level, std::string_view message);  // one line to stderr, thread-safe

}  // namespace dgsim::log

#define DGSIM_LOG_AT(lvl, ...)                                            \
  do {                                                                    \
    if (::dgsim::log::enabled(lvl)) ::dgsim::log::write(lvl, fmt::format(__VA_ARGS__)); \
  } while (0)
#define DGSIM_LOG_ERROR(...) DGSIM_LOG_AT(::dgsim::log::Level::error, __VA_ARGS__)
#define DGSIM_LOG_WARN(...) DGSIM_LOG_AT(::dgsim::log::Level::warn, __VA_ARGS__)
#define DGSIM_LOG_INFO(...) DGSIM_LOG_AT(::dgsim::log::Level::info, __VA_ARGS__)
#define DGSIM_LOG_DEBUG(...) DGSIM_LOG_AT(::dgsim::log::Level::debug, __VA_ARGS__)
