// Round's lab results and recalls: a result is taken only for a tube a lab
// received in time (engine/lab/result_book.h), and a positive tube recalls
// exactly its members.
#include <algorithm>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/journal/records.h"
#include "engine/model/names.h"
#include "engine/round/round.h"

namespace swabwave::engine {

absl::StatusOr<lab::ResultBook::Recorded> Round::ReportResult(absl::string_view tube_barcode,
                                                              lab::Report report,
                                                              lab::Report* conflict,
                                                              bool check_only) {
  if (absl::Status s = CheckOpened("results can be reported"); !s.ok()) return s;
  if (absl::Status s = lab::ValidateReport(report); !s.ok()) return s;
  std::optional<TubeIndex> tube = FindAnyTube(tube_barcode);
  if (!tube.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no tube ", tube_barcode, " was scanned in round ", config_.id));
  }
  report.tube = *tube;
  std::optional<custody::Box> box = boxes_.BoxOf(*tube);
  if (!box.has_value() || box->state != custody::BoxState::kReceived) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tube ", tube_barcode, " has not been received by a lab",
        box.has_value() ? absl::StrCat(" (its box ", box->barcode, " is ",
                                       custody::BoxStateName(box->state), ")")
                        : " (it is in no box)",
        "; receive its box first"));
  }
  if (std::find(box->missing.begin(), box->missing.end(), *tube) != box->missing.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tube ", tube_barcode, " was missing when lab ", box->lab_id, " received box ",
        box->barcode, "; a tube the lab did not receive gets no result"));
  }
  if (box->lab_id != report.lab_id) {
    return absl::FailedPreconditionError(absl::StrCat("tube ", tube_barcode, " was received by lab ",
                                                      box->lab_id,
                                                      "; only that lab reports its result"));
  }
  if (box->ArrivedBreached()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "box ", box->barcode, " reached the lab ", box->AgeSeconds(0) / 60,
        " minutes after its oldest swab, past the ", custody::kBreachAfterSeconds / 3600,
        " h limit: its members are resampled, and its tubes get no result"));
  }
  if (check_only) return results_.Check(report, conflict);
  return results_.Record(
      std::move(report),
      [&](const lab::Report& added) {
        std::string record;
        journal::EncodeResult({index_, added}, &record);
        Journal(record);
      },
      conflict);
}

absl::StatusOr<std::vector<Round::Recall>> Round::Recalls() const {
  if (absl::Status s = CheckOpened("recalls exist"); !s.ok()) return s;
  std::vector<Recall> recalls;
  for (TubeIndex tube : results_.TubesWith(lab::TubeResult::kPositive)) {
    // A positive follow-up tube is a case, not a pool to recall.
    if (lab::IsFollowUpTube(tube)) continue;
    std::optional<lab::Report> result = results_.Of(tube);
    if (!result.has_value() || result->result != lab::TubeResult::kPositive) continue;
    recalls.push_back({tube, std::move(result), TubeMembers(tube)});
  }
  return recalls;
}

absl::StatusOr<std::vector<Round::Recall>> Round::CallBacks(lab::FollowUpReason reason,
                                                            int64_t now) const {
  if (reason == lab::FollowUpReason::kRecall) return Recalls();
  if (absl::Status s = CheckOpened("call-backs exist"); !s.ok()) return s;
  std::vector<TubeIndex> tubes = results_.TubesWith(lab::TubeResult::kInvalid);
  for (const custody::Box& box : boxes_.All()) {
    if (custody::AgeOf(box.AgeSeconds(now)) != custody::BoxAge::kBreach) continue;
    tubes.insert(tubes.end(), box.tubes.begin(), box.tubes.end());
  }
  std::vector<Recall> call_backs;
  absl::flat_hash_set<TubeIndex> listed;
  for (TubeIndex tube : tubes) {
    if (lab::IsFollowUpTube(tube) || !listed.insert(tube).second ||
        CalledBackFor(tube, now) != lab::FollowUpReason::kResample) {
      continue;
    }
    call_backs.push_back({tube, results_.Of(tube), TubeMembers(tube)});
  }
  return call_backs;
}

