// LogLinearHistogram: an HDR-style log-linear histogram of durations for the
// load tools. Each power-of-two range of nanoseconds is split into
// kSubBuckets equal buckets, so any recorded value is known to within
// 1/kSubBuckets (about 3%) of itself, from 1 ns to hours, in a fixed 15 KiB
// — no sorted vector of every sample.
//
// Example:
//   LogLinearHistogram h;
//   h.Record(absl::Microseconds(350));
//   absl::Duration p99 = h.Percentile(99.0);
//
// Thread-safety: a plain value; callers synchronise (or keep one per thread
// and Merge).
#ifndef SWABWAVE_SERVICES_REPLAY_LOG_LINEAR_HISTOGRAM_H_
#define SWABWAVE_SERVICES_REPLAY_LOG_LINEAR_HISTOGRAM_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

#include "absl/time/time.h"

namespace swabwave::services {

class LogLinearHistogram {
 public:
  static constexpr int kSubBucketBits = 5;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;

  void Record(absl::Duration latency) {
    const int64_t nanos = std::max<int64_t>(0, absl::ToInt64Nanoseconds(latency));
    ++counts_[Index(static_cast<uint64_t>(nanos))];
    ++count_;
    max_nanos_ = std::max(max_nanos_, nanos);
  }

  void Merge(const LogLinearHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    max_nanos_ = std::max(max_nanos_, other.max_nanos_);
  }

  // The smallest bucket upper bound at or below which `percent` of the
  // samples lie (never above the largest sample); zero when empty.
  absl::Duration Percentile(double percent) const {
    if (count_ == 0) return absl::ZeroDuration();
    const double clamped = std::clamp(percent, 0.0, 100.0);
    const uint64_t rank =
        std::max<uint64_t>(1, static_cast<uint64_t>(clamped / 100.0 * static_cast<double>(count_) + 0.5));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        return absl::Nanoseconds(std::min<int64_t>(UpperBound(i), max_nanos_));
      }
    }
    return absl::Nanoseconds(max_nanos_);
  }

  absl::Duration max() const { return absl::Nanoseconds(max_nanos_); }
  uint64_t count() const { return count_; }

 private:
  // Values below kSubBuckets get one bucket each; above, the top
  // kSubBucketBits + 1 significant bits pick the bucket.
  static size_t Index(uint64_t value) {
    if (value < kSubBuckets) return static_cast<size_t>(value);
    const int magnitude = std::bit_width(value) - 1;  // >= kSubBucketBits
    const int shift = magnitude - kSubBucketBits;
    const uint64_t sub = (value >> shift) - kSubBuckets;  // 0 .. kSubBuckets - 1
    return static_cast<size_t>((shift + 1) * kSubBuckets + sub);
  }
  // The largest value that falls in bucket `index`.
  static int64_t UpperBound(size_t index) {
    if (index < kSubBuckets) return static_cast<int64_t>(index);
    const int shift = static_cast<int>(index / kSubBuckets) - 1;
    const uint64_t sub = index % kSubBuckets;
    return static_cast<int64_t>((((kSubBuckets + sub + 1) << shift)) - 1);
  }

  // 64 - kSubBucketBits ranges of kSubBuckets, plus the exact small values.
  std::array<uint64_t, (64 - kSubBucketBits + 1) * kSubBuckets> counts_{};
  uint64_t count_ = 0;
  int64_t max_nanos_ = 0;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_LOG_LINEAR_HISTOGRAM_H_
