// The plan's two layouts (its record and its part of a round image) carry
// every field of plan::Plan, and share one check of what was decoded.
#include "engine/journal/plan_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "engine/journal/records.h"

namespace swabwave::engine::journal {
namespace {

using ::testing::HasSubstr;

// Every field set, none to its default. A field added to plan::Plan changes
// its size: the static_assert below then asks for it here and in both
// layouts (Plan's defaulted == compares it without being told).
plan::Plan FullyPopulatedPlan() {
  plan::Plan p;
  p.planner = "flow";
  p.wave_count = 4;
  p.waves_used = 3;
  p.waves_lower_bound = 2;
  p.waves_optimum = 3;
  p.site_count = 2;
  p.cell_capacity = {10, 11, 12, 13, 20, 21, 22, 23};
  p.cell_load = {9, 8, 7, 0, 5, 4, 3, 24};
  p.resident_standing = {Standing::kDueAtSite, Standing::kDoorToDoor, Standing::kExempt,
                         Standing::kDueAtSite};
  p.resident_cell = {0, kNoId, kNoId, 5};
  p.assignments = {{1, 0, 0, 1, {}}, {2, 1, 2, 3, {4, 5}}};
  p.door_to_door = {1};
  p.residents = 4;
  p.due_at_sites = 2;
  p.door_to_door_count = 1;
  p.exempt = 1;
  p.units = 2;
  p.split_units = 1;
  p.total_walking_m = 1234.5;
  p.flow_walking_m = 1200.25;
  p.scattered_buildings = 1;
  p.overloaded_cells = 1;
  p.cell_desks = {1, 2, 2, 0, 3, 3, 1, 2};
  p.within_staff = true;
  p.waves_with_every_desk = 2;
  p.staffing.max_in_gear = absl::Hours(3);
  p.staffing.rest = absl::Minutes(45);
  p.staffing.gear_change = absl::Minutes(10);
  p.availability = {{absl::FromUnixSeconds(1'800'000'000), absl::FromUnixSeconds(1'800'036'000)},
                    {absl::InfinitePast(), absl::FromUnixSeconds(1'800'010'000)}};
  return p;
}
static_assert(sizeof(plan::Plan) == 384,
              "plan::Plan changed: set the new field in FullyPopulatedPlan, write and read it in "
              "both layouts (records.cc EncodeRoundPlanned/DecodeRoundPlanned, plan_fields.cc "
              "PutPlanImage/GetPlanImage), then update this size");

TEST(PlanFieldsTest, FullyPopulatedPlanRoundTripsThroughItsRecord) {
  const plan::Plan plan = FullyPopulatedPlan();
  std::string record;
  EncodeRoundPlanned("r", plan, &record);
  absl::StatusOr<RoundPlanned> decoded = DecodeRoundPlanned(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->round_id, "r");
  EXPECT_TRUE(decoded->plan == plan);
}

TEST(PlanFieldsTest, FullyPopulatedPlanRoundTripsThroughItsImage) {
  const plan::Plan plan = FullyPopulatedPlan();
  std::string bytes;
  ByteWriter writer(&bytes);
  PutPlanImage(writer, plan);
  ByteReader reader(bytes);
  plan::Plan decoded;
  ASSERT_TRUE(GetPlanImage(reader, &decoded).ok());
  EXPECT_TRUE(reader.empty());
  EXPECT_TRUE(decoded == plan);
}

TEST(PlanFieldsTest, BothLayoutsRefuseWhatTheCheckRefuses) {
  plan::Plan plan = FullyPopulatedPlan();
  plan.resident_cell[3] = 8;  // past the 8 cells
  EXPECT_THAT(CheckDecodedPlan(plan).message(), HasSubstr("plan of resident #3"));
  std::string record;
  EncodeRoundPlanned("r", plan, &record);
  EXPECT_THAT(DecodeRoundPlanned(record).status().message(), HasSubstr("plan of resident #3"));
  std::string bytes;
  ByteWriter writer(&bytes);
  PutPlanImage(writer, plan);
  ByteReader reader(bytes);
  plan::Plan decoded;
  EXPECT_THAT(GetPlanImage(reader, &decoded).message(), HasSubstr("plan of resident #3"));
}

TEST(PlanFieldsTest, CheckNamesEachKindOfDamage) {
  const auto refused = [](auto change) {
    plan::Plan plan = FullyPopulatedPlan();
    change(plan);
    return std::string(CheckDecodedPlan(plan).message());
  };
  EXPECT_TRUE(CheckDecodedPlan(FullyPopulatedPlan()).ok());
  EXPECT_EQ(refused([](plan::Plan& p) { p.wave_count = 0; }), "wave count");
  EXPECT_EQ(refused([](plan::Plan& p) { p.waves_used = 5; }), "waves used or bounds");
  EXPECT_EQ(refused([](plan::Plan& p) { p.cell_load.pop_back(); }), "cells");
  EXPECT_EQ(refused([](plan::Plan& p) { p.resident_cell.pop_back(); }), "resident cells");
  EXPECT_EQ(refused([](plan::Plan& p) { p.assignments[1].wave = 4; }), "assignment");
  EXPECT_EQ(refused([](plan::Plan& p) { p.door_to_door = {4}; }), "door-to-door visit");
}

}  // namespace
}  // namespace swabwave::engine::journal
