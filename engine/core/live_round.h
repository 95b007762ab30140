// LiveRound: the lock-free state of one round that is taking check-ins —
// the resident table's words, the desks and their tubes (DESIGN.md §5,
// "Lock-free core").
//
// CheckIn is the hot path: one probe of the resident table (one cache line
// holds the code, the state word and the request tag), one CAS to claim the
// resident, one CAS in the request index (a request id names one attempt:
// request_index.h), one fetch-add on the desk's word for the tube position,
// one release store to publish. No lock, no allocation, no log, and no shared
// counter: totals and per-site counts come from the tubes, and by building
// or wave from a scan of the words (Scan). CheckInBatch does the same for a
// tablet's message: it prefetches every resident's line first so that their
// cache misses overlap (and their request index lines), claims the residents, then takes all their tube
// positions with one fetch-add per desk — or, for a household scanned
// together (CheckInAttempt::with_previous), one CAS that keeps it in one
// tube.
//
// Example:
//   LiveRound round(round->LiveSpec(plan));       // engine/round/round.h
//   round.rack().RackTube(desk, "TB-000001");
//   CheckInResult r = round.CheckIn(desk, "SW4KQ...", now_unix_s, RequestFingerprint(id));
//   if (r.verdict == CheckInVerdict::kSampled) ... r.tube, r.slot ...
//
// Durability (DESIGN.md §4.3): given a CheckInLog, a check-in is handed to
// the log after it took effect and before it is published. Until then the
// resident's word reads kClaimed, so a double scan at another desk, or a
// retry, waits and then reports a check-in whose record is already
// appended: a caller that waits for "everything appended so far" to be
// durable never answers with a check-in that a crash could lose.
//
// Ownership: the round borrows its ResidentTable (LiveRoundSpec::table,
// owned by Round), which must outlive it; it owns its DeskRack. The `log`
// given to CheckIn or CheckInBatch, and an attempt's code, need only stay
// valid for that call.
//
// Thread-safety: CheckIn, CheckInBatch, Read, RequestOf, Scan and the
// counters may be called from any number of threads; rack() documents its
// own rare locking paths. MoveToCell must not run alongside Scan (Round
// keeps them apart with its lock). Restore, AdoptSnapshotWords and
// FinishRestore are for recovery, before any other call. The constructor
// writes the table's words: no other LiveRound may use the same table at
// the same time.
#ifndef SWABWAVE_ENGINE_CORE_LIVE_ROUND_H_
#define SWABWAVE_ENGINE_CORE_LIVE_ROUND_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/core/desk_rack.h"
#include "engine/core/request_index.h"
#include "engine/core/resident_table.h"
#include "engine/core/resident_word.h"
#include "engine/model/ids.h"

namespace swabwave::engine::core {

enum class CheckInVerdict : uint8_t {
  kSampled,             // this attempt sampled the resident
  kReplayed,            // same request id sampled them before: the original answer
  kAlreadySampled,      // another attempt sampled them first (ALREADY_EXISTS)
  kRequestReused,       // the request id sampled another resident (INVALID_ARGUMENT)
  kUnknownResident,     // code not in the round (NOT_FOUND)
  kUnknownDesk,         // desk index out of range (NOT_FOUND)
  kNoOpenTube,          // the desk has no open tube (FAILED_PRECONDITION)
  kScanTimeOutOfRange,  // scan time outside the round's storable range
  kNotTargeted,         // the resident is outside the targeted round (FAILED_PRECONDITION)
  kRoundNotOpen,        // the round is not open (set by Round, not LiveRound)
};

struct CheckInAttempt {
  DeskIndex desk = kNoId;
  absl::string_view code;
  int64_t scan_unix_seconds = 0;
  uint64_t request = 0;  // RequestFingerprint of the attempt's request id
  // Scanned together with the previous attempt of the batch, at the same
  // desk (one household): the attempts of such a run share a tube when
  // they fit in one (DeskRack::TakeGroup). Ignored by CheckIn.
  bool with_previous = false;
};

// The outcome of a check-in. For kSampled and kReplayed the fields describe
// this attempt's swab; for kAlreadySampled they describe the first one; for
// kRequestReused `resident` is the one the request id sampled (or is
// sampling), and nothing else is set.
struct CheckInResult {
  CheckInVerdict verdict = CheckInVerdict::kUnknownResident;
  uint32_t resident = kNoId;
  TubeIndex tube = kNoId;
  DeskIndex desk = kNoId;
  uint32_t slot = 0;  // 0-based
  bool tube_full = false;
  int64_t scan_unix_seconds = 0;
  uint64_t request = 0;  // kSampled: the attempt's request fingerprint (for the journal)
};

// Receives every check-in that sampled a resident, while its word still
// reads kClaimed (see the file comment). Called with a handful at a time
// (at most LiveRound::kPrefetchWindow); must not call back into the round.
// Record runs on each checking-in thread, so on many threads at once: an
// implementation must be thread-safe. `sampled` is valid only during the
// call.
class CheckInLog {
 public:
  virtual ~CheckInLog() = default;
  virtual void Record(absl::Span<const CheckInResult> sampled) = 0;
  // `tube` at `desk` was sealed early to keep a household together
  // (DeskRack::TakeGroup); called before the Record of the check-ins that
  // then went into the next tube. Recovery must see it as a seal by hand.
  virtual void RecordEarlySeal(DeskIndex desk, TubeIndex tube) = 0;
};

struct LiveRoundSpec {
  int pool_ratio = 10;
  int64_t epoch_unix_seconds = 0;  // scan times are stored relative to this
  ResidentTable* table = nullptr;  // must outlive the round
  // Per resident id: kUntested, kDoorToDoor or kExempt, and the planned
  // (site, wave) cell or kNoId.
  std::vector<ResidentState> initial;
  std::vector<CellIndex> cells;
  uint32_t site_count = 0;
  // Per desk: its round-wide site, or site_count for a door-to-door team's
  // desk (those come after every site's); a site's desks are adjacent.
  std::vector<uint32_t> desk_sites;
  // Recovery from a dense snapshot: the table's words and tags came from
  // the image; leave them for AdoptSnapshotWords instead of resetting them,
  // and take the cells per table position from `cells_by_position` (also
  // from the image) instead of gathering them from `cells` (`cells` and
  // `initial` are then unused). REQUIRES: cells_by_position.size() ==
  // table->capacity(), every cell kNoId or a cell of the plan.
  bool keep_words = false;
  std::vector<CellIndex> cells_by_position;
};

class LiveRound {
 public:
  // Most check-ins CheckInBatch prefetches ahead of processing.
  static constexpr size_t kPrefetchWindow = 32;

