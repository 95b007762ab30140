#include "engine/plan/internal/overflow_repair.h"

#include <algorithm>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace swabwave::engine::plan::internal {

namespace {

// The building's nearest sites, then the community's other sites in index order.
std::vector<uint32_t> SitesToTry(const CommunityDemand& demand, const BuildingDemand& b) {
  std::vector<uint32_t> sites;
  std::vector<bool> listed(demand.site_count, false);
  for (const SiteDistance& near : demand.nearest_of(b)) {
    sites.push_back(near.site);
    listed[near.site] = true;
  }
  for (uint32_t s = 0; s < demand.site_count; ++s) {
    if (!listed[s]) sites.push_back(s);
  }
  return sites;
}

}  // namespace

absl::StatusOr<int64_t> RepairOverflow(const CommunityDemand& demand, const Community& community,
                                       int waves, CommunityWaves& placed) {
  int64_t moved = 0;
  for (const BuildingDemand& b : demand.buildings) {
    // Waves the building already uses.
    int first = demand.wave_count;
    int last = kNoWave;
    std::vector<uint32_t> overflow;
    for (uint32_t h = b.first_household; h < b.end_household; ++h) {
      if (placed.wave[h] == kNoWave) {
        overflow.push_back(h);
      } else {
        first = std::min(first, placed.wave[h]);
        last = std::max(last, placed.wave[h]);
      }
    }
    if (overflow.empty()) continue;
    const std::vector<uint32_t> sites = SitesToTry(demand, b);

    for (uint32_t h : overflow) {
      const int32_t due = demand.households[h].due;
      auto room = [&](uint32_t s, int w) -> int32_t& {
        return placed.room[size_t{s} * demand.wave_count + w];
      };
      // Waves that keep the building within two consecutive waves.
      int keep_from = 0;
      int keep_to = waves - 1;
      if (last != kNoWave) {
        keep_from = std::max(0, last - 1);
        keep_to = std::min(waves - 1, first + 1);
      }
      // Nearest site first inside W*; past W*, the earliest wave first.
      auto try_cells = [&](int from, int to, bool sites_first) {
        const int wave_span = std::max(0, to - from + 1);
        const size_t cells = sites.size() * static_cast<size_t>(wave_span);
        for (size_t i = 0; i < cells; ++i) {
          const uint32_t s = sites_first ? sites[i / wave_span] : sites[i % sites.size()];
          const int w = from + static_cast<int>(sites_first ? i % wave_span : i / sites.size());
          if (room(s, w) < due) continue;
          room(s, w) -= due;
          placed.site[h] = s;
          placed.wave[h] = w;
          first = std::min(first, w);
          last = std::max(last, w);
          return true;
        }
        return false;
      };
      const bool done = try_cells(keep_from, keep_to, true) || try_cells(0, waves - 1, true) ||
                        try_cells(waves, demand.wave_count - 1, false);
      if (!done) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "the sites cannot serve everyone due within the round: a household of ", due,
            " in community '", community.id,
            "' has no place at any site in any wave (places run out at household "
            "granularity); add desks or sites, lengthen the round, or raise the per-desk rate"));
      }
      ++moved;
    }
  }
  return moved;
}

}  // namespace swabwave::engine::plan::internal
