#include "engine/plan/flow_planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "engine/io/generator.h"
#include "engine/plan/greedy_planner.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine::plan {
namespace {

using ::swabwave::engine::testing::kRoundStart;
using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;
using ::testing::HasSubstr;

// 07:00 the same day in China Standard Time, the generator's time zone: a
// round of generated communities that starts when their sites open, so its
// open waves are consecutive (no night between them).
const absl::Time kGeneratedStart = kRoundStart - absl::Hours(8);

RoundConfig GeneratedConfig(std::vector<std::string> ids) {
  RoundConfig config;
  config.id = "r";
  config.community_ids = std::move(ids);
  config.start = kGeneratedStart;
  config.pool_ratio = 10;
  config.wave_length = absl::Minutes(30);
  config.duration = absl::Hours(15);  // 07:00-22:00, the generated opening hours
  return config;
}

PlanOptions Options(double rate, int nearest_sites = 6, int threads = 0) {
  PlanOptions options;
  options.per_desk_rate_per_hour = rate;
  options.nearest_sites = nearest_sites;
  options.threads = threads;
  return options;
}

// Checked from resident_cell alone, not from the plan's own metrics: every
// household's due residents share one cell, and every building's due
// residents lie within two consecutive waves.
void ExpectHouseholdsWholeAndBuildingsInTwoWaves(const RoundLayout& layout, const Plan& plan) {
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const Community& community = layout.community(c);
    const Housing& housing = layout.housing(c);
    for (BuildingId b = 0; b < community.buildings.size(); ++b) {
      int first = plan.wave_count;
      int last = -1;
      for (UnitId u : housing.units_of(b)) {
        for (HouseholdId h : housing.households_of(u)) {
          std::set<CellIndex> cells;
          for (ResidentId r : housing.residents_of(h)) {
            const uint32_t resident = layout.resident_base(c) + r;
            if (plan.resident_standing[resident] != Standing::kDueAtSite) continue;
            const CellIndex cell = plan.resident_cell[resident];
            cells.insert(cell);
            first = std::min(first, plan.wave_of_cell(cell));
            last = std::max(last, plan.wave_of_cell(cell));
          }
          EXPECT_LE(cells.size(), 1u) << community.households[h].id << " is split";
        }
      }
      EXPECT_LE(last - first, 1) << "building " << community.buildings[b].id << " spans waves "
                                 << first << ".." << last;
    }
  }
}

// 24 residents (households of two) and one site of 2 desks at 20 an hour:
// 17 places a wave, so W* = ceil(24 / 17) = 2. Building 0 (12) fills wave 0
// to 12; building 1 completes it with two households (4 more, 1 place
// left: no household of two fits) and its other 8 open wave 1.
TEST(FlowPlannerTest, HandCheckedSingleSite) {
  const Community community = MakeCommunity(Shape{});
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = FlowPlanner().MakePlan(layout, TestRound(), Options(20));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->waves_lower_bound, 2);
  EXPECT_EQ(plan->waves_optimum, 2);
  EXPECT_EQ(plan->waves_used, 2);
  EXPECT_EQ(plan->cell_load[plan->cell(0, 0)], 16);
  EXPECT_EQ(plan->cell_load[plan->cell(0, 1)], 8);
  EXPECT_EQ(plan->overloaded_cells, 0);
  EXPECT_EQ(plan->scattered_buildings, 0);
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok()) << VerifyPlan(layout, *plan);
  ExpectHouseholdsWholeAndBuildingsInTwoWaves(layout, *plan);
}

// Two sites (x = 0 and 150) and buildings at x = 0 and 100, each with 12
// due; 17 places a wave per site. One wave suffices and each building walks
// to its nearest site: building 0 to site 0 (50 m), building 1 to site 1
// (70.7 m).
TEST(FlowPlannerTest, HandCheckedNearestSitesInOneWave) {
  Shape shape;
  shape.sites = 2;
  const Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = FlowPlanner().MakePlan(layout, TestRound(), Options(20));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->waves_optimum, 1);
  EXPECT_EQ(plan->waves_used, 1);
  for (const UnitAssignment& a : plan->assignments) {
    const uint32_t building = community.units[a.unit].building;
    EXPECT_EQ(a.site, building) << "unit " << a.unit;
    EXPECT_EQ(a.wave, 0);
    EXPECT_TRUE(a.households.empty());
  }
  EXPECT_NEAR(plan->total_walking_m, 12 * 50 + 12 * std::hypot(50.0, 50.0), 1e-6);
  EXPECT_NEAR(plan->flow_walking_m, plan->total_walking_m, 1e-6);
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok());
}

