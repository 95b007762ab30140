#include "engine/plan/replan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/io/generator.h"
#include "engine/plan/flow_planner.h"
#include "engine/plan/greedy_planner.h"
#include "engine/plan/staffed_planning.h"
#include "engine/plan/staffing.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine::plan {
namespace {

using ::swabwave::engine::testing::kRoundStart;
using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;
using ::testing::HasSubstr;


// 96 residents: 8 buildings of 2 units of 3 households of 2; two sites of
// two desks at 20 an hour: 17 places a wave each.
Shape TwoSites() {
  Shape shape;
  shape.buildings = 8;
  shape.sites = 2;
  return shape;
}

const PlanOptions kOptions{20, 0.85};

auto NobodyTested() {
  return [](uint32_t) { return false; };
}

// Replan, then the promise of PlanSummary.within_staff: a re-plan that says
// it is within the staff on hand has a roster without a shortfall (the same
// rules and availability as the plan it changed).
absl::StatusOr<ReplanResult> ReplanAndCheck(const RoundLayout& layout, const RoundConfig& config,
                                            const PlanOptions& options, const Plan& current,
                                            const std::function<bool(uint32_t)>& tested,
                                            const ReplanRequest& request) {
  absl::StatusOr<ReplanResult> result = Replan(layout, config, options, current, tested, request);
  if (result.ok() && result->plan.within_staff) {
    absl::StatusOr<Roster> roster = StaffPlan(layout, config, result->plan,
                                              result->plan.staffing, result->plan.availability);
    EXPECT_TRUE(roster.ok()) << roster.status();
    if (roster.ok()) {
      EXPECT_TRUE(roster->shortfalls.empty())
          << roster->shortfalls.size() << " (site, wave) short of staff beside within_staff";
    }
  }
  return result;
}

// Every round household's cell must be one cell for all its untested,
// due members; returns the number of households checked.
int ExpectHouseholdsWhole(const RoundLayout& layout, const Plan& plan) {
  const Housing& housing = layout.housing(0);
  int households = 0;
  for (HouseholdId h = 0; h < layout.household_count(); ++h) {
    std::set<CellIndex> cells;
    for (ResidentId r : housing.residents_of(h)) {
      if (plan.resident_cell[r] != kNoId) cells.insert(plan.resident_cell[r]);
    }
    EXPECT_LE(cells.size(), 1u) << "household " << h << " is split";
    ++households;
  }
  return households;
}

TEST(ReplanTest, ClosingASiteMovesExactlyItsUntestedResidentsInTheRemainingWaves) {
  const Community community = MakeCommunity(TwoSites());
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), kOptions);
  ASSERT_TRUE(plan.ok()) << plan.status();

  // Residents 0, 1, 6, 7, 12, 13 ... (every third household) and every
  // resident 4 mod 6 have been tested; site 1 closes from wave 1.
  auto tested = [](uint32_t r) { return r % 6 < 2 || r % 6 == 4; };
  const ReplanRequest request{1, {SiteChange{1, 0}}};
  absl::StatusOr<ReplanResult> result =
      ReplanAndCheck(layout, TestRound(), kOptions, *plan, tested, request);
  ASSERT_TRUE(result.ok()) << result.status();
  const Plan& after = result->plan;
  EXPECT_TRUE(VerifyPlan(layout, after).ok());

  // Households of two (residents 2k, 2k+1): a household at site 1 from
  // wave 1 on moves unless both of its members were tested.
  std::set<uint32_t> expected_movers;
  for (uint32_t r = 0; r < layout.resident_count(); ++r) {
    const CellIndex before = plan->resident_cell[r];
    const uint32_t partner = r ^ 1;
    if (before != kNoId && plan->site_of_cell(before) == 1 && plan->wave_of_cell(before) >= 1 &&
        !(tested(r) && tested(partner))) {
      expected_movers.insert(r);
    } else {
      EXPECT_EQ(after.resident_cell[r], before) << "resident " << r << " moved needlessly";
    }
  }
  ASSERT_FALSE(expected_movers.empty()) << "the case must displace someone";
  std::set<uint32_t> movers;
  for (const MovedResident& m : result->moved) {
    movers.insert(m.resident);
    EXPECT_EQ(m.tested, tested(m.resident));
    EXPECT_EQ(m.from, plan->resident_cell[m.resident]);
    EXPECT_EQ(m.to, after.resident_cell[m.resident]);
    EXPECT_EQ(after.site_of_cell(m.to), 0u) << "moved to the closed site";
    EXPECT_GE(after.wave_of_cell(m.to), 1) << "moved into a wave that has started";
  }
  EXPECT_EQ(movers, expected_movers);
  EXPECT_TRUE(std::is_sorted(result->moved.begin(), result->moved.end(),
                             [](const MovedResident& a, const MovedResident& b) {
                               return a.resident < b.resident;
                             }));
  // The closed site's remaining cells hold only households tested in full.
  for (int wave = 1; wave < after.wave_count; ++wave) {
    const CellIndex cell = after.cell(1, wave);
    int held = 0;
    for (uint32_t r = 0; r < layout.resident_count(); ++r) {
      if (after.resident_cell[r] == cell) {
        EXPECT_TRUE(tested(r) && tested(r ^ 1)) << "resident " << r;
        ++held;
      }
    }
    EXPECT_EQ(after.cell_load[cell], held);
    EXPECT_EQ(after.cell_capacity[cell], held) << "capacity floors at the served";
  }
  EXPECT_EQ(ExpectHouseholdsWhole(layout, after), 48);
  EXPECT_EQ(after.overloaded_cells, 0);
}

