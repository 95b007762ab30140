// Staffing: who works where and when in a plan (DESIGN.md §5, Planner;
// issue 4, Staffing).
//
// Every open desk in every wave needs one sampler and one scanner. A cell's
// open desks are the fewest of its site's desks that serve its load (see
// DesksNeeded). A member works only in their own community, only at their
// home site when they have one (community staff know their site), anywhere
// in the community when they do not (medical samplers sent by hospitals),
// only in a role they hold, and only while on hand (Availability). Gear
// rules (staffing_options.h): a stint is a run of consecutive waves at one
// site in one role, at most GearCycle::max_waves_per_stint long, followed by
// at least GearCycle::min_idle_waves waves off; a scanner may move to another
// desk of the same site inside a stint, which starts a new shift.
//
// StaffPlan is a greedy heuristic, wave by wave and site by site, run
// under several rule sets with the best kept (internal/desk_cover.cc);
// tests compare it with an exact integer program (COIN-OR CBC) on small
// cases. Its per-cell result, Roster::cell_desks_staffed, is what a planner
// may open; PlanWithinStaff (staffed_planning.h) re-plans with it.
// VerifyRoster (roster_check.h) checks a roster against every rule.
//
// Example:
//   absl::StatusOr<Roster> roster = StaffPlan(layout, config, *plan, {});
//   for (const DeskShortfall& s : roster->shortfalls) ...  // desks nobody can staff
//
// Thread-safety: pure functions of their arguments; may run concurrently.
#ifndef SWABWAVE_ENGINE_PLAN_STAFFING_H_
#define SWABWAVE_ENGINE_PLAN_STAFFING_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/model/community.h"
#include "engine/model/ids.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"
#include "engine/plan/staffing_options.h"

namespace swabwave::engine::plan {

// Staff of the round laid end to end like the layout's other entities:
// round staff index = base[community] + the member's index in its community.
struct RoundStaff {
  std::vector<uint32_t> base;  // [community], plus the total at the end
  uint32_t count() const { return base.back(); }
};
RoundStaff ListRoundStaff(const RoundLayout& layout);

// One member at one desk in one role for a run of waves [first_wave,
// end_wave). Shifts of one member that touch in time (end_wave == the next
// first_wave) belong to one stint; gear goes on gear_change before the
// stint's first wave and comes off gear_change after its last.
struct Shift {
  uint32_t staff = kNoId;  // round staff index
  uint32_t site = kNoId;   // round site index
  int desk = 0;            // 0 .. the site's desks - 1
  StaffRole role = kRoleSampler;
  int first_wave = 0;
  int end_wave = 0;
  absl::Time starts;  // at the desk: start of first_wave
  absl::Time ends;    // end of the wave before end_wave
};

// A cell that needs more desks than its staff can open.
struct DeskShortfall {
  uint32_t site = kNoId;
  int wave = 0;
  int desks_needed = 0;
  int desks_staffed = 0;
};

// People per role: what the round needs (the same greedy with as many
// members available all round as it asks for, counted per site as the most
// stints overlapping with their time off; for pool members, who may serve
// several sites, an upper bound) against those on hand.
struct Headcount {
  int samplers_needed = 0;
  int scanners_needed = 0;
  int samplers_on_hand = 0;  // members holding the role (a member with both counts twice)
  int scanners_on_hand = 0;
  int staff_on_hand = 0;  // members holding either role
};

struct Roster {
  GearCycle cycle;
  std::vector<Shift> shifts;               // by first wave, then site, then desk, sampler first
  std::vector<int32_t> cell_desks_needed;  // [cell], as Plan::cell
  std::vector<int32_t> cell_desks_staffed; // [cell]: desks with both roles; the most that open
  std::vector<DeskShortfall> shortfalls;   // cells where staffed < needed, by site then wave
  int64_t desk_waves_needed = 0;
  int64_t desk_waves_staffed = 0;
  Headcount headcount;
};

// Open desks per cell: none for an empty cell, otherwise the fewest desks
// whose share of the cell's capacity holds its load,
// min(desks, ceil(load × desks / capacity)). Capacity is proportional to
// desks before the plan rounds it down, so that many desks always suffice.
std::vector<int32_t> DesksNeeded(const RoundLayout& layout, const Plan& plan);

// Staffs every open desk of `plan` it can. `availability` is indexed by
// round staff (ListRoundStaff); empty: everyone all round.
// INVALID_ARGUMENT for bad options, an availability list of the wrong
// size, or a plan whose waves or sites are not the round's; the desks it
// cannot staff are not an error but Roster::shortfalls.
[[nodiscard]] absl::StatusOr<Roster> StaffPlan(const RoundLayout& layout,
                                               const RoundConfig& config, const Plan& plan,
                                               const StaffingOptions& options,
                                               const StaffAvailability& availability = {});

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_STAFFING_H_
