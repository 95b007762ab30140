// Round's follow-up swabs (engine/lab/retest_book.h): who is called back
// (a positive pool: recall; an invalid pool or a late box: resample), the
// one own-tube swab each gives, and where every member stands after the
// swab, one at a time and counted for the round.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/journal/records.h"
#include "engine/model/names.h"
#include "engine/round/round.h"

namespace swabwave::engine {

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
  std::optional<custody::TubeCustody> box = boxes_.CustodyOf(pooled);
  if (!box.has_value()) return std::nullopt;
  // A box past its age limit, received or still travelling, and a tube
  // the lab did not find in its box: never tested.
  if (custody::AgeOf(box->AgeSeconds(now)) == custody::BoxAge::kBreach || box->missing) {
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

absl::StatusOr<std::vector<uint32_t>> Round::AwaitingFollowUp(int64_t now) const {
  std::vector<uint32_t> residents;
  for (lab::FollowUpReason reason : {lab::FollowUpReason::kRecall, lab::FollowUpReason::kResample}) {
    absl::StatusOr<std::vector<Recall>> called_back = CallBacks(reason, now);
    if (!called_back.ok()) return called_back.status();
    for (const Recall& tube : *called_back) {
      for (uint32_t member : tube.members) {
        if (member < layout_.resident_count() && !follow_ups_.OfMember(member).has_value()) {
          residents.push_back(member);
        }
      }
    }
  }
  std::sort(residents.begin(), residents.end());
  return residents;
}

std::vector<Round::MemberPlace> Round::CasePlaces() const {
  std::vector<MemberPlace> places;
  const std::vector<lab::Retest> retests = follow_ups_.All();  // in tube order
  for (size_t i = 0; i < retests.size(); ++i) {
    std::optional<lab::Report> result =
        results_.Of(lab::kFollowUpTubeBase + static_cast<TubeIndex>(i));
    if (result.has_value() && result->result == lab::TubeResult::kPositive) {
      places.push_back(PlaceOf(retests[i].member));
    }
  }
  return places;
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
  // The books are read once each, then the tubes in one pass: a lookup per
  // tube would take a book's lock (and copy a box) a million times a call
  // in a city (0.4 s a GetProgress at 10 M residents, bench/lab_bench).
  constexpr uint8_t kNoResult = 0xff;
  std::vector<uint8_t> result_of(tubes, kNoResult);  // a pooled tube's lab::TubeResult
  absl::flat_hash_map<TubeIndex, lab::TubeResult> follow_up_results;
  results_.ForEachCurrent([&](TubeIndex tube, const lab::Report& report) {
    if (tube < tubes) {
      result_of[tube] = static_cast<uint8_t>(report.result);
    } else if (lab::IsFollowUpTube(tube)) {
      follow_up_results[tube] = report.result;
    }
  });
  std::vector<bool> never_tested(tubes, false);  // a late box's, or lost from its box
  for (const custody::Box& box : boxes_.All()) {
    ++totals.boxes_packed;
    totals.boxes_received += box.state == custody::BoxState::kReceived;
    const custody::BoxAge age = custody::AgeOf(box.AgeSeconds(now));
    totals.box_warnings += age == custody::BoxAge::kWarning;
    totals.box_breaches += age == custody::BoxAge::kBreach;
    for (TubeIndex tube : age == custody::BoxAge::kBreach ? box.tubes : box.missing) {
      if (tube < tubes) never_tested[tube] = true;
    }
  }
  // As CalledBackFor and PooledState, from what was read above.
  const auto pooled_state = [&](TubeIndex tube) {
    if (result_of[tube] == kNoResult) {
      return never_tested[tube] ? LabState::kResampleDue : LabState::kResultPending;
    }
    switch (static_cast<lab::TubeResult>(result_of[tube])) {
      case lab::TubeResult::kPositive: return LabState::kRecalled;
      case lab::TubeResult::kInvalid: return LabState::kResampleDue;
      case lab::TubeResult::kNegative: return LabState::kNegative;
    }
    return LabState::kResultPending;
  };
  // Each pooled tube's members take its state; a member with a follow-up
  // swab then moves to that swab's state.
  int64_t sampled = 0;
  for (TubeIndex t = 0; t < tubes; ++t) {
    const core::TubeView view = rack.Tube(t);
    if (view.swabs == 0) continue;
    sampled += view.swabs;
    if (view.state == core::TubeState::kSealed) ++totals.tubes_sealed;
    if (result_of[t] != kNoResult) {
      ++totals.tubes_with_result;
      totals.tubes_positive += result_of[t] == static_cast<uint8_t>(lab::TubeResult::kPositive);
      totals.tubes_negative += result_of[t] == static_cast<uint8_t>(lab::TubeResult::kNegative);
    }
    totals.members[static_cast<int>(pooled_state(t))] += view.swabs;
  }
  const std::vector<lab::Retest> retests = follow_ups_.All();  // in tube order
  for (size_t i = 0; i < retests.size(); ++i) {
    std::optional<TubeIndex> pooled = PooledTubeOf(retests[i].member);
    if (!pooled.has_value() || *pooled >= tubes) continue;
    --totals.members[static_cast<int>(pooled_state(*pooled))];
    std::optional<lab::Report> result;
    const auto it = follow_up_results.find(lab::kFollowUpTubeBase + static_cast<TubeIndex>(i));
    if (it != follow_up_results.end()) result = lab::Report{.result = it->second};
    ++totals.members[static_cast<int>(FollowUpState(result))];
    ++totals.follow_ups;
  }
  totals.members[static_cast<int>(LabState::kNotSampled)] =
      static_cast<int64_t>(layout_.resident_count() + walk_ins_.size()) - sampled;
  return totals;
}

}  // namespace swabwave::engine
