#include <doctest/doctest.h>

#include <filesystem>

#include "lib/core/error.hpp"
#include "lib/io/h5.hpp"
#include "lib/nn/model_file.hpp"

namespace fs = std::filesystem;
using namespace dgsim;

TEST_SUITE_BEGIN("unit");

TEST_CASE("model file: weights and optimizer state survive an HDF5 round trip bit for bit") {
  for (bool pde : {false, true}) {
    nn::ModelConfig c;
    c.kind = nn::ModelKind::dgnet;
    c.pde = pde;
    c.dim = pde ? 10 : 2;
    c.hidden = 8;
    c.structure = pde ? nn::Structure::D : nn::Structure::S;
    c.dx = 0.2;
    c.seed = 5;
    nn::Model model(c);
    nn::Adam adam({1e-3, 0.9, 0.999, 1e-8, 1e-4}, model.params().theta().size());
    Vec g = Vec::LinSpaced(model.params().theta().size(), -1.0, 1.0);
    adam.step(model.params().theta(), g);
    adam.step(model.params().theta(), g);

    nn::ModelFile file;
    file.state = nn::export_state(model, &adam);
    file.info_text["data_path"] = "kdv.h5";
    file.info_numbers["final_loss"] = 0.125;
    file.info_ints["iterations"] = 2;
    file.extra.emplace_back("training/log", Mat::Constant(3, 4, 0.5));
    const std::string path = (fs::temp_directory_path() / "dgsim_test_model.h5").string();
    nn::write_model_file(path, file);

    const nn::ModelFile back = nn::read_model_file(path);
    nn::RestoredModel r = nn::import_state(back.state);
    CHECK(r.model.params().theta() == model.params().theta());
    REQUIRE(r.adam.has_value());
    CHECK(r.adam->steps() == 2);
    CHECK(r.adam->first_moment() == adam.first_moment());
    CHECK(r.adam->second_moment() == adam.second_moment());
    CHECK(back.info_text.at("data_path") == "kdv.h5");
    CHECK(back.info_numbers.at("final_loss") == 0.125);
    CHECK(back.info_ints.at("iterations") == 2);
    CHECK(back.info_text.count("git_commit") == 1);
    CHECK(back.info_text.count("blas") == 1);
    REQUIRE(back.extra.size() == 1);
    CHECK(back.extra[0].first == "training/log");
    CHECK(back.extra[0].second == Mat::Constant(3, 4, 0.5));
    const Mat u = Mat::Random(3, c.dim);
    CHECK(r.model.energy(u) == model.energy(u));
    fs::remove(path);
  }
}

TEST_CASE("model file: a dataset file is not a model file") {
  const std::string path = (fs::temp_directory_path() / "dgsim_test_notmodel.h5").string();
  { io::File::create(path).write_attr("format", "dgsim-dataset"); }
  CHECK_THROWS_AS(nn::read_model_file(path), IoError);
  fs::remove(path);
}

TEST_SUITE_END();
