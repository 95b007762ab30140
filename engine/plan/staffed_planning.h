// Planning within the staff on hand: "a plan never opens a desk it cannot
// staff" (issue 4). The planner plans with every desk; StaffPlan says which
// cells (site, wave) its staff cannot open in full; each such cell is
// capped at the desks that were staffed there (PlanOptions::cell_desk_caps)
// and the round is planned again, until every open desk is staffed. The
// report says how many waves, and how much longer, the round takes for it.
//
// Why per cell: staff work in stints and rest between them, so a site's
// crew may keep a desk open in some waves and not in others. Capping the
// cell, not the site, lets the plan use the waves its crew can work (a site
// with one pair of staff still serves people between their rests). Caps
// only go down, each pass lowers at least one, so the loop ends.
//
// Thread-safety: a pure function of its arguments (the planner's MakePlan
// must be safe to call, as Planner promises).
#ifndef SWABWAVE_ENGINE_PLAN_STAFFED_PLANNING_H_
#define SWABWAVE_ENGINE_PLAN_STAFFED_PLANNING_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"
#include "engine/plan/staffing.h"
#include "engine/plan/staffing_options.h"

namespace swabwave::engine::plan {

// How a round's plan is staffed: whether it must keep within the staff on
// hand, and the gear rules and availability its roster keeps either way.
struct StaffingRequest {
  bool within_staff = false;
  StaffingOptions options;
  StaffAvailability availability;  // [round staff]; empty: everyone all round
};

struct StaffedPlan {
  // Every open desk of it staffed (roster.shortfalls empty); its
  // cell_desks (the caps), within_staff and staffing fields set.
  Plan plan;
  Roster roster;
  int waves_with_every_desk = 0;  // the first plan's waves_used
  int waves = 0;                  // plan.waves_used
  absl::Duration longer;          // (waves - waves_with_every_desk) × wave length
  int64_t desk_waves_capped = 0;  // desk-waves the caps took away, over the round
  int plans_made = 0;
};

// Plans the round with `planner`, then re-plans with fewer desks where the
// staff cannot open them all. Errors from the planner or from StaffPlan pass
// through; RESOURCE_EXHAUSTED when the round cannot be planned with the
// desks the staff can open (the message says how many desk-waves that is).
[[nodiscard]] absl::StatusOr<StaffedPlan> PlanWithinStaff(
    const Planner& planner, const RoundLayout& layout, const RoundConfig& config,
    const PlanOptions& plan_options, const StaffingOptions& staffing_options,
    const StaffAvailability& availability = {});

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_STAFFED_PLANNING_H_
