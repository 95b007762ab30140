// ServiceNetwork: one community as a flow network, built once and solved
// for several site capacities: source -> building (its due residents) ->
// each of the building's nearest sites (unbounded, cost = rounded metres
// per resident) -> sink (the site's places in the waves considered).
//
// Buildings rather than units are the supply nodes: every unit of a
// building has the same distances and arcs, so merging them changes no
// optimum and leaves far fewer split buildings in a basic solution.
//
// LEMON note: only SmartDigraph with integer maps is used. Debian's LEMON
// 1.3.1 under C++20 does not compile CostScaling or graph maps of class
// values (ArrayMap uses the removed std::allocator::construct).
//
// Thread-safety: one network per thread; distinct networks are independent.
#ifndef SWABWAVE_ENGINE_PLAN_INTERNAL_SERVICE_NETWORK_H_
#define SWABWAVE_ENGINE_PLAN_INTERNAL_SERVICE_NETWORK_H_

#include <lemon/smart_graph.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/plan/internal/community_demand.h"

namespace swabwave::engine::plan::internal {

// The cheapest way to send every due resident to a site.
struct SiteAssignment {
  // Residents sent along each of CommunityDemand::nearest (same index).
  std::vector<int32_t> flow;
  double walking_m = 0;  // exact metres, resident-weighted
};

class ServiceNetwork {
 public:
  // REQUIRES: `demand` outlives the network.
  explicit ServiceNetwork(const CommunityDemand& demand);
  ServiceNetwork(const ServiceNetwork&) = delete;
  ServiceNetwork& operator=(const ServiceNetwork&) = delete;

  // The most due residents the sites can take when site s has
  // site_places[s] places (LEMON Preflow).
  int64_t MaxServed(const std::vector<int64_t>& site_places);

  // Min-cost flow of every due resident (LEMON NetworkSimplex).
  // RESOURCE_EXHAUSTED when the places do not suffice.
  [[nodiscard]] absl::StatusOr<SiteAssignment> CheapestAssignment(
      const std::vector<int64_t>& site_places);

 private:
  void SetSitePlaces(const std::vector<int64_t>& site_places);

  const CommunityDemand& demand_;
  lemon::SmartDigraph graph_;
  lemon::SmartDigraph::Node source_, sink_;
  std::vector<lemon::SmartDigraph::Arc> building_site_arcs_;  // parallel to demand_.nearest
  std::vector<lemon::SmartDigraph::Arc> site_sink_arcs_;      // [site]
  lemon::SmartDigraph::ArcMap<int64_t> capacity_;
  lemon::SmartDigraph::ArcMap<int64_t> cost_;
};

}  // namespace swabwave::engine::plan::internal

#endif  // SWABWAVE_ENGINE_PLAN_INTERNAL_SERVICE_NETWORK_H_
