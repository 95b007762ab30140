// Door-to-door: home visits for mobility-limited residents (DESIGN.md §5;
// issue 4, Door-to-door).
//
// The plan's door-to-door list, grouped by building, becomes one stop per
// building. Per community, its teams start from and return to the
// community's first site. The stops are put in nearest-neighbour order from
// there (one tour), and the tour is cut into at most `teams_per_community`
// consecutive routes so that the longest route is as short as any cut of
// that order allows (bisection on the longest route's time; a route's time
// only grows as stops are added, so the greedy cut decides each bound).
// A route's time is walking (straight-line distance at walking speed) plus
// minutes per resident visited. Routes leave at the round's start; a route
// fits when it is back by the round's end.
//
// Example:
//   absl::StatusOr<DoorToDoorPlan> visits = PlanDoorToDoor(layout, config, *plan, {});
//   if (!visits->all_fit) ... visits->late_routes ...
//
// Ownership: the result is a value. REQUIRES: `plan` was made for `layout`
// and `config` (not checked).
//
// Thread-safety: a pure function; may run concurrently.
#ifndef SWABWAVE_ENGINE_PLAN_DOOR_TO_DOOR_H_
#define SWABWAVE_ENGINE_PLAN_DOOR_TO_DOOR_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"

namespace swabwave::engine::plan {

struct DoorToDoorOptions {
  int teams_per_community = 2;                   // 1-1000
  absl::Duration per_visit = absl::Minutes(10);  // per resident, gear and paperwork included
  double walking_m_per_minute = 60;              // about 3.6 km/h, stairs averaged in
  // When the routes leave; InfinitePast: the round's start. Routes planned
  // during a round (the next routes, after visits) leave now.
  absl::Time leave_at = absl::InfinitePast();
};

// INVALID_ARGUMENT naming the option when one is out of range.
[[nodiscard]] absl::Status ValidateDoorToDoorOptions(const DoorToDoorOptions& options);

struct DoorToDoorStop {
  uint32_t building = kNoId;        // round building index
  std::vector<uint32_t> residents;  // round residents, as the plan lists them
  absl::Time arrives;               // the team reaches the building
};

struct DoorToDoorRoute {
  uint32_t community = 0;
  int team = 0;                    // 0 .. teams_per_community - 1
  uint32_t base_site = kNoId;      // round site the team leaves from and returns to
  std::vector<DoorToDoorStop> stops;  // in visiting order
  double walking_m = 0;
  absl::Duration walking;
  absl::Duration visiting;
  absl::Duration total;  // walking + visiting
  absl::Time starts;     // the round's start
  absl::Time ends;       // back at the base
  bool fits = false;     // ends by the round's end
};

struct DoorToDoorPlan {
  std::vector<DoorToDoorRoute> routes;  // by community, then team; teams without stops omitted
  std::vector<size_t> late_routes;      // indices of routes that do not fit
  bool all_fit = true;
  int64_t residents = 0;                // residents visited, = plan.door_to_door.size()
  absl::Duration longest;               // the longest route's total
};

// Routes for every resident on `plan`'s door-to-door list for whom
// `to_visit` is true (none given: all of them; a round passes
// Round::AwaitsVisit, so the next routes leave out whoever was sampled or
// accounted for and keep whoever was not home).
// INVALID_ARGUMENT for bad options; FAILED_PRECONDITION when a community
// has door-to-door residents but no site for its teams to leave from.
[[nodiscard]] absl::StatusOr<DoorToDoorPlan> PlanDoorToDoor(
    const RoundLayout& layout, const RoundConfig& config, const Plan& plan,
    const DoorToDoorOptions& options, const std::function<bool(uint32_t)>& to_visit = {});

// Routes for the given round residents (in id order, so each building's
// are together), whoever they are: the same tours and cuts as
// PlanDoorToDoor, which calls it with the plan's list. A round's retest
// walk passes the residents called back who have not given their
// follow-up swab (Round::AwaitingFollowUp). Errors as PlanDoorToDoor.
[[nodiscard]] absl::StatusOr<DoorToDoorPlan> PlanRoutes(const RoundLayout& layout,
                                                        const RoundConfig& config,
                                                        const std::vector<uint32_t>& residents,
                                                        const DoorToDoorOptions& options);

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_DOOR_TO_DOOR_H_
