#include "lib/core/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "lib/core/error.hpp"

namespace dgsim {

void check_output_path(const std::string& target, const std::vector<std::pair<std::string, std::string>>& inputs) {
  namespace fs = std::filesystem;
  if (target.empty()) throw ConfigError("output path is empty");
  const fs::path p(target);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw IoError("directory does not exist", dir.string());
  if (fs::is_directory(p, ec)) throw IoError("output path is a directory", target);
  for (const auto& [option, input] : inputs) {
    if (input.empty()) continue;
    std::error_code e1, e2, e3;
    const bool same_file = fs::equivalent(p, fs::path(input), e1) && !e1;  // both exist: by any name or link
    const fs::path a = fs::weakly_canonical(p, e2), b = fs::weakly_canonical(fs::path(input), e3);
    if (same_file || (!e2 && !e3 && a == b))  // a path not written yet, spelled differently
      throw ConfigError(fmt::format("output {} is the same file as the {} file", target, option));
  }
}

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  namespace fs = std::filesystem;
  check_output_path(target_);
  const fs::path p(target_);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  temp_ = (dir / (p.filename().string() + ".tmp-" + std::to_string(::getpid()))).string();
}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::commit() {
  if (std::rename(temp_.c_str(), target_.c_str()) != 0)
    throw IoError(std::string("cannot rename temporary file into place: ") + std::strerror(errno), target_);
  committed_ = true;
}

}  // namespace dgsim
