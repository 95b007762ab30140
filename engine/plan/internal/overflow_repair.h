// Overflow repair (issue 4, step d, second half): households the wave
// filling could not place within W* waves (household rounding can push a
// site a few residents past its places, and waves rarely fill to the last
// place) move to a cell with room, trying in turn:
//   1. a wave that keeps their building within two consecutive waves, at
//      the building's nearest sites first, then the community's others;
//   2. any wave below W* with room, same site order (walking before waves
//      order: W* is met either way);
//   3. the earliest later wave of the round (the plan then uses more than
//      W* waves and reports it).
// Within a community the flow's slack (places minus load) is what the
// repair spends; it never overfills a cell.
//
// Thread-safety: a pure function of its arguments.
#ifndef SWABWAVE_ENGINE_PLAN_INTERNAL_OVERFLOW_REPAIR_H_
#define SWABWAVE_ENGINE_PLAN_INTERNAL_OVERFLOW_REPAIR_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "engine/plan/internal/community_demand.h"
#include "engine/plan/internal/wave_filling.h"

namespace swabwave::engine::plan::internal {

// Places every household left at kNoWave. Returns how many households it
// moved, or RESOURCE_EXHAUSTED (naming the community) when no cell of the
// round has room for one.
[[nodiscard]] absl::StatusOr<int64_t> RepairOverflow(const CommunityDemand& demand,
                                                     const Community& community, int waves,
                                                     CommunityWaves& placed);

}  // namespace swabwave::engine::plan::internal

#endif  // SWABWAVE_ENGINE_PLAN_INTERNAL_OVERFLOW_REPAIR_H_
