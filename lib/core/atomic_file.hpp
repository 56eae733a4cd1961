#pragma once
// Atomic output: write to a temporary file beside the target, rename on success. If the
// writer fails or is interrupted, the temporary is removed and nothing appears under the
// target name (a SIGKILL can leave a "*.tmp-*" file behind, never a file that looks complete).

#include <string>
#include <utility>
#include <vector>

namespace dgsim {

// Checks that `target` can be an output file: non-empty, its folder exists, not a folder itself,
// and not the same file as one of the command's other files (`inputs`: a name and a path, e.g.
// {"--data", "kdv.h5"}; paths that do not exist yet compare by their canonical form). Throws ConfigError or IoError naming it.
// Call it before long work, to fail early.
void check_output_path(const std::string& target, const std::vector<std::pair<std::string, std::string>>& inputs = {});

class AtomicFile {
 public:
  explicit AtomicFile(std::string target);  // checks that the target directory exists
  ~AtomicFile();                            // removes the temporary unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& target() const { return target_; }
  void commit();  // rename temp -> target (atomic on POSIX within one file system)

 private:
  std::string target_;
  std::string temp_;
  bool committed_ = false;
};

}  // namespace dgsim
