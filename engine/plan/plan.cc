#include "engine/plan/plan.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/model/local_time.h"

namespace swabwave::engine::plan {

absl::Status ValidatePlanOptions(const PlanOptions& options) {
  if (!(options.per_desk_rate_per_hour >= 1 && options.per_desk_rate_per_hour <= 1000)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "per_desk_rate_per_hour ", options.per_desk_rate_per_hour,
        " must be between 1 and 1000 people per desk per hour (the field sees 110-120)"));
  }
  if (!(options.utilization > 0 && options.utilization <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("utilization ", options.utilization, " must be in (0, 1]; 0.85 is typical"));
  }
  // Arcs grow with buildings x nearest sites: a bound keeps a city's flow
  // network in memory.
  if (options.nearest_sites < 1 || options.nearest_sites > kMaxNearestSites) {
    return absl::InvalidArgumentError(absl::StrCat("nearest_sites ", options.nearest_sites,
                                                   " must be between 1 and ", kMaxNearestSites,
                                                   " (6 is the default)"));
  }
  if (!(options.walking_m_per_wave >= 0 && options.walking_m_per_wave <= kMaxWalkingMPerWave)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "walking_m_per_wave ", options.walking_m_per_wave, " must be between 0 (fewest waves "
        "first) and 1e12 resident-metres of walking one more wave is worth"));
  }
  if (options.max_waves < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_waves ", options.max_waves, " must be 0 (every wave) or more"));
  }
  if (options.threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads ", options.threads, " must be 0 (one per core) or more"));
  }
  return absl::OkStatus();
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

int64_t OpenMinutesInWindow(int64_t window_start_unix_s, int64_t window_end_unix_s,
                            int utc_offset_minutes, int opens_at_minute, int closes_at_minute) {
  constexpr int64_t kDay = 86400;
  const int64_t start = window_start_unix_s + int64_t{utc_offset_minutes} * 60;
  const int64_t end = window_end_unix_s + int64_t{utc_offset_minutes} * 60;
  int64_t open_seconds = 0;
  // Opening intervals recur daily and may run past midnight: look from the
  // day before the window to the day it ends.
  for (int64_t day = FloorDiv(start, kDay) - 1; day <= FloorDiv(end, kDay); ++day) {
    const int64_t opens = day * kDay + int64_t{opens_at_minute} * 60;
    const int64_t closes = day * kDay + int64_t{closes_at_minute} * 60;
    open_seconds += std::max<int64_t>(0, std::min(end, closes) - std::max(start, opens));
  }
  return open_seconds / 60;
}

int32_t CellCapacity(const RoundLayout& layout, const RoundConfig& config,
                     const PlanOptions& options, uint32_t site, int wave, int desks) {
  const RoundLayout::Local local = layout.LocateSite(site);
  const Community& community = layout.community(local.community);
  const Site& where = community.sites[local.id];
  // The offset at the wave's start: a zone's may change with daylight
  // saving time (a wave across the change is off by the hour it moves).
  const int64_t minutes = OpenMinutesInWindow(
      absl::ToUnixSeconds(config.WaveStart(wave)), absl::ToUnixSeconds(config.WaveEnd(wave)),
      OffsetMinutesAt(community, config.WaveStart(wave)), where.opens_at_minute,
      where.closes_at_minute);
  const double served = desks * options.per_desk_rate_per_hour *
                        (static_cast<double>(minutes) / 60.0) * options.utilization;
  return static_cast<int32_t>(std::floor(served + 1e-9));
}

std::vector<int32_t> ComputeCellCapacities(const RoundLayout& layout, const RoundConfig& config,
                                           const PlanOptions& options) {
  const int waves = config.WaveCount();
  std::vector<int32_t> capacity(size_t{layout.site_count()} * waves, 0);
  for (uint32_t site = 0; site < layout.site_count(); ++site) {
    const int desks = layout.site(site).desks;
    for (int w = 0; w < waves; ++w) {
      const size_t cell = size_t{site} * waves + w;
      int open = options.cell_desk_caps.empty()
                     ? desks
                     : std::min(desks, static_cast<int>(options.cell_desk_caps[cell]));
      if (options.max_waves > 0 && w >= options.max_waves) open = 0;  // past the finish
      capacity[cell] = CellCapacity(layout, config, options, site, w, open);
    }
  }
  return capacity;
}

absl::StatusOr<Plan> StartPlan(absl::string_view planner, const RoundLayout& layout,
                               const RoundConfig& config, const PlanOptions& options) {
  if (absl::Status s = ValidatePlanOptions(options); !s.ok()) return s;
  Plan plan;
  plan.planner = std::string(planner);
  plan.wave_count = config.WaveCount();
  plan.site_count = layout.site_count();
  plan.cell_capacity = ComputeCellCapacities(layout, config, options);
  plan.cell_load.assign(plan.cell_capacity.size(), 0);
  ClassifyResidents(layout, plan);
  return plan;
}