TEST(ReplanTest, AMovedHouseholdKeepsItsWaveWhenAnotherSiteHasRoom) {
  const Community community = MakeCommunity(TwoSites());
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), kOptions);
  ASSERT_TRUE(plan.ok()) << plan.status();
  absl::StatusOr<ReplanResult> result =
      ReplanAndCheck(layout, TestRound(), kOptions, *plan, NobodyTested(), ReplanRequest{0, {{1, 0}}});
  ASSERT_TRUE(result.ok()) << result.status();
  const Plan& after = result->plan;

  int kept_wave = 0;
  // Group the moves by household: a household that changed wave found no
  // cell of its old wave with room for it, even at the end.
  std::map<std::pair<CellIndex, CellIndex>, int> sizes;
  for (const MovedResident& m : result->moved) ++sizes[{m.from, m.to}];
  for (const MovedResident& m : result->moved) {
    const int old_wave = after.wave_of_cell(m.from);
    if (after.wave_of_cell(m.to) == old_wave) {
      ++kept_wave;
      continue;
    }
    const CellIndex same_wave = after.cell(0, old_wave);
    EXPECT_LT(after.cell_capacity[same_wave] - after.cell_load[same_wave], 2)
        << "resident " << m.resident << " left wave " << old_wave << " though it had room";
  }
  EXPECT_GT(kept_wave, 0) << "site 0 had room in the first wave";
  EXPECT_EQ(result->moved_households * 2, static_cast<int64_t>(result->moved.size()));
}

TEST(ReplanTest, FewerDesksMoveOnlyTheOverflowAndKeepTheFirstHouseholds) {
  const Community community = MakeCommunity(TwoSites());
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), kOptions);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // One desk instead of two at site 0: 8 places a wave instead of 17.
  absl::StatusOr<ReplanResult> result =
      ReplanAndCheck(layout, TestRound(), kOptions, *plan, NobodyTested(), ReplanRequest{0, {{0, 1}}});
  ASSERT_TRUE(result.ok()) << result.status();
  const Plan& after = result->plan;
  EXPECT_TRUE(VerifyPlan(layout, after).ok());
  for (int wave = 0; wave < after.wave_count; ++wave) {
    const CellIndex cell = after.cell(0, wave);
    EXPECT_EQ(after.cell_capacity[cell], 8);
    const int before = plan->cell_load[cell];
    if (before <= 8) continue;
    // The cell kept as many whole households (of 2) as fit: 4, the first
    // in building order.
    EXPECT_EQ(after.cell_load[cell] - [&] {
      int arrived = 0;
      for (const MovedResident& m : result->moved) arrived += m.to == cell;
      return arrived;
    }(), 8);
    uint32_t last_kept = 0, first_moved = UINT32_MAX;
    for (uint32_t r = 0; r < layout.resident_count(); ++r) {
      if (plan->resident_cell[r] != cell) continue;
      if (after.resident_cell[r] == cell) last_kept = std::max(last_kept, r);
      if (after.resident_cell[r] != cell) first_moved = std::min(first_moved, r);
    }
    EXPECT_LT(last_kept, first_moved) << "wave " << wave;
  }
  // Nobody planned at site 1 moved.
  for (const MovedResident& m : result->moved) EXPECT_EQ(after.site_of_cell(m.from), 0u);
  EXPECT_EQ(ExpectHouseholdsWhole(layout, after), 48);
}

