// Xoshiro256: the engine's one pseudo-random generator (xoshiro256** 1.0,
// Blackman and Vigna, seeded through splitmix64), written out rather than
// taken from <random>, whose engines' seeding and distributions differ
// between standard libraries: a seed must give the same communities and the
// same forecast everywhere. The generator (io/generator.cc) and the
// forecast (forecast/random.h) build their draws on it.
//
// Thread-safety: a plain value; use one per thread.
#ifndef SWABWAVE_ENGINE_RANDOM_XOSHIRO_H_
#define SWABWAVE_ENGINE_RANDOM_XOSHIRO_H_

#include <cstdint>

namespace swabwave::engine::random {

// The splitmix64 output function (Steele, Lea and Flood 2014). Each step is
// invertible (xor with a right shift, multiplication by an odd constant), so
// it is a bijection of 64-bit words, which the generator's resident codes
// rely on.
inline uint64_t SplitMix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// splitmix64's increment (2^64 / φ).
inline constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ULL;

class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    for (uint64_t& word : state_) {
      seed += kGoldenGamma;
      word = SplitMix64(seed);
    }
  }

  uint64_t Next() {
    const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = RotateLeft(state_[3], 45);
    return result;
  }

 private:
  static uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t state_[4];
};

}  // namespace swabwave::engine::random

#endif  // SWABWAVE_ENGINE_RANDOM_XOSHIRO_H_
