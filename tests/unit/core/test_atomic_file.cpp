#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "lib/core/atomic_file.hpp"
#include "lib/core/error.hpp"

namespace fs = std::filesystem;

TEST_SUITE_BEGIN("unit");

TEST_CASE("atomic file: nothing under the target name until commit and temp removed on failure") {
  const fs::path dir = fs::temp_directory_path() / "dgsim_test_atomic";
  fs::create_directories(dir);
  const fs::path target = dir / "out.h5";
  fs::remove(target);
  {
    dgsim::AtomicFile f(target.string());
    std::ofstream(f.temp_path()) << "partial";
    CHECK_FALSE(fs::exists(target));
    // destroyed without commit: a failed run
  }
  CHECK_FALSE(fs::exists(target));
  CHECK(fs::is_empty(dir));
  {
    dgsim::AtomicFile f(target.string());
    std::ofstream(f.temp_path()) << "whole";
    f.commit();
  }
  CHECK(fs::exists(target));
  fs::remove_all(dir);
}

TEST_CASE("atomic file: a missing directory is an I/O error naming it") {
  CHECK_THROWS_AS(dgsim::AtomicFile("/nonexistent-dir-dgsim/out.h5"), dgsim::IoError);
}

TEST_SUITE_END();
