#include "engine/forecast/site_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace swabwave::engine::forecast {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Ten people, one every 3 minutes over a 30-minute wave, at one desk that
// takes 10 minutes each: person k starts at 600k, so at 27 min (all ten
// there, three served or serving) seven wait. Worked out bucket by bucket
// (5 minutes each) in the comments.
TEST(SiteQueueTest, OneDeskOverloadedByHand) {
  std::vector<SiteArrival> arrivals;
  for (int k = 0; k < 10; ++k) arrivals.push_back({180.0 * k, 1});
  SiteQueue queue({.bucket_s = 300, .wave_length_s = 1800, .wave_count = 4});
  const ServiceTimeModel service({.per_desk_rate_per_hour = 6, .shape = ServiceTimeShape::kFixed});
  Random random(1);
  const SiteDay& day = queue.Run(arrivals, 1, service, random);
  EXPECT_EQ(day.served, 10);
  EXPECT_DOUBLE_EQ(day.last_done_s, 6000);
  // Person k waits 600k - 180k = 420k seconds.
  EXPECT_DOUBLE_EQ(day.total_wait_s, 420.0 * 45);
  EXPECT_DOUBLE_EQ(day.longest_wait_s, 420.0 * 9);
  EXPECT_THAT(day.bucket_peaks,
              ElementsAreArray({1,           // [0, 5) min: one waits from 3
                                3,           // [5, 10): arrivals at 6 and 9
                                3,           // [10, 15): one to the desk at 10, one comes at 12
                                5,           // [15, 20): arrivals at 15 and 18
                                6,           // [20, 25): one to the desk, arrivals at 21, 24
                                7,           // [25, 30): the last arrives at 27
                                6, 6,        // one to the desk at 30
                                5, 5, 4, 4,  // one leaves the line every 10 minutes
                                3, 3, 2, 2, 1, 1, 0, 0}));  // the last starts at 90, is done at 100
  // Wave windows of 30 minutes: 7 in the first, 6 in the second (the first
  // wave's people still waiting), 3 from 60 minutes, 0 from 90.
  EXPECT_THAT(day.wave_peaks, ElementsAre(7, 6, 3, 0));
}

// Desks open per wave, as a plan made within the staff on hand has them:
// 30-minute waves with two desks, none, then one. Fixed 10-minute service.
// Three people at 0 take desks 1 and 2, the third desk-1 at 10 min; one
// arriving at 35 min (wave 1: no desk) waits for wave 2 at 60 min; one at
// 65 min finds desk 1 busy until 70 (desk 2 stays shut in wave 2).
TEST(SiteQueueTest, DesksOpenPerWave) {
  const std::vector<SiteArrival> arrivals = {{0, 3}, {2100, 1}, {3900, 1}};
  SiteQueue queue({.bucket_s = 300, .wave_length_s = 1800, .wave_count = 3});
  const ServiceTimeModel service({.per_desk_rate_per_hour = 6, .shape = ServiceTimeShape::kFixed});
  Random random(1);
  const std::vector<int32_t> desks = {2, 0, 1};
  const SiteDay& day = queue.Run(arrivals, desks, service, random);
  EXPECT_EQ(day.served, 5);
  EXPECT_DOUBLE_EQ(day.last_done_s, 4800);  // 70 + 10 minutes
  // Waits: 600 (the third at 0), 1500 (35 -> 60 min), 300 (65 -> 70 min).
  EXPECT_DOUBLE_EQ(day.total_wait_s, 600 + 1500 + 300);
  EXPECT_DOUBLE_EQ(day.longest_wait_s, 1500);
  EXPECT_THAT(day.wave_peaks, ElementsAre(1, 1, 1));
  // With two desks all along nobody but the third at 0 waits.
  Random again(1);
  EXPECT_DOUBLE_EQ(queue.Run(arrivals, 2, service, again).total_wait_s, 600);
}

TEST(SiteQueueTest, NobodyWaitsWhenDesksKeepUp) {
  std::vector<SiteArrival> arrivals;
  for (int k = 0; k < 10; ++k) arrivals.push_back({180.0 * k, 1});
  SiteQueue queue({.bucket_s = 300, .wave_length_s = 1800, .wave_count = 2});
  const ServiceTimeModel service({.per_desk_rate_per_hour = 60, .shape = ServiceTimeShape::kFixed});
  Random random(1);
  const SiteDay& day = queue.Run(arrivals, 1, service, random);
  EXPECT_DOUBLE_EQ(day.last_done_s, 9 * 180 + 60);
  EXPECT_EQ(day.total_wait_s, 0);
  EXPECT_THAT(day.bucket_peaks, ElementsAre(0, 0, 0, 0, 0, 0));  // 28 minutes: six buckets
  EXPECT_THAT(day.wave_peaks, ElementsAre(0, 0));
}

// A household of three at two desks: two go straight to a desk, the third
// waits for the first desk to free; the next person, arriving as both desks
// free, goes straight to the second.
TEST(SiteQueueTest, HouseholdSharesTheDesks) {
  const std::vector<SiteArrival> arrivals = {{0, 3}, {600, 1}};
  SiteQueue queue({.bucket_s = 300, .wave_length_s = 1800, .wave_count = 1});
  const ServiceTimeModel service({.per_desk_rate_per_hour = 6, .shape = ServiceTimeShape::kFixed});
  Random random(1);
  const SiteDay& day = queue.Run(arrivals, 2, service, random);
  EXPECT_EQ(day.served, 4);
  // Third person: desk 0 at 600-1200. Fourth (arrives 600): desk 1 at 600.
  EXPECT_DOUBLE_EQ(day.last_done_s, 1200);
  EXPECT_THAT(day.bucket_peaks, ElementsAre(1, 1, 0, 0));
  EXPECT_THAT(day.wave_peaks, ElementsAre(1));
}

TEST(SiteQueueTest, EmptyDay) {
  SiteQueue queue({.bucket_s = 300, .wave_length_s = 1800, .wave_count = 3});
  const ServiceTimeModel service({});
  Random random(1);
  const SiteDay& day = queue.Run({}, 4, service, random);
  EXPECT_EQ(day.served, 0);
  EXPECT_EQ(day.last_done_s, 0);
  EXPECT_TRUE(day.bucket_peaks.empty());
  EXPECT_THAT(day.wave_peaks, ElementsAre(0, 0, 0));
}

}  // namespace
}  // namespace swabwave::engine::forecast
