// replan_quality: where a re-plan sends the households a closed site
// displaces, under each MoverPlacement rule, on the same round (issue 24,
// item 4). Quality, not time: the figures are counts and metres, and the
// same arguments always print the same table.
//
// The round is the one the issue reproduced with the CLI: the reference
// community (--preset kangcheng), a 24-hour round from 05:00 local (its
// sites open at 07:00), ratio 10, planned by the optimal planner within the
// staff on hand (the server's defaults). Each scenario closes one site from
// one wave on, with everyone planned before that wave sampled; every rule
// re-plans the same scenario.
//
// Per rule, over the scenarios it could re-plan:
//   households / residents moved (untested residents get a notice),
//   kept wave   households whose wave did not change,
//   waves off   mean |new wave - old wave| over the households that changed,
//               in waves (30 minutes each),
//   extra walk  mean metres a moved household's building is farther from
//               its new site than from its old one (negative: nearer),
//   farther     households sent to a site farther than the nearest one
//               open to them in some remaining wave,
//   staff short (site, wave) cells from the re-plan's first wave on where
//               the roster cannot staff the desks the re-plan opens (0:
//               within the staff on hand, as it must be), and re-plans
//               refused (RESOURCE_EXHAUSTED).
//
// Run: build/release/bench/replan_quality [--from_waves=12,8]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "engine/io/generator.h"
#include "engine/model/round_layout.h"
#include "engine/plan/flow_planner.h"
#include "engine/plan/replan.h"
#include "engine/plan/staffed_planning.h"
#include "engine/plan/staffing.h"

