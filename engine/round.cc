#include "engine/round.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/journal/records.h"

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
  std::string record;
  if (store_ != nullptr) {
    journal::EncodeRoundPlanned(config_.id, *new_plan, &record);
    if (absl::Status s = CheckPlanRecord(record); !s.ok()) return s;
  }
  InstallPlanLocked(new_plan);
  if (store_ != nullptr) store_->Append(record);
  return new_plan;
}

absl::Status Round::CheckPlanRecord(absl::string_view record) const {
  return store_->CheckRecordSize(absl::StrCat("the plan of round ", config_.id), record.size());
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
  std::string record;
  if (store_ != nullptr) {
    journal::EncodeRoundPlanned(config_.id, *replanned.plan, &record,
                                journal::RecordType::kRoundReplanned);
    if (absl::Status s = CheckPlanRecord(record); !s.ok()) return s;
  }
  InstallReplanLocked(replanned.plan);
  if (store_ != nullptr) store_->Append(record);
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

}  // namespace swabwave::engine
