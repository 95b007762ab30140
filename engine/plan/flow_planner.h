// FlowPlanner: the optimal wave planner of issue 4. Walking distance does
// not depend on the wave, so the problem separates exactly:
//   (a) W*, the fewest waves in which every due resident reaches a place at
//       one of its building's `nearest_sites` nearest sites: max flow
//       (LEMON Preflow), bisection on the wave count from the trivial bound
//       (internal/fewest_waves.h);
//   (b) the cheapest flow building -> site with each site's places in waves
//       [0, W*), cost = walking metres per resident (LEMON NetworkSimplex,
//       internal/service_network.h);
//   (c) each site fills its waves building by building, so a wave boundary
//       splits at most one building across two consecutive waves
//       (internal/wave_filling.h);
//   (d) whole households: rounding at household boundaries
//       (internal/household_rounding.h), then repair of any overflow until
//       no cell is over capacity (internal/overflow_repair.h).
// W* is the round's: the largest over its communities; every community is
// then planned with W* waves (more places than its own W* needs means less
// walking). Communities are served only by their own sites, so they are
// solved independently on `PlanOptions::threads` threads; the plan is the
// same for any thread count.
//
// Objective weight: with PlanOptions::walking_m_per_wave > 0, steps (b)-(d)
// use W* + k waves, the largest k for which each further wave still saves
// that much flow walking (the objectives stay lexicographic at 0).
//
// The plan reports waves_optimum (W*), flow_walking_m (the flow's optimum,
// which no household-whole plan beats) and scattered_buildings.
//
// Example:
//   absl::StatusOr<Plan> plan = FlowPlanner().MakePlan(layout, config, {});
//   // plan->waves_used == plan->waves_optimum unless the repair needed more.
//
// Thread-safety: stateless; MakePlan may run concurrently. Each call runs
// on up to `options.threads` threads, the caller's among them, and returns
// when they are done.
#ifndef SWABWAVE_ENGINE_PLAN_FLOW_PLANNER_H_
#define SWABWAVE_ENGINE_PLAN_FLOW_PLANNER_H_

#include "engine/plan/plan.h"

namespace swabwave::engine::plan {

class FlowPlanner final : public Planner {
 public:
  absl::string_view name() const override { return "flow-optimal-waves"; }
  // RESOURCE_EXHAUSTED when the round's waves cannot hold everyone due
  // (the message names the first short community, in round order, and what
  // to change); INVALID_ARGUMENT for bad options.
  [[nodiscard]] absl::StatusOr<Plan> MakePlan(const RoundLayout& layout, const RoundConfig& config,
                                              const PlanOptions& options) const override;
};

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_FLOW_PLANNER_H_
