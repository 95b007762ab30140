// Progress types: what the command center sees of a round (counts per
// community, compound, building, site and wave, and the untested list).
// Computed by Round (round.h) from the plan and the live counters.
//
// Thread-safety: plain values.
#ifndef SWABWAVE_ENGINE_ROUND_PROGRESS_H_
#define SWABWAVE_ENGINE_ROUND_PROGRESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/model/ids.h"

namespace swabwave::engine {

// Where a page of `limit` rows from `offset` ends in a list of `total`:
// min(total, offset + limit), without the sum wrapping around for an
// offset near 2^64 (a page token from a client), so a page past the end is
// empty and has no next page.
inline uint64_t PageEnd(uint64_t offset, uint64_t limit, uint64_t total) {
  if (offset >= total) return total;
  return total - offset <= limit ? total : offset + limit;
}

// The visit counts are of residents not sampled, by their latest visit
// (engine/visits/visit_book.h). Moved away is off the due count; not home,
// refused and in hospital stay due and remaining, accounted for. Rows by
// site and wave follow the plan's cells and leave visits out.
struct ProgressCounts {
  int64_t due = 0;           // expected to be sampled (exempt and moved away excluded)
  int64_t sampled = 0;       // of those due, sampled
  int64_t remaining = 0;     // due - sampled
  int64_t exempt = 0;        // exempt and not sampled
  int64_t door_to_door = 0;  // door-to-door residents not yet sampled
  int64_t not_home = 0;      // visited, not home (visited again)
  int64_t refused = 0;
  int64_t in_hospital = 0;
  int64_t moved_away = 0;    // not in `due`
  int64_t walk_ins = 0;      // registered and sampled at a desk (in `due` and `sampled`)

  // Remaining with no visit to account for them: nobody knows why yet.
  int64_t unaccounted() const { return remaining - not_home - refused - in_hospital; }

  ProgressCounts& operator+=(const ProgressCounts& o) {
    due += o.due;
    sampled += o.sampled;
    remaining += o.remaining;
    exempt += o.exempt;
    door_to_door += o.door_to_door;
    not_home += o.not_home;
    refused += o.refused;
    in_hospital += o.in_hospital;
    moved_away += o.moved_away;
    walk_ins += o.walk_ins;
    return *this;
  }
};

enum class ProgressLevel : uint8_t { kCommunity, kCompound, kBuilding, kSite, kWave, kTeam };

struct ProgressRow {
  std::string key;    // e.g. "communities/kangcheng/buildings/c01-b03", "sites/s2", "waves/3"
  std::string label;  // a name for people
  ProgressCounts counts;
  // Site rows: check-ins performed there; the door-to-door row and team
  // rows: check-ins at the door.
  int64_t check_ins_here = 0;
  // Of those, residents the plan put elsewhere. At a site: a walk-in
  // planned for another site, for a home visit, or exempt. By a team: a
  // neighbour met on the way, not on the door-to-door list (off route).
  int64_t off_plan = 0;
  int64_t visits_here = 0;                         // team rows: visits recorded
  absl::Time window_start = absl::InfinitePast();  // wave rows
};

struct ProgressReport {
  ProgressCounts total;
  std::vector<ProgressRow> rows;  // the requested page
  size_t total_rows = 0;          // rows at this level in all
  uint64_t tubes_sealed = 0;
};

struct UntestedResident {
  uint32_t resident = kNoId;  // round-wide dense id
  std::string code;
  std::string community_id;
  std::string building_id;
  std::string unit_id;
  std::string household_id;
  std::string site_id;  // empty for door-to-door
  int wave = -1;
  bool door_to_door = false;
  // Visits by door-to-door teams, and the latest's outcome (when visits > 0).
  uint32_t visits = 0;
  uint8_t last_visit = 0;  // visits::VisitOutcome
};

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_ROUND_PROGRESS_H_
