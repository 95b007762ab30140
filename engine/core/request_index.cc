#include "engine/core/request_index.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/core/resident_word.h"

namespace swabwave::engine::core {

RequestIndex::RequestIndex(const ResidentTable* table)
    : table_(table), capacity_(table->capacity()), entries_(table->capacity()) {}

bool RequestIndex::Names(uint64_t entry, uint64_t fingerprint) const {
  if (HighHalf(entry) != HighHalf(fingerprint)) return false;
  // Relaxed: the entry was loaded with acquire, and its claimer stored the
  // tag before publishing the entry with release.
  return table_->at(PositionOf(entry)).request_tag.load(std::memory_order_relaxed) ==
         LowHalf(fingerprint);
}

uint32_t RequestIndex::Claim(uint64_t fingerprint, uint32_t position) {
  const uint64_t mine = Entry(fingerprint, position);
  uint32_t slot = Home(fingerprint);
  for (uint32_t probes = 0; probes < capacity_; ++probes, slot = Next(slot)) {
    uint64_t entry = entries_[slot].load(std::memory_order_acquire);
    if (entry == 0) {
      // Release: whoever finds the entry also finds the tag stored before it.
      if (entries_[slot].compare_exchange_strong(entry, mine, std::memory_order_acq_rel,
                                                 std::memory_order_acquire)) {
        return kNoId;
      }
      // Another claim took this slot first: judge its entry like any other.
    }
    if (entry == kTombstone) continue;
    if (entry == mine) return kNoId;  // recorded before (a journal replayed over a snapshot)
    if (Names(entry, fingerprint)) return PositionOf(entry);
  }
  return kNoId;  // no free slot on the whole probe: taken unguarded (see the file comment)
}

void RequestIndex::Undo(uint64_t fingerprint, uint32_t position) {
  const uint64_t mine = Entry(fingerprint, position);
  uint32_t slot = Home(fingerprint);
  for (uint32_t probes = 0; probes < capacity_; ++probes, slot = Next(slot)) {
    uint64_t entry = entries_[slot].load(std::memory_order_acquire);
    if (entry == 0) return;
    if (entry == mine) {
      // Only this claim's own thread writes its entry once placed.
      entries_[slot].store(kTombstone, std::memory_order_release);
      return;
    }
  }
}

std::optional<uint32_t> RequestIndex::HighHalfAt(uint32_t position, uint32_t tag) const {
  uint32_t slot = Home(tag);
  for (uint32_t probes = 0; probes < capacity_; ++probes, slot = Next(slot)) {
    const uint64_t entry = entries_[slot].load(std::memory_order_acquire);
    if (entry == 0) return std::nullopt;
    if (entry != kTombstone && PositionOf(entry) == position) return HighHalf(entry);
  }
  return std::nullopt;
}

void RequestIndex::AppendImage(std::string* out) const {
  const size_t count_at = out->size();
  out->resize(count_at + sizeof(uint32_t));
  uint32_t count = 0;
  for (uint32_t slot = 0; slot < capacity_; ++slot) {
    const uint64_t entry = entries_[slot].load(std::memory_order_acquire);
    if (entry == 0 || entry == kTombstone) continue;
    out->append(reinterpret_cast<const char*>(&entry), sizeof(entry));
    ++count;
  }
  std::memcpy(out->data() + count_at, &count, sizeof(count));
}

absl::Status RequestIndex::Adopt(absl::string_view entries) {
  for (size_t at = 0; at + kEntryImageBytes <= entries.size(); at += kEntryImageBytes) {
    uint64_t entry;
    std::memcpy(&entry, entries.data() + at, sizeof(entry));
    const uint32_t position = PositionOf(entry);
    if (entry == 0 || entry == kTombstone || position >= capacity_) {
      return absl::DataLossError(absl::StrCat("request index image: entry ", at / kEntryImageBytes,
                                              " names no table position"));
    }
    const ResidentTable::Slot& holder = table_->at(position);
    if (holder.resident == kNoId ||
        !IsSampled(ResidentWord(holder.word.load(std::memory_order_relaxed)).state())) {
      continue;  // a claim in flight when the image was taken
    }
    const uint32_t tag = holder.request_tag.load(std::memory_order_relaxed);
    // A second resident with the same whole fingerprint can only come from a
    // check-in taken unguarded: the first keeps the entry.
    (void)Claim(uint64_t{HighHalf(entry)} << 32 | tag, position);
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine::core
