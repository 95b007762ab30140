// ResidentWord: the 64-bit word that holds one resident's state in an open
// round (DESIGN.md §5: "one atomic 64-bit word per resident").
//
// Layout:
//   bits 61..63  state (ResidentState)
//   bits 32..60  desk (while kClaimed) or tube (once sampled)
//   bits 27..31  position in the tube, 0-based (sampled)
//   bits  0..26  scan time, seconds after the round's epoch (about 4 years)
//
// A sampled word keeps how the resident stood before (due at a site,
// door-to-door, exempt), so progress can be counted from the words alone.
//
// Thread-safety: a plain value; the atomics live in ResidentTable.
#ifndef SWABWAVE_ENGINE_CORE_RESIDENT_WORD_H_
#define SWABWAVE_ENGINE_CORE_RESIDENT_WORD_H_

#include <cstdint>

namespace swabwave::engine::core {

enum class ResidentState : uint8_t {
  kUntested = 0,           // due at a site
  kDoorToDoor = 1,         // due, to be sampled at home
  kExempt = 2,             // not due
  kClaimed = 3,            // a check-in won the CAS and is taking a tube position
  kSampled = 4,            // sampled; was due at a site
  kSampledDoorToDoor = 5,  // sampled; was on the door-to-door list
  kSampledExempt = 6,      // sampled; was exempt
  kNotTargeted = 7,        // outside a targeted round: never sampled in it
};

inline bool IsSampled(ResidentState state) {
  return static_cast<uint8_t>(static_cast<uint8_t>(state) -
                              static_cast<uint8_t>(ResidentState::kSampled)) <= 2;
}
inline bool IsSampleable(ResidentState state) { return state <= ResidentState::kExempt; }

// The sampled state for a resident who stood at `before`.
inline ResidentState SampledFrom(ResidentState before) {
  return static_cast<ResidentState>(static_cast<uint8_t>(ResidentState::kSampled) +
                                    static_cast<uint8_t>(before));
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

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_RESIDENT_WORD_H_
