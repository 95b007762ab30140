// RateLimiter: a per-token request rate limit as a generic cell rate
// algorithm (GCRA): one atomic "theoretical arrival time" per limiter, so
// charging a request is one compare-and-swap, with no lock and no timer.
// A request is admitted while the limiter is less than one burst ahead of
// the clock; each admitted unit moves it one interval forward.
//
// Thread-safety: Take may be called from any thread.
#ifndef SWABWAVE_SERVICES_API_RATE_LIMITER_H_
#define SWABWAVE_SERVICES_API_RATE_LIMITER_H_

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace swabwave::services {

class RateLimiter {
 public:
  // `per_second` units on average, up to `burst` at once; per_second 0
  // means unlimited.
  RateLimiter(double per_second, double burst)
      : interval_ns_(per_second > 0 ? std::max<int64_t>(1, static_cast<int64_t>(1e9 / per_second))
                                    : 0),
        tolerance_ns_(static_cast<int64_t>(std::max(1.0, burst) * static_cast<double>(interval_ns_))) {}

  bool unlimited() const { return interval_ns_ == 0; }

  // Admits `units` at `now` and returns zero, or admits nothing and returns
  // how long until they would be admitted.
  absl::Duration Take(absl::Time now, uint32_t units) {
    if (unlimited()) return absl::ZeroDuration();
    const int64_t now_ns = absl::ToUnixNanos(now);
    const int64_t cost = interval_ns_ * static_cast<int64_t>(units);
    int64_t tat = tat_ns_.load(std::memory_order_relaxed);
    for (;;) {
      const int64_t next = std::max(tat, now_ns) + cost;
      if (next - now_ns > tolerance_ns_) return absl::Nanoseconds(next - now_ns - tolerance_ns_);
      if (tat_ns_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) {
        return absl::ZeroDuration();
      }
    }
  }

 private:
  const int64_t interval_ns_;   // time one unit costs
  const int64_t tolerance_ns_;  // how far ahead of the clock the limiter may run (the burst)
  std::atomic<int64_t> tat_ns_{0};
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_RATE_LIMITER_H_
