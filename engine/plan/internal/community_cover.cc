#include "engine/plan/internal/community_cover.h"

#include <algorithm>

namespace swabwave::engine::plan::internal {

void AvailableWaves(const RoundConfig& config, absl::Duration gear_change,
                    const Availability& availability, int& first_wave, int& end_wave) {
  const int waves = config.WaveCount();
  first_wave = waves;
  end_wave = 0;
  for (int w = 0; w < waves; ++w) {
    if (config.WaveStart(w) - gear_change < availability.from) continue;
    if (config.WaveEnd(w) + gear_change > availability.until) continue;
    first_wave = std::min(first_wave, w);
    end_wave = w + 1;
  }
  if (first_wave >= end_wave) first_wave = end_wave = 0;  // never on hand
}

DeskCoverProblem CommunityCoverProblem(const RoundLayout& layout, const RoundConfig& config,
                                       const Plan& plan, const std::vector<int32_t>& desks_needed,
                                       const StaffingOptions& options, const GearCycle& cycle,
                                       const RoundStaff& staff,
                                       const StaffAvailability& availability, uint32_t c) {
  const Community& community = layout.community(c);
  DeskCoverProblem problem;
  problem.wave_count = plan.wave_count;
  problem.cycle = cycle;
  for (uint32_t s = 0; s < community.sites.size(); ++s) {
    const uint32_t round_site = layout.site_base(c) + s;
    // A re-plan may give a site more desks than it was imported with.
    int desks = community.sites[s].desks;
    for (int w = 0; w < plan.wave_count; ++w) {
      desks = std::max(desks, plan.desks_of_cell(layout, plan.cell(round_site, w)));
      problem.desks_needed.push_back(desks_needed[plan.cell(round_site, w)]);
    }
    problem.site_desks.push_back(desks);
  }
  const Availability all_round;
  for (uint32_t i = 0; i < community.staff.size(); ++i) {
    const StaffMember& member = community.staff[i];
    CrewMember crew;
    crew.roles = member.roles;
    crew.home_site = member.home_site;  // a local SiteId: the problem's site index
    AvailableWaves(config, options.gear_change,
                   availability.empty() ? all_round : availability[staff.base[c] + i],
                   crew.first_wave, crew.end_wave);
    problem.crew.push_back(crew);
  }
  return problem;
}

}  // namespace swabwave::engine::plan::internal
