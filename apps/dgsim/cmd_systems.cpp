// dgsim systems: the registry table.

#include <fmt/format.h>
#include <iostream>

#include "apps/dgsim/cli_common.hpp"
#include "apps/dgsim/commands.hpp"
#include "systems/registry.hpp"

namespace dgsim::cli {

int run_systems(const std::vector<std::string>& args) {
  CommonOptions common;
  po::options_description desc("options");
  add_common_options(desc, common);
  po::variables_map vm;
  if (!parse("systems", args, desc, {}, vm, "dgsim systems [--json]", "dgsim systems --json")) return 0;

  const auto& table = systems::system_table();
  if (common.json) {
    std::string out = "[";
    for (size_t i = 0; i < table.size(); ++i) {
      const auto& e = table[i];
      out += fmt::format("{}{{\"name\": {}, \"description\": {}, \"kind\": \"{}\", \"parameters\": [", i ? ", " : "",
                         json_quote(e.name), json_quote(e.description),
                         e.kind == systems::Kind::simulated ? "simulated" : "loaded");
      for (size_t k = 0; k < e.params.size(); ++k)
        out += fmt::format("{}{{\"name\": {}, \"default\": {:.17g}, \"unit\": {}, \"description\": {}}}", k ? ", " : "",
                           json_quote(e.params[k].name), e.params[k].default_value, json_quote(e.params[k].unit),
                           json_quote(e.params[k].description));
      out += "], \"presets\": [";
      for (size_t k = 0; k < e.presets.size(); ++k)
        out += fmt::format("{}{{\"name\": {}, \"description\": {}}}", k ? ", " : "", json_quote(e.presets[k].name),
                           json_quote(e.presets[k].description));
      out += "]}";
    }
    std::cout << out << "]\n";
    return 0;
  }
  for (const auto& e : table) {
    std::cout << fmt::format("{}  ({})\n  {}\n", e.name, e.kind == systems::Kind::simulated ? "simulated" : "loaded",
                             e.description);
    for (const auto& p : e.params)
      std::cout << fmt::format("    --param {}={:<10g} {}{}\n", p.name, p.default_value, p.description,
                               p.unit.empty() ? "" : " [" + p.unit + "]");
    for (size_t k = 0; k < e.presets.size(); ++k)
      std::cout << fmt::format("    --preset {:<12} {}{}\n", e.presets[k].name, e.presets[k].description,
                               k == 0 ? " (default)" : "");
    std::cout << "\n";
  }
  return 0;
}

}  // namespace dgsim::cli
