#include "lib/core/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <utility>

#include "lib/core/log.hpp"

namespace dgsim {

Progress::Progress(std::string label, long total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && log::enabled(log::Level::info)),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  // Destroyed without finish(): the work failed; clear a drawn bar, claim nothing.
  if (enabled_ && !finished_ && tty_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

void Progress::update(long done) {
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (since < (tty_ ? 0.1 : 5.0) && done < total_) return;
  if (!tty_ && done >= total_) return;  // the final line comes from finish()
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double frac = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  if (tty_) {
    constexpr int width = 30;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %ld/%ld %.1fs", label_.c_str(), bar.c_str(), done, total_, elapsed);
  } else {
    std::fprintf(stderr, "dgsim: %s %ld/%ld (%.0f%%) %.1fs\n", label_.c_str(), done, total_, 100.0 * frac, elapsed);
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (tty_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "dgsim: %s done, %ld in %.2fs\n", label_.c_str(), total_, elapsed);
  std::fflush(stderr);
}

}  // namespace dgsim
