#include "engine/plan/staffing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <vector>

#include "engine/io/generator.h"
#include "engine/plan/greedy_planner.h"
#include "engine/plan/internal/desk_cover.h"
#include "engine/plan/roster_check.h"
#include "engine/plan/staffing_options.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine::plan {
namespace {

using ::swabwave::engine::testing::kRoundStart;
using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;
using ::testing::HasSubstr;


void AddStaff(Community& community, const std::string& id, uint8_t roles, SiteId home = 0) {
  community.staff.push_back(StaffMember{id, roles, home});
}

StaffingOptions Summer() {
  StaffingOptions options;
  options.max_in_gear = kSummerHeatInGear;
  return options;
}

TEST(GearCycleTest, WavesFromTheGearRules) {
  const RoundConfig config = TestRound();
  // 2 h in gear: 15 min on + 3 waves of 30 + 15 off; then 15 + 30 + 15 off.
  absl::StatusOr<GearCycle> cycle = ComputeGearCycle({}, config);
  ASSERT_TRUE(cycle.ok()) << cycle.status();
  EXPECT_EQ(cycle->max_waves_per_stint, 3);
  EXPECT_EQ(cycle->min_idle_waves, 2);
  cycle = ComputeGearCycle(Summer(), config);
  ASSERT_TRUE(cycle.ok());
  EXPECT_EQ(cycle->max_waves_per_stint, 1);  // 15 + 30 + 15 = 60 min
  StaffingOptions options;
  options.max_in_gear = absl::Hours(4);
  options.rest = absl::Minutes(20);
  options.gear_change = absl::Minutes(10);
  cycle = ComputeGearCycle(options, config);
  ASSERT_TRUE(cycle.ok());
  EXPECT_EQ(cycle->max_waves_per_stint, 7);  // (240 - 20) / 30, rounded down
  EXPECT_EQ(cycle->min_idle_waves, 2);       // (20 + 20) / 30, rounded up
}

TEST(GearCycleTest, RejectsRulesOutOfRange) {
  StaffingOptions options;
  options.max_in_gear = absl::Minutes(30);
  EXPECT_THAT(ComputeGearCycle(options, TestRound()).status().message(), HasSubstr("max_in_gear"));
  options.max_in_gear = absl::Hours(5);
  EXPECT_EQ(ComputeGearCycle(options, TestRound()).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = {};
  options.gear_change = absl::Minutes(-1);
  EXPECT_THAT(ComputeGearCycle(options, TestRound()).status().message(), HasSubstr("gear_change"));
  // 1 h in gear cannot hold a 60-minute wave plus two changes.
  RoundConfig hourly = TestRound();
  hourly.wave_length = absl::Hours(1);
  EXPECT_THAT(ComputeGearCycle(Summer(), hourly).status().message(),
              HasSubstr("no whole wave"));
}

// Shape{}: 24 residents in units of six, one site of two desks. At 20 an
// hour a cell holds 17 (see greedy_planner_test): waves 0 and 1 carry 12
// each, so each needs ceil(12 × 2 / 17) = 2 desks. At 100 an hour one
// cell holds 85 and all 24 fit wave 0 on ceil(24 × 2 / 85) = 1 desk.
TEST(DesksNeededTest, FewestDesksThatHoldTheLoad) {
  const Community community = MakeCommunity(Shape{});
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), {20, 0.85});
  ASSERT_TRUE(plan.ok());
  std::vector<int32_t> desks = DesksNeeded(layout, *plan);
  EXPECT_EQ(desks[plan->cell(0, 0)], 2);
  EXPECT_EQ(desks[plan->cell(0, 1)], 2);
  EXPECT_EQ(desks[plan->cell(0, 2)], 0);
  plan = GreedyPlanner().MakePlan(layout, TestRound(), {100, 0.85});
  ASSERT_TRUE(plan.ok());
  desks = DesksNeeded(layout, *plan);
  EXPECT_EQ(desks[plan->cell(0, 0)], 1);
  EXPECT_EQ(desks[plan->cell(0, 1)], 0);
}

// Two desks in waves 0 and 1 (see above).
Plan TwoDesksTwoWaves(const Community& community) {
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), {20, 0.85});
  if (!plan.ok()) abort();
  return *std::move(plan);
}

