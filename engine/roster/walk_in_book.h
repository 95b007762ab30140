// WalkInBook: the people a round registered at a desk because they were on
// no roster (a visitor, a new tenant), each sampled there in the same step
// (issue 18, "Walk-ins"). A walk-in is not in the round's resident table
// (its index is fixed while the round lives): the book is their roster in
// this round, and the next round's roster version takes them in
// (Registry::CreateRound).
//
// A walk-in's swab takes a position in the desk's open tube like a
// check-in's; the tube's member there is `walk_in_member(index)`, past the
// round's residents.
//
// Thread-safety: every method takes the book's mutex (walk-ins are rare:
// a few per site a day; DESIGN.md lets "registering an unknown walk-in"
// lock).
#ifndef SWABWAVE_ENGINE_ROSTER_WALK_IN_BOOK_H_
#define SWABWAVE_ENGINE_ROSTER_WALK_IN_BOOK_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "engine/model/ids.h"

namespace swabwave::engine::roster {

struct WalkIn {
  uint32_t community = 0;  // position in the round's communities
  std::string code;
  std::string unit_id;
  std::string household_id;
  bool new_household = false;  // the registration made the household
  DeskIndex desk = kNoId;
  TubeIndex tube = kNoId;
  uint32_t slot = 0;  // 0-based position in the tube
  int64_t scan_unix_seconds = 0;
  uint64_t request = 0;  // RequestFingerprint of the registration's request id
};

// Names a walk-in server-wide: its round (index in creation order) and its
// registration's request.
inline uint64_t WalkInKey(uint32_t round_index, uint64_t request) {
  uint64_t x = request ^ (uint64_t{round_index} * 0x9e3779b97f4a7c15ULL);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  return x ^ (x >> 31);
}

class WalkInBook {
 public:
  struct Recorded {
    WalkIn walk_in;  // as first recorded under its request
    uint32_t index = 0;
    bool replayed = false;  // the request was recorded before: nothing changed
  };
  // Records `walk_in` (checked by the caller) unless its request was
  // recorded before (then: that one, `replayed`). `journal(walk_in, index)`
  // runs for a new one under the book's lock, so records reach the journal
  // in the book's order (it must not call back into the book).
  Recorded Record(WalkIn walk_in,
                  const std::function<void(const WalkIn&, uint32_t)>& journal = {});
  std::optional<Recorded> FindRequest(uint64_t request) const;
  std::optional<Recorded> FindCode(absl::string_view code) const;
  // Whether a walk-in made household `id` in community `community`, and in
  // which unit.
  std::optional<std::string> UnitOfNewHousehold(uint32_t community, absl::string_view id) const;
  // Every walk-in in the order recorded.
  std::vector<WalkIn> All() const;
  // The walk-in recorded `index`-th; none past the last.
  std::optional<WalkIn> At(uint32_t index) const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<WalkIn> walk_ins_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, uint32_t> by_request_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> by_code_ ABSL_GUARDED_BY(mu_);
};

}  // namespace swabwave::engine::roster

#endif  // SWABWAVE_ENGINE_ROSTER_WALK_IN_BOOK_H_
