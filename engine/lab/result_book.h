// ResultBook: the lab results of one round's tubes, with their corrections
// (issue 17; DESIGN.md §7, "Sample journey").
//
// A lab reports one result per tube: negative, positive or invalid, with
// an optional Ct value and the instrument run that produced it. A report
// is named by its request id's fingerprint: the same one again answers
// the result it recorded (a retry). A second, different result for a tube
// is refused, carrying the first, unless it is a correction, which gives
// a reason; every report stays in the book's audit trail, and the latest
// is the tube's result.
//
// Example:
//   ResultBook book;
//   absl::StatusOr<ResultBook::Recorded> r = book.Record(report);
//   if (r.ok() && !r->replayed) ... journal it ...
//
// Thread-safety: every member function takes the book's mutex; results are
// one per tube (a few a second at a lab's pace, a thousand per batch).
#ifndef SWABWAVE_ENGINE_LAB_RESULT_BOOK_H_
#define SWABWAVE_ENGINE_LAB_RESULT_BOOK_H_

#include <array>
#include <cstdint>
#include <deque>
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

// Values are journaled: never renumber.
enum class TubeResult : uint8_t { kNegative = 1, kPositive = 2, kInvalid = 3 };
inline constexpr uint8_t kLastTubeResult = 3;
absl::string_view TubeResultName(TubeResult result);  // "negative", "positive", "invalid"

// A PCR's cycle threshold lies within its cycles (45 at most in practice).
inline constexpr double kMaxCt = 60.0;
inline constexpr size_t kMaxRunIdBytes = 64;
inline constexpr size_t kMaxReasonBytes = 200;

struct Report {
  TubeIndex tube = kNoId;
  TubeResult result = TubeResult::kNegative;
  std::optional<double> ct;        // cycle threshold, when the instrument gives one
  std::string run_id;              // the instrument run; may be empty
  std::string lab_id;              // the lab that reported it (its token's lab)
  std::string by;                  // the token's description
  int64_t at_unix_seconds = 0;     // the server's clock
  std::string correction_reason;   // set: this report corrects the tube's result
  uint64_t request = 0;            // RequestFingerprint of the report's request id
};

// INVALID_ARGUMENT for a result out of range, a Ct outside [0, kMaxCt], a
// run id or reason too long or with a control character.
[[nodiscard]] absl::Status ValidateReport(const Report& report);

class ResultBook {
 public:
  struct Recorded {
    // For a replay, the report that answers it (see Record); for a new
    // record, empty: the caller has what it sent (not copying it back
    // keeps a batch of a thousand results from copying each twice).
    Report report;
    bool replayed = false;  // the request was recorded before: nothing changed
  };
  // Records `report` (validated, and its tube checked, by the caller):
  //  - a request recorded before answers its report, `replayed`;
  //  - a tube without a result takes it;
  //  - the tube's current result again (a new request) answers the
  //    current report, `replayed`;
  //  - a different result with no correction_reason is ALREADY_EXISTS,
  //    and `conflict` (if given) receives the current report;
  //  - a correction replaces the current result and joins the trail.
  // `journal(report)` runs for a new report under the book's lock (it must
  // not call back into the book).
  [[nodiscard]] absl::StatusOr<Recorded> Record(
      Report report, const std::function<void(const Report&)>& journal = {},
      Report* conflict = nullptr);
  // What Record would answer, changing nothing: OK (with `replayed`
  // where Record would say so) or its ALREADY_EXISTS.
  [[nodiscard]] absl::StatusOr<Recorded> Check(const Report& report,
                                               Report* conflict = nullptr) const;
  // The current result of `tube`, if any.
  std::optional<Report> Of(TubeIndex tube) const;
  // The tubes whose current result is `result`, in the order they took it
  // (a positive's recall order); O(tubes that ever took it).
  std::vector<TubeIndex> TubesWith(TubeResult result) const;
  // Every report, corrections included, in the order recorded.
  std::vector<Report> Trail() const;
  // Calls visit(tube, current report) for every tube with a result, in no
  // particular order, under the book's lock.
  template <typename Visitor>
  void ForEachCurrent(Visitor&& visit) const {
    std::lock_guard lock(mu_);
    for (const auto& [tube, at] : current_) visit(tube, trail_[at]);
  }
  size_t size() const;  // reports in the trail

  // Recovery: a journaled report (idempotent by its request). DATA_LOSS
  // when a different result follows without a correction.
  [[nodiscard]] absl::Status Restore(const Report& report);

 private:
  // A retry, the same result again, or a conflict: Record's answers that
  // record nothing; none when the report is to be recorded.
  std::optional<absl::StatusOr<Recorded>> AnswerWithoutRecording(const Report& report,
                                                                  Report* conflict) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable std::mutex mu_;
  // A deque, not a vector: a million reports are appended without ever
  // being moved again (a vector's growth relocated them all, strings and
  // all, a cost a lab's batch paid).
  std::deque<Report> trail_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, size_t> by_request_ ABSL_GUARDED_BY(mu_);  // -> trail_
  absl::flat_hash_map<TubeIndex, size_t> current_ ABSL_GUARDED_BY(mu_);    // -> trail_
  // Per result, the tubes in the order they took it (TubesWith filters
  // those a correction changed since): a positive's recall list is ready
  // without a pass over every tube's result.
  std::array<std::vector<TubeIndex>, kLastTubeResult> took_ ABSL_GUARDED_BY(mu_);
};

}  // namespace swabwave::engine::lab

#endif  // SWABWAVE_ENGINE_LAB_RESULT_BOOK_H_
