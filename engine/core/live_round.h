// LiveRound: the lock-free state of one round that is taking check-ins —
// the resident board, the desks and their tubes, and the progress counters
// (DESIGN.md §5, "Lock-free core").
//
// CheckIn is the hot path: a code lookup in an immutable index, one CAS on
// the resident's word, one fetch-add on the desk's word, a few relaxed
// counter increments. It takes no lock, allocates nothing and logs nothing.
// Its outcome is a plain value; the service layer turns it into a status.
//
// Example:
//   LiveRound round(spec);            // from Round::Plan (engine/round.h)
//   round.rack().RackTube(desk, "TB-000001");
//   CheckInResult r = round.CheckIn(desk, "SW4KQ...", now_unix_s, tag);
//   if (r.verdict == CheckInVerdict::kSampled) ... r.tube, r.slot ...
//
// Thread-safety: CheckIn, the readers and the counters may be called from
// any number of threads; rack() documents its own rare locking paths.
#ifndef SWABWAVE_ENGINE_CORE_LIVE_ROUND_H_
#define SWABWAVE_ENGINE_CORE_LIVE_ROUND_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/core/code_index.h"
#include "engine/core/desk_rack.h"
#include "engine/core/resident_board.h"
#include "engine/model/ids.h"

namespace swabwave::engine::core {

enum class CheckInVerdict : uint8_t {
  kSampled,             // this attempt sampled the resident
  kReplayed,            // same request tag sampled them before: the original answer
  kAlreadySampled,      // another attempt sampled them first (ALREADY_EXISTS)
  kUnknownResident,     // code not in the round (NOT_FOUND)
  kUnknownDesk,         // desk index out of range (NOT_FOUND)
  kNoOpenTube,          // the desk has no open tube (FAILED_PRECONDITION)
  kScanTimeOutOfRange,  // scan time outside the round's storable range
  kRoundNotOpen,        // the round is not open (set by Round, not LiveRound)
};

// The 32-bit tag a check-in's request id is stored as.
uint32_t RequestTag(absl::string_view request_id);

// The outcome of a check-in. For kSampled and kReplayed the fields describe
// this attempt's swab; for kAlreadySampled they describe the first one.
struct CheckInResult {
  CheckInVerdict verdict = CheckInVerdict::kUnknownResident;
  uint32_t resident = kNoId;
  TubeIndex tube = kNoId;
  DeskIndex desk = kNoId;
  uint32_t slot = 0;  // 0-based
  bool tube_full = false;
  int64_t scan_unix_seconds = 0;
};

// What a round needs to know about each of its residents, in round order.
struct ResidentSeed {
  ResidentState state = ResidentState::kUntested;  // kUntested, kDoorToDoor or kExempt
  uint32_t building = kNoId;                       // round-wide building index
  CellIndex cell = kNoId;                          // planned (site, wave), or kNoId
};

struct LiveRoundSpec {
  int pool_ratio = 10;
  int64_t epoch_unix_seconds = 0;    // scan times are stored relative to this
  const CodeIndex* index = nullptr;  // code -> resident; must outlive the round
  std::vector<ResidentSeed> residents;
  uint32_t building_count = 0;
  uint32_t cell_count = 0;
  uint32_t site_count = 0;
  std::vector<uint32_t> desk_sites;  // per desk: its round-wide site index
};

class LiveRound {
 public:
  // Per building, what changed since the plan: padded so that desks
  // sampling different buildings do not share a cache line.
  struct alignas(64) BuildingTally {
    std::atomic<int32_t> sampled{0};
    std::atomic<int32_t> exempt_sampled{0};
    std::atomic<int32_t> door_to_door_sampled{0};
  };
  struct alignas(64) PaddedCounter {
    std::atomic<int64_t> value{0};
  };

  explicit LiveRound(LiveRoundSpec spec);
  LiveRound(const LiveRound&) = delete;
  LiveRound& operator=(const LiveRound&) = delete;

  // Checks the resident with `code` in at `desk`, scanned at
  // `scan_unix_seconds`. `request_tag` identifies the attempt (a hash of its
  // request id): a retry with the same tag gets kReplayed and the original
  // answer. Lock-free; see the file comment.
  CheckInResult CheckIn(DeskIndex desk, absl::string_view code, int64_t scan_unix_seconds,
                        uint32_t request_tag);

  // A resident's current word (never kClaimed).
  ResidentWord Read(uint32_t resident) const { return board_.Read(resident); }
  int64_t ScanUnixSeconds(ResidentWord word) const { return epoch_ + word.scan_offset(); }

  DeskRack& rack() { return rack_; }
  const DeskRack& rack() const { return rack_; }
  const CodeIndex& index() const { return *index_; }
  uint32_t resident_count() const { return board_.size(); }
  int pool_ratio() const { return rack_.pool_ratio(); }
  int64_t epoch_unix_seconds() const { return epoch_; }

  const BuildingTally& building_tally(uint32_t building) const { return buildings_[building]; }
  int64_t cell_sampled(CellIndex cell) const {
    return cells_sampled_[cell].value.load(std::memory_order_relaxed);
  }
  int64_t site_check_ins(uint32_t site) const {
    return site_check_ins_[site].value.load(std::memory_order_relaxed);
  }
  uint32_t building_count() const { return building_count_; }
  uint32_t cell_count() const { return cell_count_; }
  uint32_t site_count() const { return site_count_; }
  CellIndex cell_of(uint32_t resident) const { return resident_cells_[resident]; }
  uint32_t building_of(uint32_t resident) const { return board_.slot(resident).building; }

  // Bytes held by the board, the cells and the counters (not the index).
  size_t MemoryBytes() const;

 private:
  CheckInResult Describe(CheckInVerdict verdict, uint32_t resident, ResidentWord word) const;
  void CountSample(uint32_t resident, ResidentState before, DeskIndex desk);

  const int64_t epoch_;
  const CodeIndex* const index_;
  ResidentBoard board_;
  std::vector<CellIndex> resident_cells_;
  DeskRack rack_;
  std::vector<uint32_t> desk_sites_;
  const uint32_t building_count_;
  const uint32_t cell_count_;
  const uint32_t site_count_;
  std::unique_ptr<BuildingTally[]> buildings_;
  std::unique_ptr<PaddedCounter[]> cells_sampled_;
  std::unique_ptr<PaddedCounter[]> site_check_ins_;
};

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_LIVE_ROUND_H_
