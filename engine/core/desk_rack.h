// DeskRack: every desk of an open round, its rack of scanned tubes, and the
// swabs in each tube (DESIGN.md §5, "tube racks").
//
// A desk's state is one atomic 64-bit word {current tube, fill}. A check-in
// takes its position in the open tube with one fetch-add (a batch of them
// takes all its positions with one); the swab that fills the tube seals it
// and rotates the desk to the next racked tube.
// Racked tubes form a linked list per desk (TubeRecord::next), appended by
// the tablet's OpenTube. A household scanned together takes its positions
// with one CAS (TakeGroup), sealing the open tube early when the household
// would not fit in what is left of it. When the desk has no tube to rotate to, its word
// holds a fill of kSealedFill or more ("no open tube"), and racking a tube
// later activates it. Every step is a CAS or fetch-add that any thread may
// complete for another (a stalled filler never blocks a desk), so the
// check-in path takes no lock.
//
// Invariants (DESIGN.md §4.2): a tube never holds more than the pool ratio;
// positions in a tube are handed out once each; a sealed tube takes no swab.
//
// Ownership: the rack copies every barcode it is given (RackTube,
// RestoreTubes); a TubeView holds its own copy. BarcodeOf's view points into
// the rack and stays valid while the rack lives (a racked tube's barcode
// never changes). LiveRound owns the rack.
//
// Thread-safety: TakePositions, SetMember, Member, Tube, HasOpenTube,
// DeskOf, BarcodeOf and the counters are lock-free and may be called from
// any thread. RackTube and FindTube take mu_, and SealTube takes it to find
// the tube and then seals it with a CAS (rare paths: a tablet scanning a new
// tube or sealing by hand); all may run concurrently with check-ins.
// RackTube's `on_racked` runs under mu_ and must not call back into the
// rack. RestoreTubes and RebuildAfterRestore are for recovery, before the
// rack is shared.
#ifndef SWABWAVE_ENGINE_CORE_DESK_RACK_H_
#define SWABWAVE_ENGINE_CORE_DESK_RACK_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/core/chunked_array.h"
#include "engine/model/code_arena.h"
#include "engine/model/ids.h"

namespace swabwave::engine::core {

enum class TubeState : uint8_t { kRacked, kOpen, kSealed };

// A tube as the outside world sees it at one instant.
struct TubeView {
  TubeIndex index = kNoId;
  std::string barcode;
  DeskIndex desk = kNoId;
  TubeState state = TubeState::kRacked;
  uint32_t swabs = 0;
};

// Where a check-in's swab went.
struct TubePosition {
  TubeIndex tube = kNoId;
  uint32_t slot = 0;    // 0-based position in the tube
  bool filled = false;  // this swab filled (and so sealed) the tube
};

class DeskRack {
 public:
  static constexpr uint32_t kSealedFill = 1u << 31;
  // The most positions one TakePositions asks for. A take that runs past a
  // full tube leaves its surplus in the fill until the tube rotates; bounded
  // takes keep that far below kSealedFill.
  static constexpr uint32_t kMaxTake = 1024;
  static constexpr size_t kMaxTubes = size_t{1} << 24;

  // `desk_count` desks; every tube holds at most `pool_ratio` swabs.
  DeskRack(uint32_t desk_count, int pool_ratio);
  DeskRack(const DeskRack&) = delete;
  DeskRack& operator=(const DeskRack&) = delete;

  // Scans a tube into `desk`'s rack; if the desk has no open tube, it opens.
  // Errors: ALREADY_EXISTS (barcode used in this round), RESOURCE_EXHAUSTED
  // (kMaxTubes). REQUIRES: desk < desk_count(), barcode validated.
  // `on_racked`, if given, runs under the rack's lock once the tube has its
  // index and tube_count() shows it (before any check-in can use it), so
  // that what it records (a journal append) is in index order and a
  // snapshot covering the record sees the tube.
  [[nodiscard]] absl::StatusOr<TubeView> RackTube(
      DeskIndex desk, absl::string_view barcode,
      absl::FunctionRef<void(TubeIndex)> on_racked = [](TubeIndex) {});

  // Seals the desk's open tube `barcode` by hand. Errors: NOT_FOUND (no such
  // tube), FAILED_PRECONDITION (at another desk, already sealed, only
  // racked, or empty).
  [[nodiscard]] absl::StatusOr<TubeView> SealTube(DeskIndex desk, absl::string_view barcode);

