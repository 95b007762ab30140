// ResidentBoard: one atomic 64-bit word per resident of an open round, the
// single source of truth for "has this person been sampled" (DESIGN.md §4.1).
//
// Word layout:
//   bits 61..63  state (ResidentState)
//   bits 32..60  desk (while kClaimed) or tube (once kSampled)
//   bits 27..31  position in the tube, 0-based (kSampled)
//   bits  0..26  scan time, seconds after the round's epoch (about 4 years)
//
// A check-in claims the word with one CAS from a not-yet-sampled state to
// kClaimed; only the winner goes on to take a tube position, then publishes
// kSampled with a release store. A loser that sees kClaimed waits for that
// publication (a few instructions away) and learns where the winner's swab
// went. If the winner finds no open tube it puts the original word back.
//
// Thread-safety: every member function may be called from any thread.
// Claim/Publish/Revert must follow each other on one thread for one
// resident, as LiveRound::CheckIn does.
#ifndef SWABWAVE_ENGINE_CORE_RESIDENT_BOARD_H_
#define SWABWAVE_ENGINE_CORE_RESIDENT_BOARD_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "engine/model/ids.h"

namespace swabwave::engine::core {

enum class ResidentState : uint8_t {
  kUntested = 0,    // due at a site
  kDoorToDoor = 1,  // due, to be sampled at home
  kExempt = 2,      // not due
  kClaimed = 3,     // a check-in won the CAS and is taking a tube position
  kSampled = 4,
};

inline bool IsSampleable(ResidentState state) {
  return state == ResidentState::kUntested || state == ResidentState::kDoorToDoor ||
         state == ResidentState::kExempt;
}

class ResidentWord {
 public:
  static constexpr int64_t kMaxScanOffset = (int64_t{1} << 27) - 1;
  static constexpr uint32_t kMaxPlace = (1u << 29) - 1;  // desk or tube

  constexpr explicit ResidentWord(uint64_t bits = 0) : bits_(bits) {}
  static constexpr ResidentWord Make(ResidentState state, uint32_t place, uint32_t slot,
                                     int64_t scan_offset) {
    return ResidentWord((uint64_t{static_cast<uint8_t>(state)} << 61) |
                        (uint64_t{place & kMaxPlace} << 32) | (uint64_t{slot & 31u} << 27) |
                        static_cast<uint64_t>(scan_offset & kMaxScanOffset));
  }

  ResidentState state() const { return static_cast<ResidentState>(bits_ >> 61); }
  uint32_t place() const { return static_cast<uint32_t>(bits_ >> 32) & kMaxPlace; }
  uint32_t slot() const { return static_cast<uint32_t>(bits_ >> 27) & 31u; }
  int64_t scan_offset() const { return static_cast<int64_t>(bits_ & kMaxScanOffset); }
  uint64_t bits() const { return bits_; }

 private:
  uint64_t bits_;
};

class ResidentBoard {
 public:
  // 16 bytes per resident: four to a cache line, never straddling one.
  struct alignas(16) Slot {
    std::atomic<uint64_t> word{0};
    // Hash of the request id that sampled the resident; meaningful once the
    // word says kSampled (published by that release store).
    std::atomic<uint32_t> request_tag{0};
    uint32_t building = kNoId;  // round-wide building index; immutable
  };

  explicit ResidentBoard(uint32_t residents)
      : size_(residents), slots_(std::make_unique<Slot[]>(residents)) {}

  // Sets a resident's starting state and building. REQUIRES: before the
  // board is shared with other threads.
  void Init(uint32_t resident, ResidentState state, uint32_t building) {
    slots_[resident].word.store(ResidentWord::Make(state, 0, 0, 0).bits(),
                                std::memory_order_relaxed);
    slots_[resident].building = building;
  }

  Slot& slot(uint32_t resident) { return slots_[resident]; }
  const Slot& slot(uint32_t resident) const { return slots_[resident]; }

  // Reads a resident's word, waiting out a claim in flight so the answer is
  // never "half sampled".
  ResidentWord Read(uint32_t resident) const;

  uint32_t size() const { return size_; }
  size_t MemoryBytes() const { return size_t{size_} * sizeof(Slot); }

 private:
  uint32_t size_;
  std::unique_ptr<Slot[]> slots_;
};

// Spins briefly, then yields: for waits on another thread's next few
// instructions (a claim about to be published, a tube about to rotate).
void BackoffPause(int& attempt);

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_RESIDENT_BOARD_H_
