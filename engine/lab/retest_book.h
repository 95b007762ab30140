// RetestBook: the follow-up swabs of one round (issue 17; DESIGN.md
// invariant 5). A positive pool's members are recalled and retested; an
// invalid pool's members, and those of a box that reached the lab past its
// age limit, are called back to resample. Either way the person gives one
// more swab, in a tube of its own (1-in-1 whatever the round's pool
// ratio), so that its result is theirs alone.
//
// Each member gets at most one follow-up swab: a second is refused
// (ALREADY_EXISTS, carrying the first), a retry of the same request
// answers the first.
//
// A follow-up tube is named in the round's tube space past the rack's
// tubes (kFollowUpTubeBase + its index), so boxes and results take it as
// they take a pooled tube.
//
// Thread-safety: every member function takes the book's mutex.
#ifndef SWABWAVE_ENGINE_LAB_RETEST_BOOK_H_
#define SWABWAVE_ENGINE_LAB_RETEST_BOOK_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model/ids.h"

namespace swabwave::engine::lab {

// Follow-up tubes are TubeIndex kFollowUpTubeBase + i: past every rack's
// tubes (DeskRack::kMaxTubes is 2^24).
inline constexpr TubeIndex kFollowUpTubeBase = TubeIndex{1} << 31;
inline bool IsFollowUpTube(TubeIndex tube) { return tube >= kFollowUpTubeBase && tube != kNoId; }

// Values are journaled: never renumber.
enum class FollowUpReason : uint8_t {
  kRecall = 1,    // a positive pool: retest
  kResample = 2,  // an invalid pool, or a box past its age limit
};
absl::string_view FollowUpReasonName(FollowUpReason reason);  // "recall", "resample"

struct Retest {
  uint32_t member = kNoId;  // round-wide resident, or a walk-in's member id
  FollowUpReason reason = FollowUpReason::kRecall;
  std::string tube_barcode;
  DeskIndex desk = kNoId;  // the desk (a team's, mostly) that took the swab
  int64_t at_unix_seconds = 0;
  uint64_t request = 0;  // RequestFingerprint of the request id
};

class RetestBook {
 public:
  struct Recorded {
    Retest retest;  // as first recorded (under its request, or for its member)
    TubeIndex tube = kNoId;  // kFollowUpTubeBase + its index
    bool replayed = false;
  };
  // Records `retest` (checked by the caller: the member is called back,
  // the barcode is not a rack's). A request recorded before answers its
  // first retest, `replayed`. ALREADY_EXISTS for a member retested before
  // (`first` receives that one) or a barcode used before. `journal` runs
  // for a new retest under the book's lock (it must not call back).
  [[nodiscard]] absl::StatusOr<Recorded> Record(
      Retest retest, const std::function<void(const Retest&)>& journal = {},
      Recorded* first = nullptr);
  std::optional<Recorded> FindRequest(uint64_t request) const;
  std::optional<Recorded> OfMember(uint32_t member) const;
  std::optional<TubeIndex> FindBarcode(absl::string_view barcode) const;
  // REQUIRES: IsFollowUpTube(tube); none past the last.
  std::optional<Retest> At(TubeIndex tube) const;
  std::vector<Retest> All() const;
  size_t size() const;

  // Recovery: idempotent by request; DATA_LOSS when a record contradicts
  // the book (a member or barcode twice under different requests).
  [[nodiscard]] absl::Status Restore(const Retest& retest);

 private:
  mutable std::mutex mu_;
  std::vector<Retest> retests_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, uint32_t> by_request_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, uint32_t> by_member_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> by_barcode_ ABSL_GUARDED_BY(mu_);
};

}  // namespace swabwave::engine::lab

#endif  // SWABWAVE_ENGINE_LAB_RETEST_BOOK_H_
