// Round's durability side: rebuilding a round from a snapshot's image or
// from journal records, and writing its snapshot (engine/journal).
#include "engine/round/round.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/journal/frame.h"
#include "engine/journal/records.h"
#include "engine/model/round_target.h"

namespace swabwave::engine {

absl::StatusOr<std::unique_ptr<Round>> Round::FromImage(journal::RoundImage image,
                                                        std::vector<const Community*> communities) {
  const std::string id = image.round.config.id;
  auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("the snapshot's image of round ", id, ": ", what));
  };
  std::unique_ptr<Round> round(new Round(std::move(image.round.config), std::move(communities),
                                         image.round.created));
  round->IndexSites();
  absl::StatusOr<std::vector<bool>> targeted = TargetMask(round->layout_, round->config_.target);
  if (!targeted.ok()) return damaged(targeted.status().message());
  round->layout_.Target(*std::move(targeted));
  const RoundLayout& layout = round->layout_;
  absl::StatusOr<std::unique_ptr<core::ResidentTable>> table = core::ResidentTable::Adopt(
      layout.resident_count(), layout.building_count(), image.slots, std::move(image.positions),
      std::move(image.buildings), std::move(image.long_codes));
  if (!table.ok()) return damaged(table.status().message());
  round->table_ = *std::move(table);

  const auto phase = static_cast<RoundPhase>(image.phase);
  if (phase == RoundPhase::kDraft || !image.plan.has_value()) {
    if (phase != RoundPhase::kDraft || image.plan.has_value() || !image.tube_desks.empty()) {
      return damaged("its phase, plan and tubes disagree");
    }
    return round;
  }
  if (absl::Status s = plan::CheckPlanIndexes(layout, *image.plan); !s.ok()) {
    return damaged(s.message());
  }
  if (phase == RoundPhase::kPlanned && !image.tube_desks.empty()) {
    return damaged("a round not yet open has tubes");
  }
  if (image.cells_by_position.size() != round->table_->capacity() ||
      image.building_tallies.size() != size_t{layout.building_count()} * 3) {
    return damaged("its live cells or building tallies do not fit its table");
  }
  std::vector<BuildingPlan> building_plans(layout.building_count());
  for (size_t b = 0; b < building_plans.size(); ++b) {
    building_plans[b] = {image.building_tallies[3 * b], image.building_tallies[3 * b + 1],
                         image.building_tallies[3 * b + 2]};
  }
  // LiveSpec without its per-resident arrays: the image holds the words and
  // the cells per table position already.
  core::LiveRoundSpec spec;
  spec.pool_ratio = round->config_.pool_ratio;
  spec.epoch_unix_seconds =
      absl::ToUnixSeconds(round->config_.start - kScanBeforeStartTolerance);
  spec.table = round->table_.get();
  spec.site_count = layout.site_count();
  spec.desk_sites = round->DeskSites();
  spec.keep_words = true;
  spec.cells_by_position = std::move(image.cells_by_position);

  std::lock_guard lock(round->mu_);
  round->InstallLiveLocked(std::make_shared<const plan::Plan>(*std::move(image.plan)),
                           std::move(building_plans),
                           std::make_unique<core::LiveRound>(std::move(spec)));
  round->phase_.store(phase, std::memory_order_release);
  core::LiveRound& state = *round->live();
  if (absl::Status s = state.rack().RestoreTubes(image.tube_desks, image.tube_barcodes); !s.ok()) {
    return damaged(s.message());
  }
  for (TubeIndex t = 0; t < image.tube_sealed.size(); ++t) {
    if (image.tube_sealed[t] == 0) continue;
    if (round->restore_sealed_.empty()) round->restore_sealed_.resize(image.tube_sealed.size());
    round->restore_sealed_[t] = true;
  }
  if (absl::Status s = state.AdoptSnapshotWords(image.request_entries); !s.ok()) {
    return damaged(s.message());
  }
  return round;
}

absl::Status Round::RestorePlan(plan::Plan plan) {
  std::lock_guard lock(mu_);
  const RoundPhase current = phase();
  // A snapshot may already hold this plan and the round opened after it.
  if (current == RoundPhase::kOpen || current == RoundPhase::kClosed) return absl::OkStatus();
  if (absl::Status s = plan::CheckPlanIndexes(layout_, plan); !s.ok()) {
    return absl::DataLossError(absl::StrCat("the journaled plan of round ", config_.id,
                                            " does not fit the round: ", s.message()));
  }
  InstallPlanLocked(std::make_shared<const plan::Plan>(std::move(plan)));
  return absl::OkStatus();
}