TEST(ReplanTest, NoRoomLeftIsResourceExhaustedSayingHowManyHaveNoPlace) {
  Shape shape = TwoSites();
  const Community community = MakeCommunity(shape);
  const RoundLayout layout({&community});
  RoundConfig config = TestRound();
  config.duration = absl::Hours(2);  // 4 waves of 17 + 17: 136 places for 96
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, config, kOptions);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // Site 0 alone from wave 1 has 3 x 17 = 51 places left.
  absl::StatusOr<ReplanResult> result =
      ReplanAndCheck(layout, config, kOptions, *plan, NobodyTested(), ReplanRequest{1, {{1, 0}}});
  ASSERT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(result.status().message(), HasSubstr("residents have no place from wave 1"));
  EXPECT_THAT(result.status().message(), HasSubstr("open another site"));
}

TEST(ReplanTest, ReopeningWithMoreDesksMovesNobody) {
  const Community community = MakeCommunity(TwoSites());
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), kOptions);
  ASSERT_TRUE(plan.ok()) << plan.status();
  absl::StatusOr<ReplanResult> result =
      ReplanAndCheck(layout, TestRound(), kOptions, *plan, NobodyTested(), ReplanRequest{2, {{0, 4}}});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->moved.empty());
  EXPECT_EQ(result->plan.resident_cell, plan->resident_cell);
  EXPECT_EQ(result->plan.cell_capacity[result->plan.cell(0, 1)], 17);
  EXPECT_EQ(result->plan.cell_capacity[result->plan.cell(0, 2)], 34);
}

TEST(ReplanTest, BadRequestsAreRefusedNamingWhatIsWrong) {
  const Community community = MakeCommunity(TwoSites());
  const RoundLayout layout({&community});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, TestRound(), kOptions);
  ASSERT_TRUE(plan.ok()) << plan.status();
  auto replan = [&](ReplanRequest request) {
    return ReplanAndCheck(layout, TestRound(), kOptions, *plan, NobodyTested(), request).status();
  };
  EXPECT_THAT(replan({16, {{0, 1}}}).message(), HasSubstr("from_wave 16 is outside"));
  EXPECT_THAT(replan({-1, {{0, 1}}}).message(), HasSubstr("from_wave -1"));
  EXPECT_THAT(replan({0, {}}).message(), HasSubstr("at least one site change"));
  EXPECT_THAT(replan({0, {{2, 1}}}).message(), HasSubstr("site 2 is not in this round"));
  EXPECT_THAT(replan({0, {{1, 1}, {1, 0}}}).message(), HasSubstr("'tc-s1' is changed twice"));
  EXPECT_THAT(replan({0, {{1, -1}}}).message(), HasSubstr("between 0 (closed) and 1000"));
  EXPECT_THAT(replan({0, {{1, 1001}}}).message(), HasSubstr("between 0 (closed) and 1000"));
  for (const absl::Status& s : {replan({16, {{0, 1}}}), replan({0, {}}), replan({0, {{2, 1}}})}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  }
  // A plan of another round.
  const Community other = MakeCommunity(Shape{});
  const RoundLayout other_layout({&other});
  absl::StatusOr<ReplanResult> foreign =
      ReplanAndCheck(other_layout, TestRound(), kOptions, *plan, NobodyTested(), {0, {{0, 1}}});
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kFailedPrecondition);
}

// The reference community (generated once) and a 24-hour round over it.
const Community& ReferenceCommunity() {
  static const Community* community =
      new Community(std::move(GenerateCommunities({"kangcheng", 0, 1}).value().front()));
  return *community;
}
RoundConfig ReferenceRound() {
  RoundConfig config = TestRound();
  config.community_ids = {"kangcheng"};
  config.duration = absl::Hours(24);
  return config;
}

