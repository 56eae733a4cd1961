#pragma once
// The subcommands of dgsim. Each takes the arguments after its name and returns the exit code.

#include <string>
#include <vector>

namespace dgsim::cli {

int run_systems(const std::vector<std::string>& args);
int run_generate(const std::vector<std::string>& args);
int run_inspect(const std::vector<std::string>& args);
int run_check(const std::vector<std::string>& args);
int run_merge(const std::vector<std::string>& args);
int run_train(const std::vector<std::string>& args);
int run_predict(const std::vector<std::string>& args);

}  // namespace dgsim::cli
