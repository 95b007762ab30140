#include "engine/core/desk_rack.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/core/backoff.h"

namespace swabwave::engine::core {

DeskRack::DeskRack(uint32_t desk_count, int pool_ratio)
    : ratio_(static_cast<uint32_t>(pool_ratio)),
      desks_(desk_count),
      members_([](std::atomic<uint32_t>& m) { m.store(kNoId, std::memory_order_relaxed); }) {
  for (Desk& desk : desks_) {
    desk.word.store(Word(kNoTube, kSealedFill), std::memory_order_relaxed);
  }
}

absl::StatusOr<TubeView> DeskRack::RackTube(DeskIndex desk_index, absl::string_view barcode,
                                            absl::FunctionRef<void(TubeIndex)> on_racked) {
  TubeIndex tube;
  {
    std::lock_guard lock(mu_);
    IndexRestoredTubesLocked();
    if (tube_by_barcode_.contains(barcode)) {
      return absl::AlreadyExistsError(
          absl::StrCat("tube ", barcode, " was already scanned in this round; use a new tube"));
    }
    tube = tube_count_.load(std::memory_order_relaxed);
    if (!tubes_.EnsureSize(size_t{tube} + 1) || !members_.EnsureSize((size_t{tube} + 1) * ratio_)) {
      return absl::ResourceExhaustedError(
          absl::StrCat("this round already has ", tube, " tubes, the most it can hold"));
    }
    TubeRecord& record = tubes_[tube];
    record.barcode = std::string(barcode);
    record.desk = desk_index;
    tube_by_barcode_.emplace(record.barcode, tube);
    // Release: readers that learn the index from tube_count() see the record.
    // Published before it is journaled: a snapshot that covers the record's
    // sequence must find the tube in the rack it reads (the record is not
    // replayed after it), and one that finds the tube before the record
    // replays the record idempotently. No check-in can use the tube before
    // ActivateNext below, so none is journaled before the tube's record.
    tube_count_.store(tube + 1, std::memory_order_release);
    on_racked(tube);

    Desk& desk = desks_[desk_index];
    // seq_cst, paired with the seq_cst CAS in RotateFull/SealTube and the
    // loads in ActivateNext: either this store is seen by a sealer's
    // ActivateNext, or our ActivateNext below sees the sealed word.
    if (desk.last == kNoTube) {
      desk.first.store(tube, std::memory_order_seq_cst);
    } else {
      tubes_[desk.last].next.store(tube, std::memory_order_seq_cst);
    }
    desk.last = tube;
  }
  ActivateNext(desks_[desk_index]);
  return Tube(tube);
}

uint32_t DeskRack::TakePositionsSlow(DeskIndex desk_index, uint32_t count, TubePosition* out,
                                     uint64_t word) {
  Desk& desk = desks_[desk_index];
  uint32_t taken = 0;
  int attempt = 0;
  for (;;) {
    const uint32_t wanted = count - taken;  // what the last fetch-add added
    const TubeIndex tube = TubeOf(word);
    const uint32_t fill = FillOf(word);
    if (fill < ratio_) {
      // Positions [fill, fill + wanted) were ours; those past the ratio are
      // nobody's (the tube rotates and the fill restarts at 0).
      const uint32_t got = std::min(wanted, ratio_ - fill);
      for (uint32_t j = 0; j < got; ++j) out[taken + j] = TubePosition{tube, fill + j, false};
      taken += got;
      if (fill + got == ratio_) {
        // This take filled the tube: exactly one take covers its last position.
        out[taken - 1].filled = true;
        RotateFull(desk, tube);
      }
      if (taken == count) return taken;
    } else if (fill >= kSealedFill) {
      // No open tube: open the next racked one if there is one, else give up.
      if (!ActivateNext(desk)) return taken;
    } else {
      // Full but not yet rotated by the take that filled it: help, then retry.
      RotateFull(desk, tube);
      BackoffPause(attempt);
    }
    word = desk.word.fetch_add(count - taken, std::memory_order_acq_rel);
  }
}

uint32_t DeskRack::TakeGroup(DeskIndex desk_index, uint32_t count, TubePosition* out,
                             absl::FunctionRef<void(TubeIndex)> sealed_early) {
  if (count > ratio_) return TakePositions(desk_index, count, out);
  Desk& desk = desks_[desk_index];
  // seq_cst, as SealTube: the early seal pairs with RackTube's stores.
  uint64_t word = desk.word.load(std::memory_order_seq_cst);
  int attempt = 0;
  for (;;) {
    const TubeIndex tube = TubeOf(word);
    const uint32_t fill = FillOf(word);
    if (fill >= kSealedFill) {
      if (!ActivateNext(desk)) return 0;
    } else if (fill >= ratio_) {
      // Full but not yet rotated by the take that filled it: help.
      RotateFull(desk, tube);
      BackoffPause(attempt);
    } else if (fill + count <= ratio_) {
      // seq_cst like the early seal below (on x86 the same locked
      // instruction); its acquire pairs with the CAS that opened the tube.
      if (desk.word.compare_exchange_weak(word, word + count, std::memory_order_seq_cst)) {
        for (uint32_t j = 0; j < count; ++j) out[j] = TubePosition{tube, fill + j, false};
        if (fill + count == ratio_) {
          out[count - 1].filled = true;
          RotateFull(desk, tube);
        }
        return count;
      }
      continue;  // the failed CAS reloaded the word
    } else {
      // The group does not fit in what is left (fill > 0, as count <= the
      // ratio): seal the tube as it stands, as SealTube does, so that the
      // group starts the next one.
      if (!desk.word.compare_exchange_weak(word, Word(tube, kSealedFill),
                                           std::memory_order_seq_cst)) {
        continue;
      }
      RecordSeal(tube, fill);
      sealed_early(tube);
    }
    word = desk.word.load(std::memory_order_seq_cst);
  }
}

void DeskRack::RotateFull(Desk& desk, TubeIndex tube) {
  // One CAS seals the full tube and, when a tube is racked behind it, opens
  // that one too. seq_cst pairs with RackTube (see ActivateNext).
  TubeIndex next = tubes_[tube].next.load(std::memory_order_seq_cst);
  uint64_t word = desk.word.load(std::memory_order_seq_cst);
  for (;;) {
    if (TubeOf(word) != tube || FillOf(word) >= kSealedFill) return;  // rotated already
    const uint64_t target = next != kNoTube ? Word(next, 0) : Word(tube, kSealedFill);
    if (desk.word.compare_exchange_weak(word, target, std::memory_order_seq_cst)) break;
    next = tubes_[tube].next.load(std::memory_order_seq_cst);
  }
  RecordSeal(tube, ratio_);
  // No next tube when we looked: one racked since then must still open.
  if (next == kNoTube) ActivateNext(desk);
}

void DeskRack::RecordSeal(TubeIndex tube, uint32_t swabs) {
  // Release: a reader of the count sees the tube's members (SetMember's
  // release stores came before the seal in every taker's order).
  tubes_[tube].sealed_swabs.store(swabs, std::memory_order_release);
}

std::vector<uint64_t> DeskRack::SwabsPerDesk() const {
  std::vector<uint64_t> swabs(desks_.size(), 0);
  const uint32_t tubes = tube_count();
  for (TubeIndex t = 0; t < tubes; ++t) {
    const TubeRecord& record = tubes_[t];
    swabs[record.desk] += record.sealed_swabs.load(std::memory_order_acquire);
  }
  for (DeskIndex d = 0; d < desks_.size(); ++d) {
    const uint64_t word = desks_[d].word.load(std::memory_order_acquire);
    const TubeIndex open = TubeOf(word);
    // The open tube's fill; a full one whose seal is not yet recorded counts too.
    if (FillOf(word) < kSealedFill && tubes_[open].sealed_swabs.load(std::memory_order_acquire) == 0) {
      swabs[d] += std::min(FillOf(word), ratio_);
    }
  }
  return swabs;
}

uint64_t DeskRack::sealed_tubes() const {
  uint64_t sealed = 0;
  const uint32_t tubes = tube_count();
  for (TubeIndex t = 0; t < tubes; ++t) {
    if (tubes_[t].sealed_swabs.load(std::memory_order_relaxed) > 0) ++sealed;
  }
  return sealed;
}

bool DeskRack::ActivateNext(Desk& desk) {
  uint64_t word = desk.word.load(std::memory_order_seq_cst);
  for (;;) {
    if (FillOf(word) < kSealedFill) return true;  // a tube is open (or full, rotating)
    const TubeIndex current = TubeOf(word);
    const TubeIndex next = current == kNoTube
                               ? desk.first.load(std::memory_order_seq_cst)
                               : tubes_[current].next.load(std::memory_order_seq_cst);
    if (next == kNoTube) return false;
    if (desk.word.compare_exchange_weak(word, Word(next, 0), std::memory_order_seq_cst)) {
      return true;
    }
  }
}

absl::StatusOr<TubeView> DeskRack::SealTube(DeskIndex desk_index, absl::string_view barcode) {
  const std::optional<TubeIndex> found = FindTube(barcode);
  if (!found.has_value()) {
    return absl::NotFoundError(absl::StrCat("tube ", barcode, " was never scanned in this round"));
  }
  const TubeIndex tube = *found;
  if (tubes_[tube].desk != desk_index) {
    return absl::FailedPreconditionError(
        absl::StrCat("tube ", barcode, " belongs to another desk; seal it there"));
  }
  Desk& desk = desks_[desk_index];
  uint64_t word = desk.word.load(std::memory_order_seq_cst);
  for (;;) {
    const uint32_t fill = FillOf(word);
    if (TubeOf(word) != tube) {
      if (tubes_[tube].sealed_swabs.load(std::memory_order_acquire) > 0) {
        return absl::FailedPreconditionError(absl::StrCat("tube ", barcode, " is already sealed"));
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "tube ", barcode, " is racked behind the open tube; only the open tube can be sealed"));
    }
    if (fill >= ratio_) {
      // Full (sealed by its last swab) or sealed by hand already.
      if (fill < kSealedFill) RotateFull(desk, tube);
      return absl::FailedPreconditionError(absl::StrCat("tube ", barcode, " is already sealed"));
    }
    if (fill == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("tube ", barcode, " is empty; an empty tube cannot be sealed"));
    }
    // The CAS fixes the tube's content: every position below `fill` was
    // handed out before it, and every later fetch-add sees the seal.
    if (desk.word.compare_exchange_weak(word, Word(tube, kSealedFill), std::memory_order_seq_cst)) {
      RecordSeal(tube, fill);
      break;
    }
  }
  ActivateNext(desk);
  return Tube(tube);
}