TEST(ReplanTest, ReferenceCommunityLosesItsBusiestSiteMidRound) {
  const RoundLayout layout({&ReferenceCommunity()});
  const RoundConfig config = ReferenceRound();
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, config, {});
  ASSERT_TRUE(plan.ok()) << plan.status();

  uint32_t busiest = 0;
  std::vector<int64_t> site_load(layout.site_count(), 0);
  for (CellIndex cell = 0; cell < plan->cell_count(); ++cell) {
    site_load[plan->site_of_cell(cell)] += plan->cell_load[cell];
  }
  busiest = static_cast<uint32_t>(std::max_element(site_load.begin(), site_load.end()) -
                                  site_load.begin());
  // Waves 0-3 are done, and every resident planned in them was tested.
  const int from_wave = 4;
  auto tested = [&](uint32_t r) {
    const CellIndex cell = plan->resident_cell[r];
    return cell != kNoId && plan->wave_of_cell(cell) < from_wave;
  };
  absl::StatusOr<ReplanResult> result =
      ReplanAndCheck(layout, config, {}, *plan, tested, ReplanRequest{from_wave, {{busiest, 0}}});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(VerifyPlan(layout, result->plan).ok());
  int64_t displaced = 0;
  for (uint32_t r = 0; r < layout.resident_count(); ++r) {
    const CellIndex before = plan->resident_cell[r];
    const bool affected = before != kNoId && plan->site_of_cell(before) == busiest &&
                          plan->wave_of_cell(before) >= from_wave;
    displaced += affected;
    if (!affected) {
      EXPECT_EQ(result->plan.resident_cell[r], before);
    }
  }
  EXPECT_EQ(static_cast<int64_t>(result->moved.size()), displaced);
  for (const MovedResident& m : result->moved) {
    EXPECT_NE(result->plan.site_of_cell(m.to), busiest);
    EXPECT_GE(result->plan.wave_of_cell(m.to), from_wave);
  }
  EXPECT_EQ(result->plan.overloaded_cells, 0);
}

// Issue 24's reproduction: the reference community planned within its
// staff, then a site closed mid-round. The staffed planner leaves the cells
// it did not use at every desk, and the re-plan used to fill them by
// capacity alone while still saying "within the staff on hand", sending
// people to waves where one desk of four could open. Now every such re-plan
// either has a roster without a shortfall from its first wave on and says
// so, or says it is not within the staff.
TEST(ReplanTest, AReplanOfAStaffedPlanUsesOnlyDesksTheStaffCanOpen) {
  const RoundLayout layout({&ReferenceCommunity()});
  const RoundConfig config = ReferenceRound();
  absl::StatusOr<StaffedPlan> staffed =
      PlanWithinStaff(GreedyPlanner(), layout, config, {}, StaffingOptions{}, {});
  ASSERT_TRUE(staffed.ok()) << staffed.status();
  ASSERT_TRUE(staffed->plan.within_staff);
  int replans = 0, within = 0;
  for (const int from_wave : {4, 12}) {
    auto tested = [&](uint32_t r) {
      const CellIndex cell = staffed->plan.resident_cell[r];
      return cell != kNoId && staffed->plan.wave_of_cell(cell) < from_wave;
    };
    for (uint32_t site = 0; site < layout.site_count(); ++site) {
      SCOPED_TRACE(::testing::Message() << "site " << site << " closes from wave " << from_wave);
      absl::StatusOr<ReplanResult> result =
          ReplanAndCheck(layout, config, {}, staffed->plan, tested,
                         ReplanRequest{from_wave, {{site, 0}}});
      if (!result.ok()) {
        EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
        continue;
      }
      ++replans;
      absl::StatusOr<Roster> roster = StaffPlan(layout, config, result->plan,
                                                staffed->plan.staffing, staffed->plan.availability);
      ASSERT_TRUE(roster.ok()) << roster.status();
      for (const DeskShortfall& shortfall : roster->shortfalls) {
        EXPECT_LT(shortfall.wave, from_wave) << "a desk nobody can staff, at site "
                                             << shortfall.site << " wave " << shortfall.wave;
      }
      EXPECT_EQ(result->plan.within_staff, roster->shortfalls.empty());
      within += result->plan.within_staff;
    }
  }
  EXPECT_GT(replans, 0);
  EXPECT_GT(within, 0);
}

