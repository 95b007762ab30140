#include "engine/plan/staffed_planning.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/io/generator.h"
#include "engine/plan/greedy_planner.h"
#include "engine/plan/roster_check.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine::plan {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1795762800);

RoundConfig Config(absl::Duration duration = absl::Hours(8)) {
  RoundConfig config;
  config.id = "r";
  config.community_ids = {"tc"};
  config.start = kStart;
  config.wave_length = absl::Minutes(30);
  config.duration = duration;
  return config;
}

StaffingOptions FourHours() {
  StaffingOptions options;
  options.max_in_gear = absl::Hours(4);
  return options;
}

// Shape{} at 20 an hour: two desks hold 17 a wave, so 24 residents take
// waves 0-1 on both desks. One pair of staff opens one desk: it holds 8 a
// wave (floor(20 × 0.5 × 0.85)), one unit of six, so the four units take
// waves 0-3, which one pair works in a single stint with 4 h in gear
// (15 min + 4 × 30 + 15 <= 240). An hour longer.
TEST(PlanWithinStaffTest, OnePairOneDeskTwoWavesLonger) {
  Community community = MakeCommunity(Shape{});
  community.staff.push_back(StaffMember{"sa", kRoleSampler, 0});
  community.staff.push_back(StaffMember{"sc", kRoleScanner, 0});
  absl::StatusOr<StaffedPlan> staffed =
      PlanWithinStaff(GreedyPlanner(), {&community}, Config(), {20, 0.85}, FourHours());
  ASSERT_TRUE(staffed.ok()) << staffed.status();
  EXPECT_EQ(staffed->site_desks, std::vector<int>{1});
  EXPECT_EQ(staffed->waves_with_every_desk, 2);
  EXPECT_EQ(staffed->waves, 4);
  EXPECT_EQ(staffed->longer, absl::Hours(1));
  EXPECT_EQ(staffed->plans_made, 2);
  EXPECT_TRUE(staffed->roster.shortfalls.empty());
  EXPECT_EQ(staffed->roster.desk_waves_staffed, 4);
  const std::vector<Community> reduced = CommunitiesWithDesks({&community}, staffed->site_desks);
  const RoundLayout layout({&reduced[0]});
  EXPECT_TRUE(VerifyPlan(layout, staffed->plan).ok());
  EXPECT_TRUE(
      VerifyRoster(layout, Config(), staffed->plan, FourHours(), {}, staffed->roster).ok());
  // With 2 h in gear the pair works at most 3 waves in a row, and the
  // planner fills waves 0-3 back to back: the desk goes too, and no round
  // can be planned.
  EXPECT_EQ(PlanWithinStaff(GreedyPlanner(), {&community}, Config(), {20, 0.85}, {})
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(PlanWithinStaffTest, EnoughStaffChangesNothing) {
  Community community = MakeCommunity(Shape{});
  for (int i = 0; i < 2; ++i) {
    community.staff.push_back(StaffMember{absl::StrCat("sa", i), kRoleSampler, 0});
    community.staff.push_back(StaffMember{absl::StrCat("sc", i), kRoleScanner, 0});
  }
  absl::StatusOr<StaffedPlan> staffed =
      PlanWithinStaff(GreedyPlanner(), {&community}, Config(), {20, 0.85}, {});
  ASSERT_TRUE(staffed.ok());
  EXPECT_EQ(staffed->site_desks, std::vector<int>{2});
  EXPECT_EQ(staffed->waves, 2);
  EXPECT_EQ(staffed->longer, absl::ZeroDuration());
  EXPECT_EQ(staffed->plans_made, 1);
}

TEST(PlanWithinStaffTest, NoScannersNoRound) {
  Community community = MakeCommunity(Shape{});
  community.staff.push_back(StaffMember{"sa", kRoleSampler, 0});
  absl::StatusOr<StaffedPlan> staffed =
      PlanWithinStaff(GreedyPlanner(), {&community}, Config(), {20, 0.85}, {});
  EXPECT_EQ(staffed.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(staffed.status().message(), HasSubstr("tc-s0: 0"));
}

// The reference community: 34 scanners cannot keep 24 desks open all day
// (48 needed); the staffed plan opens fewer desks, takes longer, and every
// desk it opens is staffed.
TEST(PlanWithinStaffTest, ReferenceCommunity) {
  absl::StatusOr<std::vector<Community>> generated = GenerateCommunities({"kangcheng", 0, 1});
  ASSERT_TRUE(generated.ok());
  RoundConfig config = Config(absl::Hours(24));
  config.start = kStart - absl::Hours(8);  // 07:00 in Kangcheng (UTC+8)
  config.community_ids = {"kangcheng"};
  absl::StatusOr<StaffedPlan> staffed =
      PlanWithinStaff(GreedyPlanner(), {&(*generated)[0]}, config, {}, {});
  ASSERT_TRUE(staffed.ok()) << staffed.status();
  EXPECT_TRUE(staffed->roster.shortfalls.empty());
  EXPECT_GT(staffed->plans_made, 1);
  EXPECT_GT(staffed->waves, staffed->waves_with_every_desk);
  EXPECT_EQ(staffed->longer,
            (staffed->waves - staffed->waves_with_every_desk) * config.wave_length);
  const std::vector<Community> reduced =
      CommunitiesWithDesks({&(*generated)[0]}, staffed->site_desks);
  const RoundLayout layout({&reduced[0]});
  EXPECT_TRUE(VerifyPlan(layout, staffed->plan).ok()) << VerifyPlan(layout, staffed->plan);
  EXPECT_TRUE(VerifyRoster(layout, config, staffed->plan, {}, {}, staffed->roster).ok())
      << VerifyRoster(layout, config, staffed->plan, {}, {}, staffed->roster);
  int desks = 0;
  for (int d : staffed->site_desks) desks += d;
  EXPECT_LT(desks, 24);
  EXPECT_GT(desks, 0);
  printf("reference: %d of 24 desks staffable; %d waves instead of %d (%s longer), %d plans\n",
         desks, staffed->waves, staffed->waves_with_every_desk,
         absl::FormatDuration(staffed->longer).c_str(), staffed->plans_made);
}

}  // namespace
}  // namespace swabwave::engine::plan
