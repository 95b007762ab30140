// The staffing problem of one community in whole waves, and the greedy that
// solves it: the core of StaffPlan (staffing.h), kept free of times and
// round-wide indices so tests can state small problems directly and compare
// the greedy with an exact integer program.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_PLAN_INTERNAL_DESK_COVER_H_
#define SWABWAVE_ENGINE_PLAN_INTERNAL_DESK_COVER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "engine/model/community.h"
#include "engine/model/ids.h"
#include "engine/plan/staffing_options.h"

namespace swabwave::engine::plan::internal {

struct CrewMember {
  uint8_t roles = 0;          // StaffRole bits; only sampler and scanner matter here
  uint32_t home_site = kNoId; // a site of the problem, or kNoId: any site
  int first_wave = 0;         // may work waves [first_wave, end_wave)
  int end_wave = 0;
};

struct DeskCoverProblem {
  int wave_count = 0;
  GearCycle cycle;
  std::vector<int> site_desks;         // [site]
  std::vector<int32_t> desks_needed;   // [site * wave_count + wave], <= site_desks
  std::vector<CrewMember> crew;
  uint32_t site_count() const { return static_cast<uint32_t>(site_desks.size()); }
};

struct CoverShift {
  uint32_t member = kNoId;
  uint32_t site = kNoId;
  int desk = 0;
  StaffRole role = kRoleSampler;
  int first_wave = 0;
  int end_wave = 0;
};

struct DeskCover {
  std::vector<CoverShift> shifts;       // by first wave, then site, then desk
  std::vector<int32_t> desks_staffed;   // [site * wave_count + wave]
  int64_t desk_waves_staffed = 0;
};

// The greedy (desk_cover.cc explains its rules). REQUIRES: cycle has at
// least one wave per stint; desks_needed sized and bounded as documented.
DeskCover CoverDesks(const DeskCoverProblem& problem);

// Checks `cover` against every rule of the problem: members exist, hold the
// role, may work at the site and in those waves, are in one place at a time;
// each desk-wave has at most one member per role and a staffed desk has
// both; stints keep one site and role, last at most max_waves_per_stint,
// and are min_idle_waves apart; desks_staffed counts the staffed desks and
// never exceeds desks_needed. INTERNAL naming the first violation.
[[nodiscard]] absl::Status CheckDeskCover(const DeskCoverProblem& problem,
                                          const DeskCover& cover);

}  // namespace swabwave::engine::plan::internal

#endif  // SWABWAVE_ENGINE_PLAN_INTERNAL_DESK_COVER_H_
