// Test helper: writes an untrained model file (seeded weights) with the dataset identity in
// info/, as `dgsim train` does, so `dgsim predict` can be tested without training.
//   make_test_model OUT.h5 KIND SYSTEM DIM [pde DX STRUCTURE] [hidden H] [friction G]
#include <cstdlib>
#include <iostream>
#include <string>

#include "lib/nn/model_file.hpp"

int main(int argc, char** argv) {
  using namespace dgsim;
  if (argc < 5) {
    std::cerr << "usage: make_test_model OUT KIND SYSTEM DIM [pde DX STRUCTURE] [hidden H] [friction G]\n";
    return 2;
  }
  try {
    nn::ModelConfig c;
    c.kind = nn::parse_model_kind(argv[2]);
    c.dim = std::atoi(argv[4]);
    c.hidden = 16;
    c.seed = 1;
    double friction = -1.0;
    for (int i = 5; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "pde" && i + 2 < argc) {
        c.pde = true;
        c.dx = std::atof(argv[++i]);
        c.structure = nn::parse_structure(argv[++i]);
      } else if (a == "hidden" && i + 1 < argc) {
        c.hidden = std::atoi(argv[++i]);
      } else if (a == "friction" && i + 1 < argc) {
        c.friction = true;
        friction = std::atof(argv[++i]);
      } else {
        std::cerr << "make_test_model: bad argument " << a << "\n";
        return 2;
      }
    }
    nn::Model model(c);
    if (friction >= 0) model.params().view(model.params().find("friction"))(0, 0) = friction;
    nn::ModelFile f;
    f.state = nn::export_state(model);
    f.info_text["data.system"] = argv[3];  // as dgsim train records it
    f.info_text["note"] = "untrained test model";
    nn::write_model_file(argv[1], f);
  } catch (const std::exception& e) {
    std::cerr << "make_test_model: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
