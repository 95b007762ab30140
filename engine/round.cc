#include "engine/round.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/journal/frame.h"
#include "engine/journal/records.h"
#include "engine/model/names.h"

namespace swabwave::engine {

absl::string_view PhaseName(RoundPhase phase) {
  switch (phase) {
    case RoundPhase::kDraft:
      return "draft";
    case RoundPhase::kPlanned:
      return "planned";
    case RoundPhase::kOpen:
      return "open";
    case RoundPhase::kClosed:
      return "closed";
  }
  return "unknown";
}

Round::Round(RoundConfig config, std::vector<const Community*> communities, absl::Time created)
    : config_(std::move(config)), layout_(std::move(communities)), created_(created) {}

absl::StatusOr<std::unique_ptr<Round>> Round::Create(RoundConfig config,
                                                     std::vector<const Community*> communities,
                                                     absl::Time created) {
  std::unique_ptr<Round> round(
      new Round(std::move(config), std::move(communities), created));
  round->IndexSites();
  const RoundLayout& layout = round->layout_;
  // Residents are numbered community by community; walk them in order.
  uint32_t community = 0;
  absl::StatusOr<std::unique_ptr<core::ResidentTable>> table = core::ResidentTable::Build(
      layout.resident_count(),
      [&](uint32_t r) {
        while (r >= layout.resident_base(community + 1)) ++community;
        return layout.community(community).resident_code(r - layout.resident_base(community));
      },
      [&](uint32_t r) {
        const RoundLayout::Local local = layout.LocateResident(r);
        return layout.building_base(local.community) +
               layout.community(local.community).building_of(local.id);
      });
  if (!table.ok()) return table.status();
  round->table_ = *std::move(table);
  return round;
}

void Round::IndexSites() {
  for (uint32_t c = 0; c < layout_.community_count(); ++c) {
    const Community& community = layout_.community(c);
    for (uint32_t s = 0; s < community.sites.size(); ++s) {
      site_index_.emplace(community.sites[s].id, layout_.site_base(c) + s);
    }
  }
}

absl::StatusOr<std::unique_ptr<Round>> Round::FromImage(journal::RoundImage image,
                                                        std::vector<const Community*> communities) {
  const std::string id = image.round.config.id;
  auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("the snapshot's image of round ", id, ": ", what));
  };
  std::unique_ptr<Round> round(new Round(std::move(image.round.config), std::move(communities),
                                         image.round.created));
  round->IndexSites();
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
  if (image.plan->resident_standing.size() != layout.resident_count() ||
      image.plan->site_count != layout.site_count()) {
    return damaged("its plan does not fit its residents or sites");
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
  spec.desk_sites = layout.desk_sites();
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
  if (absl::Status s = state.AdoptSnapshotWords(); !s.ok()) return damaged(s.message());
  return round;
}

absl::StatusOr<std::shared_ptr<const plan::Plan>> Round::MakePlan(
    const plan::Planner& planner, const plan::PlanOptions& options,
    const plan::StaffingRequest& staffing) {
  std::lock_guard lock(mu_);
  const RoundPhase current = phase();
  if (current != RoundPhase::kDraft && current != RoundPhase::kPlanned) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " is ", PhaseName(current),
                     "; only a draft or planned round can be planned"));
  }
  absl::StatusOr<plan::Plan> made;
  if (staffing.within_staff) {
    absl::StatusOr<plan::StaffedPlan> staffed =
        plan::PlanWithinStaff(planner, layout_, config_, options, staffing.options,
                              staffing.availability);
    if (!staffed.ok()) return staffed.status();
    made = std::move(staffed->plan);
  } else {
    made = planner.MakePlan(layout_, config_, options);
    if (!made.ok()) return made.status();
    made->staffing = staffing.options;
    made->availability = staffing.availability;
  }
  auto new_plan = std::make_shared<const plan::Plan>(*std::move(made));
  InstallPlanLocked(new_plan);
  if (store_ != nullptr) {
    std::string record;
    journal::EncodeRoundPlanned(config_.id, *new_plan, &record);
    store_->Append(record);
  }
  return new_plan;
}

