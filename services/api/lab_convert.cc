#include "services/api/lab_convert.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/lab/pool_advice.h"
#include "services/api/proto_convert.h"
#include "services/api/resource_names.h"

namespace swabwave::services {
namespace {

namespace custody = engine::custody;

v1::BoxState StateToProto(custody::BoxState state) {
  switch (state) {
    case custody::BoxState::kPacked: return v1::BOX_STATE_PACKED;
    case custody::BoxState::kPickedUp: return v1::BOX_STATE_PICKED_UP;
    case custody::BoxState::kReceived: return v1::BOX_STATE_RECEIVED;
  }
  return v1::BOX_STATE_UNSPECIFIED;
}

v1::BoxAge AgeToProto(custody::BoxAge age) {
  switch (age) {
    case custody::BoxAge::kFresh: return v1::BOX_AGE_FRESH;
    case custody::BoxAge::kWarning: return v1::BOX_AGE_WARNING;
    case custody::BoxAge::kBreach: return v1::BOX_AGE_BREACH;
  }
  return v1::BOX_AGE_UNSPECIFIED;
}

void HandOverToProto(const custody::Signature& signature, v1::HandOver* out) {
  out->set_by(signature.by);
  ToProto(absl::FromUnixSeconds(signature.at_unix_seconds), out->mutable_at());
}

}  // namespace

void BoxToProto(const engine::Round& round, const custody::Box& box, absl::Time now,
                bool with_tubes, v1::Box* out) {
  out->set_name(absl::StrCat(RoundName(round.config().id), "/boxes/", box.barcode));
  out->set_barcode(box.barcode);
  out->set_desk(round.DeskName(box.desk));
  if (with_tubes) {
    for (engine::TubeIndex tube : box.tubes) {
      out->add_tube_barcodes(round.AnyTubeBarcode(tube));
    }
  }
  out->set_tubes(static_cast<int32_t>(box.tubes.size()));
  out->set_state(StateToProto(box.state));
  ToProto(absl::FromUnixSeconds(box.oldest_swab_unix_seconds), out->mutable_oldest_swab());
  const int64_t age = box.AgeSeconds(absl::ToUnixSeconds(now));
  out->set_age_seconds(age);
  out->set_age(AgeToProto(custody::AgeOf(age)));
  HandOverToProto(box.packed, out->mutable_packed());
  if (box.state >= custody::BoxState::kPickedUp) {
    HandOverToProto(box.picked_up, out->mutable_picked_up());
  }
  if (box.state == custody::BoxState::kReceived) {
    HandOverToProto(box.received, out->mutable_received());
    out->set_lab_id(box.lab_id);
    for (engine::TubeIndex tube : box.missing) {
      out->add_missing_tubes(round.AnyTubeBarcode(tube));
    }
    for (const std::string& barcode : box.unexpected) out->add_unexpected_tubes(barcode);
  }
}

void ReportToProto(const engine::Round& round, const engine::lab::Report& report,
                   v1::ResultReport* out) {
  out->set_tube_barcode(round.AnyTubeBarcode(report.tube));
  out->set_result(static_cast<v1::TubeResult>(report.result));
  if (report.ct.has_value()) out->set_ct(*report.ct);
  out->set_run_id(report.run_id);
  out->set_correction_reason(report.correction_reason);
  out->set_lab_id(report.lab_id);
  HandOverToProto({report.by, report.at_unix_seconds}, out->mutable_reported());
}

v1::LabState LabStateToProto(engine::Round::LabState state) {
  using State = engine::Round::LabState;
  switch (state) {
    case State::kNotSampled: return v1::LAB_STATE_NOT_SAMPLED;
    case State::kResultPending: return v1::LAB_STATE_RESULT_PENDING;
    case State::kNegative: return v1::LAB_STATE_NEGATIVE;
    case State::kRecalled: return v1::LAB_STATE_RECALLED;
    case State::kResampleDue: return v1::LAB_STATE_RESAMPLE_DUE;
    case State::kRetestPending: return v1::LAB_STATE_RETEST_PENDING;
    case State::kRetestNegative: return v1::LAB_STATE_RETEST_NEGATIVE;
    case State::kCase: return v1::LAB_STATE_CASE;
    case State::kRetestInvalid: return v1::LAB_STATE_RETEST_INVALID;
  }
  return v1::LAB_STATE_UNSPECIFIED;
}

void LabCountsToProto(const engine::Round::LabTotals& totals, v1::LabCounts* out) {
  using State = engine::Round::LabState;
  auto count = [&](State state) { return totals.members[static_cast<int>(state)]; };
  out->set_result_pending(count(State::kResultPending));
  out->set_negative(count(State::kNegative));
  out->set_recalled(count(State::kRecalled));
  out->set_resample_due(count(State::kResampleDue));
  out->set_retest_pending(count(State::kRetestPending));
  out->set_retest_negative(count(State::kRetestNegative));
  out->set_cases(count(State::kCase));
  out->set_retest_invalid(count(State::kRetestInvalid));
  out->set_tubes_with_result(totals.tubes_with_result);
  out->set_boxes(totals.boxes_packed);
  out->set_boxes_received(totals.boxes_received);
  out->set_box_warnings(totals.box_warnings);
  out->set_box_breaches(totals.box_breaches);
  out->set_follow_ups(totals.follow_ups);
}

void PoolAdviceToProto(const std::vector<engine::Round*>& rounds, const engine::Round& created,
                       absl::Time now, v1::PoolAdvice* out) {
  const std::vector<std::string>& ids = created.config().community_ids;
  std::vector<engine::lab::PoolEvidence> earlier;
  for (const engine::Round* round : rounds) {  // in creation order
    if (round == &created) break;
    const bool shares = std::any_of(
        round->config().community_ids.begin(), round->config().community_ids.end(),
        [&](const std::string& id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); });
    if (!shares) continue;
    absl::StatusOr<engine::Round::LabTotals> lab = round->CountLab(absl::ToUnixSeconds(now));
    if (!lab.ok()) continue;  // never opened: no evidence
    earlier.push_back({round->config().pool_ratio, lab->tubes_positive + lab->tubes_negative,
                       lab->tubes_positive,
                       lab->members[static_cast<int>(engine::Round::LabState::kCase)]});
  }
  const engine::lab::PoolAdvice advice = engine::lab::AdvisePoolRatio(earlier);
  out->set_ratio(advice.ratio);
  out->set_prevalence(advice.prevalence);
  for (size_t i = 0; i < engine::lab::kPoolRatios.size(); ++i) {
    v1::PoolAdvice::ExpectedTests* expected = out->add_expected();
    expected->set_ratio(engine::lab::kPoolRatios[i]);
    expected->set_tests_per_person(advice.expected_tests[i]);
  }
  out->set_why(advice.why);
  out->set_rounds(static_cast<int32_t>(earlier.size()));
}

absl::StatusOr<engine::lab::TubeResult> ResultFromProto(v1::TubeResult result) {
  switch (result) {
    case v1::TUBE_RESULT_NEGATIVE: return engine::lab::TubeResult::kNegative;
    case v1::TUBE_RESULT_POSITIVE: return engine::lab::TubeResult::kPositive;
    case v1::TUBE_RESULT_INVALID: return engine::lab::TubeResult::kInvalid;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("result ", static_cast<int>(result),
                       " is not a result: use TUBE_RESULT_NEGATIVE, _POSITIVE or _INVALID"));
  }
}

}  // namespace swabwave::services
