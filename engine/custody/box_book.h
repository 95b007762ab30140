// BoxBook: the transport boxes of one round and their chain of custody
// (issue 17; DESIGN.md §4.7 and §7, "Sample journey").
//
// Sealed tubes are packed into a box at their site (or by their
// door-to-door team); a courier picks the box up; a lab receives it and
// scans its tubes one by one. Each hand-over is one signed event — who
// made it (a token's description, never the token) and when (the
// server's clock) — and the chain is one order: packed → picked up →
// received. A tube is in at most one box.
//
// A box's age runs from the oldest swab in it: past kWarnAfter without
// reaching a lab it is a warning, past kBreachAfter a breach, and a box
// that reached the lab breached is never tested: its members are
// resampled.
//
// The same hand-over again (a retry, or a journal record a snapshot
// already holds) answers the box as it stands, `replayed`.
//
// Thread-safety: every member function takes the book's mutex; boxes are
// few (one per up to 200 tubes) and hand-overs rare.
#ifndef SWABWAVE_ENGINE_CUSTODY_BOX_BOOK_H_
#define SWABWAVE_ENGINE_CUSTODY_BOX_BOOK_H_

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

namespace swabwave::engine::custody {

// Values are journaled: never renumber.
enum class BoxState : uint8_t { kPacked = 1, kPickedUp = 2, kReceived = 3 };
absl::string_view BoxStateName(BoxState state);  // "packed", "picked up", "received"

// Guidance: a specimen at room temperature reaches the lab within 2-4 h.
inline constexpr int64_t kWarnAfterSeconds = 3 * 3600;
inline constexpr int64_t kBreachAfterSeconds = 4 * 3600;
enum class BoxAge : uint8_t { kFresh, kWarning, kBreach };
absl::string_view BoxAgeName(BoxAge age);  // "fresh", "warning", "breach"
inline BoxAge AgeOf(int64_t age_seconds) {
  if (age_seconds >= kBreachAfterSeconds) return BoxAge::kBreach;
  if (age_seconds >= kWarnAfterSeconds) return BoxAge::kWarning;
  return BoxAge::kFresh;
}

// The most bytes of a signer's description or a lab id kept.
inline constexpr size_t kMaxSignerBytes = 100;

// One hand-over: who made it, and when.
struct Signature {
  std::string by;  // "courier 3fa2c1d9": a token's description
  int64_t at_unix_seconds = 0;
};

struct Box {
  std::string barcode;
  DeskIndex desk = kNoId;         // the desk (a site's, or a team's) that packed it
  std::vector<TubeIndex> tubes;   // in the order packed
  int64_t oldest_swab_unix_seconds = 0;
  BoxState state = BoxState::kPacked;
  Signature packed;
  Signature picked_up;            // from kPickedUp on
  Signature received;             // kReceived
  std::string lab_id;             // kReceived: the lab that received it
  std::vector<TubeIndex> missing;       // kReceived: packed, not scanned by the lab
  std::vector<std::string> unexpected;  // kReceived: scanned by the lab, not packed

  // Seconds from the oldest swab to its arrival at the lab, or to `now`
  // while it travels.
  int64_t AgeSeconds(int64_t now_unix_seconds) const {
    const int64_t until = state == BoxState::kReceived ? received.at_unix_seconds : now_unix_seconds;
    return until - oldest_swab_unix_seconds;
  }
  // Reached the lab past kBreachAfterSeconds: its members are resampled.
  bool ArrivedBreached() const {
    return state == BoxState::kReceived && AgeOf(AgeSeconds(0)) == BoxAge::kBreach;
  }
};

// Where one tube stands in its box: what a result and a call-back need,
// without a copy of the box's tube list (a box may hold 1,000 tubes, and
// a lab reports them one by one) or of its barcode (BoxBook::BarcodeOf,
// for the messages of the rare refusal).
struct TubeCustody {
  uint32_t box = 0;  // the box's place in the book
  BoxState state = BoxState::kPacked;
  std::string lab_id;      // kReceived: the lab that received the box
  bool missing = false;    // kReceived without this tube in the lab's scan
  int64_t oldest_swab_unix_seconds = 0;
  int64_t received_unix_seconds = 0;  // kReceived

