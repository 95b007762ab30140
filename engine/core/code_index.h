// CodeIndex: the immutable map from a resident's external code (what the QR
// code carries) to the round's dense resident index.
//
// Built once when a round is created, never changed while the round lives,
// so lookups take no lock. Open addressing with linear probing over 8-byte
// slots {index, hash tag}; the tag rejects almost every wrong slot without
// touching the codes, and a hit is confirmed against the code itself, so an
// unknown code never maps to a resident. At most 62.5% full:
// 10 million residents take 128 MiB of slots.
//
// Thread-safety: Build is single-threaded; Find may be called from any
// number of threads concurrently.
#ifndef SWABWAVE_ENGINE_CORE_CODE_INDEX_H_
#define SWABWAVE_ENGINE_CORE_CODE_INDEX_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model/code_arena.h"
#include "engine/model/ids.h"

namespace swabwave::engine::core {

class CodeIndex {
 public:
  // Indexes every code in `codes` (index i maps to i). `codes` must outlive
  // the index and stay unchanged. Returns INVALID_ARGUMENT naming the two
  // indices when a code appears twice.
  [[nodiscard]] static absl::StatusOr<CodeIndex> Build(const CodeArena* codes);

  // The index of `code`, or kNoId.
  uint32_t Find(absl::string_view code) const {
    const uint64_t hash = Hash(code);
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    for (uint64_t pos = hash & mask_;; pos = (pos + 1) & mask_) {
      const Slot slot = slots_[pos];
      if (slot.index == kNoId) return kNoId;
      if (slot.tag == tag && codes_->Get(slot.index) == code) return slot.index;
    }
  }

  size_t size() const { return codes_->size(); }
  size_t MemoryBytes() const { return slots_.capacity() * sizeof(Slot); }

  static uint64_t Hash(absl::string_view code);

 private:
  struct Slot {
    uint32_t index = kNoId;
    uint32_t tag = 0;
  };

  CodeIndex() = default;

  const CodeArena* codes_ = nullptr;
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
};

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_CODE_INDEX_H_
