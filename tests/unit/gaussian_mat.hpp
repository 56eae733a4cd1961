#pragma once
// Test matrices with N(0, scale²) entries, drawn in column-major order from
// Rng(seed, stream, index): each test file picks its own seed and stream.

#include <cstdint>

#include "lib/core/rng.hpp"
#include "lib/core/types.hpp"

namespace dgsim::test {

inline Mat gaussian_mat(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed, RngStream stream, std::uint64_t index,
                        double scale = 1.0) {
  Rng rng(seed, stream, index);
  Mat m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = scale * rng.normal();
  return m;
}

}  // namespace dgsim::test
