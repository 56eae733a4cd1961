#pragma once
// Deterministic random numbers. A generator is addressed by (seed, stream, index), so that
// e.g. trajectory i's initial state depends only on (seed, i) and never on thread or shard
// count. The algorithms (SplitMix64 for seeding, xoshiro256** for the stream, Box–Muller for
// normals) are fixed here, so files are reproducible across compilers and standard libraries.

#include <cstdint>

namespace dgsim {

// Named streams: independent sequences for different purposes of the same trajectory.
enum class RngStream : std::uint64_t { initial_state = 0, noise = 1, training = 2, init_weights = 3 };

class Rng {
 public:
  explicit Rng(std::uint64_t seed, RngStream stream = RngStream::initial_state, std::uint64_t index = 0);

  std::uint64_t next_u64();
  double uniform();                    // U[0, 1), 53 random bits
  double uniform(double a, double b);  // U[a, b)
  double normal();                     // N(0, 1)
  std::uint64_t below(std::uint64_t n);  // uniform integer in [0, n), unbiased

 private:
  std::uint64_t s_[4];
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace dgsim
