#pragma once
// A model's full state as plain C++ data, for checkpoints and model files: the architecture
// and hyperparameters as attributes, every weight array by name, and optionally the Adam
// state. The HDF5 layer writes attributes as HDF5 attributes and arrays as datasets; a round
// trip through ModelState is bit-exact.
//
// Attributes: format = "dgsim-model", format_version = 1, kind, structure, activation
// (strings); pde, dim, hidden, kernel, friction, seed (integers; seed is the uint64 seed's bit
// pattern); dx (double); NODE only: node_bias (integer; absent in older files: 0 for ODEs,
// 1 for PDEs). With an optimizer: adam.lr, adam.beta1, adam.beta2, adam.eps,
// adam.weight_decay (double), adam.steps (integer).
// Arrays: "params/<name>" for each parameter (e.g. "params/mlp.0.W" [in, out]); with an
// optimizer "adam/m/<name>" and "adam/v/<name>", shaped like the parameter.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "lib/nn/adam.hpp"
#include "lib/nn/model.hpp"

namespace dgsim::nn {

using Attribute = std::variant<std::int64_t, double, std::string>;

struct ModelState {
  std::map<std::string, Attribute> attributes;
  std::vector<std::pair<std::string, Mat>> arrays;
};

ModelState export_state(const Model& model, const Adam* adam = nullptr);

struct RestoredModel {
  Model model;
  std::optional<Adam> adam;  // present if the state holds an optimizer
};

// Rebuilds the model (and optimizer) from a state; IoError (object = the attribute or array)
// if something is missing, of the wrong type or shape, or unknown.
RestoredModel import_state(const ModelState& state);

}  // namespace dgsim::nn
