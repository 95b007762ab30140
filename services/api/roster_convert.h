// The answer of a re-import (ImportCommunity with a mode) in its proto
// form: engine::roster::RosterDiff, with the codes, rows and households a
// command center reads, capped at kMaxListedChanges rows.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_API_ROSTER_CONVERT_H_
#define SWABWAVE_SERVICES_API_ROSTER_CONVERT_H_

#include "engine/model/community.h"
#include "engine/roster/roster_diff.h"
#include "swabwave/v1/planning.pb.h"

namespace swabwave::services {

// A city's re-import may change a million rows; the answer lists this many
// and counts the rest (RosterDiff.changes_truncated).
inline constexpr size_t kMaxListedChanges = 10'000;

// `diff` turns `base` into `after`; null `base`: a new community.
void RosterDiffToProto(const engine::Community* base, const engine::Community& after,
                       const engine::roster::RosterDiff& diff, ::swabwave::v1::RosterDiff* out);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_ROSTER_CONVERT_H_
