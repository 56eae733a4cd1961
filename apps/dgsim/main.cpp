// dgsim: simulator, dataset generator and learner for energy-based dynamics u' = G ∇H(u).
// main() dispatches to the subcommands and is the only place that catches every error and
// maps it to an exit code (see README.md: 0 ok, 1 check failed, 2 usage, 3 numerical,
// 4 input/I-O, 70 internal, 75 interrupted).

#include <boost/program_options.hpp>
#include <cstdio>
#include <exception>
#include <fmt/format.h>
#include <iostream>
#include <string>
#include <vector>

#include "apps/dgsim/cli_common.hpp"
#include "apps/dgsim/commands.hpp"
#include "lib/core/error.hpp"
#include "lib/core/interrupt.hpp"
#include "lib/core/memory.hpp"
#include "lib/core/version.hpp"
#include "lib/io/h5.hpp"

namespace {

namespace po = boost::program_options;
using dgsim::cli::UsageError;

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>&);
};

const Command kCommands[] = {
    {"systems", "list the registered systems, their parameters and presets", &dgsim::cli::run_systems},
    {"generate", "simulate a system and write a dataset file (HDF5)", &dgsim::cli::run_generate},
    {"train", "learn an energy (DGNet, HNN, SRNN) or a vector field (NODE) from a dataset", &dgsim::cli::run_train},
    {"predict", "roll out a learned model, score it with the paper's metrics, write predictions", &dgsim::cli::run_predict},
    {"check", "verify the conservation laws of a dgsim file (exit 1 when one is broken)", &dgsim::cli::run_check},
    {"inspect", "summarise a dgsim file", &dgsim::cli::run_inspect},
    {"merge", "merge shards written with `generate --shard` into one file", &dgsim::cli::run_merge},
};

void print_help() {
  std::cout << "usage: dgsim [--help] [--version] <command> [<args>]\n\n"
               "Simulator, dataset generator and learner for energy-based dynamics u' = G grad H(u).\n\n"
               "commands:\n";
  for (const auto& c : kCommands) std::cout << fmt::format("  {:<10} {}\n", c.name, c.summary);
  std::cout << "\nRun `dgsim <command> --help` for the options of a command.\n"
               "example:\n  dgsim generate kdv -o kdv.h5\n";
}

int dispatch(int argc, char** argv) {
  // Global options come before the command; everything after it belongs to the command's
  // own parser (so `dgsim generate --help` is the command's help).
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    const std::string a = argv[i];
    if (a == "--version") {
      std::cout << fmt::format("dgsim {} (git {}, HDF5 {}, {})\n", dgsim::version(), dgsim::git_commit(),
                               dgsim::io::hdf5_version(), dgsim::blas_kernel());
      return 0;
    }
    if (a == "--help" || a == "-h") {
      print_help();
      return 0;
    }
    throw UsageError("", fmt::format("unknown option '{}'", a));
  }
  if (i == argc) throw UsageError("", "no command given");
  const std::string name = argv[i];
  const std::vector<std::string> rest(argv + i + 1, argv + argc);
  for (const auto& c : kCommands)
    if (name == c.name) return c.run(rest);
  std::string known;
  for (const auto& c : kCommands) known += (known.empty() ? "" : ", ") + std::string(c.name);
  throw UsageError("", fmt::format("unknown command '{}' (known: {})", name, known));
}

}  // namespace

int main(int argc, char** argv) {
  dgsim::keep_freed_memory();
  dgsim::cli::set_command_line(argc, argv);
  dgsim::install_interrupt_handlers();
  try {
    return dispatch(argc, argv);
  } catch (const UsageError& e) {
    const std::string cmd = e.command.empty() ? "dgsim --help" : "dgsim " + e.command + " --help";
    std::fprintf(stderr, "dgsim: error: %s (see `%s`)\n", e.what(), cmd.c_str());
    return 2;
  } catch (const po::error& e) {
    std::fprintf(stderr, "dgsim: error: %s (see `dgsim --help`)\n", e.what());
    return 2;
  } catch (const dgsim::ConfigError& e) {
    std::fprintf(stderr, "dgsim: error: %s\n", e.what());
    return 2;
  } catch (const dgsim::NumericalError& e) {
    std::fprintf(stderr, "dgsim: error: %s\n", e.what());
    return 3;
  } catch (const dgsim::IoError& e) {
    std::fprintf(stderr, "dgsim: error: %s\n", e.what());
    return 4;
  } catch (const dgsim::Interrupted& e) {
    std::fprintf(stderr, "dgsim: %s\n", e.what());
    return 75;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "dgsim: error: out of memory\n");
    return 70;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dgsim: internal error: %s\n", e.what());
    return 70;
  }
}