// Three buildings (x = 0, 100, 200) of 12 due, sites at x = 0 and 150 with
// 20 places a wave each (2 desks x 24 / h x 0.5 h x 0.85). Buildings 1 and
// 2 are nearest site 1 (24 residents). With only the nearest site allowed,
// site 1 needs 2 waves although the trivial bound is 1; with both sites,
// W* = 1: building 1 sends 4 residents (two households) to site 0, the
// cheaper detour (111.8 - 70.7 m against 206.2 - 70.7 m for building 2).
TEST(FlowPlannerTest, NearestSitesDecideWStar) {
  Shape shape;
  shape.buildings = 3;
  shape.sites = 2;
  const Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});

  absl::StatusOr<Plan> nearest_only = FlowPlanner().MakePlan(layout, TestRound(), Options(24, 1));
  ASSERT_TRUE(nearest_only.ok()) << nearest_only.status();
  EXPECT_EQ(nearest_only->waves_lower_bound, 1);
  EXPECT_EQ(nearest_only->waves_optimum, 2);
  EXPECT_EQ(nearest_only->waves_used, 2);
  EXPECT_TRUE(VerifyPlan(layout, *nearest_only).ok());

  absl::StatusOr<Plan> plan = FlowPlanner().MakePlan(layout, TestRound(), Options(24, 2));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->waves_optimum, 1);
  EXPECT_EQ(plan->waves_used, 1);
  EXPECT_EQ(plan->cell_load[plan->cell(0, 0)], 16);
  EXPECT_EQ(plan->cell_load[plan->cell(1, 0)], 20);
  int building_1_at_site_0 = 0;
  for (const UnitAssignment& a : plan->assignments) {
    const uint32_t building = community.units[a.unit].building;
    if (building == 0) {
      EXPECT_EQ(a.site, 0u);
    }
    if (building == 2) {
      EXPECT_EQ(a.site, 1u);
    }
    if (building == 1 && a.site == 0) building_1_at_site_0 += a.residents;
  }
  EXPECT_EQ(building_1_at_site_0, 4);
  EXPECT_EQ(plan->split_units, 1);  // the two households come from one unit
  EXPECT_NEAR(plan->total_walking_m, plan->flow_walking_m, 1e-6);
  ExpectHouseholdsWholeAndBuildingsInTwoWaves(layout, *plan);

  absl::StatusOr<Plan> greedy = GreedyPlanner().MakePlan(layout, TestRound(), Options(24, 2));
  ASSERT_TRUE(greedy.ok());
  EXPECT_LE(plan->waves_used, greedy->waves_used);
}

// W* is the round's: community "a" (24 due, one site of 20 places a wave)
// needs 2 waves, community "b" (the three buildings above) only 1. With
// the round's 2 waves, b's site 1 has 40 places and takes buildings 1 and
// 2 whole: b walks less than in its own 1-wave plan.
TEST(FlowPlannerTest, EveryCommunityUsesTheRoundsWStar) {
  Shape a_shape;
  a_shape.id = "a";
  Shape b_shape;
  b_shape.id = "b";
  b_shape.buildings = 3;
  b_shape.sites = 2;
  const Community a = MakeCommunity(a_shape);
  const Community b = MakeCommunity(b_shape);
  const RoundLayout layout({&a, &b});
  absl::StatusOr<Plan> plan =
      FlowPlanner().MakePlan(layout, TestRound(absl::Hours(8), {"a", "b"}), Options(24));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->waves_optimum, 2);
  EXPECT_EQ(plan->waves_used, 2);
  double b_walking = 0;
  for (const UnitAssignment& u : plan->assignments) {
    if (u.unit < layout.unit_base(1)) {
      EXPECT_EQ(u.site, 0u);  // a's only site
      continue;
    }
    const uint32_t building = b.units[u.unit - layout.unit_base(1)].building;
    EXPECT_EQ(u.site, building == 0 ? 1u : 2u) << "b's unit " << u.unit;
    b_walking +=
        u.residents * Distance(b.buildings[building].location, layout.site(u.site).location);
  }
  EXPECT_NEAR(b_walking, 12 * 50 + 24 * std::hypot(50.0, 50.0), 1e-6);
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok()) << VerifyPlan(layout, *plan);
  ExpectHouseholdsWholeAndBuildingsInTwoWaves(layout, *plan);
}

