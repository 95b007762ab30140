#include "engine/journal/round_image.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/journal/byte_codec.h"
#include "engine/journal/plan_staffing_codec.h"

namespace swabwave::engine::journal {

namespace {

constexpr uint64_t kMaxCount = uint64_t{1} << 31;
// RoundPlanned's bounds: more waves or sites than this is a damaged record.
constexpr int64_t kMaxWaves = int64_t{1} << 20;
constexpr uint32_t kMaxSites = 1u << 24;

absl::Status Damaged(size_t offset, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("damaged RoundImage record: ", what, " (at byte ", offset, ")"));
}

bool Count(ByteReader& in, uint64_t* count) {
  if (!in.Varint(count)) return false;
  if (*count > kMaxCount || *count > in.remaining()) return in.Fail();
  return true;
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

void PutPlan(ByteWriter& w, const plan::Plan& p) {
  w.String(p.planner);
  w.SignedVarint(p.wave_count);
  w.SignedVarint(p.waves_used);
  w.SignedVarint(p.waves_lower_bound);
  w.SignedVarint(p.waves_optimum);
  w.Varint(p.site_count);
  w.Array(p.cell_capacity);
  w.Array(p.cell_load);
  w.Array(p.resident_standing);
  w.Array(p.resident_cell);
  w.Varint(p.assignments.size());
  for (const plan::UnitAssignment& a : p.assignments) {
    w.Varint(a.unit);
    w.Varint(a.site);
    w.SignedVarint(a.wave);
    w.SignedVarint(a.residents);
    w.Array(a.households);
  }
  w.Array(p.door_to_door);
  w.SignedVarint(p.residents);
  w.SignedVarint(p.due_at_sites);
  w.SignedVarint(p.door_to_door_count);
  w.SignedVarint(p.exempt);
  w.SignedVarint(p.units);
  w.SignedVarint(p.split_units);
  w.Double(p.total_walking_m);
  w.Double(p.flow_walking_m);
  w.SignedVarint(p.scattered_buildings);
  w.SignedVarint(p.overloaded_cells);
  PutPlanStaffing(w, p);
}

// The same checks as DecodeRoundPlanned: everything a later index uses.
absl::Status GetPlan(ByteReader& in, plan::Plan* p) {
  const size_t at = in.offset();
  int64_t wave_count, waves_used, lower_bound, optimum;
  if (!in.String(&p->planner) || !in.SignedVarint(&wave_count) || !in.SignedVarint(&waves_used) ||
      !in.SignedVarint(&lower_bound) || !in.SignedVarint(&optimum) ||
      !in.Varint32(&p->site_count) || wave_count <= 0 || wave_count > kMaxWaves ||
      waves_used < 0 || waves_used > wave_count || lower_bound < 0 || lower_bound > wave_count ||
      optimum < 0 || optimum > wave_count || p->site_count > kMaxSites) {
    return Damaged(at, "plan header");
  }
  p->wave_count = static_cast<int>(wave_count);
  p->waves_used = static_cast<int>(waves_used);
  p->waves_lower_bound = static_cast<int>(lower_bound);
  p->waves_optimum = static_cast<int>(optimum);
  const uint64_t cells = uint64_t{p->site_count} * static_cast<uint64_t>(wave_count);
  if (cells >= kNoId || !in.Array(&p->cell_capacity, cells) || !in.Array(&p->cell_load, cells) ||
      p->cell_capacity.size() != cells || p->cell_load.size() != cells) {
    return Damaged(at, "plan cells");
  }
  const size_t residents_at = in.offset();
  if (!in.Array(&p->resident_standing, kMaxCount) ||
      !in.Array(&p->resident_cell, p->resident_standing.size()) ||
      p->resident_cell.size() != p->resident_standing.size()) {
    return Damaged(residents_at, "plan residents");
  }
  for (size_t r = 0; r < p->resident_standing.size(); ++r) {
    if (static_cast<uint8_t>(p->resident_standing[r]) > static_cast<uint8_t>(Standing::kExempt) ||
        (p->resident_cell[r] != kNoId && p->resident_cell[r] >= cells)) {
      return Damaged(residents_at, absl::StrCat("plan of resident #", r));
    }
  }
  const size_t assignments_at = in.offset();
  uint64_t count;
  if (!Count(in, &count)) return Damaged(assignments_at, "assignment count");
  p->assignments.resize(count);
  for (plan::UnitAssignment& a : p->assignments) {
    int64_t wave, residents;
    if (!in.Varint32(&a.unit) || !in.Varint32(&a.site) || !in.SignedVarint(&wave) ||
        !in.SignedVarint(&residents) || !in.Array(&a.households, kMaxCount) ||
        a.site >= p->site_count || wave < 0 || wave >= wave_count || residents < 0 ||
        residents > INT32_MAX) {
      return Damaged(assignments_at, "assignment");
    }
    a.wave = static_cast<int>(wave);
    a.residents = static_cast<int>(residents);
  }
  const size_t visits_at = in.offset();
  if (!in.Array(&p->door_to_door, p->resident_standing.size())) {
    return Damaged(visits_at, "door-to-door list");
  }
  for (uint32_t r : p->door_to_door) {
    if (r >= p->resident_standing.size()) return Damaged(visits_at, "door-to-door visit");
  }
  const size_t totals_at = in.offset();
  if (!in.SignedVarint(&p->residents) || !in.SignedVarint(&p->due_at_sites) ||
      !in.SignedVarint(&p->door_to_door_count) || !in.SignedVarint(&p->exempt) ||
      !in.SignedVarint(&p->units) || !in.SignedVarint(&p->split_units) ||
      !in.Double(&p->total_walking_m) || !in.Double(&p->flow_walking_m) ||
      !in.SignedVarint(&p->scattered_buildings) || !in.SignedVarint(&p->overloaded_cells)) {
    return Damaged(totals_at, "plan totals");
  }
  if (const size_t staffing_at = in.offset(); !GetPlanStaffing(in, *p)) {
    return Damaged(staffing_at, "plan staffing");
  }
  return absl::OkStatus();
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
    PutPlan(w, *source.plan);
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
  if (version != kRoundImageVersion) {
    return absl::DataLossError(absl::StrCat("RoundImage record of format version ", version,
                                            "; this server reads version ", kRoundImageVersion));
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
    if (absl::Status s = GetPlan(in, &*image.plan); !s.ok()) return s;
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
  if (!in.empty()) return Damaged(in.offset(), "trailing bytes");
  return image;
}

}  // namespace swabwave::engine::journal