TEST(StaffPlanTest, TwoPairsStaffTwoDesksForTwoWaves) {
  Community community = MakeCommunity(Shape{});
  AddStaff(community, "sa1", kRoleSampler);
  AddStaff(community, "sa2", kRoleSampler);
  AddStaff(community, "sc1", kRoleScanner);
  AddStaff(community, "sc2", kRoleScanner | kRoleMarshal);
  AddStaff(community, "marshal", kRoleMarshal);
  const RoundLayout layout({&community});
  const Plan plan = TwoDesksTwoWaves(community);
  absl::StatusOr<Roster> roster = StaffPlan(layout, TestRound(), plan, {});
  ASSERT_TRUE(roster.ok()) << roster.status();
  EXPECT_TRUE(VerifyRoster(layout, TestRound(), plan, {}, {}, *roster).ok())
      << VerifyRoster(layout, TestRound(), plan, {}, {}, *roster);
  // One stint each, waves 0-1 (07:00-08:00), a pair per desk.
  ASSERT_EQ(roster->shifts.size(), 4u);
  std::map<uint32_t, Shift> by_member;
  for (const Shift& shift : roster->shifts) by_member[shift.staff] = shift;
  EXPECT_EQ(by_member.count(4), 0u) << "a marshal-only member never staffs a desk";
  for (uint32_t m = 0; m < 4; ++m) {
    ASSERT_EQ(by_member.count(m), 1u);
    EXPECT_EQ(by_member[m].first_wave, 0);
    EXPECT_EQ(by_member[m].end_wave, 2);
    EXPECT_EQ(by_member[m].starts, kRoundStart);
    EXPECT_EQ(by_member[m].ends, kRoundStart + absl::Hours(1));
    EXPECT_EQ(by_member[m].role, m < 2 ? kRoleSampler : kRoleScanner);
  }
  EXPECT_NE(by_member[0].desk, by_member[1].desk);
  EXPECT_NE(by_member[2].desk, by_member[3].desk);
  EXPECT_EQ(roster->desk_waves_needed, 4);
  EXPECT_EQ(roster->desk_waves_staffed, 4);
  EXPECT_TRUE(roster->shortfalls.empty());
  EXPECT_EQ(roster->headcount.samplers_needed, 2);
  EXPECT_EQ(roster->headcount.scanners_needed, 2);
  EXPECT_EQ(roster->headcount.samplers_on_hand, 2);
  EXPECT_EQ(roster->headcount.scanners_on_hand, 2);
  EXPECT_EQ(roster->headcount.staff_on_hand, 4);
}

// One sampler for two desks: one desk opens, its scanner partner chosen;
// the other desk is reported in both waves, and nobody dons gear alone.
TEST(StaffPlanTest, ReportsDesksItCannotStaff) {
  Community community = MakeCommunity(Shape{});
  AddStaff(community, "sa1", kRoleSampler);
  AddStaff(community, "sc1", kRoleScanner);
  AddStaff(community, "sc2", kRoleScanner);
  const RoundLayout layout({&community});
  const Plan plan = TwoDesksTwoWaves(community);
  absl::StatusOr<Roster> roster = StaffPlan(layout, TestRound(), plan, {});
  ASSERT_TRUE(roster.ok());
  EXPECT_TRUE(VerifyRoster(layout, TestRound(), plan, {}, {}, *roster).ok());
  EXPECT_EQ(roster->desk_waves_staffed, 2);
  ASSERT_EQ(roster->shortfalls.size(), 2u);
  for (int w = 0; w < 2; ++w) {
    EXPECT_EQ(roster->shortfalls[w].site, 0u);
    EXPECT_EQ(roster->shortfalls[w].wave, w);
    EXPECT_EQ(roster->shortfalls[w].desks_needed, 2);
    EXPECT_EQ(roster->shortfalls[w].desks_staffed, 1);
  }
  EXPECT_EQ(roster->shifts.size(), 2u);
  EXPECT_EQ(roster->headcount.samplers_needed, 2);
  EXPECT_EQ(roster->headcount.samplers_on_hand, 1);
}

