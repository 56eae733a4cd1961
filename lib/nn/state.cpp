#include "lib/nn/state.hpp"

#include <fmt/format.h>

#include <set>

#include "lib/core/error.hpp"

namespace dgsim::nn {

namespace {

constexpr const char* format_name = "dgsim-model";
constexpr std::int64_t format_version = 1;

std::string fn_name(ad::Fn f) {
  switch (f) {
    case ad::Fn::tanh: return "tanh";
    case ad::Fn::sigmoid: return "sigmoid";
    case ad::Fn::softplus: return "softplus";
    case ad::Fn::sin: return "sin";
    case ad::Fn::cos: return "cos";
  }
  return "?";
}

ad::Fn parse_fn(const std::string& s) {
  for (ad::Fn f : {ad::Fn::tanh, ad::Fn::sigmoid, ad::Fn::softplus, ad::Fn::sin, ad::Fn::cos})
    if (fn_name(f) == s) return f;
  throw IoError(fmt::format("model state: unknown activation '{}' (known: tanh, sigmoid, softplus, sin, cos)", s), "",
                "activation");
}

template <class T>
const T& get(const ModelState& s, const std::string& key) {
  const auto it = s.attributes.find(key);
  if (it == s.attributes.end()) throw IoError(fmt::format("model state: attribute '{}' is missing", key), "", key);
  const T* v = std::get_if<T>(&it->second);
  if (v == nullptr) throw IoError(fmt::format("model state: attribute '{}' has the wrong type", key), "", key);
  return *v;
}

}  // namespace

ModelState export_state(const Model& model, const Adam* adam) {
  const ModelConfig& c = model.config();
  ModelState s;
  auto& a = s.attributes;
  a["format"] = std::string(format_name);
  a["format_version"] = format_version;
  a["kind"] = to_string(c.kind);
  a["structure"] = to_string(c.structure);
  a["activation"] = fn_name(c.activation);
  a["pde"] = std::int64_t{c.pde};
  a["dim"] = std::int64_t{c.dim};
  a["hidden"] = std::int64_t{c.hidden};
  a["kernel"] = std::int64_t{c.kernel};
  a["friction"] = std::int64_t{c.friction};
  if (c.kind == ModelKind::node) a["node_bias"] = std::int64_t{c.node_bias};
  a["seed"] = static_cast<std::int64_t>(c.seed);
  a["dx"] = c.dx;
  const Params& p = model.params();
  for (int i = 0; i < p.count(); ++i) s.arrays.emplace_back("params/" + p.name(i), p.view(i));
  if (adam) {
    const AdamOptions& o = adam->options();
    a["adam.lr"] = o.lr;
    a["adam.beta1"] = o.beta1;
    a["adam.beta2"] = o.beta2;
    a["adam.eps"] = o.eps;
    a["adam.weight_decay"] = o.weight_decay;
    a["adam.steps"] = adam->steps();
    a["adam.decay_steps"] = o.decay_steps;
    // Moments as arrays shaped like their parameters, so a file shows them by name.
    Params moments = p;
    for (const char* which : {"m", "v"}) {
      moments.theta() = which[0] == 'm' ? adam->first_moment() : adam->second_moment();
      for (int i = 0; i < p.count(); ++i)
        s.arrays.emplace_back(fmt::format("adam/{}/{}", which, p.name(i)), moments.view(i));
    }
  }
  return s;
}

RestoredModel import_state(const ModelState& s) {
  if (get<std::string>(s, "format") != format_name)
    throw IoError("model state: not a dgsim model (attribute 'format')", "", "format");
  const std::int64_t version = get<std::int64_t>(s, "format_version");
  if (version != format_version)
    throw IoError(fmt::format("model state: format_version {} is not supported (this build reads {})", version, format_version),
                  "", "format_version");
  ModelConfig c;
  try {
    c.kind = parse_model_kind(get<std::string>(s, "kind"));
    c.structure = parse_structure(get<std::string>(s, "structure"));
  } catch (const ConfigError& e) {
    throw IoError(std::string("model state: ") + e.what(), "", "kind");
  }
  c.activation = parse_fn(get<std::string>(s, "activation"));
  c.pde = get<std::int64_t>(s, "pde") != 0;
  c.dim = static_cast<int>(get<std::int64_t>(s, "dim"));
  c.hidden = static_cast<int>(get<std::int64_t>(s, "hidden"));
  c.kernel = static_cast<int>(get<std::int64_t>(s, "kernel"));
  c.friction = get<std::int64_t>(s, "friction") != 0;
  // NODE only (energy models have no output bias); files written before node_bias existed:
  // the ODE NODE had no output bias, the PDE NODE had one.
  if (c.kind == ModelKind::node) c.node_bias = s.attributes.count("node_bias") ? get<std::int64_t>(s, "node_bias") != 0 : c.pde;
  c.seed = static_cast<std::uint64_t>(get<std::int64_t>(s, "seed"));
  c.dx = get<double>(s, "dx");

  RestoredModel r{Model(c), std::nullopt};
  Params& p = r.model.params();
  const bool has_adam = s.attributes.count("adam.steps") != 0;
  Params m = p, v = p;
  std::set<std::string> seen;
  for (const auto& [name, value] : s.arrays) {
    if (!seen.insert(name).second) throw IoError(fmt::format("model state: array '{}' appears twice", name), "", name);
    Params* target = nullptr;
    std::string pname;
    if (name.rfind("params/", 0) == 0) {
      target = &p;
      pname = name.substr(7);
    } else if (has_adam && name.rfind("adam/m/", 0) == 0) {
      target = &m;
      pname = name.substr(7);
    } else if (has_adam && name.rfind("adam/v/", 0) == 0) {
      target = &v;
      pname = name.substr(7);
    }
    const int i = target ? target->find(pname) : -1;
    if (i < 0) throw IoError(fmt::format("model state: unexpected array '{}' for this architecture", name), "", name);
    auto view = target->view(i);
    if (view.rows() != value.rows() || view.cols() != value.cols())
      throw IoError(fmt::format("model state: array '{}' is [{}, {}], expected [{}, {}]", name, value.rows(), value.cols(),
                                view.rows(), view.cols()),
                    "", name);
    view = value;
  }
  const std::size_t expected = static_cast<std::size_t>(p.count()) * (has_adam ? 3 : 1);
  if (seen.size() != expected) {
    for (int i = 0; i < p.count(); ++i)
      for (const char* prefix : {"params/", "adam/m/", "adam/v/"}) {
        const std::string name = prefix + p.name(i);
        if ((has_adam || prefix[0] == 'p') && !seen.count(name))
          throw IoError(fmt::format("model state: array '{}' is missing", name), "", name);
      }
  }
  if (has_adam) {
    AdamOptions o;
    o.lr = get<double>(s, "adam.lr");
    o.beta1 = get<double>(s, "adam.beta1");
    o.beta2 = get<double>(s, "adam.beta2");
    o.eps = get<double>(s, "adam.eps");
    o.weight_decay = get<double>(s, "adam.weight_decay");
    if (s.attributes.count("adam.decay_steps")) o.decay_steps = get<std::int64_t>(s, "adam.decay_steps");  // older files: constant
    r.adam.emplace(o, p.theta().size());
    r.adam->set_state(get<std::int64_t>(s, "adam.steps"), m.theta(), v.theta());
  }
  return r;
}

}  // namespace dgsim::nn
