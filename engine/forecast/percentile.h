// Percentiles by the nearest-rank rule: the p-th percentile of n values is
// the ceil(p / 100 * n)-th smallest (1-based). It is always one of the
// values (a queue of 7.5 people is not a thing) and easy to check by hand:
// p50 of {1, 2, 3, 4} is 2, p95 of 1..100 is 95, p100 is the maximum.
//
// Thread-safety: plain functions.
#ifndef SWABWAVE_ENGINE_FORECAST_PERCENTILE_H_
#define SWABWAVE_ENGINE_FORECAST_PERCENTILE_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace swabwave::engine::forecast {

// 0-based index of the nearest-rank p-th percentile among n sorted values.
// REQUIRES: n > 0, 0 < percent <= 100.
inline size_t NearestRankIndex(size_t n, double percent) {
  // The epsilon keeps 95% of 100 at rank 95 despite 0.95 * 100 = 95.000...01.
  const double rank = std::ceil(percent / 100.0 * static_cast<double>(n) - 1e-9);
  return std::clamp<size_t>(rank < 1 ? 1 : static_cast<size_t>(rank), 1, n) - 1;
}

// REQUIRES: `sorted` ascending and not empty, 0 < percent <= 100.
template <typename T>
T PercentileOfSorted(std::span<const T> sorted, double percent) {
  return sorted[NearestRankIndex(sorted.size(), percent)];
}

// The p-th percentile of `values` in any order. REQUIRES: not empty.
template <typename T>
T Percentile(std::vector<T> values, double percent) {
  std::sort(values.begin(), values.end());
  return PercentileOfSorted(std::span<const T>(values), percent);
}

}  // namespace swabwave::engine::forecast

#endif  // SWABWAVE_ENGINE_FORECAST_PERCENTILE_H_
