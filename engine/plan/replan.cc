#include "engine/plan/replan.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/plan/staffing.h"

namespace swabwave::engine::plan {

namespace {

// The due members of one household planned in one cell: what moves
// together.
struct HouseholdGroup {
  uint32_t community = 0;
  BuildingId building = 0;  // local to the community
  CellIndex cell = kNoId;
  bool anyone_untested = false;
  std::vector<uint32_t> residents;  // round-wide
};

absl::Status ValidateRequest(const RoundLayout& layout, const Plan& current,
                             const ReplanRequest& request) {
  if (current.wave_count <= 0 || current.site_count != layout.site_count() ||
      current.resident_cell.size() != layout.resident_count() ||
      current.cell_capacity.size() != current.cell_count()) {
    return absl::FailedPreconditionError(
        "the current plan does not belong to this round's layout; plan the round first");
  }
  if (request.from_wave < 0 || request.from_wave >= current.wave_count) {
    return absl::InvalidArgumentError(absl::StrCat("from_wave ", request.from_wave,
                                                   " is outside the round's waves 0..",
                                                   current.wave_count - 1));
  }
  if (request.changes.empty()) {
    return absl::InvalidArgumentError("a re-plan needs at least one site change");
  }
  std::vector<uint8_t> named(layout.site_count(), 0);
  for (const SiteChange& change : request.changes) {
    if (change.site >= layout.site_count()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "site ", change.site, " is not in this round (it has ", layout.site_count(), " sites)"));
    }
    if (named[change.site]++) {
      return absl::InvalidArgumentError(
          absl::StrCat("site '", layout.site(change.site).id, "' is changed twice; give it once"));
    }
    if (change.desks < 0 || change.desks > kMaxDesksPerSite) {
      return absl::InvalidArgumentError(
          absl::StrCat("desks ", change.desks, " for site '", layout.site(change.site).id,
                       "' must be between 0 (closed) and ", kMaxDesksPerSite));
    }
  }
  return absl::OkStatus();
}

// Every household's due members per planned cell, in building order.
std::vector<HouseholdGroup> HouseholdGroups(const RoundLayout& layout, const Plan& plan,
                                            const std::function<bool(uint32_t)>& tested) {
  std::vector<HouseholdGroup> groups;
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const Housing& housing = layout.housing(c);
    for (BuildingId b = 0; b < layout.community(c).buildings.size(); ++b) {
      for (UnitId u : housing.units_of(b)) {
        for (HouseholdId h : housing.households_of(u)) {
          const size_t first_group = groups.size();
          for (ResidentId r : housing.residents_of(h)) {
            const uint32_t resident = layout.resident_base(c) + r;
            const CellIndex cell = plan.resident_cell[resident];
            if (plan.resident_standing[resident] != Standing::kDueAtSite || cell == kNoId) {
              continue;
            }
            auto group = std::find_if(groups.begin() + static_cast<ptrdiff_t>(first_group),
                                      groups.end(),
                                      [&](const HouseholdGroup& g) { return g.cell == cell; });
            if (group == groups.end()) {
              groups.push_back(HouseholdGroup{c, b, cell, false, {}});
              group = groups.end() - 1;
            }
            group->residents.push_back(resident);
            if (!tested(resident)) group->anyone_untested = true;
          }
        }
      }
    }
  }
  return groups;
}

// Sites of a community, nearest to `where` first (ties: lower index).
std::vector<uint32_t> SitesByDistance(const RoundLayout& layout, uint32_t community,
                                      Location where) {
  std::vector<uint32_t> order(layout.site_base(community + 1) - layout.site_base(community));
  std::iota(order.begin(), order.end(), layout.site_base(community));
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return Distance(where, layout.site(a).location) < Distance(where, layout.site(b).location);
  });
  return order;
}

// The cell at `site` with room for `size` from `from_wave` on whose wave is
// closest to `own_wave` (the earlier of two as close); kNoId when none.
CellIndex ClosestWaveWithRoom(const Plan& plan, const std::vector<int32_t>& room, uint32_t site,
                              int own_wave, int from_wave, int size) {
  const int widest = std::max(own_wave - from_wave, plan.wave_count - 1 - own_wave);
  for (int shift = 0; shift <= widest; ++shift) {
    for (const int wave : {own_wave - shift, own_wave + shift}) {
      if (wave < from_wave || wave >= plan.wave_count) continue;
      if (room[plan.cell(site, wave)] >= size) return plan.cell(site, wave);
    }
  }
  return kNoId;
}

// The cell a moving group goes to under `placement` (see MoverPlacement);
// `sites` are its community's, nearest first. kNoId when nothing has room.
CellIndex FindNewCell(const Plan& plan, const std::vector<int32_t>& room,
                      const std::vector<uint32_t>& sites, MoverPlacement placement, int own_wave,
                      int from_wave, int size) {
  for (uint32_t site : sites) {
    if (room[plan.cell(site, own_wave)] >= size) return plan.cell(site, own_wave);
  }
  if (placement == MoverPlacement::kEarliestWave) {
    for (int wave = from_wave; wave < plan.wave_count; ++wave) {
      for (uint32_t site : sites) {
        if (room[plan.cell(site, wave)] >= size) return plan.cell(site, wave);
      }
    }
    return kNoId;
  }
  for (uint32_t site : sites) {
    const CellIndex cell = ClosestWaveWithRoom(plan, room, site, own_wave, from_wave, size);
    if (cell != kNoId) return cell;
  }
  return kNoId;
}

// The re-plan for `request` with, per cell, at most `caps[cell]` desks open
// from the first wave on (-1: no cap; the caps are the desks the staff on
// hand can open, found by Replan). A capped cell is changed like a changed
// site's: who no longer fits moves.
absl::StatusOr<ReplanResult> PlaceMovers(const RoundLayout& layout, const RoundConfig& config,
                                         const PlanOptions& options, const Plan& current,
                                         const std::function<bool(uint32_t)>& tested,
                                         const ReplanRequest& request,
                                         const std::vector<int32_t>& caps) {
  ReplanResult result;
  Plan& plan = result.plan;
  plan = current;
  std::vector<int> site_desks(layout.site_count(), -1);  // -1: unchanged
  for (const SiteChange& change : request.changes) site_desks[change.site] = change.desks;
  auto changed = [&](CellIndex cell) {
    return (site_desks[plan.site_of_cell(cell)] >= 0 || caps[cell] >= 0) &&
           plan.wave_of_cell(cell) >= request.from_wave;
  };

  // Households served in full never move. The changed cells get their new
  // capacity, never below what those already hold.
  std::vector<HouseholdGroup> groups = HouseholdGroups(layout, plan, tested);
  std::vector<int32_t> room(plan.cell_count(), 0);
  for (const HouseholdGroup& group : groups) {
    if (!group.anyone_untested) room[group.cell] += static_cast<int32_t>(group.residents.size());
  }
  if (plan.cell_desks.empty()) {
    plan.cell_desks.resize(plan.cell_count());
    for (CellIndex cell = 0; cell < plan.cell_count(); ++cell) {
      plan.cell_desks[cell] = layout.site(plan.site_of_cell(cell)).desks;
    }
  }
  for (CellIndex cell = 0; cell < plan.cell_count(); ++cell) {
    if (!changed(cell)) continue;
    const uint32_t site = plan.site_of_cell(cell);
    int desks = site_desks[site] >= 0 ? site_desks[site] : plan.cell_desks[cell];
    if (caps[cell] >= 0) desks = std::min(desks, caps[cell]);
    plan.cell_desks[cell] = desks;
    plan.cell_capacity[cell] = std::max(
        CellCapacity(layout, config, options, site, plan.wave_of_cell(cell), desks), room[cell]);
  }
  for (CellIndex cell = 0; cell < plan.cell_count(); ++cell) {
    room[cell] = plan.cell_capacity[cell] - room[cell];
  }

  // The others keep their cell while it has room, in building order; in a
  // changed cell, the ones that no longer fit move.
  std::vector<HouseholdGroup> movers;
  for (HouseholdGroup& group : groups) {
    if (!group.anyone_untested) continue;
    const int size = static_cast<int>(group.residents.size());
    if (changed(group.cell) && room[group.cell] < size) {
      movers.push_back(std::move(group));
    } else {
      room[group.cell] -= size;
    }
  }
  // Past waves take no one new.
  for (CellIndex cell = 0; cell < plan.cell_count(); ++cell) {
    if (plan.wave_of_cell(cell) < request.from_wave) room[cell] = 0;
  }

  int64_t unplaced = 0;
  std::vector<uint32_t> sites;
  uint32_t sites_for = kNoId;  // the (community, building) `sites` is ordered for
  for (const HouseholdGroup& group : movers) {
    const uint32_t building = layout.building_base(group.community) + group.building;
    if (building != sites_for) {
      sites = SitesByDistance(layout, group.community,
                              layout.community(group.community).buildings[group.building].location);
      sites_for = building;
    }
    const int size = static_cast<int>(group.residents.size());
    const CellIndex to = FindNewCell(plan, room, sites, request.placement,
                                     plan.wave_of_cell(group.cell), request.from_wave, size);
    if (to == kNoId) {
      unplaced += size;
      continue;
    }
    room[to] -= size;
    for (uint32_t resident : group.residents) {
      result.moved.push_back(MovedResident{resident, group.cell, to, tested(resident)});
      plan.resident_cell[resident] = to;
    }
    ++result.moved_households;
  }
  if (unplaced > 0) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the remaining waves cannot take everyone the change displaces: ", unplaced,
        " residents have no place from wave ", request.from_wave,
        " on; keep more desks open, open another site, or lengthen the round"));
  }
  std::sort(result.moved.begin(), result.moved.end(),
            [](const MovedResident& a, const MovedResident& b) { return a.resident < b.resident; });

  RebuildAssignments(layout, plan);
  // W* and the flow optimum were the original planner's, for the capacities
  // before the change; a replan computes neither, so it must not report them.
  plan.waves_optimum = 0;
  plan.flow_walking_m = 0;
  ComputePlanMetrics(layout, plan);
  if (absl::Status s = VerifyPlan(layout, plan); !s.ok()) return s;
  return result;
}

}  // namespace

