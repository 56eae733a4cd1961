// dgsim merge: one file from the shards of a `generate --shard i/n` run.

#include <filesystem>
#include <fmt/format.h>
#include <iostream>

#include "apps/dgsim/cli_common.hpp"
#include "apps/dgsim/commands.hpp"
#include "lib/core/atomic_file.hpp"
#include "lib/core/log.hpp"
#include "lib/io/dataset_file.hpp"

namespace dgsim::cli {

int run_merge(const std::vector<std::string>& args) {
  CommonOptions common;
  std::vector<std::string> shards;
  std::string output;
  bool copy = false;
  po::options_description desc("options");
  desc.add_options()
      ("shards", po::value(&shards)->composing(), "shard files (any order)")
      ("output,o", po::value(&output), "merged file")
      ("copy", po::bool_switch(&copy), "copy the data (self-contained file) instead of HDF5 virtual datasets");
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("shards", -1);
  po::variables_map vm;
  if (!parse("merge", args, desc, pos, vm, "dgsim merge SHARD... -o FILE [--copy]",
             "dgsim merge kdv-shard*of4.h5 -o kdv.h5 --copy"))
    return 0;
  apply_common_options(common);
  if (shards.empty()) throw UsageError("merge", "no shard files given");
  if (output.empty()) throw UsageError("merge", "no output file given (-o FILE)");
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const auto& s : shards) inputs.emplace_back("shard", s);
  check_output_path(output, inputs);

  std::vector<io::ShardBlock> layout;
  io::TrajectorySet merged = io::merge_shards(shards, &layout);
  merged.text_attrs["command_line"] = command_line();
  std::vector<std::string> names;
  for (const auto& b : layout) names.push_back(b.path);
  merged.text_attrs["merged_from"] = fmt::format("{}", fmt::join(names, " "));
  merged.text_attrs["storage"] = copy ? "copy" : "virtual";

  if (copy) {
    io::write_dataset(output, merged);
  } else {
    // Virtual datasets name their sources relative to the merged file's folder, so the
    // shards and the merged file can move together.
    namespace fs = std::filesystem;
    const fs::path base = fs::absolute(fs::path(output)).parent_path();
    io::VirtualSources src;
    for (const auto& b : layout) {
      src.files.push_back(fs::relative(fs::absolute(b.path), base).string());
      src.offsets.push_back(b.first);
      src.counts.push_back(b.count);
    }
    io::write_dataset(output, merged, &src);
  }
  DGSIM_LOG_INFO("merged {} shards ({} trajectories) into {} ({})", shards.size(), merged.n_traj, output,
                 copy ? "copied" : "virtual datasets over the shards");
  if (common.json)
    std::cout << fmt::format("{{\"output\": {}, \"shards\": {}, \"n_traj\": {}, \"storage\": \"{}\"}}\n",
                             json_quote(output), shards.size(), merged.n_traj, copy ? "copy" : "virtual");
  return 0;
}

}  // namespace dgsim::cli
