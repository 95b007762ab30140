// ResidentTable: a round's residents, laid out for the check-in path.
//
// One open-addressing table keyed by the resident's code, where each
// 32-byte slot holds everything a check-in touches: the resident's state
// word, the request tag of the check-in that sampled them, their dense id
// and the code itself (inline up to 16 bytes; longer codes spill to an
// arena). A check-in therefore costs one cache line: the table is both the
// code index and the board (DESIGN.md §5). Two slots share a line and none
// straddles one.
//
// Positions are fixed when the table is built (the index is immutable while
// the round lives); only the words and tags change. At most 70% full, with
// linear probing from a multiply-shift home position.
//
// Ownership: Build and Adopt return a table the caller owns (Round keeps it;
// LiveRound borrows it). Build copies every code (inline, or into the
// table's own arena), so `code_of`'s views need only last the call. A Slot&
// from at() is valid while the table lives (slots never move).
//
// Thread-safety: Build and Adopt are single-threaded. Find, Prefetch,
// AppendSlotsImage and the accessors may be called from any number of
// threads; the slots' atomics are written by LiveRound.
#ifndef SWABWAVE_ENGINE_CORE_RESIDENT_TABLE_H_
#define SWABWAVE_ENGINE_CORE_RESIDENT_TABLE_H_

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/core/code_hash.h"
#include "engine/core/huge_array.h"
#include "engine/model/code_arena.h"
#include "engine/model/ids.h"

namespace swabwave::engine::core {

// GCC and Clang's 128-bit integer, for the multiply-shift below.
__extension__ using Uint128 = unsigned __int128;

class ResidentTable {
 public:
  static constexpr size_t kInlineCode = 16;

  struct alignas(32) Slot {
    std::atomic<uint64_t> word{0};  // a ResidentWord
    // The low half of the fingerprint of the request id that sampled (or is
    // sampling) the resident (request_index.h); meaningful once the word
    // says sampled (published by that release store) or claimed.
    std::atomic<uint32_t> request_tag{0};
    uint32_t resident = kNoId;  // kNoId: an empty slot
    // The code, NUL-padded (codes are printable, so never contain NUL); or,
    // for a longer code, kSpilled followed by its index in the spill arena.
    char code[kInlineCode] = {};
  };
  static_assert(sizeof(Slot) == 32);

  // A code prepared for lookups: hashed once, padded for a two-word compare.
  struct Key {
    absl::string_view code;
    uint64_t hash = 0;
    uint64_t padded[2] = {0, 0};
  };

  // Builds the table of `count` residents; `code_of(i)` is resident i's
  // code and `building_of(i)` its round-wide building. INVALID_ARGUMENT
  // naming both residents (not the code) when two share a code.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ResidentTable>> Build(
      uint32_t count, const std::function<absl::string_view(uint32_t)>& code_of,
      const std::function<uint32_t(uint32_t)>& building_of);

  // ---- dense snapshot images (journal/round_image.h)

  // Bytes per slot in an image: word (8), request tag (4), resident (4) and
  // code (16), little-endian, as the slot sits in memory.
  static constexpr size_t kSlotImageBytes = 32;
  // The capacity Build gives `count` residents (an image must have it: the
  // home positions depend on it).
  static uint32_t CapacityFor(uint32_t count) {
    return static_cast<uint32_t>(uint64_t{count} * 10 / 7 + 8);
  }
  // Appends every slot's image, in position order. Runs alongside check-ins:
  // each word is read with an acquire load, waiting out a claim in flight
  // (as LiveRound::Read does), then its request tag, so that a sampled word
  // comes with the tag that was published with it.
  void AppendSlotsImage(std::string* out) const;
  const std::vector<uint32_t>& positions() const { return positions_; }
  const std::vector<uint32_t>& buildings() const { return buildings_; }
  const CodeArena& long_codes() const { return long_codes_; }
  // A table from a dense snapshot image, without hashing a code. DATA_LOSS
  // unless the parts describe a table Build could have made for `count`
  // residents over `building_count` buildings: CapacityFor(count) slots;
  // every occupied slot holds a resident below `count` whose position is
  // that slot (so residents and occupied slots match one to one) and a
  // building below `building_count`; every spilled code indexes
  // `long_codes`. Words and tags are copied as they are (LiveRound::
  // AdoptSnapshotWords checks them); empty slots get zero.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ResidentTable>> Adopt(
      uint32_t count, uint32_t building_count, absl::string_view slot_bytes,
      std::vector<uint32_t> positions, std::vector<uint32_t> buildings, CodeArena long_codes);

  static Key MakeKey(absl::string_view code) {
    Key key;
    key.code = code;
    key.hash = HashCode(code);
    if (code.size() <= kInlineCode) std::memcpy(key.padded, code.data(), code.size());
    return key;
  }

  // Starts fetching the cache line a lookup of `key` will read first.
  // (Fetching the next line too, for probes that run over, measured slower:
  // it doubles the misses in flight for a minority of lookups; a read
  // prefetch measured no worse than one with write intent.)
  void Prefetch(const Key& key) const { __builtin_prefetch(&slots_[Home(key.hash)], 0, 3); }

  // The position of `key`'s resident, or kNoId.
  uint32_t Find(const Key& key) const {
    for (uint32_t position = Home(key.hash);; position = position + 1 == capacity_ ? 0 : position + 1) {
      const Slot& slot = slots_[position];
      if (slot.resident == kNoId) return kNoId;
      if (Matches(slot, key)) return position;
    }
  }

  Slot& at(uint32_t position) { return slots_[position]; }
  const Slot& at(uint32_t position) const { return slots_[position]; }
  uint32_t position_of(uint32_t resident) const { return positions_[resident]; }
  uint32_t building_at(uint32_t position) const { return buildings_[position]; }

  uint32_t capacity() const { return capacity_; }
  uint32_t resident_count() const { return static_cast<uint32_t>(positions_.size()); }
  size_t MemoryBytes() const;

 private:
  static constexpr char kSpilled = 0x01;

  uint32_t Home(uint64_t hash) const {
    // Multiply-shift maps the hash onto [0, capacity) without a division.
    return static_cast<uint32_t>((static_cast<Uint128>(hash) * capacity_) >> 64);
  }
  bool Matches(const Slot& slot, const Key& key) const {
    if (key.code.size() <= kInlineCode) {
      uint64_t stored[2];
      std::memcpy(stored, slot.code, sizeof(stored));
      return stored[0] == key.padded[0] && stored[1] == key.padded[1];
    }
    return slot.code[0] == kSpilled && SpilledCode(slot) == key.code;
  }
  static uint32_t SpilledIndex(const Slot& slot) {
    uint32_t index;
    std::memcpy(&index, slot.code + 4, sizeof(index));
    return index;
  }
  absl::string_view SpilledCode(const Slot& slot) const { return long_codes_.Get(SpilledIndex(slot)); }

  HugeArray<Slot> slots_;
  uint32_t capacity_ = 0;
  std::vector<uint32_t> positions_;  // per resident
  std::vector<uint32_t> buildings_;  // per position
  CodeArena long_codes_;             // codes longer than kInlineCode
};

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_RESIDENT_TABLE_H_
