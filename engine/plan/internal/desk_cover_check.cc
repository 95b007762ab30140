// CheckDeskCover: every rule of the desk-cover problem, over the whole cover.
#include "absl/strings/str_cat.h"
#include "engine/plan/internal/desk_cover.h"

namespace swabwave::engine::plan::internal {
namespace {

constexpr uint32_t kIdle = kNoId;

absl::Status Violation(const CoverShift& shift, absl::string_view what) {
  return absl::InternalError(absl::StrCat("staffing: member ", shift.member, " at site ",
                                          shift.site, " desk ", shift.desk, " waves [",
                                          shift.first_wave, ", ", shift.end_wave, "): ", what));
}

}  // namespace

absl::Status CheckDeskCover(const DeskCoverProblem& problem, const DeskCover& cover) {
  const int waves = problem.wave_count;
  const size_t members = problem.crew.size();
  const uint32_t sites = problem.site_count();
  // Where each member is in each wave: the shift index, or kIdle.
  std::vector<uint32_t> at(members * waves, kIdle);
  // Who holds each (site, wave, desk, role).
  std::vector<std::vector<uint32_t>> sampler_at(size_t{sites} * waves);
  std::vector<std::vector<uint32_t>> scanner_at(size_t{sites} * waves);
  for (uint32_t s = 0; s < sites; ++s) {
    for (int w = 0; w < waves; ++w) {
      sampler_at[size_t{s} * waves + w].assign(problem.site_desks[s], kIdle);
      scanner_at[size_t{s} * waves + w].assign(problem.site_desks[s], kIdle);
    }
  }
  for (uint32_t i = 0; i < cover.shifts.size(); ++i) {
    const CoverShift& shift = cover.shifts[i];
    if (shift.member >= members) return Violation(shift, "no such member");
    const CrewMember& member = problem.crew[shift.member];
    if (shift.site >= sites) return Violation(shift, "no such site");
    if (shift.desk < 0 || shift.desk >= problem.site_desks[shift.site]) {
      return Violation(shift, "no such desk");
    }
    if (shift.role != kRoleSampler && shift.role != kRoleScanner) {
      return Violation(shift, "role is neither sampler nor scanner");
    }
    if (!(member.roles & shift.role)) return Violation(shift, "member lacks the role");
    if (member.home_site != kNoId && member.home_site != shift.site) {
      return Violation(shift, "not the member's home site");
    }
    if (shift.first_wave >= shift.end_wave || shift.first_wave < member.first_wave ||
        shift.end_wave > member.end_wave || shift.first_wave < 0 || shift.end_wave > waves) {
      return Violation(shift, "outside the member's availability or the round");
    }
    for (int w = shift.first_wave; w < shift.end_wave; ++w) {
      uint32_t& where = at[size_t{shift.member} * waves + w];
      if (where != kIdle) return Violation(shift, absl::StrCat("in two places in wave ", w));
      where = i;
      auto& holders = shift.role == kRoleSampler ? sampler_at : scanner_at;
      uint32_t& holder = holders[size_t{shift.site} * waves + w][shift.desk];
      if (holder != kIdle) return Violation(shift, absl::StrCat("desk taken in wave ", w));
      holder = shift.member;
    }
  }
  // Every desk with one role has the other; the count matches and fits.
  int64_t staffed_total = 0;
  for (uint32_t s = 0; s < sites; ++s) {
    for (int w = 0; w < waves; ++w) {
      const size_t cell = size_t{s} * waves + w;
      int staffed = 0;
      for (int d = 0; d < problem.site_desks[s]; ++d) {
        const bool sampler = sampler_at[cell][d] != kIdle, scanner = scanner_at[cell][d] != kIdle;
        if (sampler != scanner) {
          return absl::InternalError(absl::StrCat("staffing: site ", s, " desk ", d, " wave ", w,
                                                  " has a ", sampler ? "sampler" : "scanner",
                                                  " without a ",
                                                  sampler ? "scanner" : "sampler"));
        }
        staffed += sampler;
      }
      if (staffed != cover.desks_staffed[cell] || staffed > problem.desks_needed[cell]) {
        return absl::InternalError(absl::StrCat("staffing: site ", s, " wave ", w, " staffs ",
                                                staffed, " desks, recorded ",
                                                cover.desks_staffed[cell], ", needed ",
                                                problem.desks_needed[cell]));
      }
      staffed_total += staffed;
    }
  }
  if (staffed_total != cover.desk_waves_staffed) {
    return absl::InternalError(absl::StrCat("staffing: ", staffed_total,
                                            " desk-waves staffed, recorded ",
                                            cover.desk_waves_staffed));
  }
  // Stints: maximal runs of worked waves per member.
  for (uint32_t m = 0; m < members; ++m) {
    int last_end = -1;  // end of the previous stint (exclusive), -1: none
    int w = 0;
    while (w < waves) {
      if (at[size_t{m} * waves + w] == kIdle) {
        ++w;
        continue;
      }
      const CoverShift& first = cover.shifts[at[size_t{m} * waves + w]];
      const int start = w;
      while (w < waves && at[size_t{m} * waves + w] != kIdle) {
        const CoverShift& shift = cover.shifts[at[size_t{m} * waves + w]];
        if (shift.site != first.site || shift.role != first.role) {
          return Violation(shift, "changes site or role inside a stint");
        }
        ++w;
      }
      if (w - start > problem.cycle.max_waves_per_stint) {
        return Violation(first, absl::StrCat("stint of ", w - start, " waves is over the cap of ",
                                             problem.cycle.max_waves_per_stint));
      }
      if (last_end >= 0 && start - last_end < problem.cycle.min_idle_waves) {
        return Violation(first, absl::StrCat("only ", start - last_end,
                                             " waves off since the last stint, needs ",
                                             problem.cycle.min_idle_waves));
      }
      last_end = w;
    }
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine::plan::internal
