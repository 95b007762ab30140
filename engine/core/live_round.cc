#include "engine/core/live_round.h"

#include <algorithm>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/core/backoff.h"

namespace swabwave::engine::core {
namespace {

// An array left unconstructed until its elements are assigned: the batch
// path's scratch. Default-constructing a window's worth of results for every
// check-in would cost about as much as the check-in itself.
template <typename T, size_t N>
union Scratch {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  Scratch() {}
  T items[N];
};

}  // namespace

LiveRound::LiveRound(LiveRoundSpec spec)
    : epoch_(spec.epoch_unix_seconds),
      table_(spec.table),
      rack_(static_cast<uint32_t>(spec.desk_sites.size()), spec.pool_ratio),
      requests_(spec.table),
      site_count_(spec.site_count) {
  if (spec.keep_words) {
    cells_ = std::move(spec.cells_by_position);
  } else {
    cells_.assign(table_->capacity(), kNoId);
  }
  // In table order: the slots are written front to back, and only the
  // per-resident inputs read at random.
  for (uint32_t position = 0; position < table_->capacity() && !spec.keep_words; ++position) {
    ResidentTable::Slot& slot = table_->at(position);
    const uint32_t r = slot.resident;
    if (r == kNoId) continue;
    cells_[position] = spec.cells[r];
    // Relaxed: the round is published to other threads with a release store.
    slot.word.store(ResidentWord::Make(spec.initial[r], 0, 0, 0).bits(),
                    std::memory_order_relaxed);
    slot.request_tag.store(0, std::memory_order_relaxed);
  }
  site_first_desk_.assign(site_count_ + 1, static_cast<DeskIndex>(spec.desk_sites.size()));
  for (DeskIndex d = static_cast<DeskIndex>(spec.desk_sites.size()); d-- > 0;) {
    site_first_desk_[spec.desk_sites[d]] = d;
  }
  for (uint32_t s = site_count_; s-- > 0;) {
    // A site without desks starts where the next one does.
    site_first_desk_[s] = std::min(site_first_desk_[s], site_first_desk_[s + 1]);
  }
}

CheckInResult LiveRound::CheckIn(DeskIndex desk, absl::string_view code,
                                 int64_t scan_unix_seconds, uint64_t request,
                                 CheckInLog* log) {
  const CheckInAttempt attempt{desk, code, scan_unix_seconds, request};
  requests_.Prefetch(request);
  CheckInResult result;
  Batch batch;
  batch.attempts = absl::MakeConstSpan(&attempt, 1);
  batch.results = absl::MakeSpan(&result, 1);
  batch.log = log;
  Claim(0, ResidentTable::MakeKey(code), batch);
  if (batch.claimed == 0) return result;
  // One claim, settled here: Settle's loops made a call at 10 million
  // residents twice as slow (bench/RESULTS.md), because the processor no
  // longer reached the next call's cache miss while this one waited.
  ResidentTable::Slot& slot = *batch.slots[0];
  TubePosition tube;
  if (rack_.TakePositions(desk, 1, &tube) == 0) {
    // The desk's last tube filled under us: undo the claim.
    Undo(slot, batch.unclaimed[0], attempt);
    return Refusal(CheckInVerdict::kNoOpenTube, slot.resident);
  }
  Sample(slot.resident, attempt, tube, result);
  if (log != nullptr) log->Record(absl::MakeConstSpan(&result, 1));
  Publish(slot, batch.unclaimed[0], attempt, tube);
  return result;
}

void LiveRound::CheckInBatch(absl::Span<const CheckInAttempt> attempts,
                             absl::Span<CheckInResult> results, CheckInLog* log) {
  Scratch<ResidentTable::Key, kPrefetchWindow> window_keys;  // each assigned before use
  ResidentTable::Key* const keys = window_keys.items;
  Batch batch;
  batch.attempts = attempts;
  batch.results = results;
  batch.log = log;
  for (const CheckInAttempt& attempt : attempts) batch.has_groups |= attempt.with_previous;
  for (size_t begin = 0, end = 0; begin < attempts.size(); begin = end) {
    end = std::min(attempts.size(), begin + kPrefetchWindow);
    // A window ends before a household rather than in it (a household
    // longer than a window, more than any pool ratio, is split anyway).
    size_t household = end;
    while (household < attempts.size() && household > begin && attempts[household].with_previous) {
      --household;
    }
    if (household > begin) end = household;
    // Hash every code and start every line's fetch before touching any, so
    // the window's cache misses overlap instead of queueing.
    for (size_t i = begin; i < end; ++i) {
      keys[i - begin] = ResidentTable::MakeKey(attempts[i].code);
      table_->Prefetch(keys[i - begin]);
      requests_.Prefetch(attempts[i].request);
    }
    for (size_t i = begin; i < end; ++i) Claim(i, keys[i - begin], batch);
    // One position take per desk and one log call per window (the
    // journal's lock is taken once for up to kPrefetchWindow records).
    Settle(batch);
  }
}

void LiveRound::Claim(size_t i, const ResidentTable::Key& key, Batch& batch) {
  const CheckInAttempt& attempt = batch.attempts[i];
  // Every path writes the whole result: a claim's in Settle. (Clearing it
  // first here cost a fifth of a check-in: GCC builds the cleared value on
  // the stack and reloads it wider than it stored it.)
  CheckInResult& result = batch.results[i];
  const DeskIndex desk = attempt.desk;
  if (desk >= rack_.desk_count()) {
    result = Refusal(CheckInVerdict::kUnknownDesk, kNoId);
    return;
  }
  // Compared before subtracting: any int64 may arrive, and the difference
  // of two far-apart ones overflows.
  if (attempt.scan_unix_seconds < epoch_ ||
      attempt.scan_unix_seconds - epoch_ > ResidentWord::kMaxScanOffset) {
    result = Refusal(CheckInVerdict::kScanTimeOutOfRange, kNoId);
    return;
  }
  const uint32_t position = table_->Find(key);
  if (position == kNoId) {
    result = Refusal(CheckInVerdict::kUnknownResident, kNoId);
    return;
  }

  ResidentTable::Slot& slot = table_->at(position);
  const uint32_t resident = slot.resident;
  // Acquire pairs with the release store that published a sampled word, so
  // the tube, slot and request tag of a finished check-in are visible.
  uint64_t bits = slot.word.load(std::memory_order_acquire);
  int attempt_count = 0;
  for (;;) {
    const ResidentWord word(bits);
    const ResidentState state = word.state();
    if (IsSampled(state)) {
      const bool same_attempt =
          slot.request_tag.load(std::memory_order_relaxed) == LowHalf(attempt.request);
      result = Describe(same_attempt ? CheckInVerdict::kReplayed : CheckInVerdict::kAlreadySampled,
                        resident, word);
      return;
    }
    if (state == ResidentState::kClaimed) {
      // Another check-in is a few instructions (or one log call) from
      // publishing; wait for it. Settle our own claims first: the other
      // one may be waiting for one of them (two tablets' batches holding
      // each other's residents, or this batch scanning someone twice), and
      // a waiter must hold no claim.
      Settle(batch);
      BackoffPause(attempt_count);
      bits = slot.word.load(std::memory_order_acquire);
      continue;
    }
    if (state == ResidentState::kNotTargeted) [[unlikely]] {
      result = Refusal(CheckInVerdict::kNotTargeted, resident);
      return;
    }
    // Not sampled yet. Refuse early when the desk has no tube rather than
    // claiming and reverting; but not in a batch with households, where a
    // tube racked between two members' claims would split the household
    // (its take places it whole or not at all).
    if (!batch.has_groups && !rack_.HasOpenTube(desk)) {
      result = Refusal(CheckInVerdict::kNoOpenTube, resident);
      return;
    }
    const uint64_t claimed =
        ResidentWord::Make(ResidentState::kClaimed, desk, 0, attempt.scan_unix_seconds - epoch_)
            .bits();
    // acq_rel on success: the tag and tube stores stay after the claim;
    // acquire on failure: same reason as the first load.
    if (!slot.word.compare_exchange_weak(bits, claimed, std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
      continue;
    }
    // Relaxed: published together with the word's release store (Publish),
    // and before the request index entry (RequestIndex::Claim's release).
    slot.request_tag.store(LowHalf(attempt.request), std::memory_order_relaxed);
    // Claimed first, so that only one check-in of this resident is in the
    // index at a time; the index is asked before a tube position is taken,
    // because a position once taken cannot be given back.
    if (const uint32_t holder = requests_.Claim(attempt.request, position); holder != kNoId) {
      slot.word.store(bits, std::memory_order_release);
      result = Refusal(CheckInVerdict::kRequestReused, table_->at(holder).resident);
      return;
    }
    const int c = batch.claimed++;
    batch.index[c] = static_cast<uint32_t>(i);
    batch.slots[c] = &slot;
    batch.unclaimed[c] = bits;
    return;
  }
}

void LiveRound::Settle(Batch& batch) {
  const int claimed = batch.claimed;
  if (claimed == 0) return;
  batch.claimed = 0;
  Scratch<TubePosition, kPrefetchWindow> taken;
  TubePosition* const positions = taken.items;
  bool placed[kPrefetchWindow];
  Scratch<CheckInResult, kPrefetchWindow> to_log;
  CheckInResult* const sampled = to_log.items;
  int sampled_count = 0;
  for (int first = 0; first < claimed;) {
    // A run of claims at one desk (a tablet's message is all one desk).
    const DeskIndex desk = batch.attempts[batch.index[first]].desk;
    int end = first + 1;
    while (end < claimed && batch.attempts[batch.index[end]].desk == desk) ++end;
    TakeRun(batch, desk, first, end, positions, placed);
    for (int c = first; c < end; ++c) {
      const CheckInAttempt& attempt = batch.attempts[batch.index[c]];
      CheckInResult& result = batch.results[batch.index[c]];
      const uint32_t resident = batch.slots[c]->resident;
      if (!placed[c]) {
        // The desk's last tube filled under us: undo the claim.
        Undo(*batch.slots[c], batch.unclaimed[c], attempt);
        result = Refusal(CheckInVerdict::kNoOpenTube, resident);
        continue;
      }
      Sample(resident, attempt, positions[c], result);
      if (batch.log != nullptr) sampled[sampled_count++] = result;
    }
    first = end;
  }
  if (sampled_count > 0) batch.log->Record(absl::MakeConstSpan(sampled, sampled_count));
  for (int c = 0; c < claimed; ++c) {
    if (placed[c]) {
      Publish(*batch.slots[c], batch.unclaimed[c], batch.attempts[batch.index[c]], positions[c]);
    }
  }
}

void LiveRound::TakeRun(Batch& batch, DeskIndex desk, int first, int end,
                        TubePosition* positions, bool* placed) {
  if (!batch.has_groups) {
    const int got = static_cast<int>(
        rack_.TakePositions(desk, static_cast<uint32_t>(end - first), positions + first));
    for (int c = first; c < end; ++c) placed[c] = c < first + got;
    return;
  }
  for (int group = first; group < end;) {
    int group_end = group + 1;
    while (group_end < end && SameGroup(batch, group_end)) ++group_end;
    const auto count = static_cast<uint32_t>(group_end - group);
    const int got = static_cast<int>(
        count == 1 ? rack_.TakePositions(desk, 1, positions + group)
                   : rack_.TakeGroup(desk, count, positions + group, [&](TubeIndex tube) {
                       if (batch.log != nullptr) batch.log->RecordEarlySeal(desk, tube);
                     }));
    for (int c = group; c < group_end; ++c) placed[c] = c < group + got;
    group = group_end;
  }
}

bool LiveRound::SameGroup(const Batch& batch, int c) {
  // Attempts refused before the claim (already sampled...) leave gaps: the
  // household runs on while every attempt in between was scanned with it.
  for (uint32_t i = batch.index[c - 1] + 1; i <= batch.index[c]; ++i) {
    if (!batch.attempts[i].with_previous) return false;
  }
  return true;
}

void LiveRound::Sample(uint32_t resident, const CheckInAttempt& attempt, const TubePosition& tube,
                       CheckInResult& result) {
  rack_.SetMember(tube.tube, tube.slot, resident);
  result.verdict = CheckInVerdict::kSampled;
  result.resident = resident;
  result.tube = tube.tube;
  result.desk = attempt.desk;
  result.slot = tube.slot;
  result.tube_full = tube.filled;
  result.scan_unix_seconds = attempt.scan_unix_seconds;
  result.request = attempt.request;
}

void LiveRound::Publish(ResidentTable::Slot& slot, uint64_t unclaimed,
                        const CheckInAttempt& attempt, const TubePosition& tube) {
  const ResidentState before = ResidentWord(unclaimed).state();
  // Release: waiters and later readers see the tag and the tube member.
  slot.word.store(ResidentWord::Make(SampledFrom(before), tube.tube, tube.slot,
                                     attempt.scan_unix_seconds - epoch_)
                      .bits(),
                  std::memory_order_release);
  CountRareStanding(before);
}

void LiveRound::CountRareStanding(ResidentState before) {
  // Relaxed counters for the rare standings, so totals need no scan.
  if (before == ResidentState::kExempt) {
    exempt_sampled_.value.fetch_add(1, std::memory_order_relaxed);
  } else if (before == ResidentState::kDoorToDoor) {
    door_to_door_sampled_.value.fetch_add(1, std::memory_order_relaxed);
  }
}

absl::Status LiveRound::Restore(uint32_t resident, TubeIndex tube, uint32_t slot_index,
                                int64_t scan_unix_seconds, uint64_t request,
                                bool request_whole) {
  // Compared before subtracting (found by journal_record_fuzzer: a record's
  // scan time near INT64_MIN overflowed the difference).
  if (resident >= resident_count() || tube >= rack_.tube_count() ||
      slot_index >= static_cast<uint32_t>(rack_.pool_ratio()) || scan_unix_seconds < epoch_ ||
      scan_unix_seconds - epoch_ > ResidentWord::kMaxScanOffset) {
    return absl::DataLossError(absl::StrCat("check-in record of resident ", resident, " in tube ",
                                            tube, " position ", slot_index,
                                            " is out of range for its round"));
  }
  const uint32_t position = table_->position_of(resident);
  ResidentTable::Slot& slot = table_->at(position);
  const ResidentWord word(slot.word.load(std::memory_order_relaxed));
  if (IsSampled(word.state())) {
    if (word.place() == tube && word.slot() == slot_index) return absl::OkStatus();  // replayed
    return absl::DataLossError(absl::StrCat("resident ", resident,
                                            " has two check-in records in different tubes"));
  }
  const uint32_t member = rack_.Member(tube, slot_index);
  if (member != kNoId && member != resident) {
    return absl::DataLossError(absl::StrCat("tube ", tube, " position ", slot_index,
                                            " has two check-in records"));
  }
  const int64_t offset = scan_unix_seconds - epoch_;
  rack_.SetMember(tube, slot_index, resident);
  slot.request_tag.store(LowHalf(request), std::memory_order_relaxed);
  slot.word.store(
      ResidentWord::Make(SampledFrom(word.state()), tube, slot_index, offset).bits(),
      std::memory_order_release);
  // A second resident under the same request id can only come from a
  // check-in taken unguarded (request_index.h): the first keeps the entry.
  if (request_whole) (void)requests_.Claim(request, position);
  CountRareStanding(word.state());
  return absl::OkStatus();
}

absl::Status LiveRound::AdoptSnapshotWords(absl::string_view request_entries) {
  const uint32_t tubes = rack_.tube_count();
  const uint32_t ratio = static_cast<uint32_t>(rack_.pool_ratio());
  constexpr uint32_t kAhead = 8;  // slots whose tube member is fetched early
  // In table order: the slots are read once, front to back.
  for (uint32_t position = 0; position < table_->capacity(); ++position) {
    if (position + kAhead < table_->capacity()) {
      // The members a sampled word names are spread over the whole rack:
      // start their cache misses a few slots ahead so that they overlap.
      const ResidentWord ahead(table_->at(position + kAhead).word.load(std::memory_order_relaxed));
      if (IsSampled(ahead.state()) && ahead.place() < tubes && ahead.slot() < ratio) {
        rack_.PrefetchMember(ahead.place(), ahead.slot());
      }
    }
    ResidentTable::Slot& slot = table_->at(position);
    const uint32_t resident = slot.resident;
    if (resident == kNoId) continue;
    // Relaxed: recovery runs before the round is shared.
    const ResidentWord word(slot.word.load(std::memory_order_relaxed));
    const ResidentState state = word.state();
    if (IsSampleable(state) || state == ResidentState::kNotTargeted) {
      slot.word.store(ResidentWord::Make(state, 0, 0, 0).bits(), std::memory_order_relaxed);
      slot.request_tag.store(0, std::memory_order_relaxed);
      continue;
    }
    if (!IsSampled(state) || state > ResidentState::kSampledExempt) {
      return absl::DataLossError(absl::StrCat("the snapshot's word of resident ", resident,
                                              " reads state ", static_cast<int>(state),
                                              ", which no snapshot writes"));
    }
    const auto before = static_cast<ResidentState>(static_cast<uint8_t>(state) -
                                                   static_cast<uint8_t>(ResidentState::kSampled));
    if (word.place() >= tubes) {
      // Sampled into a tube racked after the snapshot began: its check-in
      // record follows in the journal.
      slot.word.store(ResidentWord::Make(before, 0, 0, 0).bits(), std::memory_order_relaxed);
      slot.request_tag.store(0, std::memory_order_relaxed);
      continue;
    }
    if (word.slot() >= ratio) {
      return absl::DataLossError(absl::StrCat("the snapshot puts resident ", resident,
                                              " at position ", word.slot(), " of tube ",
                                              word.place(), ", past the pool ratio"));
    }
    const uint32_t member = rack_.Member(word.place(), word.slot());
    if (member != kNoId && member != resident) {
      return absl::DataLossError(absl::StrCat("the snapshot puts residents ", member, " and ",
                                              resident, " at position ", word.slot(),
                                              " of tube ", word.place()));
    }
    rack_.SetMember(word.place(), word.slot(), resident);
    CountRareStanding(before);
  }
  return requests_.Adopt(request_entries);
}

CheckInResult LiveRound::Refusal(CheckInVerdict verdict, uint32_t resident) {
  CheckInResult result;
  result.verdict = verdict;
  result.resident = resident;
  return result;
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

ResidentWord LiveRound::ReadAt(uint32_t position) const {
  int attempt = 0;
  for (;;) {
    // Acquire pairs with the release store that published a sampled word.
    const ResidentWord word(table_->at(position).word.load(std::memory_order_acquire));
    if (word.state() != ResidentState::kClaimed) return word;
    BackoffPause(attempt);
  }
}

std::vector<uint64_t> LiveRound::CheckInsPerSite() const {
  const std::vector<uint64_t> desks = rack_.SwabsPerDesk();
  std::vector<uint64_t> sites(site_count_, 0);
  for (uint32_t s = 0; s < site_count_; ++s) {
    for (DeskIndex d = site_first_desk_[s]; d < site_first_desk_[s + 1]; ++d) sites[s] += desks[d];
  }
  return sites;
}

uint64_t LiveRound::TotalCheckIns() const {
  uint64_t swabs = 0;
  for (uint64_t desk : rack_.SwabsPerDesk()) swabs += desk;
  return swabs;
}

LiveRound::Request LiveRound::RequestOf(uint32_t resident) const {
  const uint32_t position = table_->position_of(resident);
  const uint32_t tag = table_->at(position).request_tag.load(std::memory_order_relaxed);
  const std::optional<uint32_t> high = requests_.HighHalfAt(position, tag);
  return {uint64_t{high.value_or(0)} << 32 | tag, high.has_value()};
}

void LiveRound::Undo(ResidentTable::Slot& slot, uint64_t unclaimed, const CheckInAttempt& attempt) {
  // The entry first: while it stands, the slot must still hold its tag.
  requests_.Undo(attempt.request, table_->position_of(slot.resident));
  slot.word.store(unclaimed, std::memory_order_release);
}

size_t LiveRound::MemoryBytes() const {
  return table_->MemoryBytes() + cells_.capacity() * sizeof(CellIndex) + rack_.MemoryBytes() +
         requests_.MemoryBytes();
}

}  // namespace swabwave::engine::core
