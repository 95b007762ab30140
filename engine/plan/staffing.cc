#include "engine/plan/staffing.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/plan/internal/community_cover.h"
#include "engine/plan/internal/desk_cover.h"

namespace swabwave::engine::plan {
namespace {

using internal::CoverShift;
using internal::CrewMember;
using internal::DeskCover;
using internal::DeskCoverProblem;

// People per role the round needs: the greedy's cover with as many
// members as it asks for (per site and role, the peak desks for each wave
// of a stint's cycle plus the peak again, all on hand all round and tied to
// the site: never short), then, per site and role, the fewest people who
// can work its stints: the most stints that overlap once each is extended
// by its time off (interval partitioning, exact for identical people).
// Summed over sites, so it counts pool members as if tied to one site: for
// them it is an upper bound.
void CountNeeded(const DeskCoverProblem& problem, Headcount& headcount) {
  DeskCoverProblem unlimited = problem;
  unlimited.crew.clear();
  for (uint32_t s = 0; s < problem.site_count(); ++s) {
    int peak = 0;
    for (int w = 0; w < problem.wave_count; ++w) {
      peak = std::max(peak, problem.desks_needed[size_t{s} * problem.wave_count + w]);
    }
    const int per_role = peak * (problem.cycle.max_waves_per_stint +
                                 problem.cycle.min_idle_waves + 1);
    for (StaffRole role : {kRoleSampler, kRoleScanner}) {
      for (int i = 0; i < per_role; ++i) {
        unlimited.crew.push_back(CrewMember{role, s, 0, problem.wave_count});
      }
    }
  }
  const DeskCover cover = internal::CoverDesks(unlimited);
  // busy[site][role][wave]: stints at the desk or in their time off.
  const int waves = problem.wave_count + problem.cycle.min_idle_waves;
  std::vector<int> busy(size_t{problem.site_count()} * 2 * waves, 0);
  // Shifts come in time order; a member's shifts that touch form a stint
  // (a scanner moving desk starts a new shift, not a new stint).
  struct Stint {
    int first = 0, end = -1;
    size_t row = 0;
  };
  std::vector<Stint> open(unlimited.crew.size());
  auto close = [&](const Stint& stint) {
    for (int w = stint.first; w < stint.end + problem.cycle.min_idle_waves; ++w) {
      ++busy[stint.row + w];
    }
  };
  for (const CoverShift& shift : cover.shifts) {
    Stint& stint = open[shift.member];
    if (stint.end == shift.first_wave) {
      stint.end = shift.end_wave;
      continue;
    }
    if (stint.end >= 0) close(stint);
    stint = {shift.first_wave, shift.end_wave,
             (size_t{shift.site} * 2 + (shift.role == kRoleSampler ? 0 : 1)) * waves};
  }
  for (const Stint& stint : open) {
    if (stint.end >= 0) close(stint);
  }
  for (uint32_t s = 0; s < problem.site_count(); ++s) {
    for (int role = 0; role < 2; ++role) {
      const auto row = busy.begin() + static_cast<ptrdiff_t>((size_t{s} * 2 + role) * waves);
      const int most = *std::max_element(row, row + waves);
      (role == 0 ? headcount.samplers_needed : headcount.scanners_needed) += most;
    }
  }
}

void CountOnHand(const Community& community, Headcount& headcount) {
  for (const StaffMember& member : community.staff) {
    headcount.samplers_on_hand += (member.roles & kRoleSampler) != 0;
    headcount.scanners_on_hand += (member.roles & kRoleScanner) != 0;
    headcount.staff_on_hand += (member.roles & (kRoleSampler | kRoleScanner)) != 0;
  }
}

}  // namespace

RoundStaff ListRoundStaff(const RoundLayout& layout) {
  RoundStaff staff;
  staff.base.push_back(0);
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    staff.base.push_back(staff.base.back() +
                         static_cast<uint32_t>(layout.community(c).staff.size()));
  }
  return staff;
}

std::vector<int32_t> DesksNeeded(const RoundLayout& layout, const Plan& plan) {
  std::vector<int32_t> desks(plan.cell_count(), 0);
  for (uint32_t site = 0; site < plan.site_count; ++site) {
    for (int w = 0; w < plan.wave_count; ++w) {
      const CellIndex cell = plan.cell(site, w);
      const int64_t site_desks = plan.desks_of_cell(layout, cell);
      const int64_t load = plan.cell_load[cell];
      const int64_t capacity = plan.cell_capacity[cell];
      if (load == 0) continue;
      // A loaded cell without capacity is an invalid plan; open every desk.
      desks[cell] = static_cast<int32_t>(
          capacity <= 0 ? site_desks
                        : std::min(site_desks, (load * site_desks + capacity - 1) / capacity));
    }
  }
  return desks;
}

absl::StatusOr<Roster> StaffPlan(const RoundLayout& layout, const RoundConfig& config,
                                 const Plan& plan, const StaffingOptions& options,
                                 const StaffAvailability& availability) {
  absl::StatusOr<GearCycle> cycle = ComputeGearCycle(options, config);
  if (!cycle.ok()) return cycle.status();
  const RoundStaff staff = ListRoundStaff(layout);
  if (!availability.empty() && availability.size() != staff.count()) {
    return absl::InvalidArgumentError(
        absl::StrCat("availability lists ", availability.size(), " staff members, the round has ",
                     staff.count(), "; list every member or none"));
  }
  if (plan.wave_count != config.WaveCount() || plan.site_count != layout.site_count()) {
    return absl::InvalidArgumentError("plan does not match the round's waves and sites");
  }
  Roster roster;
  roster.cycle = *cycle;
  roster.cell_desks_needed = DesksNeeded(layout, plan);
  roster.cell_desks_staffed.assign(plan.cell_count(), 0);
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const DeskCoverProblem problem =
        internal::CommunityCoverProblem(layout, config, plan, roster.cell_desks_needed, options,
                                        *cycle, staff, availability, c);
    const DeskCover cover = internal::CoverDesks(problem);
    const uint32_t site_base = layout.site_base(c);
    for (const CoverShift& s : cover.shifts) {
      roster.shifts.push_back(Shift{staff.base[c] + s.member, site_base + s.site, s.desk, s.role,
                                    s.first_wave, s.end_wave, config.WaveStart(s.first_wave),
                                    config.WaveStart(s.end_wave)});
    }
    for (uint32_t s = 0; s < problem.site_count(); ++s) {
      for (int w = 0; w < plan.wave_count; ++w) {
        roster.cell_desks_staffed[plan.cell(site_base + s, w)] =
            cover.desks_staffed[size_t{s} * plan.wave_count + w];
      }
    }
    CountNeeded(problem, roster.headcount);
    CountOnHand(layout.community(c), roster.headcount);
  }
  for (uint32_t site = 0; site < plan.site_count; ++site) {
    for (int w = 0; w < plan.wave_count; ++w) {
      const CellIndex cell = plan.cell(site, w);
      roster.desk_waves_needed += roster.cell_desks_needed[cell];
      roster.desk_waves_staffed += roster.cell_desks_staffed[cell];
      if (roster.cell_desks_staffed[cell] < roster.cell_desks_needed[cell]) {
        roster.shortfalls.push_back(DeskShortfall{site, w, roster.cell_desks_needed[cell],
                                                  roster.cell_desks_staffed[cell]});
      }
    }
  }
  // Communities were staffed one after another: restore time order.
  std::stable_sort(roster.shifts.begin(), roster.shifts.end(),
                   [](const Shift& a, const Shift& b) { return a.first_wave < b.first_wave; });
  return roster;
}

}  // namespace swabwave::engine::plan
