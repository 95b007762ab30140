// The W* search: the fewest waves in which every due resident of a
// community can reach a place at one of its building's nearest sites.
// Feasibility of w waves is a max-flow question (ServiceNetwork::MaxServed
// with each site's places in waves [0, w)); it is monotone in w, so a
// bisection from the trivial bound (total load over total places) finds W*
// in a handful of max flows.
//
// Thread-safety: as ServiceNetwork; one call per network at a time.
#ifndef SWABWAVE_ENGINE_PLAN_INTERNAL_FEWEST_WAVES_H_
#define SWABWAVE_ENGINE_PLAN_INTERNAL_FEWEST_WAVES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/plan/internal/community_demand.h"
#include "engine/plan/internal/service_network.h"

namespace swabwave::engine::plan::internal {

// Places of every site in waves [0, waves).
std::vector<int64_t> SitePlaces(const CommunityDemand& demand, int waves);

// W* of the community (0 when nobody is due). RESOURCE_EXHAUSTED when even
// all the round's waves leave residents without a place; the message names
// the community, how many residents are short, and what to change.
[[nodiscard]] absl::StatusOr<int> FindFewestWaves(const CommunityDemand& demand,
                                                  const Community& community, int nearest_sites,
                                                  ServiceNetwork& network);

}  // namespace swabwave::engine::plan::internal

#endif  // SWABWAVE_ENGINE_PLAN_INTERNAL_FEWEST_WAVES_H_
