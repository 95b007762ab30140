#include "engine/plan/greedy_planner.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::plan {

namespace {

// Places groups of residents into the cells of one community's sites.
class CommunityPlacer {
 public:
  CommunityPlacer(Plan& plan, std::vector<int32_t>& room, uint32_t first_site, uint32_t end_site)
      : plan_(plan), room_(room), first_site_(first_site), end_site_(end_site) {}

  // Sites of this community, nearest to `where` first (ties: lower index).
  std::vector<uint32_t> SitesByDistance(const RoundLayout& layout, Location where) const {
    std::vector<uint32_t> order(end_site_ - first_site_);
    std::iota(order.begin(), order.end(), first_site_);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return Distance(where, layout.site(a).location) < Distance(where, layout.site(b).location);
    });
    return order;
  }

  // The earliest wave with room for `load` at some site, at the nearest such
  // site; kNoId when no cell has that much room.
  CellIndex FindCell(int load, const std::vector<uint32_t>& sites) {
    // Waves before first_open_wave_ are full at every site of the community.
    while (first_open_wave_ < plan_.wave_count && WaveFull(first_open_wave_)) ++first_open_wave_;
    for (int wave = first_open_wave_; wave < plan_.wave_count; ++wave) {
      for (uint32_t site : sites) {
        const CellIndex cell = plan_.cell(site, wave);
        if (room_[cell] >= load) return cell;
      }
    }
    return kNoId;
  }

 private:
  bool WaveFull(int wave) const {
    for (uint32_t s = first_site_; s < end_site_; ++s) {
      if (room_[plan_.cell(s, wave)] > 0) return false;
    }
    return true;
  }

  Plan& plan_;
  std::vector<int32_t>& room_;
  const uint32_t first_site_;
  const uint32_t end_site_;
  int first_open_wave_ = 0;
};

}  // namespace

absl::StatusOr<Plan> GreedyPlanner::MakePlan(const RoundLayout& layout, const RoundConfig& config,
                                             const PlanOptions& options) const {
  absl::StatusOr<Plan> started = StartPlan(name(), layout, config, options);
  if (!started.ok()) return started.status();
  Plan plan = *std::move(started);
  std::vector<int32_t> room = plan.cell_capacity;

  int64_t unplaced = 0;
  std::string short_community;
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const Community& community = layout.community(c);
    const Housing& housing = layout.housing(c);
    CommunityPlacer placer(plan, room, layout.site_base(c), layout.site_base(c + 1));
    const int64_t unplaced_before = unplaced;

    for (BuildingId b = 0; b < community.buildings.size(); ++b) {
      const std::vector<uint32_t> sites =
          placer.SitesByDistance(layout, community.buildings[b].location);
      for (UnitId u : housing.units_of(b)) {
        // Due residents per household of the unit.
        std::vector<std::pair<HouseholdId, int>> households;
        int unit_load = 0;
        for (HouseholdId h : housing.households_of(u)) {
          int due = 0;
          for (ResidentId r : housing.residents_of(h)) {
            if (plan.resident_standing[layout.resident_base(c) + r] == Standing::kDueAtSite) ++due;
          }
          if (due > 0) households.emplace_back(h, due);
          unit_load += due;
        }
        if (unit_load == 0) continue;

        // Whole unit if it fits somewhere; otherwise household by household.
        std::vector<std::pair<CellIndex, std::vector<HouseholdId>>> parts;
        if (const CellIndex cell = placer.FindCell(unit_load, sites); cell != kNoId) {
          room[cell] -= unit_load;
          std::vector<HouseholdId> all;
          for (const auto& [h, due] : households) all.push_back(h);
          parts.emplace_back(cell, std::move(all));
        } else {
          for (const auto& [h, due] : households) {
            const CellIndex cell_for_household = placer.FindCell(due, sites);
            if (cell_for_household == kNoId) {
              unplaced += due;
              continue;
            }
            room[cell_for_household] -= due;
            auto part = std::find_if(parts.begin(), parts.end(),
                                     [&](const auto& p) { return p.first == cell_for_household; });
            if (part == parts.end()) {
              parts.emplace_back(cell_for_household, std::vector<HouseholdId>{h});
            } else {
              part->second.push_back(h);
            }
          }
        }

        const bool split =
            parts.size() > 1 || (parts.size() == 1 && parts[0].second.size() != households.size());
        for (auto& [cell, part_households] : parts) {
          UnitAssignment assignment;
          assignment.unit = layout.unit_base(c) + u;
          assignment.site = plan.site_of_cell(cell);
          assignment.wave = plan.wave_of_cell(cell);
          for (HouseholdId h : part_households) {
            for (ResidentId r : housing.residents_of(h)) {
              const uint32_t round_resident = layout.resident_base(c) + r;
              if (plan.resident_standing[round_resident] != Standing::kDueAtSite) continue;
              plan.resident_cell[round_resident] = cell;
              ++assignment.residents;
            }
            if (split) assignment.households.push_back(layout.household_base(c) + h);
          }
          plan.assignments.push_back(std::move(assignment));
        }
      }
    }
    if (unplaced > unplaced_before && short_community.empty()) short_community = community.id;
  }

  if (unplaced > 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the sites cannot serve everyone due within the round: ", unplaced,
                     " residents have no place (first short community: '", short_community, "', ",
                     plan.wave_count, " waves of ", absl::FormatDuration(config.wave_length),
                     "); add desks or sites, lengthen the round, or raise the per-desk rate"));
  }

  plan.cell_load.resize(room.size());
  for (size_t cell = 0; cell < room.size(); ++cell) {
    plan.cell_load[cell] = plan.cell_capacity[cell] - room[cell];
  }
  ComputePlanMetrics(layout, plan);
  if (absl::Status s = VerifyPlan(layout, plan); !s.ok()) return s;
  return plan;
}

}  // namespace swabwave::engine::plan