  // Hands out the next `count` positions at the desk, in order, into
  // out[0, count): as many as its open tube holds, then, once that tube is
  // full and sealed, the next racked tube's. Returns how many it handed out:
  // fewer than `count` only when the desk ran out of tubes (the rest get no
  // position). Lock-free. REQUIRES: desk < desk_count(), count <= kMaxTake.
  // Inline: the common case is one fetch-add and a compare, for the whole
  // count (a tablet's batch takes its positions with one locked instruction).
  uint32_t TakePositions(DeskIndex desk, uint32_t count, TubePosition* out) {
    // Acquire pairs with the CAS that opened the tube: its record is visible.
    const uint64_t word = desks_[desk].word.fetch_add(count, std::memory_order_acq_rel);
    const uint32_t fill = FillOf(word);
    if (fill + count < ratio_) [[likely]] {
      const TubeIndex tube = TubeOf(word);
      for (uint32_t j = 0; j < count; ++j) out[j] = TubePosition{tube, fill + j, false};
      return count;
    }
    return TakePositionsSlow(desk, count, out, word);
  }

  // Hands out `count` positions for swabs scanned together (one household)
  // so that they share a tube: when the open tube has fewer free positions
  // than `count`, it is sealed early with the swabs it holds (`sealed_early`
  // runs for it: the caller journals it as a seal by hand) and the next
  // racked tube takes the group. Returns `count`, or 0 when the desk has no
  // tube for the group (nothing taken; a tube sealed early stays sealed, and
  // a retry after racking a tube finds a fresh one). A group of more than
  // the pool ratio cannot share a tube: it is taken as TakePositions takes
  // it, which may return fewer. Lock-free: a CAS loop on the desk's word,
  // which every fetch-add of TakePositions sees as it sees a seal by hand.
  // REQUIRES: desk < desk_count(), count <= kMaxTake.
  uint32_t TakeGroup(DeskIndex desk, uint32_t count, TubePosition* out,
                     absl::FunctionRef<void(TubeIndex)> sealed_early);

  // Recovery from a dense snapshot, into an empty rack before any other
  // call: racks tube i at desks[i] with barcode barcodes.Get(i), with one
  // allocation pass (RackTube per tube costs a lock, a walk over the chunks
  // and a TubeView each). The barcode index is built by the first call that
  // needs it (RackTube, SealTube, FindTube: 0.1-0.7 s for a million
  // tubes, under the rack's lock; check-ins never wait for it). DATA_LOSS
  // for a rack that is not empty, barcodes and desks of different counts,
  // a desk out of range or more than kMaxTubes tubes; a repeated
  // barcode is not looked for (the snapshot's CRC vouches for it) and finds
  // its first tube.
  [[nodiscard]] absl::Status RestoreTubes(absl::Span<const DeskIndex> desks,
                                          const CodeArena& barcodes);

  // Recovery, after every check-in was restored (SetMember) and before any
  // other call: recomputes each desk's open tube and fill, and each sealed
  // tube's count, from the members. Per desk, in rack order, the last tube
  // with a swab or a seal by hand (`sealed_by_hand`, per tube index) is
  // where the desk stood; every tube before it is sealed with the swabs it
  // holds. That tube stays open at its highest position + 1 unless it is
  // full or was sealed by hand, in which case the next racked tube opens.
  // A check-in whose record a crash lost (never acknowledged) leaves its
  // position empty: the tube holds one swab fewer, never more.
  void RebuildAfterRestore(const std::vector<bool>& sealed_by_hand);

  // Records which resident's swab sits at (tube, slot).
  void SetMember(TubeIndex tube, uint32_t slot, uint32_t resident) {
    // Release: a reader of a sealed tube's members sees the resident id.
    members_[size_t{tube} * ratio_ + slot].store(resident, std::memory_order_release);
  }
  // Starts fetching the line of Member(tube, slot) (bulk recovery).
  void PrefetchMember(TubeIndex tube, uint32_t slot) const {
    __builtin_prefetch(&members_[size_t{tube} * ratio_ + slot], 1, 3);
  }
  // kNoId while the check-in that took the slot is still completing.
  uint32_t Member(TubeIndex tube, uint32_t slot) const {
    return members_[size_t{tube} * ratio_ + slot].load(std::memory_order_acquire);
  }

