// Planning within the staff on hand: "a plan never opens a desk it cannot
// staff" (issue 4). The planner plans with every desk; StaffPlan says which
// cells it cannot staff; each site short anywhere gives up one desk and the
// round is planned again, until every open desk is staffed. The report says
// how many waves, and how much longer, the round takes for it.
//
// Why this shape: a site's desk count is one number for the whole round in
// the model, and Planner::MakePlan takes its capacities from the sites, so
// this layer can only lower desks per site, not per wave. A site short only
// in the evening therefore loses the desk all day: the answer is never an
// unstaffed desk, but may be longer than needed. Per-wave limits would need
// the planner to take a cap per cell, which Roster::cell_desks_staffed
// already is (see docs/decisions.md, "Staffing and door-to-door").
//
// Thread-safety: a pure function of its arguments (the planner's MakePlan
// must be safe to call, as Planner promises).
#ifndef SWABWAVE_ENGINE_PLAN_STAFFED_PLANNING_H_
#define SWABWAVE_ENGINE_PLAN_STAFFED_PLANNING_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/model/community.h"
#include "engine/model/round_config.h"
#include "engine/plan/plan.h"
#include "engine/plan/staffing.h"
#include "engine/plan/staffing_options.h"

namespace swabwave::engine::plan {

struct StaffedPlan {
  Plan plan;                    // every open desk of it staffed (roster.shortfalls empty)
  Roster roster;
  std::vector<int> site_desks;  // [round site]: the desks the plan opens at most
  int waves_with_every_desk = 0;  // the first plan's waves_used
  int waves = 0;                  // plan.waves_used
  absl::Duration longer;          // (waves - waves_with_every_desk) × wave length
  int plans_made = 0;
};

// The communities with their sites' desks replaced by `site_desks` (round
// site order), for a layout that matches a StaffedPlan.
std::vector<Community> CommunitiesWithDesks(const std::vector<const Community*>& communities,
                                            const std::vector<int>& site_desks);

// Plans the round with `planner`, then re-plans with fewer desks where the
// staff cannot open them all. Errors from the planner or from StaffPlan pass
// through; RESOURCE_EXHAUSTED when the round cannot be planned with the
// desks the staff can open (the message names the sites and their desks).
[[nodiscard]] absl::StatusOr<StaffedPlan> PlanWithinStaff(
    const Planner& planner, const std::vector<const Community*>& communities,
    const RoundConfig& config, const PlanOptions& plan_options,
    const StaffingOptions& staffing_options, const StaffAvailability& availability = {});

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_STAFFED_PLANNING_H_
