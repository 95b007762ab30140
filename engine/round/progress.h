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

struct ProgressCounts {
  int64_t due = 0;           // expected to be sampled (exempt excluded)
  int64_t sampled = 0;       // of those due, sampled
  int64_t remaining = 0;     // due - sampled
  int64_t exempt = 0;        // exempt and not sampled
  int64_t door_to_door = 0;  // door-to-door residents not yet sampled

  ProgressCounts& operator+=(const ProgressCounts& o) {
    due += o.due;
    sampled += o.sampled;
    remaining += o.remaining;
    exempt += o.exempt;
    door_to_door += o.door_to_door;
    return *this;
  }
};

enum class ProgressLevel : uint8_t { kCommunity, kCompound, kBuilding, kSite, kWave };

struct ProgressRow {
  std::string key;    // e.g. "communities/kangcheng/buildings/c01-b03", "sites/s2", "waves/3"
  std::string label;  // a name for people
  ProgressCounts counts;
  int64_t check_ins_here = 0;                      // site rows: check-ins performed there
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
};

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_ROUND_PROGRESS_H_
