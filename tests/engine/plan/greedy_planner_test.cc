#include "engine/plan/greedy_planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "engine/io/generator.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine::plan {
namespace {

using ::swabwave::engine::testing::kRoundStart;
using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;
using ::testing::HasSubstr;


TEST(OpenMinutesTest, CountsOverlapWithDailyHours) {
  const int64_t midnight = 1795737600;  // 2026-11-27 00:00 UTC
  // 06:45-07:15 against 07:00-22:00: 15 minutes.
  EXPECT_EQ(OpenMinutesInWindow(midnight + 405 * 60, midnight + 435 * 60, 0, 420, 1320), 15);
  // Fully inside and fully outside.
  EXPECT_EQ(OpenMinutesInWindow(midnight + 600 * 60, midnight + 630 * 60, 0, 420, 1320), 30);
  EXPECT_EQ(OpenMinutesInWindow(midnight + 60 * 60, midnight + 90 * 60, 0, 420, 1320), 0);
  // UTC+8: 23:00 UTC is 07:00 local the next day.
  EXPECT_EQ(OpenMinutesInWindow(midnight - 3600, midnight - 1800, 480, 420, 1320), 30);
  // Open past midnight (20:00-26:00): 00:30-01:00 the next day is open.
  EXPECT_EQ(OpenMinutesInWindow(midnight + 30 * 60, midnight + 60 * 60, 0, 1200, 1560), 30);
}

// 24 residents in four units of six; one site with two desks at 20 people
// an hour: 2 x 20 x 0.5 h x 0.85 = 17 a wave. Units of six: two fit a wave.
TEST(GreedyPlannerTest, HandCheckedWavesAndLowerBound) {
  const Community community = MakeCommunity(Shape{});
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), {20, 0.85});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->cell_capacity[plan->cell(0, 0)], 17);
  ASSERT_EQ(plan->assignments.size(), 4u);
  EXPECT_EQ(plan->assignments[0].wave, 0);
  EXPECT_EQ(plan->assignments[1].wave, 0);
  EXPECT_EQ(plan->assignments[2].wave, 1);
  EXPECT_EQ(plan->assignments[3].wave, 1);
  for (const UnitAssignment& a : plan->assignments) {
    EXPECT_EQ(a.residents, 6);
    EXPECT_TRUE(a.households.empty());
  }
  EXPECT_EQ(plan->waves_used, 2);
  EXPECT_EQ(plan->waves_lower_bound, 2);  // ceil(24 / 17)
  EXPECT_EQ(plan->cell_load[plan->cell(0, 0)], 12);
  EXPECT_EQ(plan->overloaded_cells, 0);
  EXPECT_EQ(plan->split_units, 0);
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok());
}

// A unit of twelve (three households of four) where a wave holds ten:
// it is split at household boundaries, never inside a household.
TEST(GreedyPlannerTest, SplitsOnlyAtHouseholdBoundaries) {
  Shape shape;
  shape.buildings = 1;
  shape.units_per_building = 1;
  shape.households_per_unit = 3;
  shape.residents_per_household = 4;
  shape.desks_per_site = 1;
  const Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});
  // 1 x 24 x 0.5 x 0.85 = 10.2 -> 10 a wave.
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), {24, 0.85});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->cell_capacity[0], 10);
  ASSERT_EQ(plan->assignments.size(), 2u);
  EXPECT_EQ(plan->assignments[0].households.size(), 2u);  // 8 in wave 0
  EXPECT_EQ(plan->assignments[0].residents, 8);
  EXPECT_EQ(plan->assignments[1].households.size(), 1u);  // 4 in wave 1
  EXPECT_EQ(plan->assignments[1].wave, 1);
  EXPECT_EQ(plan->split_units, 1);
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok());
  // Members of one household share a cell.
  for (int h = 0; h < 3; ++h) {
    std::set<CellIndex> cells;
    for (int r = 0; r < 4; ++r) cells.insert(plan->resident_cell[h * 4 + r]);
    EXPECT_EQ(cells.size(), 1u) << "household " << h;
  }
}

TEST(GreedyPlannerTest, NotEnoughCapacityIsResourceExhausted) {
  const Community community = MakeCommunity(Shape{});
  const RoundLayout layout({&community});
  // One wave of 17 places for 24 people.
  absl::StatusOr<Plan> plan =
      GreedyPlanner().MakePlan(layout, TestRound(absl::Minutes(30)), {20, 0.85});
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(plan.status().message(), HasSubstr("no place"));
  EXPECT_THAT(plan.status().message(), HasSubstr("add desks"));
}

