#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "lib/core/error.hpp"
#include "lib/io/h5.hpp"

namespace fs = std::filesystem;
using namespace dgsim::io;

TEST_SUITE_BEGIN("unit");

TEST_CASE("h5: attributes and datasets round trip exactly") {
  const std::string path = (fs::temp_directory_path() / "dgsim_test_h5.h5").string();
  const std::vector<double> values = {1.0, -2.5, 3.0e-300, 0.1, 1.0 / 3.0, 6.0};
  const std::vector<std::int64_t> ints = {1, -2, 1LL << 40};
  {
    File f = File::create(path);
    f.write_attr("name", "kdv");
    f.write_attr("pi", 3.141592653589793);
    f.write_attr("n", 42);
    f.write_attr("names", std::vector<std::string>{"q", "p"});
    f.write_attr("no_names", std::vector<std::string>{});
    f.write_attr("vals", std::vector<double>{0.5, 0.25});
    Group g = f.create_group("a");
    g.write("x", values.data(), {2, 3}, {1, 4, true});
    g.write("i", ints.data(), {3});
    Dataset t = g.write("t", std::vector<double>{0.0, 1.0});
    t.make_scale("t");
    Dataset y = g.write("y", values.data(), {3, 2});
    y.attach_scale(t, 1);
    y.set_dim_label(0, "row");
  }
  File f = File::open(path);
  CHECK(f.read_attr_string("name") == "kdv");
  CHECK(f.read_attr_double("pi") == 3.141592653589793);
  CHECK(f.read_attr_int("n") == 42);
  CHECK(f.read_attr_double("n") == 42.0);
  CHECK(f.read_attr_strings("names") == std::vector<std::string>{"q", "p"});
  CHECK(f.read_attr_strings("no_names").empty());
  CHECK(f.attr_as_text("no_names") == "[]");
  CHECK(f.read_attr_doubles("vals") == std::vector<double>{0.5, 0.25});
  CHECK(f.exists("a/x"));
  CHECK_FALSE(f.exists("a/nothing/deeper"));
  CHECK(f.is_group("a"));
  const Array x = f.open_group("a").open_dataset("x").read();
  CHECK(x.shape == Shape{2, 3});
  CHECK(x.data == values);
  const Array row = f.open_dataset("a/x").read_rows(1, 1);
  CHECK(row.shape == Shape{1, 3});
  CHECK(row.data == std::vector<double>{0.1, 1.0 / 3.0, 6.0});
  CHECK(f.open_dataset("a/i").read_ints().data == ints);
  CHECK(f.open_group("a").children() == std::vector<std::string>{"i", "t", "x", "y"});
  fs::remove(path);
}

TEST_CASE("h5: compressed chunks written in parallel read back exactly including a partial last chunk") {
  const std::string path = (fs::temp_directory_path() / "dgsim_test_chunks.h5").string();
  std::vector<double> values(7 * 5 * 3);
  for (size_t i = 0; i < values.size(); ++i) values[i] = std::sin(0.37 * static_cast<double>(i)) * 1e3;
  std::vector<std::int64_t> ints(7 * 4);
  for (size_t i = 0; i < ints.size(); ++i) ints[i] = static_cast<std::int64_t>(i * i) - 50;
  for (bool shuffle : {true, false}) {
    {
      File f = File::create(path);
      f.write("x", values.data(), {7, 5, 3}, {3, 1, shuffle});  // chunks of 3 rows: 3, 3, 1 (padded)
      f.write("i", ints.data(), {7, 4}, {2, 6, shuffle});
    }
    File f = File::open(path);
    CHECK(f.open_dataset("x").read().data == values);
    CHECK(f.open_dataset("x").read_rows(6, 1).data == std::vector<double>(values.end() - 15, values.end()));
    CHECK(f.open_dataset("i").read_ints().data == ints);
  }
  fs::remove(path);
}

TEST_CASE("h5: missing, non-HDF5 and truncated files are I/O errors naming the path") {
  CHECK_THROWS_AS(File::open("/nonexistent/dgsim.h5"), dgsim::IoError);
  const std::string text = (fs::temp_directory_path() / "dgsim_test_not_h5.h5").string();
  std::ofstream(text) << "not an HDF5 file\n";
  try {
    File::open(text);
    FAIL("expected IoError");
  } catch (const dgsim::IoError& e) {
    CHECK(e.path() == text);
  }
  fs::remove(text);

  const std::string path = (fs::temp_directory_path() / "dgsim_test_trunc.h5").string();
  {
    std::vector<double> big(200000, 1.5);
    File f = File::create(path);
    f.write("big", big.data(), {big.size()});
  }
  fs::resize_file(path, fs::file_size(path) / 2);
  CHECK_THROWS_AS(
      {
        File f = File::open(path);
        f.open_dataset("big").read();
      },
      dgsim::IoError);
  fs::remove(path);
}

TEST_CASE("h5: a missing attribute or dataset names the object") {
  const std::string path = (fs::temp_directory_path() / "dgsim_test_missing.h5").string();
  { File::create(path).create_group("g"); }
  File f = File::open(path);
  try {
    f.open_group("g").open_dataset("u");
    FAIL("expected IoError");
  } catch (const dgsim::IoError& e) {
    CHECK(e.object() == "/g/u");
  }
  CHECK_THROWS_AS(f.read_attr_string("nope"), dgsim::IoError);
  fs::remove(path);
}

TEST_SUITE_END();