void Round::InstallPlanLocked(std::shared_ptr<const plan::Plan> new_plan) {
  core::LiveRoundSpec spec = LiveSpec(*new_plan);
  std::vector<BuildingPlan> building_plans(layout_.building_count());
  // In table order: the table's arrays are read front to back, and only
  // the (smaller) standings at random.
  for (uint32_t position = 0; position < table_->capacity(); ++position) {
    const uint32_t r = table_->at(position).resident;
    if (r == kNoId) continue;
    BuildingPlan& tally = building_plans[table_->building_at(position)];
    switch (new_plan->resident_standing[r]) {
      case Standing::kDueAtSite: ++tally.due; break;
      case Standing::kDoorToDoor:
        ++tally.due;
        ++tally.door_to_door;
        break;
      case Standing::kExempt: ++tally.exempt; break;
    }
  }
  // Free the old live state first: both write the same table's words.
  live_.store(nullptr, std::memory_order_release);
  owned_live_.reset();
  InstallLiveLocked(std::move(new_plan), std::move(building_plans),
                    std::make_unique<core::LiveRound>(std::move(spec)));
}

void Round::InstallLiveLocked(std::shared_ptr<const plan::Plan> new_plan,
                              std::vector<BuildingPlan> building_plans,
                              std::unique_ptr<core::LiveRound> live) {
  live_.store(nullptr, std::memory_order_release);
  owned_live_ = std::move(live);
  // Release: a reader that loads the pointer sees the built state.
  live_.store(owned_live_.get(), std::memory_order_release);
  plan_ = std::move(new_plan);
  building_plans_ = std::move(building_plans);
  phase_.store(RoundPhase::kPlanned, std::memory_order_release);
}

absl::StatusOr<Round::Replanned> Round::Replan(const plan::ReplanRequest& request,
                                               const plan::PlanOptions& options) {
  std::lock_guard lock(mu_);
  const RoundPhase current = phase();
  if (current != RoundPhase::kPlanned && current != RoundPhase::kOpen) {
    return absl::FailedPreconditionError(absl::StrCat(
        "round ", config_.id, " is ", PhaseName(current),
        current == RoundPhase::kDraft ? "; plan it first (a re-plan changes an existing plan)"
                                      : "; a closed round cannot be re-planned"));
  }
  const core::LiveRound& state = *live();
  auto tested = [&](uint32_t r) { return core::IsSampled(state.Read(r).state()); };
  absl::StatusOr<plan::ReplanResult> result =
      plan::Replan(layout_, config_, options, *plan_, tested, request);
  if (!result.ok()) return result.status();
  Replanned replanned;
  replanned.plan = std::make_shared<const plan::Plan>(std::move(result->plan));
  replanned.moved = std::move(result->moved);
  replanned.moved_households = result->moved_households;
  InstallReplanLocked(replanned.plan);
  if (store_ != nullptr) {
    std::string record;
    journal::EncodeRoundPlanned(config_.id, *replanned.plan, &record,
                                journal::RecordType::kRoundReplanned);
    store_->Append(record);
  }
  return replanned;
}

void Round::InstallReplanLocked(std::shared_ptr<const plan::Plan> new_plan) {
  core::LiveRound& state = *live();
  for (uint32_t r = 0; r < layout_.resident_count(); ++r) {
    if (new_plan->resident_cell[r] != plan_->resident_cell[r]) {
      state.MoveToCell(r, new_plan->resident_cell[r]);
    }
  }
  plan_ = std::move(new_plan);
}

core::LiveRoundSpec Round::LiveSpec(const plan::Plan& plan) const {
  core::LiveRoundSpec spec;
  spec.pool_ratio = config_.pool_ratio;
  spec.epoch_unix_seconds = absl::ToUnixSeconds(config_.start - kScanBeforeStartTolerance);
  spec.table = table_.get();
  spec.site_count = layout_.site_count();
  spec.desk_sites = layout_.desk_sites();
  spec.cells = plan.resident_cell;
  spec.initial.resize(layout_.resident_count());
  for (uint32_t r = 0; r < spec.initial.size(); ++r) {
    switch (plan.resident_standing[r]) {
      case Standing::kDueAtSite: spec.initial[r] = core::ResidentState::kUntested; break;
      case Standing::kDoorToDoor: spec.initial[r] = core::ResidentState::kDoorToDoor; break;
      case Standing::kExempt: spec.initial[r] = core::ResidentState::kExempt; break;
    }
  }
  return spec;
}