  // REQUIRES: tube < tube_count().
  TubeView Tube(TubeIndex tube) const;
  std::optional<TubeIndex> FindTube(absl::string_view barcode) const;
  // Whether `desk` has an open tube right now.
  bool HasOpenTube(DeskIndex desk) const;
  // The desk of a tube. REQUIRES: tube < tube_count() (published to caller).
  DeskIndex DeskOf(TubeIndex tube) const { return tubes_[tube].desk; }
  // The barcode of a tube, without copying it (fixed once racked).
  // REQUIRES: tube < tube_count() (published to caller).
  absl::string_view BarcodeOf(TubeIndex tube) const { return tubes_[tube].barcode; }

  uint32_t desk_count() const { return static_cast<uint32_t>(desks_.size()); }
  int pool_ratio() const { return static_cast<int>(ratio_); }
  uint32_t tube_count() const { return tube_count_.load(std::memory_order_acquire); }
  // Swabs taken at each desk: in its sealed tubes plus its open tube, from
  // one pass over the tubes (O(tubes), a query path: sealing a tube bumps no
  // shared counter). May lag by one tube for the instant between a tube's
  // rotation and the recording of its seal.
  std::vector<uint64_t> SwabsPerDesk() const;
  // Tubes sealed so far (one pass over the tubes).
  uint64_t sealed_tubes() const;
  size_t MemoryBytes() const;

 private:
  static constexpr uint32_t kNoTube = kNoId;

  struct TubeRecord {
    std::string barcode;  // written before publication, immutable after
    DeskIndex desk = kNoId;
    std::atomic<TubeIndex> next{kNoTube};   // the desk's next racked tube
    std::atomic<uint32_t> sealed_swabs{0};  // final count once sealed, else 0
  };

  // One cache line per desk: desks are written by different tablets.
  struct alignas(64) Desk {
    std::atomic<uint64_t> word;             // {tube << 32 | fill}
    std::atomic<TubeIndex> first{kNoTube};  // first tube racked at the desk
    TubeIndex last = kNoTube;               // last tube racked; guarded by mu_
  };

  static uint64_t Word(TubeIndex tube, uint32_t fill) { return (uint64_t{tube} << 32) | fill; }
  static TubeIndex TubeOf(uint64_t word) { return static_cast<TubeIndex>(word >> 32); }
  static uint32_t FillOf(uint64_t word) { return static_cast<uint32_t>(word); }

  // The rest of TakePositions: a take that fills the tube (or runs past
  // it), a desk without an open tube, a full tube not yet rotated. `word` is
  // the first fetch-add's, which added `count`.
  uint32_t TakePositionsSlow(DeskIndex desk, uint32_t count, TubePosition* out, uint64_t word);
  // Seals `tube` once it is full and opens the next racked tube (or marks
  // the desk as having none); any thread that sees a full tube may do it.
  void RotateFull(Desk& desk, TubeIndex tube);
  // Marks `tube` sealed with `swabs` after the CAS that closed it succeeded.
  void RecordSeal(TubeIndex tube, uint32_t swabs);
  // Indexes the tubes RestoreTubes left unindexed. REQUIRES: mu_ held.
  void IndexRestoredTubesLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // If the desk has no open tube and a racked one follows, opens it.
  // Returns whether the desk has an open tube afterwards.
  bool ActivateNext(Desk& desk);

  const uint32_t ratio_;
  std::vector<Desk> desks_;
  ChunkedArray<TubeRecord, 4096, kMaxTubes / 4096> tubes_;
  ChunkedArray<std::atomic<uint32_t>, 65536, (kMaxTubes * kMaxPoolRatio) / 65536> members_;
  std::atomic<uint32_t> tube_count_{0};

  // std::mutex rather than absl::Mutex: ThreadSanitizer sees pthread locks,
  // but not Debian's prebuilt (uninstrumented) Abseil.
  mutable std::mutex mu_;
  // Mutable: const lookups index restored tubes on first use.
  mutable absl::flat_hash_map<std::string, TubeIndex> tube_by_barcode_ ABSL_GUARDED_BY(mu_);
  // Tubes [0, unindexed_tubes_) restored but not yet in tube_by_barcode_.
  mutable uint32_t unindexed_tubes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_DESK_RACK_H_