  explicit LiveRound(LiveRoundSpec spec);
  LiveRound(const LiveRound&) = delete;
  LiveRound& operator=(const LiveRound&) = delete;

  // Checks the resident with `code` in at `desk`, scanned at
  // `scan_unix_seconds`. `request` identifies the attempt
  // (RequestFingerprint of its request id): a retry with the same one gets
  // kReplayed and the original answer; the same one for another resident,
  // kRequestReused. Lock-free; see the file comment.
  // `log`, if not null, records the check-in before it is published.
  CheckInResult CheckIn(DeskIndex desk, absl::string_view code, int64_t scan_unix_seconds,
                        uint64_t request, CheckInLog* log = nullptr);
  // The same for many attempts; results[i] answers attempts[i].
  // REQUIRES: results.size() == attempts.size().
  void CheckInBatch(absl::Span<const CheckInAttempt> attempts, absl::Span<CheckInResult> results,
                    CheckInLog* log = nullptr);

  // Recovery: marks `resident` sampled in (tube, slot) as a journaled
  // check-in says, by the request with fingerprint `request` (of which only
  // the low half is known when `request_whole` is false: a record written
  // before the request index, whose request id then guards nothing). A
  // record already applied (a snapshot overlapping the journal) is skipped.
  // DATA_LOSS when the record contradicts the state (out of range, or the
  // resident sampled elsewhere).
  [[nodiscard]] absl::Status Restore(uint32_t resident, TubeIndex tube, uint32_t slot,
                                     int64_t scan_unix_seconds, uint64_t request,
                                     bool request_whole);
  // Recovery from a dense snapshot (spec.keep_words), after the tubes the
  // image lists were racked again: takes over every word the image
  // carried. A sampled word in a tube this rack does not have (racked after
  // the snapshot began: its records replay from the journal) goes back to
  // the standing it was sampled from; every other sampled word becomes its
  // tube's member. DATA_LOSS for a word that reads claimed or no state, a
  // position past the pool ratio, or two residents in one place. (Words
  // are not checked against the plan's standings: a mismatch, which only a
  // forged image could carry, would miscount progress but reads nothing out
  // of bounds.) Then takes the image's request index entries
  // (RequestIndex::Adopt; empty for an image written before the index).
  [[nodiscard]] absl::Status AdoptSnapshotWords(absl::string_view request_entries);
  // The planned cell per table position (written into a dense snapshot).
  const std::vector<CellIndex>& cells_by_position() const { return cells_; }
  // A re-plan moved `resident` to `cell` (engine/plan/replan.h). Not
  // atomic: REQUIRES that no Scan runs meanwhile (the round's lock, held
  // exclusively, keeps them out). The check-in path never reads cells.
  void MoveToCell(uint32_t resident, CellIndex cell) { cells_[table_->position_of(resident)] = cell; }
  // Recovery: rebuilds the desks from the restored check-ins (DeskRack::
  // RebuildAfterRestore).
  void FinishRestore(const std::vector<bool>& sealed_by_hand) {
    rack_.RebuildAfterRestore(sealed_by_hand);
  }

  // A resident's current word, waiting out a claim in flight (so never
  // kClaimed). REQUIRES: resident < resident_count().
  ResidentWord Read(uint32_t resident) const { return ReadAt(table_->position_of(resident)); }
  // The fingerprint of the request that sampled `resident`, and whether it is
  // whole (see Restore); meaningful once Read says sampled.
  struct Request {
    uint64_t fingerprint = 0;
    bool whole = false;
  };
  Request RequestOf(uint32_t resident) const;

