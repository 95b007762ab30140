#include "engine/io/schedule_csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "engine/plan/greedy_planner.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;

TEST(ScheduleCsvTest, OneRowPerAssignmentWithLocalTimes) {
  const Community community = MakeCommunity(
      Shape{.opens_at_minute = 0, .closes_at_minute = 1440, .utc_offset_minutes = 480});
  const RoundLayout layout({&community});
  RoundConfig config;
  config.id = "r";
  config.community_ids = {"tc"};
  config.start = absl::FromUnixSeconds(1795762800);  // 07:00 UTC = 15:00 +08:00
  absl::StatusOr<plan::Plan> plan = plan::GreedyPlanner().MakePlan(layout, config, {20, 0.85});
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::string csv = FormatScheduleCsv(ScheduleRowsFromPlan(layout, config, *plan));
  const std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), plan->assignments.size() + 1);
  EXPECT_EQ(lines[0],
            "community_id,building_id,unit_id,site_id,wave,window_start,window_end,residents,"
            "households");
  EXPECT_EQ(lines[1], "tc,b0,b0-u0,tc-s0,0,2026-11-27T15:00:00+08:00,2026-11-27T15:30:00+08:00,6,");
  EXPECT_THAT(lines[3], ::testing::StartsWith("tc,b1,b1-u0,tc-s0,1,2026-11-27T15:30:00+08:00"));
}

TEST(ScheduleCsvTest, SplitUnitListsItsHouseholds) {
  ScheduleRow row;
  row.community_id = "c";
  row.building_id = "b";
  row.unit_id = "u";
  row.site_id = "s";
  row.window_start = absl::FromUnixSeconds(0);
  row.window_end = absl::FromUnixSeconds(1800);
  row.residents = 5;
  row.household_ids = {"h1", "h2"};
  EXPECT_EQ(FormatScheduleCsv({row}),
            "community_id,building_id,unit_id,site_id,wave,window_start,window_end,residents,"
            "households\nc,b,u,s,0,1970-01-01T00:00:00+00:00,1970-01-01T00:30:00+00:00,5,h1|h2\n");
}

}  // namespace
}  // namespace swabwave::engine