void ClassifyResidents(const RoundLayout& layout, Plan& plan) {
  plan.resident_standing.assign(layout.resident_count(), Standing::kExempt);
  plan.resident_cell.assign(layout.resident_count(), kNoId);
  plan.door_to_door.clear();
  plan.residents = layout.resident_count();
  plan.due_at_sites = plan.door_to_door_count = plan.exempt = 0;
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const Community& community = layout.community(c);
    const Housing& housing = layout.housing(c);
    // Walk by building so the door-to-door list comes out grouped.
    for (BuildingId b = 0; b < community.buildings.size(); ++b) {
      for (UnitId u : housing.units_of(b)) {
        for (HouseholdId h : housing.households_of(u)) {
          for (ResidentId r : housing.residents_of(h)) {
            const uint32_t round_resident = layout.resident_base(c) + r;
            const Standing standing = layout.targeted(round_resident)
                                          ? StandingOf(community.residents[r])
                                          : Standing::kNotTargeted;
            plan.resident_standing[round_resident] = standing;
            switch (standing) {
              case Standing::kDueAtSite:
                ++plan.due_at_sites;
                break;
              case Standing::kDoorToDoor:
                ++plan.door_to_door_count;
                plan.door_to_door.push_back(round_resident);
                break;
              case Standing::kExempt:
                ++plan.exempt;
                break;
              case Standing::kNotTargeted:
                break;
            }
          }
        }
      }
    }
  }
}

void ComputePlanMetrics(const RoundLayout& layout, Plan& plan) {
  plan.waves_used = 0;
  plan.total_walking_m = 0;
  plan.split_units = 0;
  plan.units = 0;
  uint32_t previous_unit = kNoId;
  bool previous_counted_split = false;
  // Earliest and latest wave of each round building.
  std::vector<std::pair<int, int>> building_waves(layout.building_count(), {plan.wave_count, -1});
  for (const UnitAssignment& a : plan.assignments) {
    plan.waves_used = std::max(plan.waves_used, a.wave + 1);
    const RoundLayout::Local unit = layout.LocateUnit(a.unit);
    const Community& community = layout.community(unit.community);
    const BuildingId building_id = community.units[unit.id].building;
    const Building& building = community.buildings[building_id];
    auto& [first_wave, last_wave] =
        building_waves[layout.building_base(unit.community) + building_id];
    first_wave = std::min(first_wave, a.wave);
    last_wave = std::max(last_wave, a.wave);
    plan.total_walking_m += a.residents * Distance(building.location, layout.site(a.site).location);
    // Assignments of one unit are adjacent (unit order).
    if (a.unit == previous_unit) {
      if (!previous_counted_split) ++plan.split_units;
      previous_counted_split = true;
    } else {
      ++plan.units;
      previous_counted_split = false;
    }
    previous_unit = a.unit;
  }
  plan.scattered_buildings = 0;
  for (const auto& [first_wave, last_wave] : building_waves) {
    if (last_wave - first_wave > 1) ++plan.scattered_buildings;
  }
  plan.overloaded_cells = 0;
  for (size_t cell = 0; cell < plan.cell_load.size(); ++cell) {
    if (plan.cell_load[cell] > plan.cell_capacity[cell]) ++plan.overloaded_cells;
  }
  // Lower bound per community: cumulative capacity of its sites, wave by wave.
  plan.waves_lower_bound = 0;
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    int64_t load = 0;
    for (uint32_t r = layout.resident_base(c); r < layout.resident_base(c + 1); ++r) {
      if (plan.resident_standing[r] == Standing::kDueAtSite) ++load;
    }
    int64_t covered = 0;
    int bound = 0;
    while (covered < load && bound < plan.wave_count) {
      for (uint32_t s = layout.site_base(c); s < layout.site_base(c + 1); ++s) {
        covered += plan.cell_capacity[plan.cell(s, bound)];
      }
      ++bound;
    }
    plan.waves_lower_bound = std::max(plan.waves_lower_bound, bound);
  }
}

