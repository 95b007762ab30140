// Finish by a time (engine/plan/finish_by.h): what finishing by then takes,
// the earliest finish with every desk and with the staff on hand, and the
// plan that meets it (PlanOptions::max_waves).
#include "engine/plan/finish_by.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/plan/flow_planner.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine::plan {
namespace {

using ::swabwave::engine::testing::kRoundStart;
using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;
using ::testing::HasSubstr;

// 240 residents at one site of two desks, open all day: 46 people a desk a
// 30-minute wave (110/h at 0.85), so 93 a wave with both: three waves.
Community TwoDesks(int pairs_of_staff) {
  Shape shape;
  shape.buildings = 20;
  Community community = MakeCommunity(shape);
  for (int i = 0; i < pairs_of_staff; ++i) {
    community.staff.push_back({absl::StrCat("sa", i), kRoleSampler, 0});
    community.staff.push_back({absl::StrCat("sc", i), kRoleScanner, 0});
  }
  return community;
}

absl::StatusOr<FinishAdvice> Advise(const Community& community, absl::Duration by) {
  const RoundLayout layout({&community});
  return AdviseFinish(FlowPlanner(), layout, TestRound(), PlanOptions{}, StaffingRequest{},
                      kRoundStart + by);
}

TEST(FinishByTest, WithinReachItSaysWhatItTakesAndWhenTheStaffOnHandFinish) {
  // One pair of staff keeps one desk open (with rests): slower than both.
  const Community community = TwoDesks(1);
  absl::StatusOr<FinishAdvice> advice = Advise(community, absl::Hours(2));
  ASSERT_TRUE(advice.ok()) << advice.status();
  EXPECT_EQ(advice->waves_allowed, 4);
  EXPECT_EQ(advice->waves_every_desk, 3);
  EXPECT_EQ(advice->finish_every_desk, kRoundStart + absl::Minutes(90));
  EXPECT_TRUE(advice->met_with_every_desk);
  EXPECT_EQ(advice->due_at_sites, 240);
  ASSERT_EQ(advice->sites.size(), 1u);
  EXPECT_EQ(advice->sites[0].desks_open, 2);
  EXPECT_EQ(advice->sites[0].desks_on_hand, 2);
  EXPECT_EQ(advice->desks_open, 2);
  EXPECT_EQ(advice->desks_at_least, 2);  // 240 over 4 waves at 46.75 a desk-wave
  EXPECT_GE(advice->headcount.samplers_needed, 2);
  EXPECT_GE(advice->headcount.scanners_needed, 2);
  EXPECT_EQ(advice->headcount.samplers_on_hand, 1);
  // The staff on hand get there later than noon, and say when.
  ASSERT_TRUE(advice->planned_on_hand) << advice->on_hand_error;
  EXPECT_GT(advice->waves_on_hand, advice->waves_allowed);
  EXPECT_FALSE(advice->met_on_hand);
  EXPECT_EQ(advice->finish_on_hand, kRoundStart + advice->waves_on_hand * absl::Minutes(30));

  // With two pairs on hand (and the gear rules' rests within 2 h), met.
  const Community staffed = TwoDesks(2);
  advice = Advise(staffed, absl::Hours(2));
  ASSERT_TRUE(advice.ok()) << advice.status();
  EXPECT_TRUE(advice->met_on_hand);
  EXPECT_LE(advice->waves_on_hand, 4);
}

TEST(FinishByTest, PastWhatEveryDeskCanDoItSaysHowFarShortAndHowManyDesksMore) {
  const Community community = TwoDesks(2);
  absl::StatusOr<FinishAdvice> advice = Advise(community, absl::Hours(1));
  ASSERT_TRUE(advice.ok()) << advice.status();
  EXPECT_EQ(advice->waves_allowed, 2);
  EXPECT_FALSE(advice->met_with_every_desk);
  EXPECT_FALSE(advice->met_on_hand);
  EXPECT_EQ(advice->due_at_sites, 240);
  EXPECT_EQ(advice->served_by_then, 2 * 93);
  // 54 short, 93 a desk by then: one more desk, and a plan with it fits.
  EXPECT_EQ(advice->extra_desks, 1);
  EXPECT_TRUE(advice->met_with_more_desks);
  ASSERT_EQ(advice->sites.size(), 1u);
  EXPECT_EQ(advice->sites[0].desks_open, 3);
  EXPECT_EQ(advice->sites[0].desks_on_hand, 2);  // today's
  EXPECT_EQ(advice->desks_on_hand, 2);
  EXPECT_GE(advice->headcount.samplers_needed, 3);
}

TEST(FinishByTest, PastWhatTheSitesCanHoldItSaysSo) {
  // 240 residents in the first wave, which the site is open for its last
  // minute only: 1.56 people a desk, so even the 64 desks a site may have
  // serve 99. The advice says how many desks that would take, past them.
  Shape shape;
  shape.buildings = 20;
  shape.opens_at_minute = 7 * 60 + 29;  // the round starts 07:00 UTC
  Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});
  absl::StatusOr<FinishAdvice> advice = AdviseFinish(
      FlowPlanner(), layout, TestRound(), PlanOptions{}, StaffingRequest{},
      kRoundStart + absl::Minutes(30));
  ASSERT_TRUE(advice.ok()) << advice.status();
  EXPECT_FALSE(advice->met_with_every_desk);
  EXPECT_FALSE(advice->met_with_more_desks);
  EXPECT_GT(advice->extra_desks, kMaxDesksPerSite - 2);
  EXPECT_TRUE(advice->sites.empty());
}

TEST(FinishByTest, ThePlanThatMeetsItUsesOnlyTheWavesAllowed) {
  const Community community = TwoDesks(0);
  const RoundLayout layout({&community});
  PlanOptions options;
  options.max_waves = 4;
  absl::StatusOr<Plan> plan = FlowPlanner().MakePlan(layout, TestRound(), options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_LE(plan->waves_used, 4);
  for (int w = 4; w < plan->wave_count; ++w) EXPECT_EQ(plan->cell_capacity[plan->cell(0, w)], 0);
  options.max_waves = 2;
  EXPECT_EQ(FlowPlanner().MakePlan(layout, TestRound(), options).status().code(),
            absl::StatusCode::kResourceExhausted);
  options.max_waves = -1;
  EXPECT_EQ(FlowPlanner().MakePlan(layout, TestRound(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FinishByTest, ADeadlineBeforeTheFirstWaveEndsIsRefused) {
  const Community community = TwoDesks(1);
  const absl::Status status = Advise(community, absl::Minutes(29)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("is before round r's first wave ends"));
  // A deadline past the round's end counts the round's waves.
  absl::StatusOr<FinishAdvice> late = Advise(community, absl::Hours(48));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->waves_allowed, 16);
}

}  // namespace
}  // namespace swabwave::engine::plan
