#include "engine/registry/code_index.h"

namespace swabwave::engine {

CodeIndex::CodeIndex(const Communities* communities)
    : communities_(communities), codes_(0, Hash{this}, Eq{this}) {}

std::optional<uint32_t> CodeIndex::AddUnlessShared(uint32_t ordinal) {
  const Community& community = *(*communities_)[ordinal];
  if (!latest_.contains(community.id)) {
    // A new community (the common case): one pass, each code hashed and
    // probed once.
    const uint32_t residents = static_cast<uint32_t>(community.residents.size());
    codes_.reserve(codes_.size() + residents);
    for (uint32_t r = 0; r < residents; ++r) {
      if (codes_.insert(uint64_t{ordinal} << 32 | r).second) continue;
      // Refused whole: take back what this community put in (rare).
      for (uint32_t added = 0; added < r; ++added) codes_.erase(uint64_t{ordinal} << 32 | added);
      return r;
    }
    latest_.emplace(community.id, ordinal);
    indexed_ = ordinal + 1;
    return std::nullopt;
  }
  // A new version: its codes may be its predecessor's, not another's.
  if (std::optional<uint32_t> shared = FirstShared(community)) return shared;
  Add(ordinal);
  return std::nullopt;
}

std::optional<uint32_t> CodeIndex::FirstShared(const Community& community) const {
  for (uint32_t r = 0; r < community.residents.size(); ++r) {
    auto it = codes_.find(community.resident_code(r));
    if (it != codes_.end() && (*communities_)[*it >> 32]->id != community.id) return r;
  }
  return std::nullopt;
}

void CodeIndex::ReplaceEarlierVersion(uint32_t ordinal) {
  const Community& community = *(*communities_)[ordinal];
  auto [latest, is_new] = latest_.try_emplace(community.id, ordinal);
  if (is_new) return;
  const uint32_t earlier = latest->second;
  latest->second = ordinal;
  const Community& previous = *(*communities_)[earlier];
  for (uint32_t r = 0; r < previous.residents.size(); ++r) {
    // Only the earlier version's own entries: a code a journal accepted
    // twice (see Add) stays with the community that had it first.
    auto it = codes_.find(uint64_t{earlier} << 32 | r);
    if (it != codes_.end() && (*it >> 32) == earlier) codes_.erase(it);
  }
}

void CodeIndex::Add(uint32_t ordinal) {
  ReplaceEarlierVersion(ordinal);
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
