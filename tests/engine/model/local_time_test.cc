// The community's time zone (engine/model/local_time.h): IANA names from
// tzdata, fixed offsets from data before zones, and what a builder refuses.
#include "engine/model/local_time.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/model/community.h"

namespace swabwave::engine {
namespace {

using ::testing::HasSubstr;

// 2026-07-01 12:00 and 2026-01-15 12:00 UTC.
const absl::Time kJuly = absl::FromUnixSeconds(1782907200);
const absl::Time kJanuary = absl::FromUnixSeconds(1768478400);

TEST(LocalTimeTest, ANamedZoneRulesAndFollowsDaylightSavingTime) {
  Community shanghai;
  shanghai.time_zone = "Asia/Shanghai";
  shanghai.utc_offset_minutes = 0;  // ignored once a zone is named
  EXPECT_EQ(OffsetMinutesAt(shanghai, kJuly), 480);
  EXPECT_EQ(OffsetMinutesAt(shanghai, kJanuary), 480);
  EXPECT_EQ(absl::FormatTime("%H:%M", kJuly, ZoneOf(shanghai)), "20:00");
  EXPECT_EQ(ZoneLabel(shanghai), "Asia/Shanghai");

  Community new_york;
  new_york.time_zone = "America/New_York";
  EXPECT_EQ(OffsetMinutesAt(new_york, kJuly), -240);
  EXPECT_EQ(OffsetMinutesAt(new_york, kJanuary), -300);
}

TEST(LocalTimeTest, WithoutANameTheFixedOffsetServesAndItsLabelReadsBack) {
  Community old;
  old.utc_offset_minutes = 330;
  EXPECT_EQ(OffsetMinutesAt(old, kJuly), 330);
  EXPECT_EQ(ZoneLabel(old), "UTC+05:30");
  EXPECT_EQ(ZoneLabel("", -210), "UTC-03:30");
  // A tool given the label (GetRound's time_zone) gets the same zone back.
  EXPECT_EQ(ZoneFor("UTC+05:30", 0).At(kJuly).offset, 330 * 60);
  EXPECT_EQ(ZoneFor("UTC-03:30", 0).At(kJuly).offset, -210 * 60);
  // A name tzdata lost after the import falls back to the offset.
  EXPECT_EQ(ZoneFor("Atlantis/Capital", 60).At(kJuly).offset, 3600);
}

TEST(LocalTimeTest, OnlyTzdataNamesLoad) {
  EXPECT_TRUE(LoadNamedZone("Asia/Shanghai").ok());
  for (const char* name : {"", "Mars/Olympus_Mons", "/etc/passwd", "../../etc/passwd",
                           "Asia/../../etc/passwd"}) {
    const absl::Status status = LoadNamedZone(name).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(status.message(), HasSubstr("is not one tzdata knows")) << name;
  }
}

TEST(LocalTimeTest, ABuilderRefusesAZoneTzdataDoesNotKnowAndNamesTheCommunity) {
  CommunityBuilder builder("tc", "Test", 480);
  const absl::Status status = builder.SetTimeZone("Asia/Atlantis");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("community 'tc': time zone 'Asia/Atlantis'"));
  EXPECT_TRUE(builder.SetTimeZone("Asia/Shanghai").ok());
}

}  // namespace
}  // namespace swabwave::engine
