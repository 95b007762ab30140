#include "engine/plan/internal/community_demand.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace swabwave::engine::plan::internal {

int64_t CommunityDemand::SiteCapacity(uint32_t site, int waves) const {
  int64_t places = 0;
  for (int w = 0; w < waves; ++w) places += cell_capacity(site, w);
  return places;
}

int CommunityDemand::TrivialWaveBound() const {
  int64_t covered = 0;
  int waves = 0;
  while (covered < due) {
    if (waves == wave_count) return wave_count + 1;
    for (uint32_t s = 0; s < site_count; ++s) covered += cell_capacity(s, waves);
    ++waves;
  }
  return waves;
}

CommunityDemand MakeCommunityDemand(const RoundLayout& layout, const Plan& plan, uint32_t community,
                                    int nearest_sites) {
  const Community& c = layout.community(community);
  const Housing& housing = layout.housing(community);
  const uint32_t resident_base = layout.resident_base(community);
  const uint32_t site_base = layout.site_base(community);

  CommunityDemand demand;
  demand.community = community;
  demand.site_count = static_cast<uint32_t>(c.sites.size());
  demand.wave_count = plan.wave_count;
  const auto cells_begin = plan.cell_capacity.begin() + size_t{site_base} * plan.wave_count;
  demand.capacity.assign(cells_begin, cells_begin + size_t{demand.site_count} * plan.wave_count);

  const uint32_t k = std::min<uint32_t>(demand.site_count, static_cast<uint32_t>(nearest_sites));
  std::vector<SiteDistance> by_distance(demand.site_count);
  for (BuildingId b = 0; b < c.buildings.size(); ++b) {
    BuildingDemand building{.building = b,
                            .first_household = static_cast<uint32_t>(demand.households.size())};
    for (UnitId u : housing.units_of(b)) {
      for (HouseholdId h : housing.households_of(u)) {
        int32_t due = 0;
        for (ResidentId r : housing.residents_of(h)) {
          due += plan.resident_standing[resident_base + r] == Standing::kDueAtSite;
        }
        if (due == 0) continue;
        demand.households.push_back({u, h, due});
        building.due += due;
      }
    }
    if (building.due == 0) continue;
    building.end_household = static_cast<uint32_t>(demand.households.size());

    for (uint32_t s = 0; s < demand.site_count; ++s) {
      const double metres = Distance(c.buildings[b].location, c.sites[s].location);
      by_distance[s] = {s, metres, std::llround(metres)};
    }
    // Ties go to the lower site index, so the choice never depends on sort internals.
    std::partial_sort(by_distance.begin(), by_distance.begin() + k, by_distance.end(),
                      [](const SiteDistance& x, const SiteDistance& y) {
                        return x.metres != y.metres ? x.metres < y.metres : x.site < y.site;
                      });
    building.first_site = static_cast<uint32_t>(demand.nearest.size());
    demand.nearest.insert(demand.nearest.end(), by_distance.begin(), by_distance.begin() + k);
    building.end_site = static_cast<uint32_t>(demand.nearest.size());
    demand.due += building.due;
    demand.buildings.push_back(building);
  }
  return demand;
}

}  // namespace swabwave::engine::plan::internal
