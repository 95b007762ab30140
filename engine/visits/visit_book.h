// VisitBook: the door-to-door visits of one round (issue 18; DESIGN.md §7,
// "Door-to-door teams"). A team at a resident's door either samples them —
// a check-in at the team's desk, on the lock-free path like a site's — or
// records what happened instead: not home, refused, moved away, in
// hospital. Those outcomes are what this book holds.
//
// What an outcome means for the round (the latest visit counts):
//   not home     still due; on the team's next route
//   refused      accounted for, not sampled (with a reason)
//   moved away   off the round's due count (with a reason)
//   in hospital  accounted for, not sampled (with a reason)
// A later check-in outranks every visit: the resident is sampled.
//
// A visit is named by its request id's fingerprint (core::RequestFingerprint):
// the same one again answers with the visit it recorded (a retry), for
// whichever resident it names; recovery replays records through the same
// door, so a snapshot and the journal may repeat one.
//
// Example:
//   VisitBook book;
//   absl::StatusOr<VisitBook::Recorded> r = book.Record(visit);
//   if (r.ok() && !r->replayed) ... journal it ...
//
// Thread-safety: every member function takes the book's mutex; visits are
// rare (a few percent of residents), so one lock is enough.
#ifndef SWABWAVE_ENGINE_VISITS_VISIT_BOOK_H_
#define SWABWAVE_ENGINE_VISITS_VISIT_BOOK_H_

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

namespace swabwave::engine::visits {

// Values are journaled: never renumber.
enum class VisitOutcome : uint8_t {
  kNotHome = 1,
  kRefused = 2,
  kMovedAway = 3,
  kInHospital = 4,
};
inline constexpr uint8_t kLastVisitOutcome = 4;
absl::string_view VisitOutcomeName(VisitOutcome outcome);  // "not home", ...
// Whether an outcome needs a reason (all but not home).
inline bool NeedsReason(VisitOutcome outcome) { return outcome != VisitOutcome::kNotHome; }
// The longest reason kept, in bytes (a person's words, not a document).
inline constexpr size_t kMaxReasonBytes = 200;

struct Visit {
  uint32_t resident = kNoId;  // round-wide
  DeskIndex desk = kNoId;     // the team's desk (Round::ResolveTeam)
  VisitOutcome outcome = VisitOutcome::kNotHome;
  int64_t at_unix_seconds = 0;
  std::string reason;    // empty for not home
  uint64_t request = 0;  // RequestFingerprint of the visit's request id
};

// INVALID_ARGUMENT for an outcome out of range, a missing reason where one
// is needed, a reason where none belongs, or one past kMaxReasonBytes or
// with a control character.
[[nodiscard]] absl::Status ValidateVisit(const Visit& visit);

// The latest visit of one resident and how many they had.
struct ResidentVisits {
  VisitOutcome last = VisitOutcome::kNotHome;
  int64_t last_at_unix_seconds = 0;
  uint32_t count = 0;
};

// Residents per latest outcome.
struct VisitCounts {
  int64_t not_home = 0;
  int64_t refused = 0;
  int64_t moved_away = 0;
  int64_t in_hospital = 0;
  int64_t visits = 0;  // every visit recorded, a resident's repeats included
};

class VisitBook {
 public:
  struct Recorded {
    Visit visit;            // as first recorded under its request
    bool replayed = false;  // the request was recorded before: nothing changed
  };
  // Records `visit` (validated by the caller). A request recorded before
  // answers with its first visit and `replayed`. `journal(visit)` runs for
  // a new visit under the book's lock, so records reach the journal in the
  // book's order and a racing retry, answered `replayed`, finds the record
  // already appended (it must not call back into the book).
  Recorded Record(Visit visit, const std::function<void(const Visit&)>& journal = {});
  // The visit recorded under `request`, if any.
  std::optional<Visit> Find(uint64_t request) const;
  // The latest visit of `resident`; none when never visited.
  std::optional<ResidentVisits> Of(uint32_t resident) const;
  // Calls visit(resident, ResidentVisits) for every resident visited, in
  // no particular order, under the book's lock (the callee must not call
  // back into the book).
  template <typename Visitor>
  void ForEachVisited(Visitor&& visit) const {
    std::lock_guard lock(mu_);
    for (const auto& [resident, seen] : residents_) visit(resident, seen);
  }
  // Residents by their latest outcome, but those `left_out` names (a
  // round leaves out the sampled, since a check-in outranks a visit, and
  // whoever is not due).
  template <typename LeftOut>
  VisitCounts Count(LeftOut&& left_out) const {
    VisitCounts counts;
    ForEachVisited([&](uint32_t resident, const ResidentVisits& seen) {
      if (left_out(resident)) return;
      switch (seen.last) {
        case VisitOutcome::kNotHome: ++counts.not_home; break;
        case VisitOutcome::kRefused: ++counts.refused; break;
        case VisitOutcome::kMovedAway: ++counts.moved_away; break;
        case VisitOutcome::kInHospital: ++counts.in_hospital; break;
      }
    });
    counts.visits = static_cast<int64_t>(size());
    return counts;
  }
  // Every visit in the order recorded (for a snapshot).
  std::vector<Visit> History() const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<Visit> visits_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, size_t> by_request_ ABSL_GUARDED_BY(mu_);  // -> visits_
  absl::flat_hash_map<uint32_t, ResidentVisits> residents_ ABSL_GUARDED_BY(mu_);
};

}  // namespace swabwave::engine::visits

#endif  // SWABWAVE_ENGINE_VISITS_VISIT_BOOK_H_
