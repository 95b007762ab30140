#include "engine/plan/internal/service_network.h"

#include <lemon/network_simplex.h>
#include <lemon/preflow.h>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::plan::internal {

using Graph = lemon::SmartDigraph;

ServiceNetwork::ServiceNetwork(const CommunityDemand& demand)
    : demand_(demand), capacity_(graph_), cost_(graph_) {
  graph_.reserveNode(static_cast<int>(demand.buildings.size() + demand.site_count + 2));
  graph_.reserveArc(
      static_cast<int>(demand.buildings.size() + demand.nearest.size() + demand.site_count));
  source_ = graph_.addNode();
  sink_ = graph_.addNode();
  std::vector<Graph::Node> sites(demand.site_count);
  for (uint32_t s = 0; s < demand.site_count; ++s) {
    sites[s] = graph_.addNode();
    site_sink_arcs_.push_back(graph_.addArc(sites[s], sink_));
    cost_[site_sink_arcs_.back()] = 0;
  }
  building_site_arcs_.resize(demand.nearest.size());
  for (const BuildingDemand& b : demand.buildings) {
    const Graph::Node building = graph_.addNode();
    const Graph::Arc supply = graph_.addArc(source_, building);
    capacity_[supply] = b.due;
    cost_[supply] = 0;
    for (uint32_t i = b.first_site; i < b.end_site; ++i) {
      const Graph::Arc arc = graph_.addArc(building, sites[demand.nearest[i].site]);
      // A building never sends more than it has: that is the finite "unbounded".
      capacity_[arc] = b.due;
      cost_[arc] = demand.nearest[i].cost;
      building_site_arcs_[i] = arc;
    }
  }
}

void ServiceNetwork::SetSitePlaces(const std::vector<int64_t>& site_places) {
  for (uint32_t s = 0; s < demand_.site_count; ++s) capacity_[site_sink_arcs_[s]] = site_places[s];
}

int64_t ServiceNetwork::MaxServed(const std::vector<int64_t>& site_places) {
  SetSitePlaces(site_places);
  lemon::Preflow<Graph, Graph::ArcMap<int64_t>> preflow(graph_, capacity_, source_, sink_);
  // The flow value is all we need: skip the second phase that builds the flow.
  preflow.runMinCut();
  return preflow.flowValue();
}

absl::StatusOr<SiteAssignment> ServiceNetwork::CheapestAssignment(
    const std::vector<int64_t>& site_places) {
  SetSitePlaces(site_places);
  lemon::NetworkSimplex<Graph, int64_t, int64_t> simplex(graph_);
  simplex.upperMap(capacity_).costMap(cost_).stSupply(source_, sink_, demand_.due);
  if (simplex.run() != lemon::NetworkSimplex<Graph, int64_t, int64_t>::OPTIMAL) {
    // Only reachable with fewer places than FindFewestWaves found enough.
    return absl::ResourceExhaustedError(
        absl::StrCat("the sites of the round's community #", demand_.community, " cannot take its ",
                     demand_.due, " due residents in the waves given; plan with more waves"));
  }
  SiteAssignment assignment;
  assignment.flow.resize(building_site_arcs_.size());
  for (size_t i = 0; i < building_site_arcs_.size(); ++i) {
    assignment.flow[i] = static_cast<int32_t>(simplex.flow(building_site_arcs_[i]));
    assignment.walking_m += assignment.flow[i] * demand_.nearest[i].metres;
  }
  return assignment;
}

}  // namespace swabwave::engine::plan::internal