// Summer heat: 1 h in gear is one wave a stint, then 2 waves off. Two
// pairs staff both desks in wave 0 and none in wave 1; four pairs are needed.
TEST(StaffPlanTest, SummerGearCapForcesRelief) {
  Community community = MakeCommunity(Shape{});
  AddStaff(community, "sa1", kRoleSampler);
  AddStaff(community, "sa2", kRoleSampler);
  AddStaff(community, "sc1", kRoleScanner);
  AddStaff(community, "sc2", kRoleScanner);
  const RoundLayout layout({&community});
  const Plan plan = TwoDesksTwoWaves(community);
  absl::StatusOr<Roster> roster = StaffPlan(layout, TestRound(), plan, Summer());
  ASSERT_TRUE(roster.ok());
  EXPECT_TRUE(VerifyRoster(layout, TestRound(), plan, Summer(), {}, *roster).ok());
  EXPECT_EQ(roster->cell_desks_staffed[plan.cell(0, 0)], 2);
  EXPECT_EQ(roster->cell_desks_staffed[plan.cell(0, 1)], 0);
  for (const Shift& shift : roster->shifts) EXPECT_EQ(shift.end_wave - shift.first_wave, 1);
  EXPECT_EQ(roster->headcount.samplers_needed, 4);
  EXPECT_EQ(roster->headcount.scanners_needed, 4);
}

// A member on hand from 07:15 can be in gear for wave 1 (07:30) at the
// earliest; one who leaves at 07:45 can work wave 0 only (off by 07:45).
TEST(StaffPlanTest, KeepsAvailabilityGearChangesIncluded) {
  Community community = MakeCommunity(Shape{});
  AddStaff(community, "early-sampler", kRoleSampler);
  AddStaff(community, "late-sampler", kRoleSampler);
  AddStaff(community, "sc1", kRoleScanner);
  AddStaff(community, "sc2", kRoleScanner);
  const RoundLayout layout({&community});
  const Plan plan = TwoDesksTwoWaves(community);
  StaffAvailability availability(4);
  availability[0].until = kRoundStart + absl::Minutes(45);
  availability[1].from = kRoundStart + absl::Minutes(15);
  absl::StatusOr<Roster> roster = StaffPlan(layout, TestRound(), plan, {}, availability);
  ASSERT_TRUE(roster.ok());
  EXPECT_TRUE(VerifyRoster(layout, TestRound(), plan, {}, availability, *roster).ok())
      << VerifyRoster(layout, TestRound(), plan, {}, availability, *roster);
  EXPECT_EQ(roster->cell_desks_staffed[plan.cell(0, 0)], 1);
  EXPECT_EQ(roster->cell_desks_staffed[plan.cell(0, 1)], 1);
  for (const Shift& shift : roster->shifts) {
    if (shift.staff == 0) {
      EXPECT_EQ(shift.end_wave, 1);
    }
    if (shift.staff == 1) {
      EXPECT_EQ(shift.first_wave, 1);
    }
  }
  // The same availability with one 10-minute-earlier exit leaves wave 0 unstaffed.
  availability[0].until = kRoundStart + absl::Minutes(44);
  roster = StaffPlan(layout, TestRound(), plan, {}, availability);
  ASSERT_TRUE(roster.ok());
  EXPECT_EQ(roster->cell_desks_staffed[plan.cell(0, 0)], 0);
  // A list that is not one entry per member is refused.
  EXPECT_THAT(StaffPlan(layout, TestRound(), plan, {}, StaffAvailability(3)).status().message(),
              HasSubstr("availability"));
}

// Members with a home site stay there; members without go anywhere in their
// community.
TEST(StaffPlanTest, HomeSiteMembersStayHome) {
  Shape shape;
  shape.sites = 2;
  shape.desks_per_site = 1;
  Community community = MakeCommunity(shape);
  AddStaff(community, "sa-home1", kRoleSampler, 1);
  AddStaff(community, "sc-home1", kRoleScanner, 1);
  AddStaff(community, "sa-pool", kRoleSampler, kNoId);
  AddStaff(community, "sc-home0", kRoleScanner, 0);
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), {40, 0.85});
  ASSERT_TRUE(plan.ok());
  absl::StatusOr<Roster> roster = StaffPlan(layout, TestRound(), *plan, {});
  ASSERT_TRUE(roster.ok());
  EXPECT_TRUE(VerifyRoster(layout, TestRound(), *plan, {}, {}, *roster).ok())
      << VerifyRoster(layout, TestRound(), *plan, {}, {}, *roster);
  for (const Shift& shift : roster->shifts) {
    if (shift.staff == 0 || shift.staff == 1) {
      EXPECT_EQ(shift.site, 1u);
    }
    if (shift.staff == 2 || shift.staff == 3) {
      EXPECT_EQ(shift.site, 0u);
    }
  }
  EXPECT_TRUE(roster->shortfalls.empty());
}