Round::MemberPlace Round::PlaceOf(uint32_t member) const {
  MemberPlace place;
  if (member < layout_.resident_count()) {
    const RoundLayout::Local local = layout_.LocateResident(member);
    const Community& c = layout_.community(local.community);
    const Household& household = c.households[c.residents[local.id].household];
    const Unit& unit = c.units[household.unit];
    place.code = std::string(c.resident_code(local.id));
    place.community_id = c.id;
    place.household_id = household.id;
    place.unit_id = unit.id;
    place.building_id = c.buildings[unit.building].id;
    return place;
  }
  std::optional<roster::WalkIn> walk_in = walk_ins_.At(member - layout_.resident_count());
  if (!walk_in.has_value()) return place;
  const Community& c = layout_.community(walk_in->community);
  place.code = walk_in->code;
  place.community_id = c.id;
  place.household_id = walk_in->household_id;
  place.unit_id = walk_in->unit_id;
  for (const Unit& unit : c.units) {  // walk-ins are few; units not indexed by id
    if (unit.id == walk_in->unit_id) place.building_id = c.buildings[unit.building].id;
  }
  place.walk_in = true;
  return place;
}

absl::Status Round::RestoreResult(const lab::Report& report) {
  const core::LiveRound* state = live();
  if (state == nullptr || !MarkTubes(state->rack().tube_count()).Covers(report.tube)) {
    return absl::DataLossError(absl::StrCat("a result of round ", config_.id,
                                            " names tube ", report.tube,
                                            ", which the round never racked"));
  }
  return results_.Restore(report);
}

// ------------------------------------------------------------- follow-ups

absl::StatusOr<uint32_t> Round::FindMember(absl::string_view code) const {
  if (absl::StatusOr<uint32_t> resident = FindResident(code); resident.ok()) return resident;
  if (std::optional<roster::WalkInBook::Recorded> walk_in = walk_ins_.FindCode(code)) {
    return walk_in_member(walk_in->index);
  }
  return absl::NotFoundError(absl::StrCat("resident_code is not in round ", config_.id,
                                          ", nor registered there as a walk-in"));
}

std::optional<TubeIndex> Round::PooledTubeOf(uint32_t member) const {
  if (member < layout_.resident_count()) {
    std::optional<SampledCheckIn> sampled = SampledAt(member);
    if (!sampled.has_value()) return std::nullopt;
    return sampled->tube;
  }
  std::optional<roster::WalkIn> walk_in = walk_ins_.At(member - layout_.resident_count());
  if (!walk_in.has_value()) return std::nullopt;
  return walk_in->tube;
}

std::optional<lab::FollowUpReason> Round::CalledBackFor(TubeIndex pooled, int64_t now) const {
  if (std::optional<lab::Report> result = results_.Of(pooled)) {
    if (result->result == lab::TubeResult::kPositive) return lab::FollowUpReason::kRecall;
    if (result->result == lab::TubeResult::kInvalid) return lab::FollowUpReason::kResample;
    return std::nullopt;
  }
  // A box past its age limit, received or still travelling: never tested.
  if (std::optional<custody::Box> box = boxes_.BoxOf(pooled);
      box.has_value() && custody::AgeOf(box->AgeSeconds(now)) == custody::BoxAge::kBreach) {
    return lab::FollowUpReason::kResample;
  }
  return std::nullopt;
}

std::optional<lab::FollowUpReason> Round::CalledBack(uint32_t member, int64_t now) const {
  if (live() == nullptr) return std::nullopt;
  std::optional<TubeIndex> pooled = PooledTubeOf(member);
  if (!pooled.has_value()) return std::nullopt;
  return CalledBackFor(*pooled, now);
}