TEST(GreedyPlannerTest, NoWaveBeforeTheSiteOpens) {
  Shape shape;
  shape.opens_at_minute = 9 * 60;  // the round starts at 07:00
  const Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), {110, 0.85});
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (int w = 0; w < 4; ++w) EXPECT_EQ(plan->cell_capacity[plan->cell(0, w)], 0);
  for (const UnitAssignment& a : plan->assignments) EXPECT_GE(a.wave, 4);
}

// Opening hours are the community's local time: named zone first. The
// round starts at 07:00 UTC, which is 15:00 in Shanghai; sites open
// 07:00-17:00 local, so four waves have room and the rest none.
TEST(GreedyPlannerTest, OpeningHoursAreReadInTheCommunitysTimeZone) {
  Shape shape;
  shape.opens_at_minute = 7 * 60;
  shape.closes_at_minute = 17 * 60;
  Community community = MakeCommunity(shape);
  community.time_zone = "Asia/Shanghai";  // utc_offset_minutes stays 0: ignored
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), {110, 0.85});
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (int w = 0; w < 4; ++w) EXPECT_GT(plan->cell_capacity[plan->cell(0, w)], 0) << w;
  for (int w = 4; w < 16; ++w) EXPECT_EQ(plan->cell_capacity[plan->cell(0, w)], 0) << w;
  for (const UnitAssignment& a : plan->assignments) EXPECT_LT(a.wave, 4);
}

TEST(GreedyPlannerTest, DoorToDoorAndExemptAreNotGivenASite) {
  Shape shape;
  shape.mobility_limited_every = 5;  // residents 5, 10, 15, 20
  shape.exempt_every = 7;            // residents 7, 14, 21
  const Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), {110, 0.85});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->door_to_door_count, 4);
  EXPECT_EQ(plan->exempt, 3);
  EXPECT_EQ(plan->due_at_sites, 24 - 4 - 3);
  EXPECT_EQ(plan->door_to_door, (std::vector<uint32_t>{4, 9, 14, 19}));
  for (uint32_t r : plan->door_to_door) EXPECT_EQ(plan->resident_cell[r], kNoId);
  EXPECT_EQ(plan->resident_cell[6], kNoId);  // resident 7 is exempt
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok());
}

TEST(GreedyPlannerTest, PrefersTheNearestSiteWithRoom) {
  Shape shape;
  shape.sites = 2;  // site 0 at x=0, site 1 at x=150; buildings at x=0 and x=100
  const Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), {110, 0.85});
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const UnitAssignment& a : plan->assignments) {
    const uint32_t building = community.units[a.unit].building;
    EXPECT_EQ(a.site, building == 0 ? 0u : 1u) << "unit " << a.unit;
    EXPECT_EQ(a.wave, 0);
  }
}

TEST(GreedyPlannerTest, ReferenceCommunityPlanHoldsEveryConstraint) {
  absl::StatusOr<std::vector<Community>> generated = GenerateCommunities({"kangcheng", 0, 1});
  ASSERT_TRUE(generated.ok()) << generated.status();
  const RoundLayout layout({&(*generated)[0]});
  RoundConfig config = TestRound(absl::Hours(24));
  config.community_ids = {"kangcheng"};
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, config, {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  // VerifyPlan walks the whole plan: capacity, households, coverage.
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok()) << VerifyPlan(layout, *plan);
  EXPECT_EQ(plan->residents, 17000);
  EXPECT_EQ(plan->due_at_sites + plan->door_to_door_count + plan->exempt, 17000);
  EXPECT_EQ(plan->overloaded_cells, 0);
  EXPECT_GE(plan->waves_used, plan->waves_lower_bound);
  // Deterministic: the same input gives the same plan.
  absl::StatusOr<Plan> again = GreedyPlanner().MakePlan(layout, config, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->resident_cell, plan->resident_cell);
}

TEST(VerifyPlanTest, CatchesAnOverloadedCell) {
  const Community community = MakeCommunity(Shape{});
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), {110, 0.85});
  ASSERT_TRUE(plan.ok());
  Plan broken = *plan;
  broken.cell_capacity[broken.cell(0, 0)] = 5;
  EXPECT_THAT(VerifyPlan(layout, broken).message(), HasSubstr("over its capacity"));
  broken = *plan;
  broken.resident_cell[0] = broken.cell(0, 3);
  EXPECT_FALSE(VerifyPlan(layout, broken).ok());
}

TEST(PlanOptionsTest, RejectsOutOfRangeValues) {
  EXPECT_EQ(ValidatePlanOptions({0, 0.85}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidatePlanOptions({110, 1.5}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ValidatePlanOptions({110, 0}).message(), HasSubstr("utilization"));
  EXPECT_TRUE(ValidatePlanOptions({110, 0.85}).ok());
}

}  // namespace
}  // namespace swabwave::engine::plan
