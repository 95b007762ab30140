// Random: the forecast's pseudo-random numbers (engine/random/xoshiro.h)
// and the few distributions it draws from, written out here rather than
// taken from <random>, whose distributions differ between standard
// libraries: a forecast seed gives the same figures everywhere.
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

#include "engine/random/xoshiro.h"

namespace swabwave::engine::forecast {

class Random {
 public:
  explicit Random(uint64_t seed) : bits_(seed) {}

  // An independent stream for (seed, a, b): the three are mixed through
  // splitmix64 so neighbouring sites or replications share nothing visible.
  static Random ForStream(uint64_t seed, uint64_t a, uint64_t b) {
    using random::SplitMix64;
    return Random(SplitMix64(SplitMix64(SplitMix64(seed + random::kGoldenGamma) ^ a) ^ b));
  }

  uint64_t Next() { return bits_.Next(); }

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

  random::Xoshiro256 bits_;
};

}  // namespace swabwave::engine::forecast

#endif  // SWABWAVE_ENGINE_FORECAST_RANDOM_H_
