#include "engine/plan/roster_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/plan/internal/community_cover.h"
#include "engine/plan/internal/desk_cover.h"

namespace swabwave::engine::plan {

absl::Status VerifyRoster(const RoundLayout& layout, const RoundConfig& config, const Plan& plan,
                          const StaffingOptions& options, const StaffAvailability& availability,
                          const Roster& roster) {
  absl::StatusOr<GearCycle> cycle = ComputeGearCycle(options, config);
  if (!cycle.ok()) return cycle.status();
  if (cycle->max_waves_per_stint != roster.cycle.max_waves_per_stint ||
      cycle->min_idle_waves != roster.cycle.min_idle_waves) {
    return absl::InternalError("staffing: the roster's gear cycle is not the options'");
  }
  if (roster.cell_desks_needed != DesksNeeded(layout, plan)) {
    return absl::InternalError("staffing: desks needed per cell differ from the plan's");
  }
  if (roster.cell_desks_staffed.size() != plan.cell_count()) {
    return absl::InternalError("staffing: staffed desks are not listed per cell");
  }
  const RoundStaff staff = ListRoundStaff(layout);
  std::vector<internal::DeskCover> covers(layout.community_count());
  for (const Shift& shift : roster.shifts) {
    if (shift.staff >= staff.count() || shift.site >= layout.site_count()) {
      return absl::InternalError(absl::StrCat("staffing: shift of member ", shift.staff,
                                              " at site ", shift.site, " names neither"));
    }
    const uint32_t c = static_cast<uint32_t>(
        std::upper_bound(staff.base.begin(), staff.base.end(), shift.staff) -
        staff.base.begin() - 1);
    if (layout.LocateSite(shift.site).community != c) {
      return absl::InternalError(absl::StrCat("staffing: member ", shift.staff,
                                              " works at site ", shift.site,
                                              " outside their community"));
    }
    if (shift.first_wave < 0 || shift.end_wave > plan.wave_count ||
        shift.starts != config.WaveStart(shift.first_wave) ||
        shift.ends != config.WaveStart(shift.end_wave)) {
      return absl::InternalError(absl::StrCat("staffing: member ", shift.staff,
                                              "'s shift times do not match its waves"));
    }
    covers[c].shifts.push_back(internal::CoverShift{shift.staff - staff.base[c],
                                                    shift.site - layout.site_base(c), shift.desk,
                                                    shift.role, shift.first_wave, shift.end_wave});
  }
  int64_t needed = 0, staffed = 0;
  size_t shortfall = 0;
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const internal::DeskCoverProblem problem = internal::CommunityCoverProblem(
        layout, config, plan, roster.cell_desks_needed, options, *cycle, staff, availability, c);
    internal::DeskCover& cover = covers[c];
    for (uint32_t s = 0; s < problem.site_count(); ++s) {
      for (int w = 0; w < plan.wave_count; ++w) {
        const CellIndex cell = plan.cell(layout.site_base(c) + s, w);
        cover.desks_staffed.push_back(roster.cell_desks_staffed[cell]);
        cover.desk_waves_staffed += roster.cell_desks_staffed[cell];
        needed += roster.cell_desks_needed[cell];
        if (roster.cell_desks_staffed[cell] < roster.cell_desks_needed[cell]) {
          const DeskShortfall expected{layout.site_base(c) + s, w, roster.cell_desks_needed[cell],
                                       roster.cell_desks_staffed[cell]};
          if (shortfall >= roster.shortfalls.size() ||
              roster.shortfalls[shortfall].site != expected.site ||
              roster.shortfalls[shortfall].wave != expected.wave ||
              roster.shortfalls[shortfall].desks_needed != expected.desks_needed ||
              roster.shortfalls[shortfall].desks_staffed != expected.desks_staffed) {
            return absl::InternalError(absl::StrCat("staffing: site ", expected.site, " wave ", w,
                                                    " is short of desks but not listed so"));
          }
          ++shortfall;
        }
      }
    }
    staffed += cover.desk_waves_staffed;
    if (absl::Status s = internal::CheckDeskCover(problem, cover); !s.ok()) {
      return absl::InternalError(absl::StrCat("community ", layout.community(c).id, ": ",
                                              s.message(), " (member and site are local ids)"));
    }
  }
  if (shortfall != roster.shortfalls.size()) {
    return absl::InternalError("staffing: shortfalls list cells that are fully staffed");
  }
  if (needed != roster.desk_waves_needed || staffed != roster.desk_waves_staffed) {
    return absl::InternalError("staffing: desk-wave totals do not match the cells");
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine::plan
