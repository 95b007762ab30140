// Staffing the generated reference community (kangcheng: 6 sites of 4
// desks, 34 community scanners tied to their sites, 48 medical samplers
// from the pool). Every roster is checked over the whole round twice: by
// VerifyRoster, and by the independent check below, which works in clock
// time rather than waves so it shares no code with the engine's check.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>
#include <vector>

#include "engine/io/generator.h"
#include "engine/plan/greedy_planner.h"
#include "engine/plan/roster_check.h"
#include "engine/plan/staffing.h"

namespace swabwave::engine::plan {
namespace {

// 2026-11-26 23:00 UTC = 07:00 in Kangcheng (UTC+8), when its sites open.
const absl::Time kStart = absl::FromUnixSeconds(1795762800 - 8 * 3600);

struct Reference {
  std::vector<Community> communities;
  RoundConfig config;
  Plan plan;
};

Reference MakeReference() {
  Reference r;
  absl::StatusOr<std::vector<Community>> generated = GenerateCommunities({"kangcheng", 0, 1});
  if (!generated.ok()) abort();
  r.communities = *std::move(generated);
  r.config.id = "r";
  r.config.community_ids = {"kangcheng"};
  r.config.start = kStart;
  r.config.wave_length = absl::Minutes(30);
  r.config.duration = absl::Hours(24);
  const RoundLayout layout({&r.communities[0]});
  absl::StatusOr<Plan> plan = GreedyPlanner().MakePlan(layout, r.config, {});
  if (!plan.ok()) abort();
  r.plan = *std::move(plan);
  return r;
}

// Every rule, in clock time, over every shift of the roster.
void CheckInClockTime(const Community& community, const RoundConfig& config, const Plan& plan,
                      const StaffingOptions& options, const StaffAvailability& availability,
                      const Roster& roster) {
  std::map<uint32_t, std::vector<Shift>> by_member;
  // (site, wave, desk) -> members in each role
  std::map<std::tuple<uint32_t, int, int>, std::pair<int, int>> desk_roles;
  for (const Shift& shift : roster.shifts) {
    ASSERT_LT(shift.staff, community.staff.size());
    const StaffMember& member = community.staff[shift.staff];
    ASSERT_LT(shift.site, community.sites.size());
    EXPECT_TRUE(member.roles & shift.role) << member.id << " lacks the role";
    EXPECT_TRUE(shift.role == kRoleSampler || shift.role == kRoleScanner);
    if (member.home_site != kNoId) {
      EXPECT_EQ(member.home_site, shift.site) << member.id;
    }
    EXPECT_GE(shift.desk, 0);
    EXPECT_LT(shift.desk, community.sites[shift.site].desks);
    EXPECT_LT(shift.starts, shift.ends);
    EXPECT_EQ((shift.ends - shift.starts) / config.wave_length, shift.end_wave - shift.first_wave);
    by_member[shift.staff].push_back(shift);
    for (int w = shift.first_wave; w < shift.end_wave; ++w) {
      auto& roles = desk_roles[{shift.site, w, shift.desk}];
      ++(shift.role == kRoleSampler ? roles.first : roles.second);
    }
  }
  // Each staffed desk: exactly one sampler and one scanner; counts match.
  std::map<std::pair<uint32_t, int>, int> staffed;
  for (const auto& [key, roles] : desk_roles) {
    EXPECT_EQ(roles.first, 1) << "site " << std::get<0>(key) << " wave " << std::get<1>(key);
    EXPECT_EQ(roles.second, 1) << "site " << std::get<0>(key) << " wave " << std::get<1>(key);
    ++staffed[{std::get<0>(key), std::get<1>(key)}];
  }
  for (uint32_t s = 0; s < plan.site_count; ++s) {
    for (int w = 0; w < plan.wave_count; ++w) {
      const CellIndex cell = plan.cell(s, w);
      EXPECT_EQ(staffed[std::make_pair(s, w)], roster.cell_desks_staffed[cell]);
      EXPECT_LE(roster.cell_desks_staffed[cell], roster.cell_desks_needed[cell]);
    }
  }
  // Stints: shifts that touch in time. In gear from gear change before to
  // gear change after; never longer than the cap; rest between; on hand.
  for (auto& [m, shifts] : by_member) {
    std::sort(shifts.begin(), shifts.end(),
              [](const Shift& a, const Shift& b) { return a.starts < b.starts; });
    absl::Time previous_off = absl::InfinitePast();
    size_t i = 0;
    while (i < shifts.size()) {
      size_t j = i;
      while (j + 1 < shifts.size() && shifts[j + 1].starts == shifts[j].ends) {
        EXPECT_EQ(shifts[j + 1].site, shifts[i].site) << "site changed inside a stint";
        EXPECT_EQ(shifts[j + 1].role, shifts[i].role) << "role changed inside a stint";
        ++j;
      }
      if (j + 1 < shifts.size()) {
        EXPECT_GT(shifts[j + 1].starts, shifts[j].ends) << "in two places at once";
      }
      const absl::Time gear_on = shifts[i].starts - options.gear_change;
      const absl::Time gear_off = shifts[j].ends + options.gear_change;
      EXPECT_LE(gear_off - gear_on, options.max_in_gear) << community.staff[m].id;
      EXPECT_GE(gear_on - previous_off, options.rest) << community.staff[m].id;
      if (!availability.empty()) {
        EXPECT_GE(gear_on, availability[m].from);
        EXPECT_LE(gear_off, availability[m].until);
      }
      previous_off = gear_off;
      i = j + 1;
    }
  }
}

void StaffAndCheck(const Reference& r, const StaffingOptions& options,
                   const StaffAvailability& availability, Roster& roster) {
  const RoundLayout layout({&r.communities[0]});
  absl::StatusOr<Roster> made = StaffPlan(layout, r.config, r.plan, options, availability);
  ASSERT_TRUE(made.ok()) << made.status();
  roster = *std::move(made);
  EXPECT_TRUE(VerifyRoster(layout, r.config, r.plan, options, availability, roster).ok())
      << VerifyRoster(layout, r.config, r.plan, options, availability, roster);
  CheckInClockTime(r.communities[0], r.config, r.plan, options, availability, roster);
  printf("in gear %s: %lld of %lld desk-waves staffed, %zu short cells; needs %d samplers "
         "(%d on hand), %d scanners (%d on hand)\n",
         absl::FormatDuration(options.max_in_gear).c_str(),
         static_cast<long long>(roster.desk_waves_staffed),
         static_cast<long long>(roster.desk_waves_needed), roster.shortfalls.size(),
         roster.headcount.samplers_needed, roster.headcount.samplers_on_hand,
         roster.headcount.scanners_needed, roster.headcount.scanners_on_hand);
}

TEST(StaffingReferenceTest, DefaultRulesWholeRosterChecked) {
  const Reference r = MakeReference();
  Roster roster;
  StaffAndCheck(r, {}, {}, roster);
  EXPECT_GT(roster.desk_waves_needed, 0);
  EXPECT_EQ(roster.headcount.samplers_on_hand, 48);
  EXPECT_EQ(roster.headcount.scanners_on_hand, kKangchengCommunityStaff);
  // 2 h in gear: 3 waves at the desk, 2 off; a desk open all day needs two
  // people per role (ceil(5 / 3)), and the plan opens all 24 desks at once.
  EXPECT_EQ(roster.headcount.samplers_needed, 48);
  EXPECT_EQ(roster.headcount.scanners_needed, 48);
  // 34 scanners for 48 needed: some desks stay shut, and are reported.
  EXPECT_LT(roster.desk_waves_staffed, roster.desk_waves_needed);
  EXPECT_FALSE(roster.shortfalls.empty());
}

TEST(StaffingReferenceTest, SummerHeatWholeRosterChecked) {
  const Reference r = MakeReference();
  StaffingOptions summer;
  summer.max_in_gear = kSummerHeatInGear;
  Roster roster;
  StaffAndCheck(r, summer, {}, roster);
  Roster normal;
  StaffAndCheck(r, {}, {}, normal);
  // One-wave stints with two waves off: three people per desk and role.
  EXPECT_EQ(roster.headcount.samplers_needed, 72);
  EXPECT_EQ(roster.headcount.scanners_needed, 72);
  EXPECT_LE(roster.desk_waves_staffed, normal.desk_waves_staffed);
}

// Half the staff on hand in the morning only, half from midday.
TEST(StaffingReferenceTest, ShiftsOfAvailabilityWholeRosterChecked) {
  const Reference r = MakeReference();
  StaffAvailability availability(r.communities[0].staff.size());
  for (size_t m = 0; m < availability.size(); ++m) {
    if (m % 2 == 0) {
      availability[m].until = kStart + absl::Hours(5);
    } else {
      availability[m].from = kStart + absl::Hours(5);
    }
  }
  Roster roster;
  StaffAndCheck(r, {}, availability, roster);
}

}  // namespace
}  // namespace swabwave::engine::plan