  // As Box::AgeSeconds and Box::ArrivedBreached.
  int64_t AgeSeconds(int64_t now_unix_seconds) const {
    return (state == BoxState::kReceived ? received_unix_seconds : now_unix_seconds) -
           oldest_swab_unix_seconds;
  }
  bool ArrivedBreached() const {
    return state == BoxState::kReceived && AgeOf(AgeSeconds(0)) == BoxAge::kBreach;
  }
};

class BoxBook {
 public:
  struct Recorded {
    Box box;                // as the book holds it after the call
    bool replayed = false;  // this hand-over was recorded before: nothing changed
  };

  // Packs `box` (state kPacked; its tubes checked by the caller: sealed,
  // of its desk's site). The same box again (same barcode, desk and tubes)
  // answers `replayed`. ALREADY_EXISTS for a barcode packed with other
  // tubes, or a tube already in another box (naming the box). `journal`
  // runs for a new box under the book's lock, so records reach the
  // journal in the book's order (it must not call back into the book).
  [[nodiscard]] absl::StatusOr<Recorded> Pack(
      Box box, const std::function<void(const Box&)>& journal = {});
  // kPacked -> kPickedUp. NOT_FOUND for an unknown box; a box picked up or
  // received already answers `replayed`.
  [[nodiscard]] absl::StatusOr<Recorded> PickUp(
      absl::string_view barcode, Signature courier,
      const std::function<void(const Box&)>& journal = {});
  // kPickedUp -> kReceived, by `lab_id`, with the tubes the lab scanned
  // (their barcodes; `scanned_tubes[i]` is the tube index of scanned[i],
  // or kNoId for a barcode the round does not know). NOT_FOUND for an
  // unknown box; FAILED_PRECONDITION for a box no courier picked up; a
  // box received already answers `replayed` (its first scan stands).
  [[nodiscard]] absl::StatusOr<Recorded> Receive(
      absl::string_view barcode, absl::string_view lab_id, Signature lab,
      const std::vector<std::string>& scanned, const std::vector<TubeIndex>& scanned_tubes,
      const std::function<void(const Box&)>& journal = {});

  std::optional<Box> Find(absl::string_view barcode) const;
  // The box `tube` was packed into, if any.
  std::optional<Box> BoxOf(TubeIndex tube) const;
  // Where `tube` stands in its box, if it is in one.
  std::optional<TubeCustody> CustodyOf(TubeIndex tube) const;
  // The barcode of the box at `box` (TubeCustody::box).
  std::string BarcodeOf(uint32_t box) const;
  // Whether `tube` is in a box (cheaper than BoxOf: copies nothing).
  bool Holds(TubeIndex tube) const;
  // Every box, in the order packed.
  std::vector<Box> All() const;
  size_t size() const;

  // Recovery: a journaled box as it stood after a hand-over (a kBoxPacked,
  // kBoxPickedUp or kBoxReceived record), idempotent. DATA_LOSS when it
  // contradicts the book: another box's tube, or a step out of order.
  [[nodiscard]] absl::Status Restore(const Box& box);

 private:
  std::optional<size_t> IndexOf(absl::string_view barcode) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable std::mutex mu_;
  std::vector<Box> boxes_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> by_barcode_ ABSL_GUARDED_BY(mu_);  // -> boxes_
  absl::flat_hash_map<TubeIndex, size_t> by_tube_ ABSL_GUARDED_BY(mu_);       // -> boxes_
};

}  // namespace swabwave::engine::custody

#endif  // SWABWAVE_ENGINE_CUSTODY_BOX_BOOK_H_
