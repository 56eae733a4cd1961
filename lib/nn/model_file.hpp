#pragma once
// The dgsim model file (HDF5): a ModelState (architecture and hyperparameters as root
// attributes, weights as datasets `params/<name>`, optionally Adam's moments `adam/m|v/<name>`)
// plus the information group `info/` (provenance, dataset identity, training summary as
// attributes) and arrays of the training run (e.g. `training/log`). Written atomically;
// a round trip is bit-exact.
//
//   import h5py; f = h5py.File("model.h5"); W = f["params/mlp.0.W"][:]; f.attrs["kind"]

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lib/nn/state.hpp"

namespace dgsim::nn {

struct ModelFile {
  ModelState state;
  std::map<std::string, std::string> info_text;     // info/ attributes
  std::map<std::string, double> info_numbers;
  std::map<std::string, std::int64_t> info_ints;
  std::vector<std::pair<std::string, Mat>> extra;   // other arrays, e.g. "training/log"
};

void write_model_file(const std::string& path, const ModelFile& file);

// IoError naming the path and object for a missing or malformed piece.
ModelFile read_model_file(const std::string& path);

}  // namespace dgsim::nn
