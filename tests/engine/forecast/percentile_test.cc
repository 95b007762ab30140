#include "engine/forecast/percentile.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace swabwave::engine::forecast {
namespace {

TEST(PercentileTest, NearestRankByHand) {
  EXPECT_EQ(Percentile<int>({4, 1, 3, 2}, 50), 2);  // rank ceil(2) = 2
  EXPECT_EQ(Percentile<int>({4, 1, 3, 2}, 51), 3);  // rank ceil(2.04) = 3
  EXPECT_EQ(Percentile<int>({4, 1, 3, 2}, 100), 4);
  EXPECT_EQ(Percentile<int>({4, 1, 3, 2}, 1), 1);
  EXPECT_EQ(Percentile<int>({9}, 50), 9);
  EXPECT_EQ(Percentile<int>({9}, 95), 9);
}

TEST(PercentileTest, OneToHundred) {
  std::vector<int> values(100);
  std::iota(values.rbegin(), values.rend(), 1);  // 100 down to 1: order must not matter
  EXPECT_EQ(Percentile(values, 50), 50);
  EXPECT_EQ(Percentile(values, 95), 95);
  EXPECT_EQ(Percentile(values, 99), 99);
  EXPECT_EQ(Percentile(values, 100), 100);
  EXPECT_EQ(Percentile(values, 0.5), 1);
}

TEST(PercentileTest, RankIndexDoesNotRoundUpOnFloatingError) {
  EXPECT_EQ(NearestRankIndex(20, 95), 18u);   // rank 19
  EXPECT_EQ(NearestRankIndex(100, 95), 94u);  // rank 95, not 96
  EXPECT_EQ(NearestRankIndex(3, 50), 1u);     // rank ceil(1.5) = 2
  EXPECT_EQ(NearestRankIndex(1, 100), 0u);
}

TEST(PercentileTest, DoublesAndTies) {
  EXPECT_DOUBLE_EQ(Percentile<double>({2.5, 2.5, 2.5, 7.0}, 95), 7.0);
  EXPECT_DOUBLE_EQ(Percentile<double>({2.5, 2.5, 2.5, 7.0}, 75), 2.5);
}

}  // namespace
}  // namespace swabwave::engine::forecast
