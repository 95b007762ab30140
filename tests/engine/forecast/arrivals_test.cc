#include "engine/forecast/arrivals.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "engine/forecast/random.h"
#include "engine/forecast/service_time.h"

namespace swabwave::engine::forecast {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kWave = absl::Minutes(30);

TEST(ArrivalOptionsTest, NamesTheField) {
  ArrivalOptions options;
  options.no_show_rate = 1.5;
  EXPECT_THAT(ValidateArrivalOptions(options).message(), HasSubstr("no_show_rate"));
  options = ArrivalOptions{};
  options.late_share = -0.1;
  EXPECT_THAT(ValidateArrivalOptions(options).message(), HasSubstr("late_share"));
  options = ArrivalOptions{};
  options.lateness = absl::Minutes(-1);
  EXPECT_THAT(ValidateArrivalOptions(options).message(), HasSubstr("lateness"));
  options = ArrivalOptions{};
  options.spread = static_cast<ArrivalSpread>(9);
  EXPECT_THAT(ValidateArrivalOptions(options).message(), HasSubstr("spread"));
  EXPECT_EQ(ValidateArrivalOptions(options).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateArrivalOptions(ArrivalOptions{}).ok());
}

TEST(ArrivalModelTest, EvenlySpacedOnTimeIsExact) {
  const ArrivalModel model(
      {.no_show_rate = 0, .late_share = 0, .spread = ArrivalSpread::kEvenlySpaced}, kWave);
  Random random(1);
  for (int k = 0; k < 4; ++k) {
    const PartyArrival party = model.Draw(3, k, 4, random);
    EXPECT_EQ(party.shows, 3);
    EXPECT_DOUBLE_EQ(party.after_wave_start_s, 450.0 * k);
  }
}

TEST(ArrivalModelTest, EveryoneStaysAwayAtRateOne) {
  const ArrivalModel model({.no_show_rate = 1}, kWave);
  Random random(2);
  for (int k = 0; k < 100; ++k) EXPECT_EQ(model.Draw(4, k, 100, random).shows, 0);
}

TEST(ArrivalModelTest, SharesAndWindowsAsConfigured) {
  const ArrivalModel model({.no_show_rate = 0.1,
                            .late_share = 0.5,
                            .lateness = absl::Minutes(10),
                            .lateness_shape = LatenessShape::kUniform},
                           kWave);
  Random random(3);
  constexpr int kParties = 20000;
  int shows = 0, past_window = 0;
  for (int k = 0; k < kParties; ++k) {
    const PartyArrival party = model.Draw(1, k, kParties, random);
    shows += party.shows;
    EXPECT_GE(party.after_wave_start_s, 0);
    // Within the window plus the longest lateness.
    EXPECT_LT(party.after_wave_start_s, 1800.0 + 600.0);
    if (party.after_wave_start_s >= 1800) ++past_window;
  }
  // 90% come: binomial sd is 42 of 20,000; allow 6 sd.
  EXPECT_NEAR(shows, 18000, 260);
  // Late past the window: half are late, and a late party crosses the end
  // when position + lateness >= 1, P = 1/2 * (1/2 * 1/3) = 1/12 of all.
  EXPECT_NEAR(past_window, kParties / 12.0, 250);
}

TEST(ArrivalModelTest, ExponentialLatenessHasTheMean) {
  const ArrivalModel late_model({.no_show_rate = 0,
                                 .late_share = 1,
                                 .lateness = absl::Minutes(10),
                                 .lateness_shape = LatenessShape::kExponential,
                                 .spread = ArrivalSpread::kEvenlySpaced},
                                kWave);
  Random random(4);
  double total_lateness = 0;
  constexpr int kParties = 20000;
  for (int k = 0; k < kParties; ++k) {
    total_lateness += late_model.Draw(1, 0, 1, random).after_wave_start_s;  // position 0
  }
  EXPECT_NEAR(total_lateness / kParties, 600.0, 15.0);  // sd of the mean 4.2 s
}

TEST(ServiceTimeTest, MeanAndSpreadAroundTheRate) {
  for (ServiceTimeShape shape : {ServiceTimeShape::kLognormal, ServiceTimeShape::kGamma}) {
    const ServiceTimeModel model({.per_desk_rate_per_hour = 120, .shape = shape, .cv = 0.3});
    EXPECT_DOUBLE_EQ(model.mean_s(), 30.0);
    Random random(5);
    double sum = 0, sum2 = 0;
    constexpr int kDraws = 50000;
    for (int i = 0; i < kDraws; ++i) {
      const double t = model.Draw(random);
      ASSERT_GT(t, 0);
      sum += t;
      sum2 += t * t;
    }
    const double mean = sum / kDraws;
    const double sd = std::sqrt(sum2 / kDraws - mean * mean);
    EXPECT_NEAR(mean, 30.0, 0.3) << static_cast<int>(shape);  // sd of the mean 0.04
    EXPECT_NEAR(sd / mean, 0.3, 0.02) << static_cast<int>(shape);
  }
  const ServiceTimeModel fixed({.per_desk_rate_per_hour = 6, .shape = ServiceTimeShape::kFixed});
  Random random(6);
  EXPECT_DOUBLE_EQ(fixed.Draw(random), 600.0);
  // A gamma with cv above 1 has shape under 1: still positive, still the mean.
  const ServiceTimeModel wide(
      {.per_desk_rate_per_hour = 60, .shape = ServiceTimeShape::kGamma, .cv = 2});
  double sum = 0;
  for (int i = 0; i < 50000; ++i) sum += wide.Draw(random);
  EXPECT_NEAR(sum / 50000, 60.0, 3.0);  // sd of the mean 0.54
}

TEST(ServiceTimeTest, ValidationNamesTheField) {
  EXPECT_THAT(ValidateServiceTimeOptions({.per_desk_rate_per_hour = 0}).message(),
              HasSubstr("per_desk_rate_per_hour"));
  EXPECT_THAT(ValidateServiceTimeOptions({.cv = -1}).message(), HasSubstr("cv"));
  EXPECT_THAT(ValidateServiceTimeOptions({.cv = 3.5}).message(), HasSubstr("cv"));
  EXPECT_TRUE(ValidateServiceTimeOptions({}).ok());
}

TEST(RandomTest, StreamsAreReproducibleAndDistinct) {
  Random a = Random::ForStream(1, 2, 3), b = Random::ForStream(1, 2, 3);
  Random c = Random::ForStream(1, 3, 2), d = Random::ForStream(2, 2, 3);
  const uint64_t first = a.Next();
  EXPECT_EQ(first, b.Next());
  EXPECT_NE(first, c.Next());
  EXPECT_NE(first, d.Next());
}

}  // namespace
}  // namespace swabwave::engine::forecast
