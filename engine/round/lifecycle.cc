// Round's lifecycle: creation, planning and re-planning, opening and
// closing; each change journaled as it is made.
#include "engine/round/round.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/journal/records.h"
#include "engine/model/round_target.h"

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
  absl::StatusOr<std::vector<bool>> targeted = TargetMask(round->layout_, round->config_.target);
  if (!targeted.ok()) return targeted.status();
  round->layout_.Target(*std::move(targeted));
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
      case Standing::kNotTargeted: break;
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
  spec.desk_sites = DeskSites();
  spec.cells = plan.resident_cell;
  spec.initial.resize(layout_.resident_count());
  for (uint32_t r = 0; r < spec.initial.size(); ++r) {
    switch (plan.resident_standing[r]) {
      case Standing::kDueAtSite: spec.initial[r] = core::ResidentState::kUntested; break;
      case Standing::kDoorToDoor: spec.initial[r] = core::ResidentState::kDoorToDoor; break;
      case Standing::kExempt: spec.initial[r] = core::ResidentState::kExempt; break;
      case Standing::kNotTargeted: spec.initial[r] = core::ResidentState::kNotTargeted; break;
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

void Round::JournalPhase(journal::RecordType type) {
  if (store_ == nullptr) return;
  std::string record;
  journal::EncodeRoundPhase(type, config_.id, &record);
  store_->Append(record);
}

}  // namespace swabwave::engine
