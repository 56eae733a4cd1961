// dgsim inspect: a summary of any dgsim HDF5 file: root attributes, the attributes of groups
// (a model's info/: dataset identity, hyperparameters, results), arrays and their shapes.

#include <fmt/format.h>
#include <iostream>

#include "apps/dgsim/cli_common.hpp"
#include "apps/dgsim/commands.hpp"
#include "lib/io/h5.hpp"

namespace dgsim::cli {
namespace {

struct Entry {
  std::string path;
  io::Shape shape;
};

struct GroupAttrs {
  std::string path;
  std::vector<std::pair<std::string, std::string>> attrs;  // name, value as text
};

void walk(const io::Group& g, const std::string& prefix, std::vector<Entry>& out, std::vector<GroupAttrs>& groups) {
  for (const auto& name : g.children()) {
    const std::string path = prefix + "/" + name;
    if (g.is_group(name)) {
      const io::Group sub = g.open_group(name);
      GroupAttrs ga{path, {}};
      for (const auto& k : sub.attr_names()) ga.attrs.emplace_back(k, sub.attr_as_text(k));
      if (!ga.attrs.empty()) groups.push_back(std::move(ga));
      walk(sub, path, out, groups);
    } else {
      out.push_back({path, g.open_dataset(name).shape()});
    }
  }
}

std::string shape_text(const io::Shape& s) { return fmt::format("({})", fmt::join(s, ", ")); }

}  // namespace

int run_inspect(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string path;
  po::options_description desc("options");
  desc.add_options()("file", po::value(&path), "a dgsim file (dataset, model or prediction)");
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!parse("inspect", args, desc, pos, vm, "dgsim inspect FILE [--json]", "dgsim inspect kdv.h5 --json")) return 0;
  if (path.empty()) throw UsageError("inspect", "no file given");

  io::File f = io::File::open(path);
  std::vector<Entry> entries;
  std::vector<GroupAttrs> groups;
  walk(f, "", entries, groups);
  const auto keys = f.attr_names();

  if (common.json) {
    std::string out = fmt::format("{{\"file\": {}, \"attributes\": {{", json_quote(path));
    for (size_t i = 0; i < keys.size(); ++i)
      out += fmt::format("{}{}: {}", i ? ", " : "", json_quote(keys[i]), json_quote(f.attr_as_text(keys[i])));
    out += "}, \"group_attributes\": {";
    for (size_t i = 0; i < groups.size(); ++i) {
      out += fmt::format("{}{}: {{", i ? ", " : "", json_quote(groups[i].path));
      for (size_t j = 0; j < groups[i].attrs.size(); ++j)
        out += fmt::format("{}{}: {}", j ? ", " : "", json_quote(groups[i].attrs[j].first), json_quote(groups[i].attrs[j].second));
      out += "}";
    }
    out += "}, \"arrays\": {";
    for (size_t i = 0; i < entries.size(); ++i)
      out += fmt::format("{}{}: [{}]", i ? ", " : "", json_quote(entries[i].path), fmt::join(entries[i].shape, ", "));
    std::cout << out << "}}\n";
    return 0;
  }
  std::cout << fmt::format("{}\n", path);
  if (f.has_attr("format")) std::cout << fmt::format("  format: {}\n", f.attr_as_text("format"));
  std::cout << "attributes:\n";
  for (const auto& k : keys) std::cout << fmt::format("  {:<24} {}\n", k, f.attr_as_text(k));
  for (const auto& g : groups) {
    std::cout << fmt::format("attributes of {}:\n", g.path);
    for (const auto& [k, v] : g.attrs) std::cout << fmt::format("  {:<40} {}\n", k, v);
  }
  std::cout << "arrays:\n";
  for (const auto& e : entries) std::cout << fmt::format("  {:<32} {}\n", e.path, shape_text(e.shape));
  if (f.exists("trajectories/split")) {
    const auto split = f.open_dataset("trajectories/split").read_ints().data;
    long test = 0;
    for (auto s : split) test += s;
    std::cout << fmt::format("split: {} train, {} test\n", static_cast<long>(split.size()) - test, test);
  }
  return 0;
}

}  // namespace dgsim::cli
