// Random: the forecast's own pseudo-random numbers (xoshiro256**, seeded
// through splitmix64) and the few distributions it draws from, written out
// here rather than taken from <random>, whose distributions differ between
// standard libraries: a forecast seed gives the same figures everywhere.
//
// Streams: Random::ForStream(seed, a, b) gives an independent stream for
// each (seed, a, b), so the forecast can give every (site, replication)
// its own stream and run them on any number of threads with one result.
//
// Thread-safety: a Random is a plain value; use one per thread.
#ifndef SWABWAVE_ENGINE_FORECAST_RANDOM_H_
#define SWABWAVE_ENGINE_FORECAST_RANDOM_H_

#include <cmath>
#include <cstdint>

namespace swabwave::engine::forecast {

class Random {
 public:
  explicit Random(uint64_t seed) {
    for (uint64_t& word : state_) {
      seed += kGolden;
      word = Mix(seed);
    }
  }

  // An independent stream for (seed, a, b): the three are mixed through
  // splitmix64 so neighbouring sites or replications share nothing visible.
  static Random ForStream(uint64_t seed, uint64_t a, uint64_t b) {
    return Random(Mix(Mix(Mix(seed + kGolden) ^ a) ^ b));
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

  // Uniform in [0, 1), 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the logarithm of.
  double UniformOpenAtZero() { return 1.0 - Uniform(); }

  bool Bernoulli(double p) { return Uniform() < p; }

  double Exponential(double mean) { return -mean * std::log(UniformOpenAtZero()); }

  // Standard normal, Box-Muller; the second value is dropped so every draw
  // consumes the same two numbers (simpler to reason about than a cache).
  double Normal() {
    const double radius = std::sqrt(-2.0 * std::log(UniformOpenAtZero()));
    return radius * std::cos(2.0 * kPi * Uniform());
  }

  // Gamma with the given shape and scale 1 (Marsaglia and Tsang, 2000);
  // a shape under 1 is lifted to shape + 1 and scaled back by U^(1/shape).
  double Gamma(double shape) {
    if (shape < 1) return Gamma(shape + 1) * std::pow(UniformOpenAtZero(), 1.0 / shape);
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    while (true) {
      double x, v;
      do {
        x = Normal();
        v = 1.0 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const double u = UniformOpenAtZero();
      if (u < 1.0 - 0.0331 * (x * x) * (x * x)) return d * v;
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
    }
  }

 private:
  static constexpr double kPi = 3.14159265358979323846;

  static uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

  // splitmix64's output function.
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

}  // namespace swabwave::engine::forecast

#endif  // SWABWAVE_ENGINE_FORECAST_RANDOM_H_