absl::Status Round::Open() {
  std::lock_guard lock(mu_);
  const RoundPhase current = phase();
  if (current != RoundPhase::kPlanned) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " is ", PhaseName(current),
                     current == RoundPhase::kDraft ? "; plan it before opening it"
                                                   : "; only a planned round can be opened"));
  }
  phase_.store(RoundPhase::kOpen, std::memory_order_release);
  JournalPhase(journal::RecordType::kRoundOpened);
  return absl::OkStatus();
}

absl::Status Round::Close() {
  std::lock_guard lock(mu_);
  const RoundPhase current = phase();
  if (current != RoundPhase::kOpen) {
    return absl::FailedPreconditionError(absl::StrCat(
        "round ", config_.id, " is ", PhaseName(current), "; only an open round can be closed"));
  }
  phase_.store(RoundPhase::kClosed, std::memory_order_release);
  JournalPhase(journal::RecordType::kRoundClosed);
  return absl::OkStatus();
}

std::shared_ptr<const plan::Plan> Round::plan() const {
  std::shared_lock lock(mu_);
  return plan_;
}

absl::StatusOr<DeskIndex> Round::ResolveDesk(absl::string_view site_id, int number) const {
  const absl::StatusOr<uint32_t> site = FindSite(site_id);
  if (!site.ok()) return site.status();
  const int desks = layout_.site(*site).desks;
  if (number < 1 || number > desks) {
    return absl::NotFoundError(
        absl::StrCat("site '", site_id, "' has desks 1..", desks, "; there is no desk ", number));
  }
  return layout_.first_desk(*site) + static_cast<DeskIndex>(number - 1);
}

std::string Round::DeskName(DeskIndex desk) const {
  const uint32_t site = layout_.site_of_desk(desk);
  return absl::StrCat("sites/", layout_.site(site).id, "/desks/",
                      desk - layout_.first_desk(site) + 1);
}

core::CheckInResult Round::CheckIn(DeskIndex desk, absl::string_view code,
                                   int64_t scan_unix_seconds, uint32_t request_tag) {
  // Acquire pairs with Open's release: the live state is fully visible.
  if (phase() != RoundPhase::kOpen) {
    core::CheckInResult result;
    result.verdict = core::CheckInVerdict::kRoundNotOpen;
    return result;
  }
  return live()->CheckIn(desk, code, scan_unix_seconds, request_tag, log());
}

void Round::CheckInBatch(absl::Span<const core::CheckInAttempt> attempts,
                         absl::Span<core::CheckInResult> results) {
  if (phase() != RoundPhase::kOpen) {
    for (core::CheckInResult& result : results) {
      result = core::CheckInResult();
      result.verdict = core::CheckInVerdict::kRoundNotOpen;
    }
    return;
  }
  live()->CheckInBatch(attempts, results, log());
}

absl::Status Round::CheckOpen(absl::string_view what) const {
  const RoundPhase current = phase();
  if (current == RoundPhase::kOpen) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "round ", config_.id, " is ", PhaseName(current), "; ", what, " only while it is open"));
}

absl::StatusOr<core::TubeView> Round::RackTube(DeskIndex desk, absl::string_view barcode) {
  if (absl::Status s = CheckOpen("tubes can be scanned in"); !s.ok()) return s;
  if (desk >= layout_.desk_count()) return absl::NotFoundError("no such desk in this round");
  // Journaled under the rack's lock, so tube records are in index order.
  return live()->rack().RackTube(desk, barcode, [&](TubeIndex tube) {
    if (store_ == nullptr) return;
    std::string record;
    journal::EncodeTubeEvent(journal::RecordType::kTubeRacked,
                             {config_.id, desk, tube, std::string(barcode)}, &record);
    store_->Append(record);
  });
}