std::optional<TubeIndex> DeskRack::FindTube(absl::string_view barcode) const {
  std::lock_guard lock(mu_);
  IndexRestoredTubesLocked();
  auto it = tube_by_barcode_.find(barcode);
  if (it == tube_by_barcode_.end()) return std::nullopt;
  return it->second;
}

bool DeskRack::HasOpenTube(DeskIndex desk_index) const {
  const uint64_t word = desks_[desk_index].word.load(std::memory_order_acquire);
  return FillOf(word) < kSealedFill;
}

TubeView DeskRack::Tube(TubeIndex tube) const {
  const TubeRecord& record = tubes_[tube];
  TubeView view{tube, record.barcode, record.desk, TubeState::kRacked, 0};
  const uint32_t sealed = record.sealed_swabs.load(std::memory_order_acquire);
  if (sealed > 0) {
    view.state = TubeState::kSealed;
    view.swabs = sealed;
    return view;
  }
  const uint64_t word = desks_[record.desk].word.load(std::memory_order_acquire);
  if (TubeOf(word) == tube) {
    const uint32_t fill = FillOf(word);
    // A fill at or past the ratio is a tube whose seal is being recorded.
    view.state = fill < ratio_ ? TubeState::kOpen : TubeState::kSealed;
    view.swabs = std::min(fill, ratio_);
  }
  return view;
}

