// Household rounding (issue 4, step d, first half): the min-cost flow sends
// residents, not households, so a building's flow may split a household
// between sites. Walking the building's households in order against the
// cumulative flow to each site, a household goes to the site whose share
// holds its midpoint: whole households, each site's load off its flow by
// less than one household. Overflow this causes is repaired later
// (overflow_repair.h).
//
// Thread-safety: a pure function.
#ifndef SWABWAVE_ENGINE_PLAN_INTERNAL_HOUSEHOLD_ROUNDING_H_
#define SWABWAVE_ENGINE_PLAN_INTERNAL_HOUSEHOLD_ROUNDING_H_

#include <cstdint>
#include <vector>

#include "engine/plan/internal/community_demand.h"
#include "engine/plan/internal/service_network.h"

namespace swabwave::engine::plan::internal {

// The local site of each household (parallel to demand.households).
std::vector<uint32_t> RoundToHouseholds(const CommunityDemand& demand,
                                        const SiteAssignment& assignment);

}  // namespace swabwave::engine::plan::internal

#endif  // SWABWAVE_ENGINE_PLAN_INTERNAL_HOUSEHOLD_ROUNDING_H_
