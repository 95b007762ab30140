// RoundImage: one round as one dense snapshot record
// (RecordType::kRoundImage): its configuration, phase, plan, racked tubes
// and resident table, the big arrays written as they sit in memory.
//
// The record-style snapshot replays a round through RoundCreated (which
// hashes every resident code into a new table), RoundPlanned, one
// TubeRacked per tube and one CheckIn per sampled resident. An image
// carries the table itself: its slots already hold every state word and
// request tag, so they stand for the check-ins too, and recovery copies
// them back (core::ResidentTable::Adopt, core::LiveRound::AdoptSnapshotWords)
// instead of rebuilding them.
//
// Written while check-ins go on (Journal::WriteSnapshot): the tubes are
// captured before the slots, so every word names a tube of the image or one
// racked later, whose records replay from the journal after the snapshot;
// LiveRound::AdoptSnapshotWords drops such words.
//
// Layout after the type byte (byte_codec.h):
//   version (fixed32) | RoundCreated record (string) | phase (u8)
//   plan: present (u8), then its scalars, cells and per-resident arrays,
//         then (the live state's) the cell of every table position and
//         the due / exempt / door-to-door tallies of every building
//   tubes: desks (array) | barcode arena offsets (array) | bytes | sealed (array of u8)
//   table: positions (array) | buildings (array) | long-code arena |
//          slot count (varint) | slots (ResidentTable::kSlotImageBytes each)
//   request index (version 2 on): entry count (fixed32) | entries
//          (core::RequestIndex::kEntryImageBytes each); none before a round
//          opens. A version 1 image (before the index) is read with none:
//          the request ids of its check-ins guard nothing.
//
// Thread-safety: pure functions; EncodeRoundImage reads the live state
// concurrently with check-ins as described above.
#ifndef SWABWAVE_ENGINE_JOURNAL_ROUND_IMAGE_H_
#define SWABWAVE_ENGINE_JOURNAL_ROUND_IMAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/core/desk_rack.h"
#include "engine/core/request_index.h"
#include "engine/core/resident_table.h"
#include "engine/journal/records.h"
#include "engine/model/code_arena.h"
#include "engine/plan/plan.h"

namespace swabwave::engine::journal {

inline constexpr uint32_t kRoundImageVersion = 2;
inline constexpr uint32_t kRoundImageVersionBeforeRequestIndex = 1;

// What a round image is written from. The round's lock keeps plan and rack
// from being replaced meanwhile.
struct RoundImageSource {
  RoundCreated round;
  uint8_t phase = 0;                       // engine::RoundPhase
  const plan::Plan* plan = nullptr;        // null: a draft round
  // With a plan: the live state's cell per table position, and three
  // tallies (due, exempt, door-to-door) per round-wide building.
  const std::vector<CellIndex>* cells_by_position = nullptr;
  std::vector<int32_t> building_tallies;
  const core::DeskRack* rack = nullptr;    // null: no tubes yet (not open)
  const core::RequestIndex* requests = nullptr;  // null: no live state yet
  const core::ResidentTable* table = nullptr;
};

// About how many bytes EncodeRoundImage writes (to decide whether the
// image fits one frame, kMaxPayloadBytes).
uint64_t EstimateRoundImageBytes(const RoundImageSource& source);
void EncodeRoundImage(const RoundImageSource& source, std::string* out);

// A decoded image. `slots` points into the record, which must outlive it.
struct RoundImage {
  RoundCreated round;
  uint8_t phase = 0;
  std::optional<plan::Plan> plan;
  // With a plan (checked: every cell kNoId or one of the plan's).
  std::vector<CellIndex> cells_by_position;
  std::vector<int32_t> building_tallies;  // 3 per building
  std::vector<uint32_t> tube_desks;
  CodeArena tube_barcodes;
  std::vector<uint8_t> tube_sealed;  // per tube: 1 when sealed
  std::vector<uint32_t> positions;
  std::vector<uint32_t> buildings;
  CodeArena long_codes;
  uint32_t slot_count = 0;
  absl::string_view slots;
  absl::string_view request_entries;  // into the record, like `slots`
};

// DATA_LOSS naming the part at fault and its byte offset in the record for
// a short record, another format version, or values out of range. The
// table's consistency is checked by ResidentTable::Adopt and the words by
// LiveRound::AdoptSnapshotWords, which know the round.
[[nodiscard]] absl::StatusOr<RoundImage> DecodeRoundImage(absl::string_view record);

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_ROUND_IMAGE_H_