// Three households of four in one unit, 10 places a wave: two households
// fill wave 0 (8), the third goes to wave 1; no household is split.
TEST(FlowPlannerTest, SplitsOnlyAtHouseholdBoundaries) {
  Shape shape;
  shape.buildings = 1;
  shape.units_per_building = 1;
  shape.households_per_unit = 3;
  shape.residents_per_household = 4;
  shape.desks_per_site = 1;
  const Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = FlowPlanner().MakePlan(layout, TestRound(), Options(24));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->waves_optimum, 2);
  ASSERT_EQ(plan->assignments.size(), 2u);
  EXPECT_EQ(plan->assignments[0].households.size(), 2u);
  EXPECT_EQ(plan->assignments[0].residents, 8);
  EXPECT_EQ(plan->assignments[1].households.size(), 1u);
  EXPECT_EQ(plan->assignments[1].wave, 1);
  EXPECT_EQ(plan->split_units, 1);
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok());
  ExpectHouseholdsWholeAndBuildingsInTwoWaves(layout, *plan);
}

// Households of four and 6 places a wave: the flow (per resident) needs
// W* = 2 waves, but whole households need 3. The plan stays valid and says
// so: waves_used 3 against waves_optimum 2.
TEST(FlowPlannerTest, HouseholdGranularityBeyondWStarIsReported) {
  Shape shape;
  shape.buildings = 1;
  shape.units_per_building = 1;
  shape.households_per_unit = 3;
  shape.residents_per_household = 4;
  shape.desks_per_site = 1;
  const Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});
  // 1 x 15 x 0.5 x 0.85 = 6.375 -> 6 a wave.
  absl::StatusOr<Plan> plan = FlowPlanner().MakePlan(layout, TestRound(), Options(15));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->cell_capacity[0], 6);
  EXPECT_EQ(plan->waves_optimum, 2);
  EXPECT_EQ(plan->waves_used, 3);
  EXPECT_EQ(plan->overloaded_cells, 0);
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok());
}

TEST(FlowPlannerTest, NotEnoughCapacityIsResourceExhausted) {
  const Community community = MakeCommunity(Shape{});
  const RoundLayout layout({&community});
  // One wave of 17 places for 24 people.
  absl::StatusOr<Plan> plan =
      FlowPlanner().MakePlan(layout, TestRound(absl::Minutes(30)), Options(20));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(plan.status().message(), HasSubstr("7 of 24 residents"));
  EXPECT_THAT(plan.status().message(), HasSubstr("'tc'"));
  EXPECT_THAT(plan.status().message(), HasSubstr("add desks"));
}

