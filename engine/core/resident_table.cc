#include "engine/core/resident_table.h"

#include <new>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/core/backoff.h"
#include "engine/core/resident_word.h"

namespace swabwave::engine::core {

absl::StatusOr<std::unique_ptr<ResidentTable>> ResidentTable::Build(
    uint32_t count, const std::function<absl::string_view(uint32_t)>& code_of,
    const std::function<uint32_t(uint32_t)>& building_of) {
  auto table = std::unique_ptr<ResidentTable>(new ResidentTable());
  // At most 70% full: a hit takes about two probes, mostly in one line.
  table->capacity_ = CapacityFor(count);
  table->slots_ = HugeArray<Slot>(table->capacity_);
  table->positions_.resize(count);
  table->buildings_.assign(table->capacity_, kNoId);
  for (uint32_t resident = 0; resident < count; ++resident) {
    const absl::string_view code = code_of(resident);
    const Key key = MakeKey(code);
    uint32_t position = table->Home(key.hash);
    for (;; position = position + 1 == table->capacity_ ? 0 : position + 1) {
      const Slot& slot = table->slots_[position];
      if (slot.resident == kNoId) break;
      if (table->Matches(slot, key)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "resident #", slot.resident, " and resident #", resident,
            " of the round carry the same code; codes must be unique across a round's "
            "communities"));
      }
    }
    Slot& slot = table->slots_[position];
    slot.resident = resident;
    if (code.size() <= kInlineCode) {
      std::memcpy(slot.code, key.padded, kInlineCode);
    } else {
      slot.code[0] = kSpilled;
      const uint32_t index = table->long_codes_.Append(code);
      std::memcpy(slot.code + 4, &index, sizeof(index));
    }
    table->positions_[resident] = position;
    table->buildings_[position] = building_of(resident);
  }
  return table;
}

void ResidentTable::AppendSlotsImage(std::string* out) const {
  const size_t begin = out->size();
  out->resize(begin + size_t{capacity_} * kSlotImageBytes);
  char* at = out->data() + begin;
  for (uint32_t position = 0; position < capacity_; ++position, at += kSlotImageBytes) {
    const Slot& slot = slots_[position];
    uint64_t word = 0;
    uint32_t tag = 0;
    if (slot.resident != kNoId) {
      int attempt = 0;
      // Acquire pairs with the release store that published a sampled
      // word: the tag loaded after it is the one stored with it.
      word = slot.word.load(std::memory_order_acquire);
      while (ResidentWord(word).state() == ResidentState::kClaimed) {
        BackoffPause(attempt);
        word = slot.word.load(std::memory_order_acquire);
      }
      tag = slot.request_tag.load(std::memory_order_relaxed);
    }
    std::memcpy(at, &word, 8);
    std::memcpy(at + 8, &tag, 4);
    std::memcpy(at + 12, &slot.resident, 4);
    std::memcpy(at + 16, slot.code, kInlineCode);
  }
}

absl::StatusOr<std::unique_ptr<ResidentTable>> ResidentTable::Adopt(
    uint32_t count, uint32_t building_count, absl::string_view slot_bytes,
    std::vector<uint32_t> positions, std::vector<uint32_t> buildings, CodeArena long_codes) {
  const uint32_t capacity = CapacityFor(count);
  if (positions.size() != count || buildings.size() != capacity ||
      slot_bytes.size() != size_t{capacity} * kSlotImageBytes) {
    return absl::DataLossError(absl::StrCat(
        "resident table image of ", positions.size(), " residents, ", buildings.size(),
        " buildings and ", slot_bytes.size() / kSlotImageBytes, " slots does not fit a round of ",
        count, " residents (", capacity, " slots)"));
  }
  auto table = std::unique_ptr<ResidentTable>(new ResidentTable());
  table->capacity_ = capacity;
  // Every slot is constructed in the loop below, empty or from the image;
  // an error constructs the rest first, so that the array can be freed.
  table->slots_ = HugeArray<Slot>(capacity, HugeArray<Slot>::Uninitialized{});
  uint32_t constructed = 0;
  auto refuse = [&](std::string message) {
    for (; constructed < capacity; ++constructed) new (&table->slots_[constructed]) Slot;
    return absl::DataLossError(std::move(message));
  };
  uint32_t occupied = 0;
  const char* at = slot_bytes.data();
  constexpr uint32_t kAhead = 16;  // slots whose resident's position is fetched early
  for (uint32_t position = 0; position < capacity; ++position, at += kSlotImageBytes) {
    if (position + kAhead < capacity) {
      // positions[] is read at random: start the misses early to overlap them.
      uint32_t ahead;
      std::memcpy(&ahead, at + kAhead * kSlotImageBytes + 12, 4);
      if (ahead < count) __builtin_prefetch(&positions[ahead], 0, 3);
    }
    Slot& slot = *new (&table->slots_[position]) Slot;
    ++constructed;
    uint32_t resident;
    std::memcpy(&resident, at + 12, 4);
    if (resident == kNoId) continue;  // empty
    if (resident >= count || positions[resident] != position ||
        buildings[position] >= building_count) {
      return refuse(absl::StrCat("resident table image: slot ", position, " names resident ",
                                 resident, ", which is out of range or placed elsewhere"));
    }
    std::memcpy(slot.code, at + 16, kInlineCode);
    if (slot.code[0] == kSpilled && SpilledIndex(slot) >= long_codes.size()) {
      return refuse(absl::StrCat("resident table image: slot ", position,
                                 " names a long code past the ", long_codes.size(), " stored"));
    }
    uint64_t word;
    uint32_t tag;
    std::memcpy(&word, at, 8);
    std::memcpy(&tag, at + 8, 4);
    // Relaxed: the table is published to other threads with a release store.
    slot.word.store(word, std::memory_order_relaxed);
    slot.request_tag.store(tag, std::memory_order_relaxed);
    slot.resident = resident;
    ++occupied;
  }
  // Each occupied slot is its resident's position, so distinct slots hold
  // distinct residents; as many occupied slots as residents makes it one to
  // one, and every position_of() lands on its own resident's slot.
  if (occupied != count) {
    return absl::DataLossError(absl::StrCat("resident table image holds ", occupied,
                                            " residents in its slots, not ", count));
  }
  table->positions_ = std::move(positions);
  table->buildings_ = std::move(buildings);
  table->long_codes_ = std::move(long_codes);
  return table;
}

size_t ResidentTable::MemoryBytes() const {
  return size_t{capacity_} * (sizeof(Slot) + sizeof(uint32_t)) +
         positions_.capacity() * sizeof(uint32_t) + long_codes_.MemoryBytes();
}

}  // namespace swabwave::engine::core
