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
  std::optional<custody::TubeCustody> box = boxes_.CustodyOf(*tube);
  if (!box.has_value() || box->state != custody::BoxState::kReceived) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tube ", tube_barcode, " has not been received by a lab",
        box.has_value() ? absl::StrCat(" (its box ", boxes_.BarcodeOf(box->box), " is ",
                                       custody::BoxStateName(box->state), ")")
                        : " (it is in no box)",
        "; receive its box first"));
  }
  if (box->missing) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tube ", tube_barcode, " was missing when lab ", box->lab_id, " received box ",
        boxes_.BarcodeOf(box->box), "; a tube the lab did not receive gets no result"));
  }
  if (box->lab_id != report.lab_id) {
    return absl::FailedPreconditionError(absl::StrCat("tube ", tube_barcode, " was received by lab ",
                                                      box->lab_id,
                                                      "; only that lab reports its result"));
  }
  if (box->ArrivedBreached()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "box ", boxes_.BarcodeOf(box->box), " reached the lab ", box->AgeSeconds(0) / 60,
        " minutes after its oldest swab, past the ", custody::kBreachAfterSeconds / 3600,
        " h limit: its members are resampled, and its tubes get no result"));
  }
  if (check_only) return results_.Check(report, conflict);
  return results_.Record(
      std::move(report),
      [&](const lab::Report& added) {
        // One buffer per thread: a batch of a thousand results allocates
        // no record.
        thread_local std::string record;
        record.clear();
        journal::EncodeResult(index_, added, &record);
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
    if (custody::AgeOf(box.AgeSeconds(now)) == custody::BoxAge::kBreach) {
      tubes.insert(tubes.end(), box.tubes.begin(), box.tubes.end());
    } else {
      tubes.insert(tubes.end(), box.missing.begin(), box.missing.end());
    }
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