  // Calls visit(resident, word, building, cell) for every resident, in table
  // order. Words are read as they are at that instant (a claim in flight
  // reads as not yet sampled).
  template <typename Visit>
  void Scan(Visit&& visit) const {
    for (uint32_t position = 0; position < table_->capacity(); ++position) {
      const ResidentTable::Slot& slot = table_->at(position);
      if (slot.resident == kNoId) continue;
      visit(slot.resident, ResidentWord(slot.word.load(std::memory_order_acquire)),
            table_->building_at(position), cells_[position]);
    }
  }

  DeskRack& rack() { return rack_; }
  const DeskRack& rack() const { return rack_; }
  const RequestIndex& requests() const { return requests_; }
  const ResidentTable& table() const { return *table_; }
  uint32_t resident_count() const { return table_->resident_count(); }
  int pool_ratio() const { return rack_.pool_ratio(); }
  int64_t epoch_unix_seconds() const { return epoch_; }
  uint32_t site_count() const { return site_count_; }
  uint32_t building_of(uint32_t resident) const {
    return table_->building_at(table_->position_of(resident));
  }

  // Check-ins performed per site / in all, counted from the tubes (a pass
  // over them, not a counter on the hot path).
  std::vector<uint64_t> CheckInsPerSite() const;
  uint64_t TotalCheckIns() const;
  // Exempt and door-to-door residents sampled so far (rare; counted as they
  // happen so that totals need no scan).
  uint64_t exempt_sampled() const { return exempt_sampled_.value.load(std::memory_order_relaxed); }
  uint64_t door_to_door_sampled() const {
    return door_to_door_sampled_.value.load(std::memory_order_relaxed);
  }

  // Bytes held by the words' table, the cells, the request index and the
  // desks.
  size_t MemoryBytes() const;

 private:
  struct alignas(64) PaddedCounter {
    std::atomic<uint64_t> value{0};
  };

  // One call's check-ins in flight: the residents it claimed and has not
  // yet settled (their words read kClaimed).
  struct Batch {
    absl::Span<const CheckInAttempt> attempts;
    absl::Span<CheckInResult> results;
    CheckInLog* log = nullptr;
    bool has_groups = false;  // some attempt is scanned with the previous one
    int claimed = 0;
    uint32_t index[kPrefetchWindow];  // into attempts and results
    ResidentTable::Slot* slots[kPrefetchWindow];
    uint64_t unclaimed[kPrefetchWindow];  // each word as it was before the claim
  };

  // Looks attempts[i] up and claims its resident, or answers it at once
  // (unknown, already sampled, no open tube...).
  void Claim(size_t i, const ResidentTable::Key& key, Batch& batch);
  // Gives the batch's claims their tube positions (one fetch-add per run of
  // claims at one desk), hands the sampled ones to the log, then publishes
  // their words. A claim left without a position (the desk ran out of
  // tubes) is undone and answered kNoOpenTube.
  void Settle(Batch& batch);
  // Takes the positions of claims [first, end) at `desk` for Settle: one
  // TakePositions for the whole run, or, where households were scanned
  // together, one TakeGroup per household. Returns how many claims, from
  // `first` on, got a position; `placed[c]` says which.
  void TakeRun(Batch& batch, DeskIndex desk, int first, int end, TubePosition* positions,
               bool* placed);
  // Whether claims c - 1 and c of the batch are one household's.
  static bool SameGroup(const Batch& batch, int c);
  // A claim got `tube`: records the swab in the tube and fills `result`.
  void Sample(uint32_t resident, const CheckInAttempt& attempt, const TubePosition& tube,
              CheckInResult& result);
  // Makes a sampled claim visible: its word (claimed from `unclaimed`)
  // names the tube.
  void Publish(ResidentTable::Slot& slot, uint64_t unclaimed, const CheckInAttempt& attempt,
               const TubePosition& tube);
  // Gives up a claim that did not sample (its desk ran out of tubes): its
  // request index entry, then its word (claimed from `unclaimed`).
  void Undo(ResidentTable::Slot& slot, uint64_t unclaimed, const CheckInAttempt& attempt);
  void CountRareStanding(ResidentState before);
  // A check-in that sampled no one (`resident` is kNoId when unknown).
  static CheckInResult Refusal(CheckInVerdict verdict, uint32_t resident);
  CheckInResult Describe(CheckInVerdict verdict, uint32_t resident, ResidentWord word) const;
  ResidentWord ReadAt(uint32_t position) const;

  const int64_t epoch_;
  ResidentTable* const table_;
  std::vector<CellIndex> cells_;  // per table position
  DeskRack rack_;
  RequestIndex requests_;
  const uint32_t site_count_;
  std::vector<DeskIndex> site_first_desk_;  // per site, plus one past the last
  PaddedCounter exempt_sampled_;
  PaddedCounter door_to_door_sampled_;
};

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_LIVE_ROUND_H_
