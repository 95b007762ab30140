#include "engine/plan/internal/wave_filling.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace swabwave::engine::plan::internal {

namespace {

// Fills one site's waves with its households (indices into
// demand.households, in building order).
class SiteFiller {
 public:
  SiteFiller(const CommunityDemand& demand, uint32_t site, int waves, CommunityWaves& out)
      : demand_(demand), site_(site), waves_(waves), out_(out) {}

  // Places one building's households at this site.
  void PlaceBuilding(std::vector<uint32_t> households) {
    while (!households.empty()) {
      SkipFullWaves();
      if (wave_ >= waves_) return;  // the rest overflows: out_.wave stays kNoWave
      int32_t load = 0;
      for (uint32_t h : households) load += demand_.households[h].due;
      if (load <= Room()) {
        for (uint32_t h : households) Place(h);
        return;
      }
      households = CompleteWave(std::move(households));
      ++wave_;
    }
  }

 private:
  int32_t& Room() { return out_.room[size_t{site_} * demand_.wave_count + wave_]; }

  void SkipFullWaves() {
    while (wave_ < waves_ && Room() == 0) ++wave_;
  }

  void Place(uint32_t h) {
    out_.wave[h] = wave_;
    Room() -= demand_.households[h].due;
  }

  // Largest households first (earlier first among equals) while they fit;
  // returns those left for the next wave, in their original order.
  std::vector<uint32_t> CompleteWave(std::vector<uint32_t> households) {
    std::vector<uint32_t> by_size = households;
    std::stable_sort(by_size.begin(), by_size.end(), [&](uint32_t a, uint32_t b) {
      return demand_.households[a].due > demand_.households[b].due;
    });
    for (uint32_t h : by_size) {
      if (demand_.households[h].due <= Room()) Place(h);
    }
    std::erase_if(households, [&](uint32_t h) { return out_.wave[h] != kNoWave; });
    return households;
  }

  const CommunityDemand& demand_;
  const uint32_t site_;
  const int waves_;
  CommunityWaves& out_;
  int wave_ = 0;
};

}  // namespace

CommunityWaves FillWaves(const CommunityDemand& demand, std::vector<uint32_t> site_of_household,
                         int waves) {
  CommunityWaves out;
  out.site = std::move(site_of_household);
  out.wave.assign(demand.households.size(), kNoWave);
  out.room = demand.capacity;

  std::vector<SiteFiller> fillers;
  fillers.reserve(demand.site_count);
  for (uint32_t s = 0; s < demand.site_count; ++s) fillers.emplace_back(demand, s, waves, out);
  // A building the flow splits between sites is filled first at each of
  // its sites, so all its parts start in the first open wave instead of
  // wherever each site's building order would put them (which may be far
  // apart); the buildings that stay whole follow in building order.
  std::vector<bool> across_sites(demand.buildings.size(), false);
  for (size_t i = 0; i < demand.buildings.size(); ++i) {
    const BuildingDemand& b = demand.buildings[i];
    for (uint32_t h = b.first_household + 1; h < b.end_household; ++h) {
      if (out.site[h] != out.site[b.first_household]) across_sites[i] = true;
    }
  }
  std::vector<std::vector<uint32_t>> parts(demand.site_count);
  for (const bool split_pass : {true, false}) {
    for (size_t i = 0; i < demand.buildings.size(); ++i) {
      if (across_sites[i] != split_pass) continue;
      const BuildingDemand& b = demand.buildings[i];
      for (uint32_t h = b.first_household; h < b.end_household; ++h) {
        parts[out.site[h]].push_back(h);
      }
      for (uint32_t s = 0; s < demand.site_count; ++s) {
        if (parts[s].empty()) continue;
        fillers[s].PlaceBuilding(std::move(parts[s]));
        parts[s].clear();
      }
    }
  }
  return out;
}

}  // namespace swabwave::engine::plan::internal