absl::StatusOr<core::TubeView> Round::SealTube(DeskIndex desk, absl::string_view barcode) {
  if (absl::Status s = CheckOpen("tubes can be sealed"); !s.ok()) return s;
  if (desk >= layout_.desk_count()) return absl::NotFoundError("no such desk in this round");
  absl::StatusOr<core::TubeView> sealed = live()->rack().SealTube(desk, barcode);
  if (sealed.ok() && store_ != nullptr) {
    std::string record;
    journal::EncodeTubeEvent(journal::RecordType::kTubeSealed,
                             {config_.id, desk, sealed->index, sealed->barcode}, &record);
    store_->Append(record);
  }
  return sealed;
}

void Round::JournalPhase(journal::RecordType type) {
  if (store_ == nullptr) return;
  std::string record;
  journal::EncodeRoundPhase(type, config_.id, &record);
  store_->Append(record);
}

void Round::JournalLog::Record(absl::Span<const core::CheckInResult> sampled) {
  // One buffer per thread: no allocation once it has grown.
  thread_local std::string buffer;
  thread_local std::vector<size_t> ends;
  buffer.clear();
  ends.clear();
  for (const core::CheckInResult& r : sampled) {
    journal::EncodeCheckIn({round_->index_, r.resident, r.tube, r.slot, r.scan_unix_seconds,
                            r.request_tag},
                           &buffer);
    ends.push_back(buffer.size());
  }
  absl::string_view records[core::LiveRound::kPrefetchWindow];
  size_t begin = 0;
  for (size_t i = 0; i < ends.size(); ++i) {
    records[i] = absl::string_view(buffer).substr(begin, ends[i] - begin);
    begin = ends[i];
  }
  round_->store_->Append(absl::MakeConstSpan(records, ends.size()));
}

// ---------------------------------------------------------------- recovery

absl::Status Round::RestorePlan(plan::Plan plan) {
  std::lock_guard lock(mu_);
  const RoundPhase current = phase();
  // A snapshot may already hold this plan and the round opened after it.
  if (current == RoundPhase::kOpen || current == RoundPhase::kClosed) return absl::OkStatus();
  if (plan.resident_standing.size() != layout_.resident_count() ||
      plan.site_count != layout_.site_count()) {
    return absl::DataLossError(
        absl::StrCat("the journaled plan of round ", config_.id, " does not fit its residents"));
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
  if (state == nullptr || desk >= layout_.desk_count()) {
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
                        record.request_tag);
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
      source.cells_by_position = &state->cells_by_position();
      source.building_tallies.reserve(building_plans_.size() * 3);
      for (const BuildingPlan& tally : building_plans_) {
        source.building_tallies.insert(source.building_tallies.end(),
                                       {tally.due, tally.exempt, tally.door_to_door});
      }
    }
    const uint64_t estimate = journal::EstimateRoundImageBytes(source);
    // A round too large for one frame (about 20 M residents) falls back to
    // records below; the estimate avoids encoding it for nothing, the size
    // check after encoding is the one that counts.
    if (estimate <= journal::kMaxPayloadBytes) {
      std::string record;
      record.reserve(estimate);
      journal::EncodeRoundImage(source, &record);
      if (record.size() <= journal::kMaxPayloadBytes) return sink.Add(record);
    }
  }
  return WriteRecordsLocked(sink);
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
    journal::EncodeCheckIn({index_, r, word.place(), word.slot(),
                            state.epoch_unix_seconds() + word.scan_offset(), state.RequestTagOf(r)},
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

std::optional<Round::SampledCheckIn> Round::SampledAt(uint32_t resident) const {
  const core::LiveRound* state = live();
  if (state == nullptr || resident >= layout_.resident_count()) return std::nullopt;
  const core::ResidentWord word = state->Read(resident);
  if (!core::IsSampled(word.state()) || word.place() >= state->rack().tube_count()) {
    return std::nullopt;
  }
  return SampledCheckIn{word.place(), state->epoch_unix_seconds() + word.scan_offset()};
}

Round::ScanTallies Round::ScanWords() const {
  ScanTallies tallies;
  tallies.sampled.assign(layout_.building_count(), 0);
  tallies.exempt_sampled.assign(layout_.building_count(), 0);
  tallies.door_to_door_sampled.assign(layout_.building_count(), 0);
  tallies.cell_sampled.assign(plan_->cell_count(), 0);
  live()->Scan([&](uint32_t, core::ResidentWord word, uint32_t building, CellIndex cell) {
    const core::ResidentState state = word.state();
    if (!core::IsSampled(state)) return;
    ++tallies.sampled[building];
    if (state == core::ResidentState::kSampledExempt) ++tallies.exempt_sampled[building];
    if (state == core::ResidentState::kSampledDoorToDoor) ++tallies.door_to_door_sampled[building];
    if (cell != kNoId) ++tallies.cell_sampled[cell];
  });
  return tallies;
}

ProgressCounts Round::BuildingCounts(uint32_t building, const ScanTallies& tallies) const {
  const BuildingPlan& planned = building_plans_[building];
  const int64_t exempt_sampled = tallies.exempt_sampled[building];
  ProgressCounts counts;
  // An exempt resident who turns up is sampled and counts as due.
  counts.due = planned.due + exempt_sampled;
  counts.sampled = tallies.sampled[building];
  counts.remaining = counts.due - counts.sampled;
  counts.exempt = planned.exempt - exempt_sampled;
  counts.door_to_door = planned.door_to_door - tallies.door_to_door_sampled[building];
  return counts;
}

std::vector<uint64_t> Round::CheckInsPerSite() const {
  std::shared_lock lock(mu_);
  const core::LiveRound* state = live();
  return state == nullptr ? std::vector<uint64_t>() : state->CheckInsPerSite();
}

uint64_t Round::SealedTubes() const {
  std::shared_lock lock(mu_);
  const core::LiveRound* state = live();
  return state == nullptr ? 0 : state->rack().sealed_tubes();
}

absl::StatusOr<ProgressCounts> Round::Totals() const {
  std::shared_lock lock(mu_);
  if (plan_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " has no plan yet; plan it first"));
  }
  const core::LiveRound& live_round = *live();
  const int64_t exempt_sampled = static_cast<int64_t>(live_round.exempt_sampled());
  ProgressCounts totals;
  totals.due = plan_->due_at_sites + plan_->door_to_door_count + exempt_sampled;
  totals.sampled = static_cast<int64_t>(live_round.TotalCheckIns());
  totals.remaining = totals.due - totals.sampled;
  totals.exempt = plan_->exempt - exempt_sampled;
  totals.door_to_door =
      plan_->door_to_door_count - static_cast<int64_t>(live_round.door_to_door_sampled());
  return totals;
}

absl::StatusOr<ProgressReport> Round::Progress(ProgressLevel level, size_t offset,
                                               size_t limit) const {
  std::shared_lock lock(mu_);
  if (plan_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " has no plan yet; plan it first"));
  }
  const plan::Plan& plan = *plan_;
  const core::LiveRound& live_round = *live();
  ProgressReport report;
  report.tubes_sealed = live_round.rack().sealed_tubes();
  const ScanTallies tallies = ScanWords();

  // Counts for every row of the level first (cheap); names only for the page.
  std::vector<ProgressCounts> counts;
  std::vector<uint32_t> row_building;  // building rows: first building of the row
  std::vector<int64_t> check_ins;
  for (uint32_t c = 0; c < layout_.community_count(); ++c) {
    const Community& community = layout_.community(c);
    const uint32_t community_row = static_cast<uint32_t>(counts.size());
    if (level == ProgressLevel::kCommunity) counts.emplace_back();
    const uint32_t compound_base = static_cast<uint32_t>(counts.size());
    if (level == ProgressLevel::kCompound)
      counts.resize(counts.size() + community.compounds.size());
    for (BuildingId b = 0; b < community.buildings.size(); ++b) {
      const uint32_t building = layout_.building_base(c) + b;
      const ProgressCounts building_counts = BuildingCounts(building, tallies);
      report.total += building_counts;
      switch (level) {
        case ProgressLevel::kCommunity:
          counts[community_row] += building_counts;
          break;
        case ProgressLevel::kCompound:
          counts[compound_base + community.buildings[b].compound] += building_counts;
          break;
        case ProgressLevel::kBuilding:
          counts.push_back(building_counts);
          break;
        default:
          break;
      }
    }
  }
  if (level == ProgressLevel::kSite) {
    int64_t d2d_due = 0, d2d_left = 0;
    for (uint32_t b = 0; b < layout_.building_count(); ++b) {
      d2d_due += building_plans_[b].door_to_door;
      d2d_left += BuildingCounts(b, tallies).door_to_door;
    }
    const std::vector<uint64_t> per_site = live_round.CheckInsPerSite();
    for (uint32_t s = 0; s < layout_.site_count(); ++s) {
      ProgressCounts row;
      for (int w = 0; w < plan.wave_count; ++w) {
        row.due += plan.cell_load[plan.cell(s, w)];
        row.sampled += tallies.cell_sampled[plan.cell(s, w)];
      }
      row.remaining = row.due - row.sampled;
      counts.push_back(row);
      check_ins.push_back(static_cast<int64_t>(per_site[s]));
    }
    ProgressCounts door_to_door;
    door_to_door.due = d2d_due;
    door_to_door.sampled = d2d_due - d2d_left;
    door_to_door.remaining = d2d_left;
    door_to_door.door_to_door = d2d_left;
    counts.push_back(door_to_door);
    check_ins.push_back(0);
  }
  if (level == ProgressLevel::kWave) {
    for (int w = 0; w < plan.wave_count; ++w) {
      ProgressCounts row;
      for (uint32_t s = 0; s < layout_.site_count(); ++s) {
        row.due += plan.cell_load[plan.cell(s, w)];
        row.sampled += tallies.cell_sampled[plan.cell(s, w)];
      }
      row.remaining = row.due - row.sampled;
      counts.push_back(row);
    }
  }

  report.total_rows = counts.size();
  const size_t end = std::min(counts.size(), offset + limit);
  for (size_t i = offset; i < end; ++i) {
    ProgressRow row;
    row.counts = counts[i];
    switch (level) {
      case ProgressLevel::kCommunity: {
        const Community& community = layout_.community(static_cast<uint32_t>(i));
        row.key = absl::StrCat("communities/", community.id);
        row.label = community.name;
        break;
      }
      case ProgressLevel::kCompound: {
        // Rows are communities' compounds, end to end.
        size_t index = i;
        uint32_t c = 0;
        while (index >= layout_.community(c).compounds.size()) {
          index -= layout_.community(c).compounds.size();
          ++c;
        }
        const Community& community = layout_.community(c);
        row.key = absl::StrCat("communities/", community.id, "/compounds/",
                               community.compounds[index].id);
        row.label = community.compounds[index].name;
        break;
      }
      case ProgressLevel::kBuilding: {
        const RoundLayout::Local local = layout_.LocateBuilding(static_cast<uint32_t>(i));
        const Community& community = layout_.community(local.community);
        const Building& building = community.buildings[local.id];
        row.key = absl::StrCat("communities/", community.id, "/buildings/", building.id);
        row.label = absl::StrCat(community.compounds[building.compound].name, " ", building.name);
        break;
      }
      case ProgressLevel::kSite:
        if (i == layout_.site_count()) {
          row.key = "door-to-door";
          row.label = "door-to-door visits";
        } else {
          const Site& site = layout_.site(static_cast<uint32_t>(i));
          row.key = absl::StrCat("sites/", site.id);
          row.label = site.name;
        }
        row.check_ins_here = check_ins[i];
        break;
      case ProgressLevel::kWave: {
        const int wave = static_cast<int>(i);
        row.key = absl::StrCat("waves/", wave);
        row.window_start = config_.WaveStart(wave);
        // Local clock of the first community: what residents read on notices.
        const absl::TimeZone zone =
            absl::FixedTimeZone(layout_.community(0).utc_offset_minutes * 60);
        row.label = absl::StrCat(absl::FormatTime("%H:%M", config_.WaveStart(wave), zone), "-",
                                 absl::FormatTime("%H:%M", config_.WaveEnd(wave), zone));
        break;
      }
    }
    report.rows.push_back(std::move(row));
  }
  return report;
}