// Where each placement rule sends the households a closed site displaces,
// checked against the room the re-plan left (room only shrinks while
// households are placed, so room left at the end was there when each was
// placed): a household that left its wave found no site with room in it;
// under kEarliestWave no earlier wave had room for it anywhere, under
// kNearestSite no nearer site had room in any wave and its site had none
// in a wave closer to its own. And the trade the rules make, over all six
// closures: nearest site walks less, earliest wave ends the rounds sooner.
TEST(ReplanTest, EachPlacementRuleSendsHouseholdsWhereItSays) {
  const RoundLayout layout({&ReferenceCommunity()});
  const RoundConfig config = ReferenceRound();
  static const StaffedPlan* staffed = new StaffedPlan(
      PlanWithinStaff(FlowPlanner(), layout, config, {}, StaffingOptions{}, {}).value());
  const Plan& plan = staffed->plan;
  const Community& community = ReferenceCommunity();
  std::vector<uint32_t> household_of(layout.resident_count()), building_of(layout.resident_count());
  for (BuildingId b = 0; b < community.buildings.size(); ++b) {
    for (UnitId u : layout.housing(0).units_of(b)) {
      for (HouseholdId h : layout.housing(0).households_of(u)) {
        for (ResidentId r : layout.housing(0).residents_of(h)) {
          household_of[r] = h;
          building_of[r] = b;
        }
      }
    }
  }
  const int from_wave = 6;
  auto tested = [&](uint32_t r) {
    const CellIndex cell = plan.resident_cell[r];
    return cell != kNoId && plan.wave_of_cell(cell) < from_wave;
  };
  double walked_m[2] = {0, 0};  // [nearest]: from the homes of all moved to their new sites
  int64_t last_waves[2] = {0, 0};  // [nearest]: the sum of each re-plan's last wave
  for (uint32_t closed = 0; closed < layout.site_count(); ++closed) {
    SCOPED_TRACE(::testing::Message() << "site " << closed << " closes from wave " << from_wave);
    for (const MoverPlacement placement :
         {MoverPlacement::kEarliestWave, MoverPlacement::kNearestSite}) {
      const bool nearest = placement == MoverPlacement::kNearestSite;
      absl::StatusOr<ReplanResult> result = ReplanAndCheck(
          layout, config, {}, plan, tested, ReplanRequest{from_wave, {{closed, 0}}, placement});
      ASSERT_TRUE(result.ok()) << result.status();
      const Plan& after = result->plan;
      ASSERT_GT(result->moved_households, 0);
      auto room = [&](uint32_t site, int wave) {
        const CellIndex cell = after.cell(site, wave);
        return after.cell_capacity[cell] - after.cell_load[cell];
      };
      std::map<std::pair<uint32_t, CellIndex>, int> sizes;  // (household, to) -> members
      for (const MovedResident& m : result->moved) ++sizes[{household_of[m.resident], m.to}];
      for (const MovedResident& m : result->moved) {
        const int size = sizes[{household_of[m.resident], m.to}];
        const int own = after.wave_of_cell(m.from), wave = after.wave_of_cell(m.to);
        const uint32_t site = after.site_of_cell(m.to);
        const Location home = community.buildings[building_of[m.resident]].location;
        const double distance = Distance(home, layout.site(site).location);
        walked_m[nearest] += distance;
        if (wave == own) continue;
        for (uint32_t s = 0; s < layout.site_count(); ++s) {
          EXPECT_LT(room(s, own), size) << "resident " << m.resident << " left wave " << own
                                        << " though site " << s << " had room in it";
        }
        for (int w = from_wave; w < after.wave_count; ++w) {
          for (uint32_t s = 0; s < layout.site_count(); ++s) {
            if (room(s, w) < size) continue;
            if (!nearest) {
              EXPECT_GE(w, wave) << "resident " << m.resident << " went to wave " << wave
                                 << " though site " << s << " had room in wave " << w;
            } else if (s != site) {
              EXPECT_GE(Distance(home, layout.site(s).location), distance)
                  << "resident " << m.resident << " walks past site " << s << " (room in wave "
                  << w << ")";
            } else {
              EXPECT_GE(std::abs(w - own), std::abs(wave - own))
                  << "resident " << m.resident << " went to wave " << wave << " of its site though "
                  << "wave " << w << " is closer to its own " << own;
            }
          }
        }
      }
      int last_wave = 0;
      for (CellIndex cell = 0; cell < after.cell_count(); ++cell) {
        if (after.cell_load[cell] > 0) last_wave = std::max(last_wave, after.wave_of_cell(cell));
      }
      last_waves[nearest] += last_wave;
    }
  }
  EXPECT_LT(walked_m[1], walked_m[0]) << "nearest site must walk less";
  EXPECT_LT(last_waves[0], last_waves[1]) << "earliest wave must end the rounds sooner";
}

}  // namespace
}  // namespace swabwave::engine::plan