absl::Status CheckPlanIndexes(const RoundLayout& layout, const Plan& plan) {
  if (plan.wave_count <= 0 || plan.site_count != layout.site_count() ||
      uint64_t{plan.site_count} * static_cast<uint64_t>(plan.wave_count) > kNoId) {
    return absl::InternalError("plan: its sites or waves do not match the round");
  }
  const size_t cells = plan.cell_count();
  if (plan.cell_capacity.size() != cells || plan.cell_load.size() != cells ||
      (!plan.cell_desks.empty() && plan.cell_desks.size() != cells)) {
    return absl::InternalError("plan: cell arrays do not match sites x waves");
  }
  if (plan.resident_standing.size() != layout.resident_count() ||
      plan.resident_cell.size() != layout.resident_count()) {
    return absl::InternalError("plan: resident arrays do not match the round's residents");
  }
  for (const CellIndex cell : plan.resident_cell) {
    if (cell != kNoId && cell >= cells) {
      return absl::InternalError(absl::StrCat("plan: a resident is in cell ", cell,
                                              ", past the round's ", cells, " cells"));
    }
  }
  for (const UnitAssignment& a : plan.assignments) {
    if (a.unit >= layout.unit_count()) {
      return absl::InternalError(absl::StrCat("plan: unit ", a.unit, " is past the round's ",
                                              layout.unit_count(), " units"));
    }
    const RoundLayout::Local unit = layout.LocateUnit(a.unit);
    const uint32_t first = layout.household_base(unit.community);
    const size_t community_households = layout.community(unit.community).households.size();
    for (const uint32_t h : a.households) {
      if (h < first || h - first >= community_households) {
        return absl::InternalError(absl::StrCat("plan: household ", h, " of unit ", a.unit,
                                                " is not a household of its community"));
      }
    }
  }
  for (const uint32_t r : plan.door_to_door) {
    if (r >= layout.resident_count()) {
      return absl::InternalError(absl::StrCat("plan: door-to-door resident ", r,
                                              " is past the round's residents"));
    }
  }
  return absl::OkStatus();
}

absl::Status VerifyPlan(const RoundLayout& layout, const Plan& plan) {
  if (absl::Status s = CheckPlanIndexes(layout, plan); !s.ok()) return s;
  const size_t cells = plan.cell_count();
  std::vector<int32_t> load(cells, 0);
  std::vector<uint8_t> covered(layout.resident_count(), 0);
  for (const UnitAssignment& a : plan.assignments) {
    if (a.site >= plan.site_count || a.wave < 0 || a.wave >= plan.wave_count) {
      return absl::InternalError(absl::StrCat("plan: unit ", a.unit, " has no valid cell"));
    }
    const CellIndex cell = plan.cell(a.site, a.wave);
    const RoundLayout::Local unit = layout.LocateUnit(a.unit);
    const Housing& housing = layout.housing(unit.community);
    const uint32_t household_base = layout.household_base(unit.community);
    std::vector<uint32_t> households;
    if (a.households.empty()) {
      for (HouseholdId h : housing.households_of(unit.id)) households.push_back(h);
    } else {
      for (uint32_t h : a.households) households.push_back(h - household_base);
    }
    int residents = 0;
    for (HouseholdId h : households) {
      if (layout.community(unit.community).households[h].unit != unit.id) {
        return absl::InternalError(
            absl::StrCat("plan: household ", h, " listed under a unit it is not in"));
      }
      for (ResidentId r : housing.residents_of(h)) {
        const uint32_t round_resident = layout.resident_base(unit.community) + r;
        if (plan.resident_standing[round_resident] != Standing::kDueAtSite) continue;
        if (covered[round_resident]++) {
          return absl::InternalError(
              absl::StrCat("plan: resident ", round_resident, " is assigned twice"));
        }
        if (plan.resident_cell[round_resident] != cell) {
          return absl::InternalError(absl::StrCat("plan: resident ", round_resident,
                                                  "'s cell differs from its unit's assignment"));
        }
        ++residents;
      }
    }
    if (residents != a.residents) {
      return absl::InternalError(absl::StrCat("plan: unit ", a.unit, " assignment counts ",
                                              a.residents, " residents, found ", residents));
    }
    load[cell] += residents;
  }
  for (size_t cell = 0; cell < cells; ++cell) {
    if (load[cell] != plan.cell_load[cell]) {
      return absl::InternalError(absl::StrCat("plan: cell ", cell, " load is recorded as ",
                                              plan.cell_load[cell], " but sums to ", load[cell]));
    }
    if (load[cell] > plan.cell_capacity[cell]) {
      return absl::InternalError(absl::StrCat("plan: cell ", cell, " holds ", load[cell],
                                              " over its capacity ", plan.cell_capacity[cell]));
    }
  }
  std::vector<uint8_t> listed(layout.resident_count(), 0);
  for (uint32_t r : plan.door_to_door) {
    if (plan.resident_standing[r] != Standing::kDoorToDoor || listed[r]++) {
      return absl::InternalError(
          absl::StrCat("plan: resident ", r, " is wrongly on the door-to-door list"));
    }
  }
  for (uint32_t r = 0; r < layout.resident_count(); ++r) {
    switch (plan.resident_standing[r]) {
      case Standing::kDueAtSite:
        if (!covered[r]) {
          return absl::InternalError(absl::StrCat("plan: due resident ", r, " is unassigned"));
        }
        break;
      case Standing::kDoorToDoor:
        if (!listed[r]) {
          return absl::InternalError(
              absl::StrCat("plan: resident ", r, " is missing from the door-to-door list"));
        }
        [[fallthrough]];
      case Standing::kExempt:
      case Standing::kNotTargeted:
        if (plan.resident_cell[r] != kNoId) {
          return absl::InternalError(
              absl::StrCat("plan: resident ", r, " has a site cell but is not due at a site"));
        }
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine::plan
