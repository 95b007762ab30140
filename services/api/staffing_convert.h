// Staffing and door-to-door between the API (PlanOptions.staffing,
// GetRoster, ListDoorToDoorRoutes) and the engine (engine/plan/staffing.h,
// staffed_planning.h, door_to_door.h).
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_API_STAFFING_CONVERT_H_
#define SWABWAVE_SERVICES_API_STAFFING_CONVERT_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "engine/plan/door_to_door.h"
#include "engine/plan/staffed_planning.h"
#include "engine/plan/staffing.h"
#include "engine/round/round.h"
#include "swabwave/v1/planning.pb.h"

namespace swabwave::services {

// How `round` is to be staffed: the mode resolved (unspecified means within
// the staff on hand when its communities list any), the API's defaults for
// unset rules, availability by round staff index. INVALID_ARGUMENT naming
// the field (an unknown mode, rules out of range, an unknown or repeated
// member, a window that ends before it starts); FAILED_PRECONDITION for
// STAFFING_MODE_WITHIN_STAFF when the communities list no staff.
[[nodiscard]] absl::StatusOr<engine::plan::StaffingRequest> StaffingRequestFromProto(
    const engine::Round& round, const v1::StaffingOptions& options);

// The roster's round-wide figures, and the shifts and shortfalls of the
// round sites [first_site, end_site).
void RosterToProto(const engine::Round& round, const engine::plan::Plan& plan,
                   const engine::plan::Roster& roster, size_t first_site, size_t end_site,
                   v1::GetRosterResponse* out);

// The engine's options with the API's defaults; INVALID_ARGUMENT naming the
// field when one is out of range.
[[nodiscard]] absl::StatusOr<engine::plan::DoorToDoorOptions> DoorToDoorOptionsFromProto(
    const v1::DoorToDoorOptions& options);

// The routes [first_route, end_route) and the figures over every route.
void RoutesToProto(const engine::Round& round, const engine::plan::DoorToDoorPlan& routes,
                   size_t first_route, size_t end_route, v1::ListDoorToDoorRoutesResponse* out);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_STAFFING_CONVERT_H_
