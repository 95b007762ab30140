// Whether a re-import may remove residents: not one who was sampled in a
// round still open (issue 18: "a re-import that removes a resident sampled
// in an open round (refused with a reason)"). The round keeps the version
// it pinned either way; refusing keeps the roster from disowning a person
// whose swab is on its way to the lab.
//
// Thread-safety: reads rounds lock-free (Round::FindResident, SampledAt).
#ifndef SWABWAVE_ENGINE_ROSTER_SAMPLED_REMOVAL_H_
#define SWABWAVE_ENGINE_ROSTER_SAMPLED_REMOVAL_H_

#include <vector>

#include "absl/status/status.h"
#include "engine/model/community.h"
#include "engine/roster/roster_diff.h"
#include "engine/round/round.h"

namespace swabwave::engine::roster {

// FAILED_PRECONDITION naming the first resident `diff` removes from
// `before` who is sampled in an open round of `rounds` (by row and
// household, never by code) and the round, with what to do instead; OK
// otherwise.
[[nodiscard]] absl::Status CheckNoSampledRemoved(const Community& before, const RosterDiff& diff,
                                                 const std::vector<Round*>& rounds);

}  // namespace swabwave::engine::roster

#endif  // SWABWAVE_ENGINE_ROSTER_SAMPLED_REMOVAL_H_
