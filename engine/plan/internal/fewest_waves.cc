#include "engine/plan/internal/fewest_waves.h"

#include "absl/strings/str_cat.h"

namespace swabwave::engine::plan::internal {

std::vector<int64_t> SitePlaces(const CommunityDemand& demand, int waves) {
  std::vector<int64_t> places(demand.site_count);
  for (uint32_t s = 0; s < demand.site_count; ++s) places[s] = demand.SiteCapacity(s, waves);
  return places;
}

absl::StatusOr<int> FindFewestWaves(const CommunityDemand& demand, const Community& community,
                                    int nearest_sites, ServiceNetwork& network) {
  if (demand.due == 0) return 0;
  auto served = [&](int waves) { return network.MaxServed(SitePlaces(demand, waves)); };

  const int64_t served_by_all = served(demand.wave_count);
  if (served_by_all < demand.due) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the sites cannot serve everyone due within the round: ", demand.due - served_by_all,
        " of ", demand.due, " residents of community '", community.id, "' have no place in ",
        demand.wave_count, " waves, each building reaching its ", nearest_sites,
        " nearest sites; add desks or sites, lengthen the round, raise the per-desk rate, or "
        "allow more nearest sites"));
  }
  // Below the trivial bound nothing is feasible; `infeasible` < W* <= `feasible`.
  int infeasible = demand.TrivialWaveBound() - 1;
  int feasible = demand.wave_count;
  // W* is usually the bound itself: try it first rather than bisecting blindly.
  if (infeasible + 1 < feasible) {
    if (served(infeasible + 1) == demand.due) {
      feasible = infeasible + 1;
    } else {
      ++infeasible;
    }
  }
  while (feasible - infeasible > 1) {
    const int middle = infeasible + (feasible - infeasible) / 2;
    (served(middle) == demand.due ? feasible : infeasible) = middle;
  }
  return feasible;
}

}  // namespace swabwave::engine::plan::internal