absl::StatusOr<ReplanResult> Replan(const RoundLayout& layout, const RoundConfig& config,
                                    const PlanOptions& options, const Plan& current,
                                    const std::function<bool(uint32_t)>& tested,
                                    const ReplanRequest& request) {
  if (absl::Status s = ValidatePlanOptions(options); !s.ok()) return s;
  if (absl::Status s = ValidateRequest(layout, current, request); !s.ok()) return s;
  if (current.wave_count != config.WaveCount()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the current plan has ", current.wave_count, " waves but the round has ",
                     config.WaveCount(), "; plan the round again"));
  }
  // A plan made within the staff on hand stays so: the re-plan is staffed
  // with the same rules and availability, every desk the roster cannot
  // staff from the first wave on is closed, and those it sent there move
  // again, until the roster has no shortfall (as PlanWithinStaff does for a
  // first plan). Each pass lowers a cap, so the loop ends.
  std::vector<int32_t> caps(current.cell_count(), -1);
  int64_t desk_waves_closed = 0;
  for (;;) {
    absl::StatusOr<ReplanResult> result =
        PlaceMovers(layout, config, options, current, tested, request, caps);
    if (!result.ok()) {
      if (desk_waves_closed == 0 || result.status().code() != absl::StatusCode::kResourceExhausted) {
        return result.status();
      }
      return absl::ResourceExhaustedError(absl::StrCat(
          "without the ", desk_waves_closed, " desk-waves the staff on hand cannot open, ",
          result.status().message(), "; add staff (GetRoster's shortfalls say where), or re-plan "
          "with every desk open (staffing mode EVERY_DESK)"));
    }
    if (!current.within_staff) return result;  // planned with every desk open: the roster says
    absl::StatusOr<Roster> roster =
        StaffPlan(layout, config, result->plan, current.staffing, current.availability);
    if (!roster.ok()) return roster.status();
    bool lowered = false;
    for (const DeskShortfall& shortfall : roster->shortfalls) {
      if (shortfall.wave < request.from_wave) continue;  // a wave that has begun stays
      int32_t& cap = caps[result->plan.cell(shortfall.site, shortfall.wave)];
      const int open = result->plan.cell_desks[result->plan.cell(shortfall.site, shortfall.wave)];
      if (cap >= 0 && cap <= shortfall.desks_staffed) continue;
      desk_waves_closed += open - shortfall.desks_staffed;
      cap = shortfall.desks_staffed;
      lowered = true;
    }
    // Within the staff only with no shortfall at all (one in a wave that has
    // begun cannot be re-planned away, and is said so).
    result->plan.within_staff = roster->shortfalls.empty();
    if (!lowered) return result;
  }
}

void RebuildAssignments(const RoundLayout& layout, Plan& plan) {
  plan.assignments.clear();
  plan.cell_load.assign(plan.cell_count(), 0);
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const Housing& housing = layout.housing(c);
    for (BuildingId b = 0; b < layout.community(c).buildings.size(); ++b) {
      for (UnitId u : housing.units_of(b)) {
        std::vector<UnitAssignment> parts;
        for (HouseholdId h : housing.households_of(u)) {
          for (ResidentId r : housing.residents_of(h)) {
            const uint32_t resident = layout.resident_base(c) + r;
            const CellIndex cell = plan.resident_cell[resident];
            if (cell == kNoId) continue;
            ++plan.cell_load[cell];
            auto part = std::find_if(parts.begin(), parts.end(), [&](const UnitAssignment& a) {
              return a.site == plan.site_of_cell(cell) && a.wave == plan.wave_of_cell(cell);
            });
            if (part == parts.end()) {
              UnitAssignment assignment;
              assignment.unit = layout.unit_base(c) + u;
              assignment.site = plan.site_of_cell(cell);
              assignment.wave = plan.wave_of_cell(cell);
              parts.push_back(std::move(assignment));
              part = parts.end() - 1;
            }
            ++part->residents;
            const uint32_t household = layout.household_base(c) + h;
            if (part->households.empty() || part->households.back() != household) {
              part->households.push_back(household);
            }
          }
        }
        if (parts.size() == 1) parts[0].households.clear();  // the whole unit
        for (UnitAssignment& part : parts) plan.assignments.push_back(std::move(part));
      }
    }
  }
}

}  // namespace swabwave::engine::plan
