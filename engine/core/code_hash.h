// HashCode: the 64-bit hash swabwave uses for resident codes, request ids
// and round ids in its in-memory tables. Multiply-xorshift over 8-byte
// words with a splitmix64 finalizer: short keys hash in a few nanoseconds
// with no call on the check-in path. Never exposed; but a request id's hash
// is persisted (check-in records carry it: request_index.h), so this
// function must never change.
//
// Thread-safety: pure function.
#ifndef SWABWAVE_ENGINE_CORE_CODE_HASH_H_
#define SWABWAVE_ENGINE_CORE_CODE_HASH_H_

#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace swabwave::engine::core {

inline uint64_t HashCode(absl::string_view key) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ key.size();
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, key.data() + i, 8);
    h = (h ^ word) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 29;
  }
  if (i < key.size()) {
    uint64_t word = 0;
    std::memcpy(&word, key.data() + i, key.size() - i);
    h = (h ^ word) * 0xFF51AFD7ED558CCDull;
  }
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

}  // namespace swabwave::engine::core

#endif  // SWABWAVE_ENGINE_CORE_CODE_HASH_H_
