// CommunityDemand: one community's share of a round as the flow planner
// sees it: the due residents of each building, household by household, the
// community's sites with their capacity wave by wave, and each building's
// nearest sites. Everything the W* search, the min-cost assignment and the
// wave filling need, in local indices (site 0 is the community's first).
//
// Thread-safety: a plain value; built once, then only read.
#ifndef SWABWAVE_ENGINE_PLAN_INTERNAL_COMMUNITY_DEMAND_H_
#define SWABWAVE_ENGINE_PLAN_INTERNAL_COMMUNITY_DEMAND_H_

#include <cstdint>
#include <span>
#include <vector>

#include "engine/model/ids.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"

namespace swabwave::engine::plan::internal {

// A household with residents due at a site; households without any are left out.
struct HouseholdDemand {
  UnitId unit = kNoId;
  HouseholdId household = kNoId;
  int32_t due = 0;
};

// One of a building's nearest sites and how far it is.
struct SiteDistance {
  uint32_t site = 0;  // local to the community
  double metres = 0;  // exact, for the reported walking distance
  int64_t cost = 0;   // rounded metres: keeps network simplex's cost range small
};

struct BuildingDemand {
  BuildingId building = kNoId;  // local to the community
  int32_t due = 0;
  uint32_t first_household = 0;  // into CommunityDemand::households
  uint32_t end_household = 0;
  uint32_t first_site = 0;  // into CommunityDemand::nearest
  uint32_t end_site = 0;
};

struct CommunityDemand {
  uint32_t community = 0;  // position in the round layout
  uint32_t site_count = 0;
  int wave_count = 0;
  int64_t due = 0;
  // Buildings with anyone due, in building order.
  std::vector<BuildingDemand> buildings;
  std::vector<HouseholdDemand> households;  // grouped by building, then unit order
  std::vector<SiteDistance> nearest;        // grouped by building, nearest first
  // capacity[site * wave_count + wave], copied from the plan's cells.
  std::vector<int32_t> capacity;

  std::span<const HouseholdDemand> households_of(const BuildingDemand& b) const {
    return std::span<const HouseholdDemand>(households)
        .subspan(b.first_household, b.end_household - b.first_household);
  }
  std::span<const SiteDistance> nearest_of(const BuildingDemand& b) const {
    return std::span<const SiteDistance>(nearest).subspan(b.first_site, b.end_site - b.first_site);
  }
  int32_t cell_capacity(uint32_t site, int wave) const {
    return capacity[size_t{site} * wave_count + wave];
  }
  // Places at `site` in waves [0, waves).
  int64_t SiteCapacity(uint32_t site, int waves) const;
  // The fewest waves whose capacity over all sites covers the due load
  // (the trivial bound); wave_count + 1 when even all waves fall short.
  int TrivialWaveBound() const;
};

// REQUIRES: ClassifyResidents and the cell capacities already filled in `plan`.
CommunityDemand MakeCommunityDemand(const RoundLayout& layout, const Plan& plan, uint32_t community,
                                    int nearest_sites);

}  // namespace swabwave::engine::plan::internal

#endif  // SWABWAVE_ENGINE_PLAN_INTERNAL_COMMUNITY_DEMAND_H_
