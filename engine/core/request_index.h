// RequestIndex: which table position each check-in's request id sampled,
// round-wide, so that a request id sent again for another resident is
// refused instead of taken as a new swab (checkin.proto: a request id names
// one attempt). A tablet that reuses ids by mistake is told at once; trusted
// silently, its second resident would be swabbed under an id whose retries
// answer for the first.
//
// A request id is kept as its 64-bit fingerprint (RequestFingerprint). The
// low half is the tag the resident table's slot already holds (it decides
// "the same attempt again" on a retry, with no extra cache line); this index
// adds the high half. An entry is one 64-bit word, high half << 32 |
// (table position + 1), at or after the home position the low half gives,
// with linear probing. An entry stands for a fingerprint only while the slot
// it names holds the same low half: two request ids that share a high half
// by chance are told apart there, so a refusal needs all 64 bits to match.
// (At 10 million check-ins the chance that any two distinct request ids
// share all 64 bits is about 3 in a million; that check-in would be
// refused, and the tablet retries it with a new id.)
//
// Sized like the resident table (CapacityFor: at most 70% full, one entry
// per resident at most): 8 bytes a slot, about 11.4 bytes per resident.
// Entries are never moved; a check-in undone after it claimed its entry (its
// desk's last tube filled under it) turns the entry into a tombstone, which
// lookups step over and nothing reuses, so no probe chain is ever cut. A
// probe gives up after the whole table (tombstones of undone check-ins
// could, in theory, fill it): the check-in is then taken unguarded rather
// than refused or looped on.
//
// Thread-safety: Claim, Undo, Lookup and AppendImage may run from any number
// of threads at once; Adopt is for recovery, before any other call.
#ifndef SWABWAVE_ENGINE_CORE_REQUEST_INDEX_H_
#define SWABWAVE_ENGINE_CORE_REQUEST_INDEX_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/core/code_hash.h"
#include "engine/core/huge_array.h"
#include "engine/core/resident_table.h"

namespace swabwave::engine::core {

// A request id's 64-bit fingerprint. Persisted (check-in records carry it),
// so HashCode must never change.
inline uint64_t RequestFingerprint(absl::string_view request_id) { return HashCode(request_id); }
// The half a resident table slot holds (ResidentTable::Slot::request_tag).
inline uint32_t LowHalf(uint64_t fingerprint) { return static_cast<uint32_t>(fingerprint); }
inline uint32_t HighHalf(uint64_t fingerprint) { return static_cast<uint32_t>(fingerprint >> 32); }

class RequestIndex {
 public:
  // Bytes per entry in a dense snapshot image (little-endian, as in memory).
  static constexpr size_t kEntryImageBytes = 8;

  // An index for `table`'s residents, which it borrows (the table must
  // outlive it).
  explicit RequestIndex(const ResidentTable* table);
  RequestIndex(const RequestIndex&) = delete;
  RequestIndex& operator=(const RequestIndex&) = delete;

  // Starts fetching the line Claim(fingerprint, ...) reads first.
  void Prefetch(uint64_t fingerprint) const { __builtin_prefetch(&entries_[Home(fingerprint)], 0, 3); }

  // Records that the check-in with `fingerprint` is sampling the resident at
  // table `position`, whose slot already holds LowHalf(fingerprint) as its
  // request tag (the caller claimed it and stored the tag first). Returns
  // kNoId when recorded (or already recorded for this position), else the
  // table position of the other resident this fingerprint sampled or is
  // sampling: the check-in must then be undone and refused.
  uint32_t Claim(uint64_t fingerprint, uint32_t position);
  // The claim of `fingerprint` for `position` did not sample (undone): its
  // entry becomes a tombstone. No-op when there is none.
  void Undo(uint64_t fingerprint, uint32_t position);
  // The high half recorded for the resident at `position`, whose slot holds
  // the low half `tag`; nullopt when none is (a check-in journaled by a
  // server before this index, or one taken unguarded).
  std::optional<uint32_t> HighHalfAt(uint32_t position, uint32_t tag) const;

  // ---- dense snapshot images (journal/round_image.h)

  // Appends the count of live entries (varint) and the entries. Runs
  // alongside check-ins: an entry whose resident is not sampled in the
  // image's slots is dropped again at Adopt.
  void AppendImage(std::string* out) const;
  // Recovery, after the table's words were adopted: takes the image's
  // entries whose resident is sampled with a matching tag, dropping the rest
  // (claims in flight when the image was taken). DATA_LOSS for an entry
  // naming a position past the table.
  [[nodiscard]] absl::Status Adopt(absl::string_view entries);

  size_t MemoryBytes() const { return entries_.size() * sizeof(uint64_t); }

 private:
  static constexpr uint64_t kTombstone = ~uint64_t{0};  // position + 1 == 2^32 - 1: never real

  static uint64_t Entry(uint64_t fingerprint, uint32_t position) {
    return uint64_t{HighHalf(fingerprint)} << 32 | (uint64_t{position} + 1);
  }
  static uint32_t PositionOf(uint64_t entry) { return static_cast<uint32_t>(entry) - 1; }
  uint32_t Home(uint64_t fingerprint) const {
    // Mixed first (Fibonacci hashing): a real fingerprint is already a hash,
    // but a caller passing small or sequential numbers (tests, benchmarks)
    // would otherwise send every one to slot 0 and probe quadratically.
    const uint32_t mixed = LowHalf(fingerprint) * 0x9E3779B1u;
    return static_cast<uint32_t>((uint64_t{mixed} * capacity_) >> 32);
  }
  uint32_t Next(uint32_t slot) const { return slot + 1 == capacity_ ? 0 : slot + 1; }
  // Whether `entry` (live) stands for `fingerprint`: same high half, and its
  // resident's slot holds the low half.
  bool Names(uint64_t entry, uint64_t fingerprint) const;

  const ResidentTable* const table_;
  const uint32_t capacity_;
  HugeArray<std::atomic<uint64_t>> entries_;  // 0: empty
};

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_REQUEST_INDEX_H_
