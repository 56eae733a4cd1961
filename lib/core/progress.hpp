#pragma once
// Progress reporting for long loops, to stderr: a bar redrawn at most 10 times a second on a
// terminal, plain lines every few seconds otherwise (batch logs), nothing when quiet.

#include <chrono>
#include <string>

namespace dgsim {

class Progress {
 public:
  Progress(std::string label, long total, bool enabled = true);
  ~Progress();  // clears an unfinished bar (the work failed); prints nothing else
  void update(long done);  // thread-safe to call from one thread at a time
  void finish();

 private:
  std::string label_;
  long total_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace dgsim