absl::StatusOr<std::vector<UntestedResident>> Round::ListUntested(const UntestedFilter& filter,
                                                                  uint32_t after,
                                                                  size_t limit) const {
  std::shared_lock lock(mu_);
  if (plan_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " has no plan yet; plan it first"));
  }
  const core::LiveRound& live_round = *live();
  std::vector<UntestedResident> page;
  auto consider = [&](uint32_t r) {
    const core::ResidentState state = live_round.Read(r).state();
    if (state != core::ResidentState::kUntested && state != core::ResidentState::kDoorToDoor) {
      return;
    }
    const RoundLayout::Local local = layout_.LocateResident(r);
    const Community& community = layout_.community(local.community);
    const Household& household = community.households[community.residents[local.id].household];
    const Unit& unit = community.units[household.unit];
    UntestedResident u;
    u.resident = r;
    u.code = std::string(resident_code(r));
    u.community_id = community.id;
    u.building_id = community.buildings[unit.building].id;
    u.unit_id = unit.id;
    u.household_id = household.id;
    u.door_to_door = state == core::ResidentState::kDoorToDoor;
    if (const CellIndex cell = plan_->resident_cell[r]; cell != kNoId) {
      u.site_id = layout_.site(plan_->site_of_cell(cell)).id;
      u.wave = plan_->wave_of_cell(cell);
    }
    page.push_back(std::move(u));
  };
  const uint32_t first = after == kNoId ? 0 : after + 1;
  if (filter.building.has_value()) {
    const RoundLayout::Local local = layout_.LocateBuilding(*filter.building);
    const Housing& housing = layout_.housing(local.community);
    std::vector<uint32_t> residents;
    for (UnitId u : housing.units_of(local.id)) {
      for (HouseholdId h : housing.households_of(u)) {
        for (ResidentId r : housing.residents_of(h)) {
          const uint32_t round_resident = layout_.resident_base(local.community) + r;
          if (round_resident >= first) residents.push_back(round_resident);
        }
      }
    }
    std::sort(residents.begin(), residents.end());
    for (uint32_t r : residents) {
      if (page.size() >= limit) break;
      consider(r);
    }
    return page;
  }
  uint32_t begin = 0, end = layout_.resident_count();
  if (filter.community.has_value()) {
    begin = layout_.resident_base(*filter.community);
    end = layout_.resident_base(*filter.community + 1);
  }
  for (uint32_t r = std::max(begin, first); r < end && page.size() < limit; ++r) consider(r);
  return page;
}

