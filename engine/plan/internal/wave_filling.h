// Wave filling (issue 4, step c): each site takes its households building
// by building, in building order, filling its waves one after the other.
// When a building does not fit the rest of a wave, the largest of its
// households that fit complete the wave and the others open the next one,
// so a wave boundary splits at most one building, across two consecutive
// waves. Households that do not fit in the first `waves` waves are left
// for the overflow repair (overflow_repair.h).
//
// Thread-safety: pure functions of their arguments.
#ifndef SWABWAVE_ENGINE_PLAN_INTERNAL_WAVE_FILLING_H_
#define SWABWAVE_ENGINE_PLAN_INTERNAL_WAVE_FILLING_H_

#include <cstdint>
#include <vector>

#include "engine/plan/internal/community_demand.h"

namespace swabwave::engine::plan::internal {

inline constexpr int kNoWave = -1;

// Where each household goes; parallel to CommunityDemand::households.
struct CommunityWaves {
  std::vector<uint32_t> site;  // local site
  std::vector<int> wave;       // kNoWave: overflow, not placed yet
  // Places left, [site * wave_count + wave], over all the round's waves.
  std::vector<int32_t> room;
};

// REQUIRES: site_of_household from RoundToHouseholds; 0 <= waves <= wave_count.
CommunityWaves FillWaves(const CommunityDemand& demand, std::vector<uint32_t> site_of_household,
                         int waves);

}  // namespace swabwave::engine::plan::internal

#endif  // SWABWAVE_ENGINE_PLAN_INTERNAL_WAVE_FILLING_H_
