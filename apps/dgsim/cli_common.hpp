#pragma once
// Shared option groups and validators of the dgsim subcommands.

#include <boost/program_options.hpp>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <utility>
#include <string>
#include <vector>

namespace dgsim::cli {

namespace po = boost::program_options;

// Thrown for usage errors; main() prints it with a "see `dgsim CMD --help`" hint, exit 2.
struct UsageError : std::runtime_error {
  UsageError(std::string cmd, const std::string& message) : std::runtime_error(message), command(std::move(cmd)) {}
  std::string command;
};

struct CommonOptions {
  bool json = false;
  bool verbose = false;
  bool quiet = false;
};

// -v/--verbose, -q/--quiet, --json.
void add_common_options(po::options_description& desc, CommonOptions& opts);
void apply_common_options(const CommonOptions& opts);  // sets the log level

// Parses the subcommand's arguments; returns false when --help was printed.
bool parse(const std::string& command, const std::vector<std::string>& args, po::options_description& desc,
           const po::positional_options_description& positional, po::variables_map& vm, const std::string& usage,
           const std::string& example);

// "NAME=VALUE" -> (NAME, VALUE); UsageError naming the bad item otherwise.
std::map<std::string, double> parse_params(const std::string& command, const std::vector<std::string>& items);

// Parses "i/n" or "auto" (SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT) into (i, n).
std::pair<long, long> parse_shard(const std::string& command, const std::string& text);

// A --seed value, 0 .. 2^63 - 1 (files store it as a signed 64-bit integer); UsageError
// naming a negative one (Boost would wrap "-1" to 2^64 - 1).
std::uint64_t seed_value(const std::string& command, std::int64_t seed);

// Number of hardware threads (at least 1).
int default_threads();

// The command line as typed, for provenance.
std::string command_line();
void set_command_line(int argc, char** argv);

// JSON string literal.
std::string json_quote(const std::string& s);

// JSON number with 10 significant digits; null for NaN and infinities (JSON has neither).
std::string json_number(double x);

}  // namespace dgsim::cli
