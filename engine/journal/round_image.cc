#include "engine/journal/round_image.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/journal/byte_codec.h"
#include "engine/journal/plan_fields.h"

namespace swabwave::engine::journal {

namespace {

constexpr uint64_t kMaxCount = uint64_t{1} << 31;

absl::Status Damaged(size_t offset, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("damaged RoundImage record: ", what, " (at byte ", offset, ")"));
}

void PutArena(ByteWriter& w, const CodeArena& arena) {
  w.Array(arena.offsets());
  w.String(arena.bytes());
}

bool GetArena(ByteReader& in, CodeArena* arena) {
  std::vector<uint32_t> offsets;
  std::string bytes;
  if (!in.Array(&offsets, kMaxCount) || !in.String(&bytes)) return false;
  return CodeArena::FromParts(std::move(bytes), std::move(offsets), arena) || in.Fail();
}


}  // namespace

uint64_t EstimateRoundImageBytes(const RoundImageSource& source) {
  const uint64_t residents = source.table->resident_count();
  uint64_t bytes = 4096 + uint64_t{source.table->capacity()} *
                              (core::ResidentTable::kSlotImageBytes + sizeof(uint32_t)) +
                   residents * sizeof(uint32_t) + source.table->long_codes().byte_size() +
                   source.table->long_codes().size() * sizeof(uint32_t);
  if (source.plan != nullptr) {
    bytes += residents * (1 + sizeof(CellIndex)) + source.plan->door_to_door.size() * 4 +
             uint64_t{source.table->capacity()} * sizeof(CellIndex) +
             source.building_tallies.size() * 4 +
             source.plan->cell_count() * 12 + source.plan->availability.size() * 20 +
             source.plan->assignments.size() * 32;
    for (const plan::UnitAssignment& a : source.plan->assignments) {
      bytes += a.households.size() * sizeof(uint32_t);
    }
  }
  if (source.rack != nullptr) bytes += uint64_t{source.rack->tube_count()} * 64;
  if (source.requests != nullptr) {
    bytes += uint64_t{source.table->capacity()} * core::RequestIndex::kEntryImageBytes;
  }
  return bytes;
}

void EncodeRoundImage(const RoundImageSource& source, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kRoundImage));
  ByteWriter w(out);
  w.Fixed32(kRoundImageVersion);
  std::string created;
  EncodeRoundCreated(source.round, &created);
  w.String(created);
  w.U8(source.phase);
  w.U8(source.plan != nullptr ? 1 : 0);
  if (source.plan != nullptr) {
    PutPlanImage(w, *source.plan);
    w.Array(*source.cells_by_position);
    w.Array(source.building_tallies);
  }

  // Tubes before the slots: see the file comment.
  {
    const uint32_t tubes = source.rack != nullptr ? source.rack->tube_count() : 0;
    std::vector<uint32_t> desks(tubes);
    std::vector<uint8_t> sealed(tubes);
    CodeArena barcodes;
    for (TubeIndex t = 0; t < tubes; ++t) {
      desks[t] = source.rack->DeskOf(t);
      barcodes.Append(source.rack->BarcodeOf(t));
      sealed[t] = source.rack->Tube(t).state == core::TubeState::kSealed ? 1 : 0;
    }
    w.Array(desks);
    PutArena(w, barcodes);
    w.Array(sealed);
  }

  const core::ResidentTable& table = *source.table;
  w.Array(table.positions());
  w.Array(table.buildings());
  PutArena(w, table.long_codes());
  w.Varint(table.capacity());
  table.AppendSlotsImage(out);
  // After the slots: an entry whose word the slots caught sampled was
  // placed before that word was published (RequestIndex::Adopt drops the
  // rest).
  if (source.requests != nullptr) {
    source.requests->AppendImage(out);
  } else {
    w.Fixed32(0);
  }
}

absl::StatusOr<RoundImage> DecodeRoundImage(absl::string_view record) {
  ByteReader in(record);
  RoundImage image;
  uint8_t type;
  uint32_t version;
  if (!in.U8(&type) || type != static_cast<uint8_t>(RecordType::kRoundImage) ||
      !in.Fixed32(&version)) {
    return Damaged(0, "header");
  }
  if (version != kRoundImageVersion && version != kRoundImageVersionBeforeRequestIndex) {
    return absl::DataLossError(absl::StrCat("RoundImage record of format version ", version,
                                            "; this server reads versions ",
                                            kRoundImageVersionBeforeRequestIndex, " and ",
                                            kRoundImageVersion));
  }
  absl::string_view created;
  uint8_t has_plan;
  if (!in.StringView(&created)) return Damaged(in.offset(), "round");
  absl::StatusOr<RoundCreated> round = DecodeRoundCreated(created);
  if (!round.ok()) return Damaged(in.offset(), round.status().message());
  image.round = *std::move(round);
  if (!in.U8(&image.phase) || image.phase > 3 || !in.U8(&has_plan) || has_plan > 1) {
    return Damaged(in.offset(), "phase");
  }
  if (has_plan == 1) {
    image.plan.emplace();
    if (absl::Status s = GetPlanImage(in, &*image.plan); !s.ok()) {
      return absl::DataLossError(absl::StrCat("damaged RoundImage record: ", s.message()));
    }
    const size_t at = in.offset();
    const uint32_t cells = image.plan->cell_count();
    if (!in.Array(&image.cells_by_position, kMaxCount) ||
        !in.Array(&image.building_tallies, kMaxCount) || image.building_tallies.size() % 3 != 0) {
      return Damaged(at, "live cells");
    }
    for (CellIndex cell : image.cells_by_position) {
      if (cell != kNoId && cell >= cells) return Damaged(at, "a live cell past the plan's");
    }
  }

  size_t at = in.offset();
  if (!in.Array(&image.tube_desks, core::DeskRack::kMaxTubes) ||
      !GetArena(in, &image.tube_barcodes) ||
      !in.Array(&image.tube_sealed, image.tube_desks.size()) ||
      image.tube_barcodes.size() != image.tube_desks.size() ||
      image.tube_sealed.size() != image.tube_desks.size()) {
    return Damaged(at, "tubes");
  }

  at = in.offset();
  uint64_t slots;
  if (!in.Array(&image.positions, kMaxCount) || !in.Array(&image.buildings, kMaxCount) ||
      !GetArena(in, &image.long_codes) || !in.Varint(&slots) || slots >= kNoId ||
      !in.Bytes(slots * core::ResidentTable::kSlotImageBytes, &image.slots)) {
    return Damaged(at, "resident table");
  }
  image.slot_count = static_cast<uint32_t>(slots);
  if (version != kRoundImageVersionBeforeRequestIndex) {
    at = in.offset();
    uint32_t entries;
    if (!in.Fixed32(&entries) || entries > slots ||
        !in.Bytes(uint64_t{entries} * core::RequestIndex::kEntryImageBytes,
                  &image.request_entries)) {
      return Damaged(at, "request index");
    }
  }
  if (!in.empty()) return Damaged(in.offset(), "trailing bytes");
  return image;
}

}  // namespace swabwave::engine::journal
