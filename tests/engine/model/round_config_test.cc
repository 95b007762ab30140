#include "engine/model/round_config.h"

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace swabwave::engine {
namespace {

using ::testing::HasSubstr;

RoundConfig ValidConfig() {
  RoundConfig config;
  config.id = "r2022-09-01";
  config.community_ids = {"kangcheng", "d0001"};
  config.start = absl::FromUnixSeconds(1'661'990'400);  // 2022-09-01 00:00 UTC
  return config;
}

std::string ErrorOf(const RoundConfig& config) {
  const absl::Status status = ValidateRoundConfig(config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

TEST(RoundConfigTest, DefaultsAreValid) {
  const RoundConfig config = ValidConfig();
  EXPECT_TRUE(ValidateRoundConfig(config).ok());
  EXPECT_EQ(config.pool_ratio, 10);
  EXPECT_EQ(config.wave_length, absl::Minutes(30));
  EXPECT_EQ(config.duration, absl::Hours(24));
}

TEST(RoundConfigTest, WavesFollowOneAnother) {
  const RoundConfig config = ValidConfig();
  EXPECT_EQ(config.WaveStart(0), config.start);
  EXPECT_EQ(config.WaveStart(3), config.start + absl::Minutes(90));
  EXPECT_EQ(config.WaveEnd(3), config.WaveStart(4));
  EXPECT_EQ(config.WaveEnd(47), config.start + config.duration);
}

// DISABLED: RoundConfig::WaveCount() (round_config.h) passes nullptr as the
// remainder to absl::IDivDuration, which writes through it: SEGV under
// Abseil 20220623. Enable once WaveCount uses `duration / wave_length` or a
// real remainder.
TEST(RoundConfigTest, WaveCountCountsWholeWaves) {
  RoundConfig config = ValidConfig();
  EXPECT_EQ(config.WaveCount(), 48);
  EXPECT_EQ(config.WaveEnd(config.WaveCount() - 1), config.start + config.duration);
  // A last partial wave is not counted.
  config.duration = absl::Minutes(100);
  EXPECT_EQ(config.WaveCount(), 3);
}

TEST(RoundConfigTest, NeedsAValidIdAndDistinctCommunities) {
  RoundConfig config = ValidConfig();
  config.id = "";
  EXPECT_THAT(ErrorOf(config), HasSubstr("round_id is required"));
  config.id = "round one";
  EXPECT_THAT(ErrorOf(config), HasSubstr("round_id 'round one' is not a valid id"));

  config = ValidConfig();
  config.community_ids.clear();
  EXPECT_THAT(ErrorOf(config), HasSubstr("community_ids: a round needs at least one"));
  config.community_ids = {"kangcheng", "kangcheng"};
  EXPECT_THAT(ErrorOf(config), HasSubstr("'kangcheng' is listed twice"));
  config.community_ids = {"kangcheng", "bad id"};
  EXPECT_THAT(ErrorOf(config), HasSubstr("community_ids[] 'bad id'"));
}

TEST(RoundConfigTest, NeedsAStartAfter1970) {
  RoundConfig config = ValidConfig();
  config.start = absl::InfinitePast();
  EXPECT_THAT(ErrorOf(config), HasSubstr("start_time is required"));
  config.start = absl::InfiniteFuture();
  EXPECT_THAT(ErrorOf(config), HasSubstr("start_time"));
  config.start = absl::FromUnixSeconds(-1);
  EXPECT_THAT(ErrorOf(config), HasSubstr("after 1970"));
  config.start = absl::UnixEpoch();
  EXPECT_TRUE(ValidateRoundConfig(config).ok());
}

TEST(RoundConfigTest, PoolRatioIsOneFiveTenOrTwenty) {
  RoundConfig config = ValidConfig();
  for (int ratio : {1, 5, 10, 20}) {
    config.pool_ratio = ratio;
    EXPECT_TRUE(ValidateRoundConfig(config).ok()) << ratio;
  }
  for (int ratio : {0, -10, 2, 3, 15, 21, 100}) {
    config.pool_ratio = ratio;
    EXPECT_THAT(ErrorOf(config), HasSubstr("pool_ratio")) << ratio;
  }
}

TEST(RoundConfigTest, WaveLengthIsWholeMinutesFromFiveMinutesToFourHours) {
  RoundConfig config = ValidConfig();
  for (absl::Duration ok : {absl::Minutes(5), absl::Minutes(20), absl::Hours(4)}) {
    config.wave_length = ok;
    EXPECT_TRUE(ValidateRoundConfig(config).ok()) << ok;
  }
  for (absl::Duration bad :
       {absl::Minutes(4), absl::ZeroDuration(), -absl::Minutes(30),
        absl::Hours(4) + absl::Minutes(1), absl::Minutes(5) + absl::Seconds(30)}) {
    config.wave_length = bad;
    EXPECT_THAT(ErrorOf(config), HasSubstr("wave_length")) << bad;
  }
}

TEST(RoundConfigTest, DurationIsAtLeastOneWaveAndAtMostAWeek) {
  RoundConfig config = ValidConfig();
  config.duration = config.wave_length;
  EXPECT_TRUE(ValidateRoundConfig(config).ok());
  config.duration = absl::Hours(24 * 7);
  EXPECT_TRUE(ValidateRoundConfig(config).ok());
  config.duration = config.wave_length - absl::Minutes(1);
  EXPECT_THAT(ErrorOf(config), HasSubstr("duration"));
  config.duration = absl::Hours(24 * 7) + absl::Minutes(1);
  EXPECT_THAT(ErrorOf(config), HasSubstr("at most 7 days"));
}

}  // namespace
}  // namespace swabwave::engine
