# Version and git commit, regenerated at every build (the commit changes without a re-configure).
set(DGSIM_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${DGSIM_GENERATED_DIR})
add_custom_target(dgsim_version_info
  COMMAND ${CMAKE_COMMAND}
    -DSRC_DIR=${PROJECT_SOURCE_DIR}
    -DOUT=${DGSIM_GENERATED_DIR}/version_info.cpp
    -DVERSION=${PROJECT_VERSION}
    -P ${PROJECT_SOURCE_DIR}/cmake/write_version.cmake
  BYPRODUCTS ${DGSIM_GENERATED_DIR}/version_info.cpp
  COMMENT "dgsim version info")