TEST(VerifyRosterTest, CatchesBrokenRules) {
  Community community = MakeCommunity(Shape{});
  AddStaff(community, "sa1", kRoleSampler);
  AddStaff(community, "sa2", kRoleSampler);
  AddStaff(community, "sc1", kRoleScanner);
  AddStaff(community, "sc2", kRoleScanner);
  const RoundLayout layout({&community});
  const RoundConfig config = TestRound();
  const Plan plan = TwoDesksTwoWaves(community);
  absl::StatusOr<Roster> roster = StaffPlan(layout, config, plan, {});
  ASSERT_TRUE(roster.ok());
  ASSERT_TRUE(VerifyRoster(layout, config, plan, {}, {}, *roster).ok());
  auto broken = [&](auto&& edit) {
    Roster copy = *roster;
    edit(copy);
    return VerifyRoster(layout, config, plan, {}, {}, copy);
  };
  auto shift_of = [](Roster& r, uint32_t staff) -> Shift& {
    for (Shift& s : r.shifts) {
      if (s.staff == staff) return s;
    }
    abort();
  };
  EXPECT_THAT(broken([&](Roster& r) { shift_of(r, 0).role = kRoleScanner; }).message(),
              HasSubstr("lacks the role"));
  EXPECT_THAT(broken([&](Roster& r) { shift_of(r, 1).desk = shift_of(r, 0).desk; }).message(),
              HasSubstr("desk taken"));
  EXPECT_THAT(broken([&](Roster& r) {
                Shift& s = shift_of(r, 0);
                s.end_wave = 1;
                s.ends = config.WaveStart(1);
              }).message(),
              HasSubstr("without a"));
  // Summer rules on a roster made for 2 h: the 2-wave stints are too long.
  EXPECT_FALSE(VerifyRoster(layout, config, plan, Summer(), {}, *roster).ok());
  EXPECT_THAT(broken([&](Roster& r) { shift_of(r, 0).ends += absl::Minutes(1); }).message(),
              HasSubstr("times"));
  EXPECT_THAT(broken([&](Roster& r) { r.shortfalls.clear(), r.cell_desks_staffed[0] = 1; })
                  .message(),
              HasSubstr("short"));
}

// The stint rules, on the desk-cover problem itself: one desk needed in
// waves 0, 1 and 3 with stints of at most 2 waves and 2 waves off.
TEST(CheckDeskCoverTest, CatchesStintsTooLongOrTooClose) {
  internal::DeskCoverProblem p;
  p.wave_count = 6;
  p.cycle = {2, 2};
  p.site_desks = {1};
  p.desks_needed = {1, 1, 1, 1, 0, 0};
  p.crew = {{kRoleSampler, 0, 0, 6}, {kRoleScanner, 0, 0, 6}};
  internal::DeskCover cover;
  cover.desks_staffed = {1, 1, 0, 1, 0, 0};
  cover.desk_waves_staffed = 3;
  cover.shifts = {{0, 0, 0, kRoleSampler, 0, 2}, {1, 0, 0, kRoleScanner, 0, 2},
                  {0, 0, 0, kRoleSampler, 3, 4}, {1, 0, 0, kRoleScanner, 3, 4}};
  EXPECT_THAT(internal::CheckDeskCover(p, cover).message(), HasSubstr("waves off"));
  cover.shifts = {{0, 0, 0, kRoleSampler, 0, 2}, {1, 0, 0, kRoleScanner, 0, 2},
                  {0, 0, 0, kRoleSampler, 2, 3}, {1, 0, 0, kRoleScanner, 2, 3}};
  cover.desks_staffed = {1, 1, 1, 0, 0, 0};
  EXPECT_THAT(internal::CheckDeskCover(p, cover).message(), HasSubstr("over the cap"));
  cover.shifts = {{0, 0, 0, kRoleSampler, 0, 1}, {1, 0, 0, kRoleScanner, 0, 1},
                  {0, 0, 0, kRoleSampler, 3, 4}, {1, 0, 0, kRoleScanner, 3, 4}};
  cover.desks_staffed = {1, 0, 0, 1, 0, 0};
  cover.desk_waves_staffed = 2;
  EXPECT_TRUE(internal::CheckDeskCover(p, cover).ok()) << internal::CheckDeskCover(p, cover);
}

}  // namespace
}  // namespace swabwave::engine::plan
