#include "engine/plan/door_to_door.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
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
using ::testing::DoubleNear;
using ::testing::HasSubstr;

// Three buildings at x = 0, 100, 200 m (y = 0), one mobility-limited
// resident in each; the site at (0, 50). 10 minutes a visit, 50 m a minute.
struct ThreeBuildings {
  Community community;
  Plan plan;
  ThreeBuildings() {
    Shape shape;
    shape.buildings = 3;
    shape.units_per_building = 1;
    shape.households_per_unit = 1;
    shape.residents_per_household = 2;
    shape.mobility_limited_every = 2;
    community = MakeCommunity(shape);
    const RoundLayout layout({&community});
    absl::StatusOr<Plan> made = GreedyPlanner().MakePlan(layout, TestRound(absl::Hours(1)), {});
    if (!made.ok()) abort();
    plan = *std::move(made);
  }
};

DoorToDoorOptions Options(int teams) {
  DoorToDoorOptions options;
  options.teams_per_community = teams;
  options.per_visit = absl::Minutes(10);
  options.walking_m_per_minute = 50;
  return options;
}

double Minutes(absl::Duration d) { return absl::ToDoubleMinutes(d); }

// One team: nearest neighbour from the site is b0 (50 m), b1 (100), b2 (100)
// and back (sqrt(200² + 50²) = 206.16 m): 456.16 m, 9.12 min, plus 30 min of
// visits = 39.12 min; a 30-minute round is too short for it.
TEST(DoorToDoorTest, OneTeamNearestNeighbourRoute) {
  const ThreeBuildings t;
  ASSERT_EQ(t.plan.door_to_door.size(), 3u);
  const RoundLayout layout({&t.community});
  absl::StatusOr<DoorToDoorPlan> visits =
      PlanDoorToDoor(layout, TestRound(absl::Minutes(30)), t.plan, Options(1));
  ASSERT_TRUE(visits.ok()) << visits.status();
  ASSERT_EQ(visits->routes.size(), 1u);
  const DoorToDoorRoute& route = visits->routes[0];
  ASSERT_EQ(route.stops.size(), 3u);
  for (uint32_t b = 0; b < 3; ++b) {
    EXPECT_EQ(route.stops[b].building, b);
    EXPECT_EQ(route.stops[b].residents.size(), 1u);
  }
  const double metres = 50 + 100 + 100 + std::hypot(200.0, 50.0);
  EXPECT_THAT(route.walking_m, DoubleNear(metres, 1e-6));
  EXPECT_THAT(Minutes(route.walking), DoubleNear(metres / 50, 1e-3));
  EXPECT_EQ(route.visiting, absl::Minutes(30));
  EXPECT_THAT(Minutes(route.total), DoubleNear(30 + metres / 50, 1e-3));
  EXPECT_EQ(route.stops[0].arrives, kRoundStart + absl::Minutes(1));
  EXPECT_EQ(route.stops[1].arrives, kRoundStart + absl::Minutes(13));  // 1 + 10 + 2
  EXPECT_EQ(route.stops[2].arrives, kRoundStart + absl::Minutes(25));  // 13 + 10 + 2
  EXPECT_FALSE(route.fits);
  EXPECT_FALSE(visits->all_fit);
  EXPECT_EQ(visits->late_routes, std::vector<size_t>{0});
  EXPECT_EQ(visits->residents, 3);
}

// Two teams: of the two cuts of the tour, {b0, b1} + {b2} has the shorter
// longest route: 50 + 100 + 111.80 m and 20 min = 25.24 min, against
// {b0} + {b1, b2}'s 111.80 + 100 + 206.16 m and 20 min = 28.36 min.
TEST(DoorToDoorTest, TwoTeamsBalancedCutFits) {
  const ThreeBuildings t;
  const RoundLayout layout({&t.community});
  absl::StatusOr<DoorToDoorPlan> visits =
      PlanDoorToDoor(layout, TestRound(absl::Minutes(30)), t.plan, Options(2));
  ASSERT_TRUE(visits.ok());
  ASSERT_EQ(visits->routes.size(), 2u);
  EXPECT_EQ(visits->routes[0].stops.size(), 2u);
  EXPECT_EQ(visits->routes[1].stops.size(), 1u);
  EXPECT_EQ(visits->routes[1].stops[0].building, 2u);
  EXPECT_THAT(Minutes(visits->routes[0].total),
              DoubleNear(20 + (150 + std::hypot(100.0, 50.0)) / 50, 1e-3));
  EXPECT_THAT(Minutes(visits->routes[1].total),
              DoubleNear(10 + 2 * std::hypot(200.0, 50.0) / 50, 1e-3));
  EXPECT_TRUE(visits->all_fit);
  EXPECT_TRUE(visits->late_routes.empty());
  EXPECT_EQ(visits->longest, visits->routes[0].total);
  // More teams than buildings: one building each, no empty routes.
  visits = PlanDoorToDoor(layout, TestRound(absl::Minutes(30)), t.plan, Options(5));
  ASSERT_TRUE(visits.ok());
  EXPECT_EQ(visits->routes.size(), 3u);
}

