#include "engine/forecast/demand.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::forecast {

namespace {

absl::Status PlanMismatch(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("plan ", what, "; forecast the plan made for this round's layout and config"));
}

}  // namespace

absl::StatusOr<std::vector<SiteDemand>> BuildDemand(const RoundLayout& layout,
                                                    const RoundConfig& config,
                                                    const plan::Plan& plan) {
  if (plan.site_count != layout.site_count()) {
    return PlanMismatch(
        absl::StrCat("has ", plan.site_count, " sites, the round ", layout.site_count()));
  }
  if (plan.wave_count != config.WaveCount() || plan.wave_count < 1) {
    return PlanMismatch(
        absl::StrCat("has ", plan.wave_count, " waves, the round ", config.WaveCount()));
  }
  if (plan.resident_cell.size() != layout.resident_count()) {
    return PlanMismatch(absl::StrCat("has ", plan.resident_cell.size(), " residents, the round ",
                                     layout.resident_count()));
  }

  if (!plan.cell_desks.empty() && plan.cell_desks.size() != plan.cell_count()) {
    return PlanMismatch(absl::StrCat("has desks for ", plan.cell_desks.size(), " cells, not ",
                                     plan.cell_count()));
  }

  // Parties per cell first, in household order; numbered per cell after.
  std::vector<std::vector<int32_t>> party_sizes_of_cell(plan.cell_count());
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const Community& community = layout.community(c);
    const Housing& housing = layout.housing(c);
    // Due members of a household share a cell in any valid plan; grouping by
    // cell anyway keeps a split household from becoming one party.
    std::vector<std::pair<CellIndex, int32_t>> cells_of_household;
    for (HouseholdId h = 0; h < community.households.size(); ++h) {
      cells_of_household.clear();
      for (ResidentId r : housing.residents_of(h)) {
        const CellIndex cell = plan.resident_cell[layout.resident_base(c) + r];
        if (cell == kNoId) continue;  // door-to-door or exempt
        if (cell >= plan.cell_count()) {
          return PlanMismatch(absl::StrCat("puts resident ", community.resident_code(r),
                                           " in cell ", cell, " of ", plan.cell_count()));
        }
        auto same = std::find_if(cells_of_household.begin(), cells_of_household.end(),
                                 [cell](const auto& entry) { return entry.first == cell; });
        if (same == cells_of_household.end()) {
          cells_of_household.emplace_back(cell, 1);
        } else {
          ++same->second;
        }
      }
      for (const auto& [cell, size] : cells_of_household) {
        party_sizes_of_cell[cell].push_back(size);
      }
    }
  }

  std::vector<SiteDemand> demand(layout.site_count());
  for (uint32_t s = 0; s < layout.site_count(); ++s) {
    SiteDemand& site = demand[s];
    site.site = s;
    site.desks_by_wave.resize(static_cast<size_t>(plan.wave_count));
    for (int w = 0; w < plan.wave_count; ++w) {
      site.desks_by_wave[w] = plan.desks_of_cell(layout, plan.cell(s, w));
      site.desks = std::max(site.desks, site.desks_by_wave[w]);
    }
    for (int w = 0; w < plan.wave_count; ++w) {
      const std::vector<int32_t>& sizes = party_sizes_of_cell[plan.cell(s, w)];
      const int32_t parties = static_cast<int32_t>(sizes.size());
      for (int32_t k = 0; k < parties; ++k) {
        site.parties.push_back(PlannedParty{w, sizes[k], k, parties});
        site.residents += sizes[k];
      }
    }
    if (site.residents > 0 && site.desks < 1) {
      return PlanMismatch(absl::StrCat("sends ", site.residents, " residents to site ",
                                       layout.site(s).id, ", which has no desks"));
    }
  }
  return demand;
}

}  // namespace swabwave::engine::forecast
