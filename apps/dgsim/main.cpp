#include "lib/core/version.hpp"
#include <cstdio>
int main() { std::printf("dgsim %s\n", dgsim::version()); }