absl::Status Round::RestoreReplan(plan::Plan plan) {
  std::lock_guard lock(mu_);
  if (plan_ == nullptr) {
    return absl::DataLossError(
        absl::StrCat("the journal re-plans round ", config_.id, " before planning it"));
  }
  if (plan.resident_standing != plan_->resident_standing || plan.site_count != plan_->site_count ||
      plan.wave_count != plan_->wave_count) {
    return absl::DataLossError(absl::StrCat("the journaled re-plan of round ", config_.id,
                                            " does not fit its residents or sites"));
  }
  if (absl::Status s = plan::CheckPlanIndexes(layout_, plan); !s.ok()) {
    return absl::DataLossError(absl::StrCat("the journaled re-plan of round ", config_.id,
                                            " does not fit the round: ", s.message()));
  }
  InstallReplanLocked(std::make_shared<const plan::Plan>(std::move(plan)));
  return absl::OkStatus();
}

absl::Status Round::RestorePhase(RoundPhase target) {
  std::lock_guard lock(mu_);
  const RoundPhase current = phase();
  if (current >= target) return absl::OkStatus();  // already applied
  if (current == RoundPhase::kDraft) {
    return absl::DataLossError(
        absl::StrCat("the journal opens or closes round ", config_.id, " before planning it"));
  }
  phase_.store(target, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status Round::RestoreRack(DeskIndex desk, TubeIndex tube, absl::string_view barcode) {
  core::LiveRound* state = live();
  if (state == nullptr || desk >= desk_total()) {
    return absl::DataLossError(absl::StrCat("a journaled tube of round ", config_.id,
                                            " names a desk the round does not have"));
  }
  if (tube < state->rack().tube_count()) {
    if (state->rack().Tube(tube).barcode == barcode) return absl::OkStatus();  // already applied
  } else if (tube == state->rack().tube_count()) {
    absl::StatusOr<core::TubeView> racked = state->rack().RackTube(desk, barcode);
    if (racked.ok()) return absl::OkStatus();
  }
  return absl::DataLossError(absl::StrCat("journaled tube ", tube, " of round ", config_.id,
                                          " does not follow the tubes before it"));
}

absl::Status Round::RestoreSeal(TubeIndex tube) {
  core::LiveRound* state = live();
  if (state == nullptr || tube >= state->rack().tube_count()) {
    return absl::DataLossError(
        absl::StrCat("the journal seals tube ", tube, " of round ", config_.id, " before racking it"));
  }
  if (restore_sealed_.size() <= tube) restore_sealed_.resize(size_t{tube} + 1, false);
  restore_sealed_[tube] = true;
  return absl::OkStatus();
}

absl::Status Round::RestoreCheckIn(const journal::CheckInRecord& record) {
  core::LiveRound* state = live();
  if (state == nullptr) {
    return absl::DataLossError(
        absl::StrCat("the journal checks residents in to round ", config_.id, " before planning it"));
  }
  return state->Restore(record.resident, record.tube, record.slot, record.scan_unix_seconds,
                        record.request, record.request_whole);
}

void Round::FinishRestore() {
  if (core::LiveRound* state = live(); state != nullptr) state->FinishRestore(restore_sealed_);
  restore_sealed_.clear();
  restore_sealed_.shrink_to_fit();
}

absl::Status Round::WriteSnapshot(journal::SnapshotSink& sink, SnapshotStyle style) const {
  std::shared_lock lock(mu_);
  if (style == SnapshotStyle::kDense) {
    // Under the shared lock: no re-plan replaces the plan or the live state,
    // and the phase stays (Open and Close take the lock exclusively).
    core::LiveRound* state = live();
    journal::RoundImageSource source;
    source.round = {config_, created_};
    source.phase = static_cast<uint8_t>(phase());
    source.plan = plan_.get();
    source.table = table_.get();
    if (state != nullptr) {
      source.rack = &state->rack();
      source.requests = &state->requests();
      source.cells_by_position = &state->cells_by_position();
      source.building_tallies.reserve(building_plans_.size() * 3);
      for (const BuildingPlan& tally : building_plans_) {
        source.building_tallies.insert(source.building_tallies.end(),
                                       {tally.due, tally.exempt, tally.door_to_door});
      }
    }
    // Read before the image: every walk-in appended before the snapshot
    // began is in a tube below it (see WriteWalkIns).
    const uint32_t tubes = state != nullptr ? state->rack().tube_count() : 0;
    const TubeMarks marks = MarkTubes(tubes);
    const uint64_t estimate = journal::EstimateRoundImageBytes(source);
    // A round too large for one frame (about 20 M residents) falls back to
    // records below; the estimate avoids encoding it for nothing, the size
    // check after encoding is the one that counts.
    if (estimate <= journal::kMaxPayloadBytes) {
      std::string record;
      record.reserve(estimate);
      journal::EncodeRoundImage(source, &record);
      if (record.size() <= journal::kMaxPayloadBytes) {
        if (absl::Status s = sink.Add(record); !s.ok()) return s;
        if (absl::Status s = WriteVisits(sink); !s.ok()) return s;
        if (absl::Status s = WriteWalkIns(sink, tubes); !s.ok()) return s;
        return WriteLabState(sink, marks);
      }
    }
  }
  const uint32_t tubes = live() != nullptr ? live()->rack().tube_count() : 0;
  const TubeMarks marks = MarkTubes(tubes);
  if (absl::Status s = WriteRecordsLocked(sink); !s.ok()) return s;
  if (absl::Status s = WriteVisits(sink); !s.ok()) return s;
  if (absl::Status s = WriteWalkIns(sink, tubes); !s.ok()) return s;
  return WriteLabState(sink, marks);
}

absl::Status Round::WriteVisits(journal::SnapshotSink& sink) const {
  // After the round: replaying a visit needs the round (and its teams).
  // Visits recorded after the snapshot began are here and in the journal;
  // the second replay finds its request recorded and changes nothing.
  std::string record;
  for (const visits::Visit& visit : visits_.History()) {
    record.clear();
    journal::EncodeVisit({index_, visit}, &record);
    if (absl::Status s = sink.Add(record); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Round::WriteRecordsLocked(journal::SnapshotSink& sink) const {
  std::string record;
  journal::EncodeRoundCreated({config_, created_}, &record);
  if (absl::Status s = sink.Add(record); !s.ok()) return s;
  if (plan_ == nullptr) return absl::OkStatus();
  record.clear();
  journal::EncodeRoundPlanned(config_.id, *plan_, &record);
  if (absl::Status s = sink.Add(record); !s.ok()) return s;
  const RoundPhase current = phase();
  if (current == RoundPhase::kPlanned) return absl::OkStatus();
  record.clear();
  journal::EncodeRoundPhase(journal::RecordType::kRoundOpened, config_.id, &record);
  if (absl::Status s = sink.Add(record); !s.ok()) return s;

  const core::LiveRound& state = *live();
  // Tubes first, so that replaying a check-in finds its tube. A check-in
  // into a tube racked after this count is newer than the snapshot's
  // covered sequence and replays from the journal: skip it here.
  const uint32_t tubes = state.rack().tube_count();
  for (TubeIndex t = 0; t < tubes; ++t) {
    const core::TubeView tube = state.rack().Tube(t);
    record.clear();
    journal::EncodeTubeEvent(journal::RecordType::kTubeRacked,
                             {config_.id, tube.desk, t, tube.barcode}, &record);
    if (absl::Status s = sink.Add(record); !s.ok()) return s;
    if (tube.state == core::TubeState::kSealed) {
      record.clear();
      journal::EncodeTubeEvent(journal::RecordType::kTubeSealed,
                               {config_.id, tube.desk, t, tube.barcode}, &record);
      if (absl::Status s = sink.Add(record); !s.ok()) return s;
    }
  }
  for (uint32_t r = 0; r < layout_.resident_count(); ++r) {
    const core::ResidentWord word = state.Read(r);
    if (!core::IsSampled(word.state()) || word.place() >= tubes) continue;
    record.clear();
    const core::LiveRound::Request request = state.RequestOf(r);
    journal::EncodeCheckIn({index_, r, word.place(), word.slot(),
                            state.epoch_unix_seconds() + word.scan_offset(), request.fingerprint,
                            request.whole},
                           &record);
    if (absl::Status s = sink.Add(record); !s.ok()) return s;
  }
  if (current == RoundPhase::kClosed) {
    record.clear();
    journal::EncodeRoundPhase(journal::RecordType::kRoundClosed, config_.id, &record);
    if (absl::Status s = sink.Add(record); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine
