// The desk-cover problem of one community of a round: the bridge between a
// plan (round-wide cells and times) and desk_cover.h (local sites, waves).
// Used by StaffPlan and VerifyRoster, so both read the same problem.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_PLAN_INTERNAL_COMMUNITY_COVER_H_
#define SWABWAVE_ENGINE_PLAN_INTERNAL_COMMUNITY_COVER_H_

#include <cstdint>
#include <vector>

#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/internal/desk_cover.h"
#include "engine/plan/staffing.h"

namespace swabwave::engine::plan::internal {

// The waves [first, end) in which a member on hand `availability` may be at
// a desk, gear changes before the first and after the last included.
void AvailableWaves(const RoundConfig& config, absl::Duration gear_change,
                    const Availability& availability, int& first_wave, int& end_wave);

// Community c's problem: its sites in order, desks needed from
// `desks_needed` (round-wide cells of `plan`), its staff in order.
// REQUIRES: availability empty or sized to the round's staff.
DeskCoverProblem CommunityCoverProblem(const RoundLayout& layout, const RoundConfig& config,
                                       const Plan& plan, const std::vector<int32_t>& desks_needed,
                                       const StaffingOptions& options, const GearCycle& cycle,
                                       const RoundStaff& staff,
                                       const StaffAvailability& availability, uint32_t c);

}  // namespace swabwave::engine::plan::internal

#endif  // SWABWAVE_ENGINE_PLAN_INTERNAL_COMMUNITY_COVER_H_
