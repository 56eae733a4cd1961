#include <doctest/doctest.h>

#include <filesystem>

#include "lib/core/error.hpp"
#include "lib/io/dataset_file.hpp"
#include "lib/io/h5.hpp"

namespace fs = std::filesystem;
using namespace dgsim;

namespace {
io::TrajectorySet small_set() {
  io::TrajectorySet d;
  d.system = "mass-spring";
  d.preset = "dgnet";
  d.state_names = {"q", "p"};
  d.params = {{"k", 1.0}, {"m", 1.0}};
  d.G = Mat{{0.0, 1.0}, {-1.0, 0.0}};
  d.n_traj = 2;
  d.dim = 2;
  d.t = {0.0, 0.5, 1.0};
  for (int i = 0; i < 12; ++i) {
    d.u.push_back(0.1 * i);
    d.dudt.push_back(-0.2 * i);
  }
  d.energy = {1, 1, 1, 2, 2, 2};
  d.index = {3, 4};
  d.split = {0, 1};
  d.n_steps = {10, 11};
  d.n_rejected = {0, 1};
  d.n_rhs = {120, 130};
  d.text_attrs["integrator"] = "dop853";
  d.number_attrs["rtol"] = 1e-12;
  d.int_attrs["seed"] = 7;
  return d;
}
}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("dataset file: write then read gives the same data and the documented layout") {
  const std::string path = (fs::temp_directory_path() / "dgsim_test_ds.h5").string();
  const io::TrajectorySet d = small_set();
  io::write_dataset(path, d);
  const io::TrajectorySet r = io::read_dataset(path);
  CHECK(r.system == d.system);
  CHECK(r.u == d.u);
  CHECK(r.dudt == d.dudt);
  CHECK(r.t == d.t);
  CHECK(r.energy == d.energy);
  CHECK(r.index == d.index);
  CHECK(r.split == d.split);
  CHECK(r.G == d.G);
  CHECK(r.params == d.params);
  CHECK(r.n_rhs == d.n_rhs);
  CHECK(r.text_attrs.at("integrator") == "dop853");
  CHECK(r.int_attrs.at("seed") == 7);
  CHECK(r.number_attrs.at("rtol") == 1e-12);
  CHECK(r.all_attrs.count("git_commit") == 1);
  CHECK(r.all_attrs.count("blas") == 1);
  CHECK(r.all_attrs.count("created") == 1);

  io::File f = io::File::open(path);
  CHECK(f.read_attr_string("dataset_name") == "mass-spring");
  CHECK(f.read_attr_int("n_trajectories") == 2);
  CHECK(f.open_dataset("t0_fields/u").shape() == io::Shape{2, 3, 2});
  CHECK(f.open_dataset("diagnostics/energy").shape() == io::Shape{2, 3});
  CHECK(f.exists("dimensions/time"));
  CHECK(f.exists("scalars/k"));
  fs::remove(path);
}

TEST_CASE("dataset file: inconsistent sizes are refused and nothing is left behind") {
  const std::string path = (fs::temp_directory_path() / "dgsim_test_bad.h5").string();
  fs::remove(path);
  io::TrajectorySet d = small_set();
  d.u.pop_back();
  CHECK_THROWS_AS(io::write_dataset(path, d), IoError);
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("dataset file: reading a non-dataset HDF5 file is an I/O error") {
  const std::string path = (fs::temp_directory_path() / "dgsim_test_other.h5").string();
  { io::File::create(path).write_attr("x", 1.0); }
  CHECK_THROWS_AS(io::read_dataset(path), IoError);
  fs::remove(path);
}

TEST_SUITE_END();
