#include "services/replay/log_linear_histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace swabwave::services {
namespace {

// Within the histogram's precision (one sub-bucket: 1/32) of `expected`.
void ExpectNear(absl::Duration actual, absl::Duration expected) {
  const double a = absl::ToDoubleNanoseconds(actual);
  const double e = absl::ToDoubleNanoseconds(expected);
  EXPECT_LE(std::abs(a - e), e / LogLinearHistogram::kSubBuckets + 1) << actual << " vs " << expected;
}

TEST(LogLinearHistogramTest, AnEmptyHistogramSaysZero) {
  LogLinearHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), absl::ZeroDuration());
  EXPECT_EQ(h.max(), absl::ZeroDuration());
}

TEST(LogLinearHistogramTest, PercentilesOfAUniformSpreadAreWithinOneSubBucket) {
  LogLinearHistogram h;
  for (int us = 1; us <= 100000; ++us) h.Record(absl::Microseconds(us));
  EXPECT_EQ(h.count(), 100000u);
  ExpectNear(h.Percentile(50), absl::Microseconds(50000));
  ExpectNear(h.Percentile(90), absl::Microseconds(90000));
  ExpectNear(h.Percentile(99), absl::Microseconds(99000));
  ExpectNear(h.Percentile(99.9), absl::Microseconds(99900));
  EXPECT_EQ(h.Percentile(100), absl::Microseconds(100000));
  EXPECT_EQ(h.max(), absl::Microseconds(100000));
}

TEST(LogLinearHistogramTest, SmallValuesAreExactAndATailShows) {
  LogLinearHistogram h;
  for (int i = 0; i < 990; ++i) h.Record(absl::Nanoseconds(20));
  for (int i = 0; i < 10; ++i) h.Record(absl::Seconds(2));
  EXPECT_EQ(h.Percentile(50), absl::Nanoseconds(20));
  EXPECT_EQ(h.Percentile(99), absl::Nanoseconds(20));
  ExpectNear(h.Percentile(99.9), absl::Seconds(2));
  EXPECT_EQ(h.max(), absl::Seconds(2));
}

TEST(LogLinearHistogramTest, MergingEqualsRecordingEverythingInOne) {
  LogLinearHistogram a, b, all;
  for (int us = 1; us <= 5000; ++us) {
    (us % 3 == 0 ? a : b).Record(absl::Microseconds(us * 7));
    all.Record(absl::Microseconds(us * 7));
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double p : {1.0, 25.0, 50.0, 75.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(a.Percentile(p), all.Percentile(p)) << p;
  }
  EXPECT_EQ(a.max(), all.max());
}

TEST(LogLinearHistogramTest, NegativeDurationsCountAsZero) {
  LogLinearHistogram h;
  h.Record(-absl::Seconds(1));
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.Percentile(50), absl::ZeroDuration());
}

}  // namespace
}  // namespace swabwave::services
