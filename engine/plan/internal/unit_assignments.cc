#include "engine/plan/internal/unit_assignments.h"

#include <algorithm>
#include <cstdint>

namespace swabwave::engine::plan::internal {

std::vector<UnitAssignment> WriteCommunityPlan(const RoundLayout& layout,
                                               const CommunityDemand& demand,
                                               const CommunityWaves& placed, Plan& plan) {
  const uint32_t c = demand.community;
  const Housing& housing = layout.housing(c);
  const uint32_t resident_base = layout.resident_base(c);
  const uint32_t site_base = layout.site_base(c);
  std::vector<UnitAssignment> assignments;
  assignments.reserve(demand.households.size() / 2);

  // A unit's households are adjacent in demand.households (building, then unit order).
  for (size_t first = 0; first < demand.households.size();) {
    const UnitId unit = demand.households[first].unit;
    size_t end = first;
    while (end < demand.households.size() && demand.households[end].unit == unit) ++end;

    const size_t unit_begin = assignments.size();
    for (size_t h = first; h < end; ++h) {
      const CellIndex cell = plan.cell(site_base + placed.site[h], placed.wave[h]);
      auto part =
          std::find_if(assignments.begin() + unit_begin, assignments.end(),
                       [&](const UnitAssignment& a) { return plan.cell(a.site, a.wave) == cell; });
      if (part == assignments.end()) {
        assignments.push_back({.unit = layout.unit_base(c) + unit,
                               .site = plan.site_of_cell(cell),
                               .wave = plan.wave_of_cell(cell)});
        part = assignments.end() - 1;
      }
      const HouseholdId household = demand.households[h].household;
      part->residents += demand.households[h].due;
      part->households.push_back(layout.household_base(c) + household);
      plan.cell_load[cell] += demand.households[h].due;
      for (ResidentId r : housing.residents_of(household)) {
        if (plan.resident_standing[resident_base + r] == Standing::kDueAtSite) {
          plan.resident_cell[resident_base + r] = cell;
        }
      }
    }
    // A whole unit lists no households (plan.h).
    if (assignments.size() == unit_begin + 1)
      std::vector<uint32_t>().swap(assignments.back().households);
    first = end;
  }
  return assignments;
}

}  // namespace swabwave::engine::plan::internal
