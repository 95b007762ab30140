#include "engine/plan/internal/household_rounding.h"

namespace swabwave::engine::plan::internal {

std::vector<uint32_t> RoundToHouseholds(const CommunityDemand& demand,
                                        const SiteAssignment& assignment) {
  std::vector<uint32_t> site_of(demand.households.size(), kNoId);
  for (const BuildingDemand& b : demand.buildings) {
    // Twice the residents placed so far, so midpoints stay integral.
    int64_t placed_twice = 0;
    uint32_t arc = b.first_site;
    int64_t share_end_twice = 2 * int64_t{assignment.flow[arc]};
    for (uint32_t h = b.first_household; h < b.end_household; ++h) {
      const int64_t midpoint_twice = placed_twice + demand.households[h].due;
      while (midpoint_twice > share_end_twice && arc + 1 < b.end_site) {
        ++arc;
        share_end_twice += 2 * int64_t{assignment.flow[arc]};
      }
      site_of[h] = demand.nearest[arc].site;
      placed_twice += 2 * int64_t{demand.households[h].due};
    }
  }
  return site_of;
}

}  // namespace swabwave::engine::plan::internal
