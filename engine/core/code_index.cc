#include "engine/core/code_index.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::core {

uint64_t CodeIndex::Hash(absl::string_view code) {
  // FNV-style multiply over 8-byte words with a final avalanche (the
  // splitmix64 finalizer): codes are short, and this keeps the hot path free
  // of calls. Not exposed outside the process, so no seed is needed.
  uint64_t h = 0x9E3779B97F4A7C15ull ^ code.size();
  size_t i = 0;
  for (; i + 8 <= code.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, code.data() + i, 8);
    h = (h ^ word) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 29;
  }
  if (i < code.size()) {
    uint64_t word = 0;
    std::memcpy(&word, code.data() + i, code.size() - i);
    h = (h ^ word) * 0xFF51AFD7ED558CCDull;
  }
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

absl::StatusOr<CodeIndex> CodeIndex::Build(const CodeArena* codes) {
  CodeIndex index;
  index.codes_ = codes;
  // Keep the table at most 5/8 full so probes stay short (about 1.3 for a hit).
  const uint64_t wanted = std::max<uint64_t>(16, codes->size() * 8 / 5 + 1);
  const uint64_t capacity = std::bit_ceil(wanted);
  index.slots_.assign(capacity, Slot{});
  index.mask_ = capacity - 1;
  for (uint32_t i = 0; i < codes->size(); ++i) {
    const absl::string_view code = codes->Get(i);
    const uint64_t hash = Hash(code);
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    uint64_t pos = hash & index.mask_;
    for (;; pos = (pos + 1) & index.mask_) {
      Slot& slot = index.slots_[pos];
      if (slot.index == kNoId) {
        slot = Slot{i, tag};
        break;
      }
      if (slot.tag == tag && codes->Get(slot.index) == code) {
        return absl::InvalidArgumentError(
            absl::StrCat("resident #", slot.index, " and resident #", i,
                         " of the round carry the same code; codes must be unique across a round's "
                         "communities"));
      }
    }
  }
  return index;
}

}  // namespace swabwave::engine::core
