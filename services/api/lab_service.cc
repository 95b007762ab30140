// LabService: a lab's results, a batch per call, each answered in its own
// outcome (engine/lab/result_book.h); and the recall lists, a positive
// tube's members and where they live.
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/core/request_index.h"
#include "engine/model/names.h"
#include "services/api/resource_names.h"
#include "services/api/lab_convert.h"
#include "services/api/lab_service.h"
#include "services/api/status.h"

namespace swabwave::services {
namespace {

// One report of a batch: recorded, or the error for its outcome.
void ReportOne(engine::Round& round, const std::string& lab_id,
               const engine::custody::Signature& signed_by, const v1::ResultReport& r,
               bool validate_only, v1::ResultOutcome* outcome) {
  outcome->set_request_id(r.request_id());
  auto fail = [&](const absl::Status& status) {
    v1::ErrorStatus* error = outcome->mutable_status();
    error->set_code(static_cast<int32_t>(status.code()));
    error->set_message(BoundedMessage(status.message()));
  };
  if (absl::Status s = CheckRequestId(r.request_id()); !s.ok()) return fail(s);
  absl::StatusOr<engine::lab::TubeResult> result = ResultFromProto(r.result());
  if (!result.ok()) return fail(result.status());
  if (absl::Status s = engine::CheckCode("tube_barcode", r.tube_barcode()); !s.ok()) {
    return fail(s);
  }
  engine::lab::Report report;
  report.result = *result;
  if (r.has_ct()) report.ct = r.ct();
  report.run_id = r.run_id();
  report.correction_reason = r.correction_reason();
  report.lab_id = lab_id;
  report.by = signed_by.by;
  report.at_unix_seconds = signed_by.at_unix_seconds;
  report.request = engine::core::RequestFingerprint(r.request_id());
  engine::lab::Report conflict;
  absl::StatusOr<engine::lab::ResultBook::Recorded> recorded =
      round.ReportResult(r.tube_barcode(), std::move(report), &conflict, validate_only);
  if (!recorded.ok()) {
    fail(recorded.status());
    if (recorded.status().code() == absl::StatusCode::kAlreadyExists) {
      ReportToProto(round, conflict, outcome->mutable_current());
    }
    return;
  }
  // A report recorded as sent is not echoed (the lab has it); a replay
  // answers the report that stands, which may be another request's.
  if (!recorded->replayed) return;
  outcome->set_replayed(true);
  ReportToProto(round, recorded->report, outcome->mutable_current());
}

}  // namespace

grpc::ServerUnaryReactor* LabService::ReportResults(grpc::CallbackServerContext* ctx,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  return UnaryCall<v1::ReportResultsRequest, v1::ReportResultsResponse>::Start(
      context_, Rpc::kReportResults, ctx, request, response, [this](auto& call) {
        const v1::ReportResultsRequest& r = call.request();
        if (r.results_size() == 0 || r.results_size() > kMaxResultsPerCall) {
          return call.Finish(absl::InvalidArgumentError(absl::StrCat(
              "results: ", r.results_size(), " results; send 1 to ", kMaxResultsPerCall,
              " per call")));
        }
        absl::StatusOr<engine::Round*> round = LookUpRound(*context_.registry, r.round());
        if (!round.ok()) return call.Finish(round.status());
        absl::StatusOr<std::string> lab = LabOf(call.caller(), r.lab_id());
        if (!lab.ok()) return call.Finish(lab.status());
        if (grpc::Status admission = StoreAdmission(*context_.store, r.results_size());
            !admission.ok()) {
          return call.Finish(admission);
        }
        const engine::custody::Signature signed_by = SignedBy(call.caller(), context_.clock.Now());
        for (const v1::ResultReport& report : r.results()) {
          ReportOne(**round, *lab, signed_by, report, r.validate_only(),
                    call.response()->add_outcomes());
        }
        // Once every result this call recorded is durable (and any a retry
        // found still in flight).
        call.FinishDurably(grpc::Status::OK);
      });
}

grpc::ServerUnaryReactor* LabService::ListRecalls(grpc::CallbackServerContext* ctx,
                                                  const grpc::ByteBuffer* request,
                                                  grpc::ByteBuffer* response) {
  return UnaryCall<v1::ListRecallsRequest, v1::ListRecallsResponse>::Start(
      context_, Rpc::kListRecalls, ctx, request, response, [this](auto& call) {
        absl::StatusOr<PageRequest> page = call.Page(100, 1000);
        if (!page.ok()) return call.Finish(page.status());
        absl::StatusOr<engine::Round*> round =
            LookUpRoundFor(context_, call.caller(), Rpc::kListRecalls, call.request().round());
        if (!round.ok()) return call.Finish(round.status());
        const v1::FollowUpReason asked = call.request().reason();
        if (asked != v1::FOLLOW_UP_REASON_UNSPECIFIED && asked != v1::FOLLOW_UP_REASON_RECALL &&
            asked != v1::FOLLOW_UP_REASON_RESAMPLE) {
          return call.Finish(absl::InvalidArgumentError(
              "reason must be FOLLOW_UP_REASON_RECALL (positive pools) or _RESAMPLE"));
        }
        const int64_t now = absl::ToUnixSeconds(context_.clock.Now());
        absl::StatusOr<std::vector<engine::Round::Recall>> recalls = (*round)->CallBacks(
            asked == v1::FOLLOW_UP_REASON_RESAMPLE ? engine::lab::FollowUpReason::kResample
                                                   : engine::lab::FollowUpReason::kRecall,
            now);
        if (!recalls.ok()) return call.Finish(recalls.status());
        v1::ListRecallsResponse* out = call.response();
        out->set_total_tubes(static_cast<int32_t>(recalls->size()));
        const size_t end = page->End(recalls->size());
        for (size_t i = page->offset; i < end; ++i) {
          const engine::Round::Recall& recall = (*recalls)[i];
          v1::RecallTube* tube = out->add_tubes();
          tube->set_tube_barcode((*round)->AnyTubeBarcode(recall.tube));
          if (recall.result.has_value()) {
            ReportToProto(**round, *recall.result, tube->mutable_result());
          }
          for (uint32_t member : recall.members) {
            const engine::Round::MemberPlace place = (*round)->PlaceOf(member);
            v1::RecalledResident* resident = tube->add_members();
            resident->set_resident_code(place.code);
            resident->set_community_id(place.community_id);
            resident->set_building_id(place.building_id);
            resident->set_unit_id(place.unit_id);
            resident->set_household_id(place.household_id);
            resident->set_walk_in(place.walk_in);
            resident->set_state(LabStateToProto((*round)->LabStateOf(member, now)));
            if (auto follow_up = (*round)->FollowUpOf(member)) {
              resident->set_follow_up_tube(follow_up->retest.tube_barcode);
            }
          }
        }
        if (end < recalls->size()) out->set_next_page_token(page->Token(end));
        call.Finish(grpc::Status::OK);
      });
}

}  // namespace swabwave::services
