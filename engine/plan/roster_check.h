// VerifyRoster: checks a roster against every staffing rule over the whole
// round, not a sample (issue 4). Tests call it on every roster they make;
// callers may call it after StaffPlan as a guard.
//
// Thread-safety: a pure function.
#ifndef SWABWAVE_ENGINE_PLAN_ROSTER_CHECK_H_
#define SWABWAVE_ENGINE_PLAN_ROSTER_CHECK_H_

#include "absl/status/status.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"
#include "engine/plan/staffing.h"
#include "engine/plan/staffing_options.h"

namespace swabwave::engine::plan {

// OK when, for the plan, options and availability `roster` was made for:
// the open desks per cell are DesksNeeded's; every shift names a real
// member, site and desk of the member's own community, a role the member
// holds, their home site if they have one, and waves inside the round and
// their availability (gear changes included), with times matching its
// waves; no member is in two places in one wave; no desk has two members in
// one role, and every desk with a sampler has a scanner and the reverse;
// each stint (a member's run of consecutive waves) keeps one site and role,
// keeps the gear cap and is followed by the required time off; the staffed
// counts, shortfalls and totals match the shifts. INTERNAL naming the first
// violation; INVALID_ARGUMENT for bad options.
[[nodiscard]] absl::Status VerifyRoster(const RoundLayout& layout, const RoundConfig& config,
                                        const Plan& plan, const StaffingOptions& options,
                                        const StaffAvailability& availability,
                                        const Roster& roster);

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_ROSTER_CHECK_H_
