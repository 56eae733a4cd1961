#include "apps/dgsim/cli_common.hpp"

#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <iostream>
#include <thread>

#include "lib/core/log.hpp"

namespace dgsim::cli {
namespace {
std::string g_command_line;
}

void add_common_options(po::options_description& desc, CommonOptions& opts) {
  desc.add_options()
      ("json", po::bool_switch(&opts.json), "print a JSON summary on stdout")
      ("verbose,v", po::bool_switch(&opts.verbose), "more log output on stderr")
      ("quiet,q", po::bool_switch(&opts.quiet), "only errors on stderr, no progress");
}

void apply_common_options(const CommonOptions& opts) {
  if (opts.quiet) log::set_level(log::Level::error);
  if (opts.verbose) log::set_level(log::Level::debug);
}

bool parse(const std::string& command, const std::vector<std::string>& args, po::options_description& desc,
           const po::positional_options_description& positional, po::variables_map& vm, const std::string& usage,
           const std::string& example) {
  desc.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(desc).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: " << usage << "\n\n" << desc << "\nexample:\n  " << example << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(command, e.what());
  }
  return true;
}

std::map<std::string, double> parse_params(const std::string& command, const std::vector<std::string>& items) {
  std::map<std::string, double> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError(command, fmt::format("--param '{}' is not NAME=VALUE", item));
    const std::string name = item.substr(0, eq), value = item.substr(eq + 1);
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size())
      throw UsageError(command, fmt::format("--param {}: '{}' is not a number", name, value));
    out[name] = v;
  }
  return out;
}

std::pair<long, long> parse_shard(const std::string& command, const std::string& text) {
  std::string spec = text;
  if (text == "auto") {
    const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
    const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !count)
      throw UsageError(command, "--shard auto needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT in the environment");
    // Arrays may start anywhere (--array=1-4): the shard is the offset from the first task.
    const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
    spec = std::string(id) + "/" + count;
    try {
      if (min) spec = std::to_string(std::stol(id) - std::stol(min)) + "/" + count;
    } catch (const std::exception&) {
      throw UsageError(command, fmt::format("--shard auto: SLURM_ARRAY_TASK_ID '{}' or SLURM_ARRAY_TASK_MIN '{}' is not an integer", id, min));
    }
  }
  const auto slash = spec.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t a = 0, b = 0;
    const long i = std::stol(spec.substr(0, slash), &a);
    const long n = std::stol(spec.substr(slash + 1), &b);
    if (a != slash || b != spec.size() - slash - 1 || n < 1 || i < 0 || i >= n) throw std::invalid_argument("range");
    return {i, n};
  } catch (const std::exception&) {
    throw UsageError(command, fmt::format("--shard '{}' is not i/n with 0 <= i < n, or auto", text));
  }
}

std::uint64_t seed_value(const std::string& command, std::int64_t seed) {
  if (seed < 0) throw UsageError(command, fmt::format("--seed must be >= 0, got {}", seed));
  return static_cast<std::uint64_t>(seed);
}

int default_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::string command_line() { return g_command_line; }

void set_command_line(int argc, char** argv) {
  g_command_line.clear();
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.find_first_of(" \t'\"") != std::string::npos) a = "'" + a + "'";
    g_command_line += (i ? " " : "") + a;
  }
}

std::string json_number(double x) { return std::isfinite(x) ? fmt::format("{:.10g}", x) : "null"; }

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += c;
    }
  }
  return out + "\"";
}

}  // namespace dgsim::cli
