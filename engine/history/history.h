// History across rounds (issue 18): every round a resident was in —
// sampled where and when, missed, visited at home — and the residents who
// missed the last rounds they were due in, per building, for the building
// captain who knocks on their doors.
//
// A round keeps its own state (engine/round/round.h); history reads it,
// stores nothing, and needs no record of its own. It reads a round's words
// only once the round is open (its live state is fixed from then on), so it
// may run beside check-ins and re-plans of other rounds.
//
// Thread-safety: pure functions over rounds, which take their own locks.
#ifndef SWABWAVE_ENGINE_HISTORY_HISTORY_H_
#define SWABWAVE_ENGINE_HISTORY_HISTORY_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model/community.h"
#include "engine/round/round.h"

namespace swabwave::engine::history {

enum class RoundOutcome : uint8_t {
  kNotPlanned,  // the round has no plan yet
  kAwaiting,    // planned or open, not sampled yet
  kSampled,
  kMissed,      // due, and the round closed without a swab
  kNotDue,      // exempt, or found moved away
};
absl::string_view RoundOutcomeName(RoundOutcome outcome);  // "sampled", ...

// One round of a resident's history.
struct RoundEntry {
  const Round* round = nullptr;
  uint32_t resident = kNoId;  // round-wide; a walk-in's is past the residents
  uint32_t community = 0;     // position in the round's communities
  bool walk_in = false;       // registered (and sampled) at a desk in that round
  RoundOutcome outcome = RoundOutcome::kNotPlanned;
  // Sampled: where (the desk's name: a site's desk or a team's) and when.
  std::string desk;
  int64_t scan_unix_seconds = 0;
  std::string tube_barcode;
  // Door-to-door visits that did not sample, and the latest's outcome.
  std::optional<visits::ResidentVisits> visits;
};

// The resident with `code` in each of `rounds` that has them, in the
// order given (creation order from Registry::ListRounds).
std::vector<RoundEntry> ResidentHistory(const std::vector<Round*>& rounds, absl::string_view code);

// A resident who missed each of the last rounds they were due in.
struct MissedResident {
  ResidentId resident = 0;  // in the community
  std::vector<const Round*> rounds;  // the rounds missed, newest first
  // The latest visit of the newest round missed, when a team called.
  std::optional<visits::ResidentVisits> last_visit;
};
struct MissedBuilding {
  BuildingId building = 0;
  std::vector<MissedResident> residents;  // by resident id
};

// Residents of `community` who were due in at least `last` of its closed
// rounds among `rounds` and missed the `last` newest of those, grouped by
// building (buildings and residents in id order). INVALID_ARGUMENT unless
// 1 <= last <= 100.
[[nodiscard]] absl::StatusOr<std::vector<MissedBuilding>> MissedLastRounds(
    const std::vector<Round*>& rounds, const Community& community, int last);

}  // namespace swabwave::engine::history

#endif  // SWABWAVE_ENGINE_HISTORY_HISTORY_H_
