#include "lib/core/rng.hpp"

#include <cmath>

namespace dgsim {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(std::uint64_t seed, RngStream stream, std::uint64_t index) {
  // Mix the three coordinates through SplitMix64 so nearby (seed, index) pairs give
  // unrelated states; then fill xoshiro's state from the mixed key.
  std::uint64_t key = seed;
  std::uint64_t h = splitmix64(key);
  key = h ^ (static_cast<std::uint64_t>(stream) * 0xD1B54A32D192ED03ULL);
  h = splitmix64(key);
  key = h ^ (index * 0x8CB92BA72F3D8DD7ULL);
  for (auto& s : s_) s = splitmix64(key);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::uniform(double a, double b) { return a + (b - a) * uniform(); }

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  // Box–Muller; 1 - uniform() lies in (0, 1], so the log is finite.
  const double r = std::sqrt(-2.0 * std::log(1.0 - uniform()));
  const double phi = 2.0 * M_PI * uniform();
  spare_normal_ = r * std::sin(phi);
  has_spare_ = true;
  return r * std::cos(phi);
}

std::uint64_t Rng::below(std::uint64_t n) {
  // Reject the top partial block so every residue is equally likely.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x = next_u64();
  while (x >= limit) x = next_u64();
  return x % n;
}

}  // namespace dgsim
