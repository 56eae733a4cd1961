# Build settings as INTERFACE targets, linked PRIVATE by each dgsim target.

add_library(dgsim_options INTERFACE)
target_compile_features(dgsim_options INTERFACE cxx_std_17)
if(DGSIM_SANITIZE)
  target_compile_options(dgsim_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(dgsim_options INTERFACE -fsanitize=address,undefined)
endif()
# Release builds: -O3 -DNDEBUG from CMake; allow the vector units of the build machine
# only when asked, so binaries stay portable by default.
option(DGSIM_NATIVE "Compile for the build machine's CPU (-march=native)" OFF)
if(DGSIM_NATIVE)
  target_compile_options(dgsim_options INTERFACE -march=native)
endif()

add_library(dgsim_warnings INTERFACE)
target_compile_options(dgsim_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wdouble-promotion -Wformat=2)
if(DGSIM_WARNINGS_AS_ERRORS)
  target_compile_options(dgsim_warnings INTERFACE -Werror)
endif()