absl::StatusOr<lab::RetestBook::Recorded> Round::RecordFollowUp(const FollowUpRequest& request,
                                                                lab::RetestBook::Recorded* first) {
  if (absl::Status s = CheckOpened("follow-up swabs can be taken"); !s.ok()) return s;
  if (request.desk >= desk_total()) return absl::NotFoundError("no such desk in this round");
  if (absl::Status s = CheckCode("tube_barcode", request.tube_barcode); !s.ok()) return s;
  absl::StatusOr<uint32_t> member = FindMember(request.code);
  if (!member.ok()) return member.status();
  // A retry is answered before the member's standing is looked at again.
  if (std::optional<lab::RetestBook::Recorded> recorded = follow_ups_.FindRequest(request.request)) {
    if (recorded->retest.member != *member) {
      return absl::InvalidArgumentError(
          "request_id was already used for another resident's follow-up swab; send this one "
          "with a new request_id (nothing was recorded)");
    }
    return *recorded;
  }
  std::optional<lab::FollowUpReason> reason = CalledBack(*member, request.at_unix_seconds);
  if (!reason.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "resident ", *member, " of round ", config_.id,
        " is not called back: their pool is not positive, invalid or past its age limit"));
  }
  std::lock_guard names(tube_names_mu_);
  if (live()->rack().FindTube(request.tube_barcode).has_value()) {
    return absl::AlreadyExistsError(absl::StrCat("tube ", request.tube_barcode,
                                                 " is a pooled tube of round ", config_.id,
                                                 "; a follow-up swab goes into a new tube"));
  }
  lab::Retest retest{*member, *reason, request.tube_barcode, request.desk,
                     request.at_unix_seconds, request.request};
  return follow_ups_.Record(
      std::move(retest),
      [&](const lab::Retest& added) {
        std::string record;
        journal::EncodeFollowUp({index_, added}, &record);
        Journal(record);
      },
      first);
}

absl::Status Round::RestoreFollowUp(const lab::Retest& retest) {
  if (live() == nullptr || retest.desk >= desk_total() ||
      retest.member >= layout_.resident_count() + walk_ins_.size()) {
    return absl::DataLossError(absl::StrCat("a follow-up swab of round ", config_.id,
                                            " names a member or desk the round does not have"));
  }
  return follow_ups_.Restore(retest);
}

// ------------------------------------------------------------ lab states

absl::string_view Round::LabStateName(LabState state) {
  switch (state) {
    case LabState::kNotSampled: return "not sampled";
    case LabState::kResultPending: return "result pending";
    case LabState::kNegative: return "negative";
    case LabState::kRecalled: return "recalled";
    case LabState::kResampleDue: return "resample due";
    case LabState::kRetestPending: return "retest pending";
    case LabState::kRetestNegative: return "retest negative";
    case LabState::kCase: return "case";
    case LabState::kRetestInvalid: return "retest invalid";
  }
  return "unknown";
}

namespace {

Round::LabState FollowUpState(const std::optional<lab::Report>& result) {
  if (!result.has_value()) return Round::LabState::kRetestPending;
  switch (result->result) {
    case lab::TubeResult::kNegative: return Round::LabState::kRetestNegative;
    case lab::TubeResult::kPositive: return Round::LabState::kCase;
    case lab::TubeResult::kInvalid: return Round::LabState::kRetestInvalid;
  }
  return Round::LabState::kRetestPending;
}

Round::LabState PooledState(std::optional<lab::FollowUpReason> called_back,
                            const std::optional<lab::Report>& result) {
  if (called_back == lab::FollowUpReason::kRecall) return Round::LabState::kRecalled;
  if (called_back == lab::FollowUpReason::kResample) return Round::LabState::kResampleDue;
  if (result.has_value() && result->result == lab::TubeResult::kNegative) {
    return Round::LabState::kNegative;
  }
  return Round::LabState::kResultPending;
}

}  // namespace

