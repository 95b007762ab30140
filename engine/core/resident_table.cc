#include "engine/core/resident_table.h"

#include "absl/strings/str_cat.h"

namespace swabwave::engine::core {

absl::StatusOr<std::unique_ptr<ResidentTable>> ResidentTable::Build(
    uint32_t count, const std::function<absl::string_view(uint32_t)>& code_of,
    const std::function<uint32_t(uint32_t)>& building_of) {
  auto table = std::unique_ptr<ResidentTable>(new ResidentTable());
  // At most 70% full: a hit takes about two probes, mostly in one line.
  table->capacity_ = static_cast<uint32_t>(uint64_t{count} * 10 / 7 + 8);
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

size_t ResidentTable::MemoryBytes() const {
  return size_t{capacity_} * (sizeof(Slot) + sizeof(uint32_t)) +
         positions_.capacity() * sizeof(uint32_t) + long_codes_.MemoryBytes();
}

}  // namespace swabwave::engine::core
