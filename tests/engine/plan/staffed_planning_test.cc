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

using ::swabwave::engine::testing::kRoundStart;
using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;
using ::testing::HasSubstr;


StaffingOptions FourHours() {
  StaffingOptions options;
  options.max_in_gear = absl::Hours(4);
  return options;
}

// Shape{} at 20 an hour: two desks hold 17 a wave, so 24 residents take
// waves 0-1 on both desks. One pair of staff opens one desk: it holds 8 a
// wave (floor(20 × 0.5 × 0.85)), one unit of six, so the four units take
// waves 0-3 on one desk, which one pair works in a single stint with 4 h in
// gear (15 min + 4 × 30 + 15 <= 240). An hour longer. The caps come one
// cell at a time: waves 0-1 after the first plan, wave 2 after the second.
TEST(PlanWithinStaffTest, OnePairOneDeskTwoWavesLonger) {
  Community community = MakeCommunity(Shape{});
  community.staff.push_back(StaffMember{"sa", kRoleSampler, 0});
  community.staff.push_back(StaffMember{"sc", kRoleScanner, 0});
  const RoundLayout layout({&community});
  absl::StatusOr<StaffedPlan> staffed =
      PlanWithinStaff(GreedyPlanner(), layout, TestRound(), {20, 0.85}, FourHours());
  ASSERT_TRUE(staffed.ok()) << staffed.status();
  EXPECT_EQ(staffed->waves_with_every_desk, 2);
  EXPECT_EQ(staffed->waves, 4);
  EXPECT_EQ(staffed->longer, absl::Hours(1));
  EXPECT_EQ(staffed->plans_made, 3);
  EXPECT_TRUE(staffed->roster.shortfalls.empty());
  EXPECT_EQ(staffed->roster.desk_waves_staffed, 4);
  EXPECT_TRUE(staffed->plan.within_staff);
  EXPECT_EQ(staffed->plan.waves_with_every_desk, 2);
  // Capped where the pair fell short; wave 3 keeps both desks' capacity
  // but its one unit needs only one of them.
  for (int w = 0; w < 3; ++w) EXPECT_EQ(staffed->plan.cell_desks[staffed->plan.cell(0, w)], 1);
  EXPECT_EQ(staffed->plan.cell_desks[staffed->plan.cell(0, 3)], 2);
  for (int w = 0; w < 4; ++w) {
    EXPECT_EQ(staffed->roster.cell_desks_needed[staffed->plan.cell(0, w)], 1) << "wave " << w;
  }
  EXPECT_TRUE(VerifyPlan(layout, staffed->plan).ok());
  EXPECT_TRUE(
      VerifyRoster(layout, TestRound(), staffed->plan, FourHours(), {}, staffed->roster).ok());
}

// With 2 h in gear the pair works at most 3 waves in a row, then rests two
// ((2 × 15 min + 30 min) / 30 min): the desk opens in waves 0-2, stays shut
// in waves 3-4 while they rest, and the last unit goes in wave 5. Capping
// whole sites instead would have closed the desk and failed the round.
TEST(PlanWithinStaffTest, TheDeskClosesWhileItsCrewRests) {
  Community community = MakeCommunity(Shape{});
  community.staff.push_back(StaffMember{"sa", kRoleSampler, 0});
  community.staff.push_back(StaffMember{"sc", kRoleScanner, 0});
  const RoundLayout layout({&community});
  absl::StatusOr<StaffedPlan> staffed =
      PlanWithinStaff(GreedyPlanner(), layout, TestRound(), {20, 0.85}, {});
  ASSERT_TRUE(staffed.ok()) << staffed.status();
  EXPECT_EQ(staffed->waves, 6);
  EXPECT_EQ(staffed->longer, absl::Hours(2));
  const Plan& plan = staffed->plan;
  for (int w : {0, 1, 2, 5}) EXPECT_EQ(plan.cell_load[plan.cell(0, w)], 6) << "wave " << w;
  for (int w : {3, 4}) {
    EXPECT_EQ(plan.cell_load[plan.cell(0, w)], 0) << "wave " << w;
    EXPECT_EQ(plan.cell_desks[plan.cell(0, w)], 0) << "wave " << w;
  }
  EXPECT_TRUE(VerifyPlan(layout, plan).ok());
  EXPECT_TRUE(VerifyRoster(layout, TestRound(), plan, {}, {}, staffed->roster).ok())
      << VerifyRoster(layout, TestRound(), plan, {}, {}, staffed->roster);
}