absl::Status DeskRack::RestoreTubes(absl::Span<const DeskIndex> desks,
                                    const CodeArena& barcodes) {
  std::lock_guard lock(mu_);
  const size_t count = desks.size();
  if (tube_count_.load(std::memory_order_relaxed) != 0 || barcodes.size() != count ||
      !tubes_.EnsureSize(count) || !members_.EnsureSize(count * ratio_)) {
    return absl::DataLossError(absl::StrCat("cannot restore ", count, " tubes into this rack"));
  }
  for (TubeIndex tube = 0; tube < count; ++tube) {
    const DeskIndex desk_index = desks[tube];
    if (desk_index >= desks_.size()) {
      return absl::DataLossError(absl::StrCat("tube ", tube, " names desk ", desk_index,
                                              ", which the round does not have"));
    }
    TubeRecord& record = tubes_[tube];
    record.barcode = std::string(barcodes.Get(tube));
    record.desk = desk_index;
    // Relaxed: recovery runs before the rack is shared.
    Desk& desk = desks_[desk_index];
    if (desk.last == kNoTube) {
      desk.first.store(tube, std::memory_order_relaxed);
      // As RackTube's ActivateNext would: the desk's first tube opens.
      desk.word.store(Word(tube, 0), std::memory_order_relaxed);
    } else {
      tubes_[desk.last].next.store(tube, std::memory_order_relaxed);
    }
    desk.last = tube;
  }
  // The barcode index waits for its first use: hashing a million barcodes
  // cost 0.1-0.7 s of a 10-million-resident recovery (bench/RESULTS.md),
  // and check-ins never look a tube up by barcode.
  unindexed_tubes_ = static_cast<uint32_t>(count);
  tube_count_.store(static_cast<uint32_t>(count), std::memory_order_release);
  return absl::OkStatus();
}

