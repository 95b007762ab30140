// RosterDiff: what a re-import changes in a community's roster, counted and
// listed before it is applied (issue 18: "Re-importing a community shows the
// difference first").
//
// Residents are matched by code, the only thing that names a person across
// versions. A resident is added (a code the earlier version lacks), removed
// (a code the later one lacks), moved (another household, or a household
// now in another unit) or has its flags changed (mobility-limited or an
// exemption); one resident may be both moved and changed. Other tables
// (buildings, units, households, sites, staff) are matched by id and only
// counted, with the ids added and removed: they name places and posts, not
// people.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_ROSTER_ROSTER_DIFF_H_
#define SWABWAVE_ENGINE_ROSTER_ROSTER_DIFF_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/community.h"
#include "engine/model/ids.h"

namespace swabwave::engine::roster {

struct ResidentChange {
  ResidentId before = kNoId;  // in the earlier version; kNoId: added
  ResidentId after = kNoId;   // in the later version; kNoId: removed
  bool moved = false;
  bool flags_changed = false;

  bool added() const { return before == kNoId; }
  bool removed() const { return after == kNoId; }
};

// Ids of one table (buildings, sites ...) that one version has and the
// other lacks.
struct TableChange {
  std::string table;  // "buildings", "units", "households", "sites", "staff"
  std::vector<std::string> added;
  std::vector<std::string> removed;
};

struct RosterDiff {
  uint64_t added = 0;
  uint64_t removed = 0;
  uint64_t moved = 0;
  uint64_t flags_changed = 0;
  uint64_t unchanged = 0;
  // The later version's changed residents in its row order, then the
  // removed in the earlier version's row order.
  std::vector<ResidentChange> changes;
  // Only tables with a change.
  std::vector<TableChange> tables;

  bool empty() const { return changes.empty() && tables.empty(); }
};

// What turns `before` into `after` (two versions of one community).
RosterDiff DiffRosters(const Community& before, const Community& after);

}  // namespace swabwave::engine::roster

#endif  // SWABWAVE_ENGINE_ROSTER_ROSTER_DIFF_H_
