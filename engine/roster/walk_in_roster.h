// The roster version that takes in a round's walk-ins: once registered at a
// desk, a person is on the roster from then on (issue 18). The registry
// makes it when a round is next created over their community.
//
// Thread-safety: pure function.
#ifndef SWABWAVE_ENGINE_ROSTER_WALK_IN_ROSTER_H_
#define SWABWAVE_ENGINE_ROSTER_WALK_IN_ROSTER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/community.h"
#include "engine/roster/walk_in_book.h"

namespace swabwave::engine::roster {

struct KeyedWalkIn {
  WalkIn walk_in;
  uint64_t key = 0;  // WalkInKey
};

// `latest` with every walk-in of `walk_ins` whose code it lacks, in their
// households (made in their units when new), and every key of `walk_ins`
// in its walk_ins_taken_in (those already on it or left out too: none is
// offered again). A walk-in whose unit `latest` no longer has is left out
// (`left_out` counts them, if not null). The result's version is
// `latest`'s; the registry numbers it when it stores it.
[[nodiscard]] absl::StatusOr<Community> WithWalkIns(const Community& latest,
                                                    const std::vector<KeyedWalkIn>& walk_ins,
                                                    size_t* left_out = nullptr);

}  // namespace swabwave::engine::roster

#endif  // SWABWAVE_ENGINE_ROSTER_WALK_IN_ROSTER_H_
