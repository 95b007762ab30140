#include "engine/registry/code_index.h"

namespace swabwave::engine {

CodeIndex::CodeIndex(const Communities* communities)
    : communities_(communities), codes_(0, Hash{this}, Eq{this}) {}

std::optional<uint32_t> CodeIndex::AddUnlessShared(uint32_t ordinal) {
  const Community& community = *(*communities_)[ordinal];
  const uint32_t residents = static_cast<uint32_t>(community.residents.size());
  codes_.reserve(codes_.size() + residents);
  for (uint32_t r = 0; r < residents; ++r) {
    if (codes_.insert(uint64_t{ordinal} << 32 | r).second) continue;
    // Refused whole: take back what this community put in (rare).
    for (uint32_t added = 0; added < r; ++added) codes_.erase(uint64_t{ordinal} << 32 | added);
    return r;
  }
  indexed_ = ordinal + 1;
  return std::nullopt;
}

void CodeIndex::Add(uint32_t ordinal) {
  const Community& community = *(*communities_)[ordinal];
  const uint32_t residents = static_cast<uint32_t>(community.residents.size());
  // Grown once per community, not by doubling mid-way: a rehash reads every
  // code again.
  codes_.reserve(codes_.size() + residents);
  for (uint32_t r = 0; r < residents; ++r) codes_.insert(uint64_t{ordinal} << 32 | r);
  indexed_ = ordinal + 1;
}

size_t CodeIndex::MemoryBytes() const {
  // absl's SwissTable: one slot and one control byte per bucket.
  return codes_.capacity() * (sizeof(uint64_t) + 1);
}

}  // namespace swabwave::engine
