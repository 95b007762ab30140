// Which residents a targeted round covers (RoundConfig::target): those of
// the listed compounds, buildings and units, and the listed residents, in
// any of the round's communities.
//
// Thread-safety: pure function.
#ifndef SWABWAVE_ENGINE_MODEL_ROUND_TARGET_H_
#define SWABWAVE_ENGINE_MODEL_ROUND_TARGET_H_

#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"

namespace swabwave::engine {

// One entry per round resident, true when the target covers them; empty for
// a whole round. INVALID_ARGUMENT naming the id (or the code's position in
// the list, never the code) when an id or code is in none of the round's
// communities, and when the target covers nobody.
[[nodiscard]] absl::StatusOr<std::vector<bool>> TargetMask(const RoundLayout& layout,
                                                           const RoundTarget& target);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_MODEL_ROUND_TARGET_H_