TEST(DoorToDoorTest, RejectsBadOptions) {
  const ThreeBuildings t;
  const RoundLayout layout({&t.community});
  DoorToDoorOptions options = Options(0);
  EXPECT_THAT(PlanDoorToDoor(layout, TestRound(absl::Hours(1)), t.plan, options).status().message(),
              HasSubstr("teams_per_community"));
  options = Options(1);
  options.walking_m_per_minute = 0;
  EXPECT_THAT(PlanDoorToDoor(layout, TestRound(absl::Hours(1)), t.plan, options).status().message(),
              HasSubstr("walking_m_per_minute"));
  options = Options(1);
  options.per_visit = absl::ZeroDuration();
  EXPECT_EQ(PlanDoorToDoor(layout, TestRound(absl::Hours(1)), t.plan, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The reference community: every door-to-door resident visited once, at
// their own building; times add up; two teams cannot see everyone in a day
// at 10 minutes a visit, six can.
TEST(DoorToDoorTest, ReferenceCommunityEveryResidentOnce) {
  absl::StatusOr<std::vector<Community>> generated = GenerateCommunities({"kangcheng", 0, 1});
  ASSERT_TRUE(generated.ok());
  const Community& community = (*generated)[0];
  const RoundLayout layout({&community});
  RoundConfig config = TestRound(absl::Hours(24));
  config.start = kRoundStart - absl::Hours(8);
  config.community_ids = {"kangcheng"};
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, config, {});
  ASSERT_TRUE(plan.ok());
  ASSERT_GT(plan->door_to_door.size(), 100u);
  for (int teams : {2, 6}) {
    DoorToDoorOptions options;
    options.teams_per_community = teams;
    absl::StatusOr<DoorToDoorPlan> visits = PlanDoorToDoor(layout, config, *plan, options);
    ASSERT_TRUE(visits.ok()) << visits.status();
    EXPECT_LE(visits->routes.size(), static_cast<size_t>(teams));
    std::vector<int> seen(layout.resident_count(), 0);
    size_t late = 0;
    for (size_t i = 0; i < visits->routes.size(); ++i) {
      const DoorToDoorRoute& route = visits->routes[i];
      absl::Duration visiting;
      absl::Time previous = route.starts;
      for (const DoorToDoorStop& stop : route.stops) {
        EXPECT_GE(stop.arrives, previous);
        previous = stop.arrives;
        for (uint32_t r : stop.residents) {
          ++seen[r];
          EXPECT_EQ(community.building_of(r), stop.building);
          EXPECT_EQ(plan->resident_standing[r], Standing::kDoorToDoor);
        }
        visiting += static_cast<int64_t>(stop.residents.size()) * options.per_visit;
      }
      EXPECT_EQ(route.visiting, visiting);
      EXPECT_EQ(route.total, route.walking + route.visiting);
      EXPECT_EQ(route.ends, route.starts + route.total);
      EXPECT_EQ(route.fits, route.ends <= config.start + config.duration);
      if (!route.fits) {
        ASSERT_LT(late, visits->late_routes.size());
        EXPECT_EQ(visits->late_routes[late++], i);
      }
    }
    EXPECT_EQ(late, visits->late_routes.size());
    for (uint32_t r = 0; r < layout.resident_count(); ++r) {
      EXPECT_EQ(seen[r], plan->resident_standing[r] == Standing::kDoorToDoor ? 1 : 0);
    }
    EXPECT_EQ(visits->residents, static_cast<int64_t>(plan->door_to_door.size()));
    EXPECT_EQ(visits->all_fit, teams == 6) << teams << " teams";
    printf("%d teams: %zu routes, longest %s, %zu late\n", teams, visits->routes.size(),
           absl::FormatDuration(visits->longest).c_str(), visits->late_routes.size());
  }
}

}  // namespace
}  // namespace swabwave::engine::plan