TEST(PlanWithinStaffTest, EnoughStaffChangesNothing) {
  Community community = MakeCommunity(Shape{});
  for (int i = 0; i < 2; ++i) {
    community.staff.push_back(StaffMember{absl::StrCat("sa", i), kRoleSampler, 0});
    community.staff.push_back(StaffMember{absl::StrCat("sc", i), kRoleScanner, 0});
  }
  const RoundLayout layout({&community});
  absl::StatusOr<StaffedPlan> staffed =
      PlanWithinStaff(GreedyPlanner(), layout, TestRound(), {20, 0.85}, {});
  ASSERT_TRUE(staffed.ok());
  EXPECT_EQ(staffed->desk_waves_capped, 0);
  EXPECT_EQ(staffed->waves, 2);
  EXPECT_EQ(staffed->longer, absl::ZeroDuration());
  EXPECT_EQ(staffed->plans_made, 1);
}

TEST(PlanWithinStaffTest, NoScannersNoRound) {
  Community community = MakeCommunity(Shape{});
  community.staff.push_back(StaffMember{"sa", kRoleSampler, 0});
  const RoundLayout layout({&community});
  absl::StatusOr<StaffedPlan> staffed =
      PlanWithinStaff(GreedyPlanner(), layout, TestRound(), {20, 0.85}, {});
  EXPECT_EQ(staffed.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(staffed.status().message(), HasSubstr("desk-waves (of 32) the staff on hand cannot open"));
}

// The reference community: 34 scanners cannot keep 24 desks open all day
// (48 needed); the staffed plan opens fewer desks, takes longer, and every
// desk it opens is staffed.
TEST(PlanWithinStaffTest, ReferenceCommunity) {
  absl::StatusOr<std::vector<Community>> generated = GenerateCommunities({"kangcheng", 0, 1});
  ASSERT_TRUE(generated.ok());
  RoundConfig config = TestRound(absl::Hours(24));
  config.start = kRoundStart - absl::Hours(8);  // 07:00 in Kangcheng (UTC+8)
  config.community_ids = {"kangcheng"};
  const RoundLayout layout({&(*generated)[0]});
  absl::StatusOr<StaffedPlan> staffed = PlanWithinStaff(GreedyPlanner(), layout, config, {}, {});
  ASSERT_TRUE(staffed.ok()) << staffed.status();
  EXPECT_TRUE(staffed->roster.shortfalls.empty());
  EXPECT_GT(staffed->plans_made, 1);
  EXPECT_GT(staffed->waves, staffed->waves_with_every_desk);
  EXPECT_EQ(staffed->longer,
            (staffed->waves - staffed->waves_with_every_desk) * config.wave_length);
  EXPECT_GT(staffed->desk_waves_capped, 0);
  EXPECT_TRUE(VerifyPlan(layout, staffed->plan).ok()) << VerifyPlan(layout, staffed->plan);
  EXPECT_TRUE(VerifyRoster(layout, config, staffed->plan, {}, {}, staffed->roster).ok())
      << VerifyRoster(layout, config, staffed->plan, {}, {}, staffed->roster);
  // Every open desk staffed: no cell opens more desks than its roster fills.
  for (CellIndex cell = 0; cell < staffed->plan.cell_count(); ++cell) {
    EXPECT_LE(staffed->roster.cell_desks_needed[cell], staffed->plan.cell_desks[cell]);
    EXPECT_EQ(staffed->roster.cell_desks_staffed[cell], staffed->roster.cell_desks_needed[cell]);
  }
  // Headcount's "needed" is an upper bound, not what the roster uses: the
  // reference staff work this plan without a shortfall, yet a pool member
  // who may serve several sites is counted at each, so a role "needs" more
  // than are on hand (planning.proto, Headcount).
  const Headcount& headcount = staffed->roster.headcount;
  EXPECT_TRUE(headcount.samplers_needed > headcount.samplers_on_hand ||
              headcount.scanners_needed > headcount.scanners_on_hand)
      << "samplers " << headcount.samplers_needed << " needed, " << headcount.samplers_on_hand
      << " on hand; scanners " << headcount.scanners_needed << " needed, "
      << headcount.scanners_on_hand << " on hand";
  printf("reference: %d waves instead of %d (%s longer), %lld desk-waves capped, %d plans\n",
         staffed->waves, staffed->waves_with_every_desk,
         absl::FormatDuration(staffed->longer).c_str(),
         static_cast<long long>(staffed->desk_waves_capped), staffed->plans_made);
}

}  // namespace
}  // namespace swabwave::engine::plan