void DeskRack::IndexRestoredTubesLocked() const {
  if (unindexed_tubes_ == 0) return;
  tube_by_barcode_.reserve(unindexed_tubes_);
  // A repeated barcode (only a forged snapshot has one) keeps its first tube.
  for (TubeIndex tube = 0; tube < unindexed_tubes_; ++tube) {
    tube_by_barcode_.emplace(tubes_[tube].barcode, tube);
  }
  unindexed_tubes_ = 0;
}

void DeskRack::RebuildAfterRestore(const std::vector<bool>& sealed_by_hand) {
  for (Desk& desk : desks_) {
    std::vector<TubeIndex> rack;
    for (TubeIndex t = desk.first.load(std::memory_order_relaxed); t != kNoTube;
         t = tubes_[t].next.load(std::memory_order_relaxed)) {
      rack.push_back(t);
    }
    std::vector<uint32_t> swabs(rack.size(), 0);
    std::vector<uint32_t> fill(rack.size(), 0);  // highest position + 1
    int last_used = -1;
    for (size_t i = 0; i < rack.size(); ++i) {
      for (uint32_t slot = 0; slot < ratio_; ++slot) {
        if (Member(rack[i], slot) == kNoId) continue;
        ++swabs[i];
        fill[i] = slot + 1;
      }
      const bool sealed = rack[i] < sealed_by_hand.size() && sealed_by_hand[rack[i]];
      if (swabs[i] > 0 || sealed) last_used = static_cast<int>(i);
    }
    for (int i = 0; i < last_used; ++i) RecordSeal(rack[i], swabs[i]);
    uint64_t word = rack.empty() ? Word(kNoTube, kSealedFill) : Word(rack[0], 0);
    if (last_used >= 0) {
      const size_t u = static_cast<size_t>(last_used);
      const bool closed =
          fill[u] >= ratio_ || (rack[u] < sealed_by_hand.size() && sealed_by_hand[rack[u]]);
      if (!closed) {
        word = Word(rack[u], fill[u]);
      } else {
        RecordSeal(rack[u], swabs[u]);
        word = u + 1 < rack.size() ? Word(rack[u + 1], 0) : Word(rack[u], kSealedFill);
      }
    }
    desk.word.store(word, std::memory_order_release);
  }
}

size_t DeskRack::MemoryBytes() const {
  return desks_.capacity() * sizeof(Desk) + tubes_.AllocatedBytes() + members_.AllocatedBytes();
}

}  // namespace swabwave::engine::core