Round::LabState Round::LabStateOf(uint32_t member, int64_t now) const {
  if (std::optional<lab::RetestBook::Recorded> follow_up = follow_ups_.OfMember(member)) {
    return FollowUpState(results_.Of(follow_up->tube));
  }
  if (live() == nullptr) return LabState::kNotSampled;
  std::optional<TubeIndex> pooled = PooledTubeOf(member);
  if (!pooled.has_value()) return LabState::kNotSampled;
  return PooledState(CalledBackFor(*pooled, now), results_.Of(*pooled));
}

absl::StatusOr<Round::LabTotals> Round::CountLab(int64_t now) const {
  if (absl::Status s = CheckOpened("its samples can be counted"); !s.ok()) return s;
  LabTotals totals;
  const core::DeskRack& rack = live()->rack();
  const uint32_t tubes = rack.tube_count();
  // Each pooled tube's members take its state; a member with a follow-up
  // swab then moves to that swab's state.
  int64_t sampled = 0;
  for (TubeIndex t = 0; t < tubes; ++t) {
    const core::TubeView view = rack.Tube(t);
    if (view.swabs == 0) continue;
    sampled += view.swabs;
    if (view.state == core::TubeState::kSealed) ++totals.tubes_sealed;
    const std::optional<lab::Report> result = results_.Of(t);
    if (result.has_value()) {
      ++totals.tubes_with_result;
      totals.tubes_positive += result->result == lab::TubeResult::kPositive;
      totals.tubes_negative += result->result == lab::TubeResult::kNegative;
    }
    totals.members[static_cast<int>(PooledState(CalledBackFor(t, now), result))] += view.swabs;
  }
  for (const lab::Retest& retest : follow_ups_.All()) {
    std::optional<TubeIndex> pooled = PooledTubeOf(retest.member);
    if (!pooled.has_value()) continue;
    --totals.members[static_cast<int>(PooledState(CalledBackFor(*pooled, now),
                                                  results_.Of(*pooled)))];
    std::optional<lab::RetestBook::Recorded> follow_up = follow_ups_.OfMember(retest.member);
    ++totals.members[static_cast<int>(FollowUpState(results_.Of(follow_up->tube)))];
    ++totals.follow_ups;
  }
  totals.members[static_cast<int>(LabState::kNotSampled)] =
      static_cast<int64_t>(layout_.resident_count() + walk_ins_.size()) - sampled;
  for (const custody::Box& box : boxes_.All()) {
    ++totals.boxes_packed;
    totals.boxes_received += box.state == custody::BoxState::kReceived;
    const custody::BoxAge age = custody::AgeOf(box.AgeSeconds(now));
    totals.box_warnings += age == custody::BoxAge::kWarning;
    totals.box_breaches += age == custody::BoxAge::kBreach;
  }
  return totals;
}

// ------------------------------------------------------------- snapshots

absl::Status Round::WriteLabState(journal::SnapshotSink& sink, TubeMarks marks) const {
  std::string record;
  const std::vector<lab::Retest> follow_ups = follow_ups_.All();
  for (uint32_t i = 0; i < marks.follow_ups && i < follow_ups.size(); ++i) {
    record.clear();
    journal::EncodeFollowUp({index_, follow_ups[i]}, &record);
    if (absl::Status s = sink.Add(record); !s.ok()) return s;
  }
  for (const custody::Box& box : boxes_.All()) {
    if (!std::all_of(box.tubes.begin(), box.tubes.end(),
                     [&](TubeIndex tube) { return marks.Covers(tube); })) {
      continue;
    }
    record.clear();
    journal::EncodeBox({index_, box}, &record);
    if (absl::Status s = sink.Add(record); !s.ok()) return s;
  }
  // In the trail's order, so corrections follow what they correct.
  for (const lab::Report& report : results_.Trail()) {
    if (!marks.Covers(report.tube)) continue;
    record.clear();
    journal::EncodeResult({index_, report}, &record);
    if (absl::Status s = sink.Add(record); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine
