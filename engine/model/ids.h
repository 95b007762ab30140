// Dense integer ids for everything swabwave addresses.
//
// Ids are assigned at import in the order entities arrive and index flat
// vectors, so a lookup is an array access. Within a community every id is
// local to it (building 0 is the community's first building); a round
// renumbers residents densely across its communities (see core/).
//
// Thread-safety: plain values.
#ifndef SWABWAVE_ENGINE_MODEL_IDS_H_
#define SWABWAVE_ENGINE_MODEL_IDS_H_

#include <cstdint>
#include <limits>

namespace swabwave::engine {

using CompoundId = uint32_t;
using BuildingId = uint32_t;
using UnitId = uint32_t;
using HouseholdId = uint32_t;
using ResidentId = uint32_t;
using SiteId = uint32_t;
using StaffId = uint32_t;

// A round's dense ids (see core/live_round.h).
using DeskIndex = uint32_t;
using TubeIndex = uint32_t;
using CellIndex = uint32_t;  // a (site, wave) pair of a plan

inline constexpr uint32_t kNoId = std::numeric_limits<uint32_t>::max();

// Pool ratios the field uses: 1 (recalls), 5 (higher risk), 10 (default),
// 20 (low risk).
inline constexpr bool IsValidPoolRatio(int ratio) {
  return ratio == 1 || ratio == 5 || ratio == 10 || ratio == 20;
}
inline constexpr int kMaxPoolRatio = 20;

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_MODEL_IDS_H_
