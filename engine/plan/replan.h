// Replan: when a site closes or its desks change mid-round, re-plan only the
// untested residents the change affects, over the waves that have not yet
// started, and keep every other assignment as it was (issue 4, Replan).
//
// Who moves: households planned at a changed site in a wave at or after
// `from_wave` with someone still untested, in building order, only as many
// as the site's new capacity cannot hold (all of them when it closes).
// A household is the plan's atom, so a moving household takes its tested
// members' planned cell along (their sample stays where it was taken; the
// result flags them). Households whose members are all tested stay.
// Where they go (MoverPlacement): the same wave at the nearest site of
// their community with room; failing that, by default the earliest wave
// from `from_wave` on at the nearest site with room (the first planner's
// rule), or on request the nearest site with room at the wave closest to
// their own.
//
// Capacity of a changed cell is what its new desks serve, but never less
// than the households it already served in full (they came early and need
// no place; counting them keeps every cell's load within its capacity).
//
// A plan made within the staff on hand (Plan::within_staff) stays within
// it: the re-plan is staffed with the plan's rules and availability
// (StaffPlan), every desk from `from_wave` on that the roster cannot staff
// is closed, and whoever it would have served moves again, until the roster
// has no shortfall; RESOURCE_EXHAUSTED (counting the desk-waves closed for
// staff) when the rest cannot take everyone. `within_staff` is true exactly
// when the re-plan's roster has no shortfall (one in a wave that has begun
// cannot be re-planned away). A plan made with every desk open stays so.
//
// Thread-safety: a pure function of its arguments; `tested` is called on
// the caller's thread, during the call only. The result is a value (a new
// plan); `current` is not changed.
#ifndef SWABWAVE_ENGINE_PLAN_REPLAN_H_
#define SWABWAVE_ENGINE_PLAN_REPLAN_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"

namespace swabwave::engine::plan {

// A site's open desks from the replan's first wave on; 0 closes it.
struct SiteChange {
  uint32_t site = kNoId;  // round-wide site index
  int desks = 0;
};

// Where a displaced household goes. Both rules keep its wave at the
// nearest site with room when any site has room in it; they differ in what
// gives way when none does (nearly always: an optimal plan fills its waves;
// bench/replan_quality measures both, docs/decisions.md says why the
// default is the default).
enum class MoverPlacement {
  // Else the earliest remaining wave with room, at the nearest site with
  // room in it: the round ends soonest and people come earliest, walking
  // farther (the first planner's rule).
  kEarliestWave,
  // Else the nearest site with room in any remaining wave, at the wave
  // closest to its own (the earlier of two as close): the shortest walk,
  // later waves and a later end of the round.
  kNearestSite,
};

struct ReplanRequest {
  int from_wave = 0;  // the first wave that has not started
  std::vector<SiteChange> changes;
  MoverPlacement placement = MoverPlacement::kEarliestWave;
};

struct MovedResident {
  uint32_t resident = kNoId;  // round-wide
  CellIndex from = kNoId;
  CellIndex to = kNoId;
  bool tested = false;  // follows an untested household member; needs no notice
};

struct ReplanResult {
  Plan plan;
  std::vector<MovedResident> moved;  // by resident index
  int64_t moved_households = 0;
};

// Most desks a change may give a site (a typo guard, like the import's).
inline constexpr int kMaxDesksPerSite = 1000;

// INVALID_ARGUMENT for bad options, no change, a wave or site out of
// range, a site named twice, or desks out of [0, kMaxDesksPerSite];
// FAILED_PRECONDITION when `current` is not a plan of this layout and
// config (sites, residents or waves differ); RESOURCE_EXHAUSTED, saying how
// many residents have no place, when the remaining waves cannot take
// everyone who must move. `tested(r)` says whether round resident r has
// been sampled.
[[nodiscard]] absl::StatusOr<ReplanResult> Replan(const RoundLayout& layout,
                                                  const RoundConfig& config,
                                                  const PlanOptions& options, const Plan& current,
                                                  const std::function<bool(uint32_t)>& tested,
                                                  const ReplanRequest& request);

// Rebuilds `plan.assignments` and `plan.cell_load` from `plan.resident_cell`:
// one assignment per (unit, cell), units in building order, households
// listed only for a unit split over several cells.
void RebuildAssignments(const RoundLayout& layout, Plan& plan);

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_REPLAN_H_