TEST(FlowPlannerTest, RejectsBadOptions) {
  const Community community = MakeCommunity(Shape{});
  const RoundLayout layout({&community});
  EXPECT_EQ(FlowPlanner().MakePlan(layout, TestRound(), Options(20, 0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FlowPlanner().MakePlan(layout, TestRound(), Options(20, 6, -1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FlowPlannerTest, DoorToDoorAndExemptAreNotGivenASite) {
  Shape shape;
  shape.mobility_limited_every = 5;
  shape.exempt_every = 7;
  const Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = FlowPlanner().MakePlan(layout, TestRound(), Options(110));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->due_at_sites, 24 - 4 - 3);
  for (uint32_t r : plan->door_to_door) EXPECT_EQ(plan->resident_cell[r], kNoId);
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok());
}

// The generated reference community: every constraint over the whole plan.
TEST(FlowPlannerTest, ReferenceCommunityPlanHoldsEveryConstraint) {
  absl::StatusOr<std::vector<Community>> generated = GenerateCommunities({"kangcheng", 0, 1});
  ASSERT_TRUE(generated.ok()) << generated.status();
  const RoundLayout layout({&(*generated)[0]});
  const RoundConfig config = GeneratedConfig({"kangcheng"});
  absl::StatusOr<Plan> plan = FlowPlanner().MakePlan(layout, config, {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(VerifyPlan(layout, *plan).ok()) << VerifyPlan(layout, *plan);
  EXPECT_EQ(plan->overloaded_cells, 0);
  EXPECT_GE(plan->waves_optimum, plan->waves_lower_bound);
  EXPECT_EQ(plan->waves_used, plan->waves_optimum);
  EXPECT_EQ(plan->scattered_buildings, 0);
  ExpectHouseholdsWholeAndBuildingsInTwoWaves(layout, *plan);
  EXPECT_GE(plan->total_walking_m, plan->flow_walking_m - 1e-6);
  EXPECT_LE(plan->total_walking_m, plan->flow_walking_m * 1.005);

  absl::StatusOr<Plan> greedy = GreedyPlanner().MakePlan(layout, config, {});
  ASSERT_TRUE(greedy.ok()) << greedy.status();
  EXPECT_LE(plan->waves_used, greedy->waves_used);
  EXPECT_LE(plan->total_walking_m, greedy->total_walking_m);
}

// The objective weight trades waves for walking: at 0 the plan keeps W*;
// at a metre per wave it takes every wave that still shortens the walk
// (the flow's walk only falls as waves are added, by less each time); a
// weight no wave can repay keeps W*. Every plan keeps every constraint.
TEST(FlowPlannerTest, WalkingWeightBuysWavesOnlyWhileTheyShortenTheWalk) {
  absl::StatusOr<std::vector<Community>> generated = GenerateCommunities({"kangcheng", 0, 1});
  ASSERT_TRUE(generated.ok()) << generated.status();
  const RoundLayout layout({&(*generated)[0]});
  const RoundConfig config = GeneratedConfig({"kangcheng"});
  PlanOptions options;
  absl::StatusOr<Plan> lexicographic = FlowPlanner().MakePlan(layout, config, options);
  ASSERT_TRUE(lexicographic.ok()) << lexicographic.status();
  options.walking_m_per_wave = 1;
  absl::StatusOr<Plan> cheap_waves = FlowPlanner().MakePlan(layout, config, options);
  ASSERT_TRUE(cheap_waves.ok()) << cheap_waves.status();
  options.walking_m_per_wave = kMaxWalkingMPerWave;
  absl::StatusOr<Plan> dear_waves = FlowPlanner().MakePlan(layout, config, options);
  ASSERT_TRUE(dear_waves.ok()) << dear_waves.status();

  EXPECT_EQ(lexicographic->waves_used, lexicographic->waves_optimum);
  EXPECT_EQ(cheap_waves->waves_optimum, lexicographic->waves_optimum);
  EXPECT_GT(cheap_waves->waves_used, lexicographic->waves_used);
  EXPECT_LT(cheap_waves->flow_walking_m, lexicographic->flow_walking_m);
  EXPECT_LT(cheap_waves->total_walking_m, lexicographic->total_walking_m);
  EXPECT_EQ(dear_waves->waves_used, lexicographic->waves_used);
  EXPECT_EQ(dear_waves->flow_walking_m, lexicographic->flow_walking_m);
  for (const Plan* plan : {&*lexicographic, &*cheap_waves, &*dear_waves}) {
    EXPECT_TRUE(VerifyPlan(layout, *plan).ok()) << VerifyPlan(layout, *plan);
    EXPECT_EQ(plan->overloaded_cells, 0);
    ExpectHouseholdsWholeAndBuildingsInTwoWaves(layout, *plan);
  }
  options.walking_m_per_wave = -1;
  EXPECT_EQ(FlowPlanner().MakePlan(layout, config, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  printf("reference: W* %d waves walk %.0f m; at 1 m a wave, %d waves walk %.0f m\n",
         lexicographic->waves_used, lexicographic->total_walking_m, cheap_waves->waves_used,
         cheap_waves->total_walking_m);
}

// Same plan for any thread count, over a city of several communities.
TEST(FlowPlannerTest, DeterministicForAnyThreadCount) {
  absl::StatusOr<std::vector<Community>> city = GenerateCommunities({"city", 60'000, 7});
  ASSERT_TRUE(city.ok()) << city.status();
  std::vector<const Community*> communities;
  std::vector<std::string> ids;
  for (const Community& c : *city) {
    communities.push_back(&c);
    ids.push_back(c.id);
  }
  ASSERT_GE(communities.size(), 3u);
  const RoundLayout layout(communities);
  const RoundConfig config = GeneratedConfig(ids);
  absl::StatusOr<Plan> one = FlowPlanner().MakePlan(layout, config, Options(110, 6, 1));
  absl::StatusOr<Plan> four = FlowPlanner().MakePlan(layout, config, Options(110, 6, 4));
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE(four.ok()) << four.status();
  EXPECT_EQ(one->resident_cell, four->resident_cell);
  EXPECT_EQ(one->cell_load, four->cell_load);
  ASSERT_EQ(one->assignments.size(), four->assignments.size());
  for (size_t i = 0; i < one->assignments.size(); ++i) {
    EXPECT_EQ(one->assignments[i].unit, four->assignments[i].unit);
    EXPECT_EQ(one->assignments[i].households, four->assignments[i].households);
  }
  EXPECT_EQ(one->flow_walking_m, four->flow_walking_m);
  EXPECT_EQ(one->waves_used, one->waves_optimum);
  ExpectHouseholdsWholeAndBuildingsInTwoWaves(layout, *one);
}

}  // namespace
}  // namespace swabwave::engine::plan