namespace {

using swabwave::engine::Community;
using swabwave::engine::Distance;
using swabwave::engine::RoundConfig;
using swabwave::engine::RoundLayout;
using namespace swabwave::engine::plan;  // NOLINT: a bench of this module

struct RuleTotals {
  const char* name;
  MoverPlacement placement;
  int replans = 0, refused = 0;
  int64_t households = 0, residents = 0, kept_wave = 0, waves_off = 0;
  double extra_walk_m = 0;
  int64_t farther = 0, short_cells = 0;
  int64_t last_wave_sum = 0;  // over re-plans: the last wave anyone is planned in
};

// The building and household of every round resident (round-wide).
struct Homes {
  std::vector<uint32_t> building, household;
};
Homes ResidentHomes(const RoundLayout& layout) {
  Homes homes;
  homes.building.resize(layout.resident_count());
  homes.household.resize(layout.resident_count());
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const auto& housing = layout.housing(c);
    for (uint32_t b = 0; b < layout.community(c).buildings.size(); ++b) {
      for (auto u : housing.units_of(b)) {
        for (auto h : housing.households_of(u)) {
          for (auto r : housing.residents_of(h)) {
            homes.building[layout.resident_base(c) + r] = layout.building_base(c) + b;
            homes.household[layout.resident_base(c) + r] = layout.household_base(c) + h;
          }
        }
      }
    }
  }
  return homes;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> from_waves = {12, 8};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--from_waves=", 0) != 0) {
      std::fprintf(stderr, "usage: %s [--from_waves=W,W...]\n", argv[0]);
      return 2;
    }
    from_waves.clear();
    for (absl::string_view part : absl::StrSplit(arg.substr(13), ',')) {
      int wave = 0;
      if (!absl::SimpleAtoi(part, &wave) || wave < 0) {
        std::fprintf(stderr, "--from_waves: '%s' is not a wave\n", std::string(part).c_str());
        return 2;
      }
      from_waves.push_back(wave);
    }
  }

  auto communities = swabwave::engine::GenerateCommunities({"kangcheng", 0, 1});
  if (!communities.ok()) {
    std::fprintf(stderr, "%s\n", communities.status().ToString().c_str());
    return 1;
  }
  const Community& community = communities->front();
  const RoundLayout layout({&community});
  RoundConfig config;
  config.id = "r1";
  config.community_ids = {community.id};
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, "2026-12-07T05:00:00+08:00", &config.start, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  auto staffed = PlanWithinStaff(FlowPlanner(), layout, config, {}, StaffingOptions{}, {});
  if (!staffed.ok()) {
    std::fprintf(stderr, "plan: %s\n", staffed.status().ToString().c_str());
    return 1;
  }
  const Plan& plan = staffed->plan;
  const Homes homes = ResidentHomes(layout);
  auto building_location = [&](uint32_t resident) {
    const uint32_t building = homes.building[resident];
    // Communities are one here; the building index is the community's own.
    return community.buildings[building].location;
  };

  std::vector<RuleTotals> rules = {
      {"earliest wave (the default)", MoverPlacement::kEarliestWave},
      {"nearest site", MoverPlacement::kNearestSite},
  };
  int planned_last_wave = 0;
  for (uint32_t cell = 0; cell < plan.cell_count(); ++cell) {
    if (plan.cell_load[cell] > 0) planned_last_wave = std::max(planned_last_wave, plan.wave_of_cell(cell));
  }
  std::printf("reference community: %u residents, %u sites, %d waves; plan within staff: %s; "
              "last wave planned: %d\n\n",
              layout.resident_count(), layout.site_count(), plan.wave_count,
              plan.within_staff ? "yes" : "no", planned_last_wave);
  for (const int from_wave : from_waves) {
    auto tested = [&](uint32_t r) {
      const auto cell = plan.resident_cell[r];
      return cell != swabwave::engine::kNoId && plan.wave_of_cell(cell) < from_wave;
    };
    for (uint32_t site = 0; site < layout.site_count(); ++site) {
      for (RuleTotals& rule : rules) {
        ReplanRequest request{from_wave, {{site, 0}}, rule.placement};
        auto result = Replan(layout, config, {}, plan, tested, request);
        if (!result.ok()) {
          ++rule.refused;
          continue;
        }
        ++rule.replans;
        const Plan& after = result->plan;
        for (const MovedResident& m : result->moved) rule.residents += !m.tested;
        // A moved household's members share their old and new cells.
        std::vector<bool> counted(layout.household_count(), false);
        for (const MovedResident& m : result->moved) {
          const uint32_t household = homes.household[m.resident];
          if (counted[household]) continue;
          counted[household] = true;
          ++rule.households;
          const int old_wave = after.wave_of_cell(m.from), new_wave = after.wave_of_cell(m.to);
          if (old_wave == new_wave) ++rule.kept_wave;
          rule.waves_off += std::abs(new_wave - old_wave);
          const auto home = building_location(m.resident);
          rule.extra_walk_m += Distance(home, layout.site(after.site_of_cell(m.to)).location) -
                               Distance(home, layout.site(after.site_of_cell(m.from)).location);
          double nearest_open = 1e18;
          for (uint32_t s = 0; s < layout.site_count(); ++s) {
            if (s == site) continue;
            nearest_open = std::min(nearest_open, Distance(home, layout.site(s).location));
          }
          if (Distance(home, layout.site(after.site_of_cell(m.to)).location) > nearest_open + 1e-9) {
            ++rule.farther;
          }
        }
        int last_wave = 0;
        for (uint32_t cell = 0; cell < after.cell_count(); ++cell) {
          if (after.cell_load[cell] > 0) last_wave = std::max(last_wave, after.wave_of_cell(cell));
        }
        rule.last_wave_sum += last_wave;
        auto roster = StaffPlan(layout, config, after, plan.staffing, plan.availability);
        if (!roster.ok()) {
          std::fprintf(stderr, "roster: %s\n", roster.status().ToString().c_str());
          return 1;
        }
        for (const DeskShortfall& shortfall : roster->shortfalls) {
          rule.short_cells += shortfall.wave >= from_wave;
        }
      }
    }
  }

  std::printf("scenarios: each of the %u sites closed from wave %s\n\n", layout.site_count(),
              [&] {
                std::string waves;
                for (int w : from_waves) waves += (waves.empty() ? "" : " and ") + std::to_string(w);
                return waves;
              }()
                  .c_str());
  std::printf("| rule | re-plans (refused) | households moved | residents told | kept wave | "
              "waves off, mean | extra walk, mean m | sent past a nearer open site | last wave, mean | "
              "staff short |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (const RuleTotals& rule : rules) {
    const int64_t changed = rule.households - rule.kept_wave;
    std::printf("| %s | %d (%d) | %lld | %lld | %lld (%.0f%%) | %.1f | %.0f | %lld (%.0f%%) | %.1f | %lld |\n",
                rule.name, rule.replans, rule.refused, static_cast<long long>(rule.households),
                static_cast<long long>(rule.residents), static_cast<long long>(rule.kept_wave),
                rule.households ? 100.0 * rule.kept_wave / rule.households : 0.0,
                changed ? static_cast<double>(rule.waves_off) / changed : 0.0,
                rule.households ? rule.extra_walk_m / rule.households : 0.0,
                static_cast<long long>(rule.farther),
                rule.households ? 100.0 * rule.farther / rule.households : 0.0,
                rule.replans ? static_cast<double>(rule.last_wave_sum) / rule.replans : 0.0,
                static_cast<long long>(rule.short_cells));
  }
  return 0;
}