absl::StatusOr<std::vector<DoorToDoorBuilding>> Round::DoorToDoor(size_t offset, size_t limit,
                                                                  size_t* total_buildings) const {
  std::shared_lock lock(mu_);
  if (plan_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " has no plan yet; plan it first"));
  }
  // The plan's list is grouped by building already.
  std::vector<DoorToDoorBuilding> page;
  size_t building_count = 0;
  uint32_t previous = kNoId;
  bool in_page = false;
  for (uint32_t r : plan_->door_to_door) {
    const uint32_t building = live()->building_of(r);
    if (building != previous) {
      ++building_count;
      previous = building;
      in_page = building_count > offset && building_count <= offset + limit;
      if (in_page) page.push_back({building, {}});
    }
    if (in_page) page.back().residents.push_back(r);
  }
  if (total_buildings != nullptr) *total_buildings = building_count;
  return page;
}

absl::StatusOr<uint32_t> Round::FindBuilding(uint32_t community,
                                             absl::string_view building_id) const {
  const Community& c = layout_.community(community);
  for (BuildingId b = 0; b < c.buildings.size(); ++b) {
    if (c.buildings[b].id == building_id) return layout_.building_base(community) + b;
  }
  return absl::NotFoundError(
      absl::StrCat("building '", building_id, "' is not in community '", c.id, "'"));
}

absl::StatusOr<uint32_t> Round::FindSite(absl::string_view site_id) const {
  auto site = site_index_.find(site_id);
  if (site == site_index_.end()) {
    return absl::NotFoundError(absl::StrCat("site '", site_id.substr(0, kMaxIdLength),
                                            "' is not in round ", config_.id));
  }
  return site->second;
}

absl::StatusOr<uint32_t> Round::FindCommunity(absl::string_view community_id) const {
  for (uint32_t c = 0; c < config_.community_ids.size(); ++c) {
    if (config_.community_ids[c] == community_id) return c;
  }
  return absl::NotFoundError(
      absl::StrCat("community '", community_id, "' is not in round ", config_.id));
}

}  // namespace swabwave::engine
