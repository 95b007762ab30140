#include "engine/core/live_round.h"

#include <utility>

namespace swabwave::engine::core {

uint32_t RequestTag(absl::string_view request_id) {
  return static_cast<uint32_t>(CodeIndex::Hash(request_id));
}

LiveRound::LiveRound(LiveRoundSpec spec)
    : epoch_(spec.epoch_unix_seconds),
      index_(spec.index),
      board_(static_cast<uint32_t>(spec.residents.size())),
      rack_(static_cast<uint32_t>(spec.desk_sites.size()), spec.pool_ratio),
      desk_sites_(std::move(spec.desk_sites)),
      building_count_(spec.building_count),
      cell_count_(spec.cell_count),
      site_count_(spec.site_count),
      buildings_(std::make_unique<BuildingTally[]>(spec.building_count)),
      cells_sampled_(std::make_unique<PaddedCounter[]>(spec.cell_count)),
      site_check_ins_(std::make_unique<PaddedCounter[]>(spec.site_count)) {
  resident_cells_.resize(spec.residents.size());
  for (uint32_t r = 0; r < spec.residents.size(); ++r) {
    const ResidentSeed& seed = spec.residents[r];
    board_.Init(r, seed.state, seed.building);
    resident_cells_[r] = seed.cell;
  }
}

CheckInResult LiveRound::CheckIn(DeskIndex desk, absl::string_view code, int64_t scan_unix_seconds,
                                 uint32_t request_tag) {
  CheckInResult result;
  if (desk >= rack_.desk_count()) {
    result.verdict = CheckInVerdict::kUnknownDesk;
    return result;
  }
  const int64_t offset = scan_unix_seconds - epoch_;
  if (offset < 0 || offset > ResidentWord::kMaxScanOffset) {
    result.verdict = CheckInVerdict::kScanTimeOutOfRange;
    return result;
  }
  const uint32_t resident = index_->Find(code);
  if (resident == kNoId) {
    result.verdict = CheckInVerdict::kUnknownResident;
    return result;
  }

  ResidentBoard::Slot& slot = board_.slot(resident);
  // Acquire pairs with the release store that published kSampled, so the
  // tube, slot and request tag of a finished check-in are visible.
  uint64_t bits = slot.word.load(std::memory_order_acquire);
  int attempt = 0;
  for (;;) {
    const ResidentWord word(bits);
    const ResidentState state = word.state();
    if (state == ResidentState::kSampled) {
      const bool same_attempt = slot.request_tag.load(std::memory_order_relaxed) == request_tag;
      return Describe(same_attempt ? CheckInVerdict::kReplayed : CheckInVerdict::kAlreadySampled,
                      resident, word);
    }
    if (state == ResidentState::kClaimed) {
      // Another desk is a few instructions from publishing; wait for it.
      BackoffPause(attempt);
      bits = slot.word.load(std::memory_order_acquire);
      continue;
    }
    // Not sampled yet. Refuse early when the desk has no tube rather than
    // claiming and reverting.
    if (!rack_.HasOpenTube(desk)) {
      result.verdict = CheckInVerdict::kNoOpenTube;
      result.resident = resident;
      return result;
    }
    const uint64_t claimed = ResidentWord::Make(ResidentState::kClaimed, desk, 0, offset).bits();
    // acq_rel on success: later stores (tag, tube) stay after the claim;
    // acquire on failure: same reason as the first load.
    if (!slot.word.compare_exchange_weak(bits, claimed, std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
      continue;
    }
    // Relaxed: published together with the word's release store below.
    slot.request_tag.store(request_tag, std::memory_order_relaxed);
    const std::optional<TubePosition> position = rack_.TakePosition(desk);
    if (!position.has_value()) {
      // The tube filled under us and no next tube is racked: undo the claim.
      slot.word.store(bits, std::memory_order_release);
      result.verdict = CheckInVerdict::kNoOpenTube;
      result.resident = resident;
      return result;
    }
    rack_.SetMember(position->tube, position->slot, resident);
    const ResidentWord sampled =
        ResidentWord::Make(ResidentState::kSampled, position->tube, position->slot, offset);
    // Release: waiters and later readers see the tag and the tube member.
    slot.word.store(sampled.bits(), std::memory_order_release);
    CountSample(resident, state, desk);

    result.verdict = CheckInVerdict::kSampled;
    result.resident = resident;
    result.tube = position->tube;
    result.desk = desk;
    result.slot = position->slot;
    result.tube_full = position->filled;
    result.scan_unix_seconds = scan_unix_seconds;
    return result;
  }
}

CheckInResult LiveRound::Describe(CheckInVerdict verdict, uint32_t resident,
                                  ResidentWord word) const {
  CheckInResult result;
  result.verdict = verdict;
  result.resident = resident;
  result.tube = word.place();
  result.desk = rack_.DeskOf(result.tube);
  result.slot = word.slot();
  result.tube_full = word.slot() + 1 == static_cast<uint32_t>(rack_.pool_ratio());
  result.scan_unix_seconds = epoch_ + word.scan_offset();
  return result;
}

void LiveRound::CountSample(uint32_t resident, ResidentState before, DeskIndex desk) {
  // Relaxed throughout: counters are read for progress, never to order
  // other memory.
  BuildingTally& tally = buildings_[board_.slot(resident).building];
  tally.sampled.fetch_add(1, std::memory_order_relaxed);
  if (before == ResidentState::kExempt) {
    tally.exempt_sampled.fetch_add(1, std::memory_order_relaxed);
  } else if (before == ResidentState::kDoorToDoor) {
    tally.door_to_door_sampled.fetch_add(1, std::memory_order_relaxed);
  }
  const CellIndex cell = resident_cells_[resident];
  if (cell != kNoId) cells_sampled_[cell].value.fetch_add(1, std::memory_order_relaxed);
  site_check_ins_[desk_sites_[desk]].value.fetch_add(1, std::memory_order_relaxed);
}

size_t LiveRound::MemoryBytes() const {
  return board_.MemoryBytes() + resident_cells_.capacity() * sizeof(CellIndex) +
         rack_.MemoryBytes() + size_t{building_count_} * sizeof(BuildingTally) +
         size_t{cell_count_ + site_count_} * sizeof(PaddedCounter);
}

}  // namespace swabwave::engine::core
