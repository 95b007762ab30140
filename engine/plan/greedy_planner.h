// GreedyPlanner: the first planner. Deterministic and capacity-respecting,
// not optimal: unit by unit in building order, it puts the whole unit in the
// earliest wave where one of its community's sites has room, choosing the
// nearest such site; a unit that fits nowhere whole is split at household
// boundaries, each household placed the same way. Mobility-limited residents
// go on the door-to-door list, exempt ones are not due.
//
// Errors: RESOURCE_EXHAUSTED when the waves cannot hold everyone due (the
// message names the first short community and what to change);
// INVALID_ARGUMENT for bad options.
//
// Thread-safety: stateless; MakePlan may run concurrently, on the caller's
// thread only.
#ifndef SWABWAVE_ENGINE_PLAN_GREEDY_PLANNER_H_
#define SWABWAVE_ENGINE_PLAN_GREEDY_PLANNER_H_

#include "engine/plan/plan.h"

namespace swabwave::engine::plan {

class GreedyPlanner final : public Planner {
 public:
  absl::string_view name() const override { return "greedy-earliest-nearest"; }
  [[nodiscard]] absl::StatusOr<Plan> MakePlan(const RoundLayout& layout, const RoundConfig& config,
                                              const PlanOptions& options) const override;
};

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_GREEDY_PLANNER_H_
