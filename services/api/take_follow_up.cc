// CheckInService.TakeFollowUpSwab: a recalled or called-back resident's
// one more swab, into a tube of its own (engine/lab/retest_book.h), at a
// team's door or a site's desk; durable before it answers.
#include "absl/strings/str_cat.h"
#include "engine/core/request_index.h"
#include "engine/model/names.h"
#include "services/api/checkin_service.h"
#include "services/api/proto_convert.h"
#include "services/api/resource_names.h"
#include "services/api/status.h"
#include "services/api/unary_call.h"

namespace swabwave::services {

grpc::ServerUnaryReactor* CheckInService::TakeFollowUpSwab(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return UnaryCall<v1::TakeFollowUpSwabRequest, v1::TakeFollowUpSwabResponse>::Start(
      context_, Rpc::kTakeFollowUpSwab, ctx, request, response, [this](auto& call) {
        const v1::TakeFollowUpSwabRequest& r = call.request();
        if (absl::Status s = CheckRequestId(r.request_id()); !s.ok()) return call.Finish(s);
        absl::StatusOr<engine::Round*> round = LookUpRound(*context_.registry, r.round());
        if (!round.ok()) return call.Finish(round.status());
        absl::StatusOr<engine::DeskIndex> desk = ResolveDeskFor(
            context_, call.caller(), Rpc::kTakeFollowUpSwab, **round, r.desk(), nullptr);
        if (!desk.ok()) return call.Finish(desk.status());
        if (absl::Status s = engine::CheckCode("resident_code", r.resident_code()); !s.ok()) {
          return call.Finish(s);
        }
        const absl::Time now = context_.clock.Now();
        absl::StatusOr<absl::Time> at = MomentFromRequest(
            **round, "scan_time", r.has_scan_time() ? &r.scan_time() : nullptr, now);
        if (!at.ok()) return call.Finish(at.status());
        if (grpc::Status admission = StoreAdmission(*context_.store, 1); !admission.ok()) {
          return call.Finish(admission);
        }
        absl::StatusOr<engine::lab::RetestBook::Recorded> taken = (*round)->RecordFollowUp(
            {r.resident_code(), r.tube_barcode(), *desk, absl::ToUnixSeconds(*at),
             engine::core::RequestFingerprint(r.request_id())});
        if (!taken.ok()) return call.Finish(taken.status());
        v1::TakeFollowUpSwabResponse* out = call.response();
        out->set_tube_barcode(taken->retest.tube_barcode);
        out->set_reason(taken->retest.reason == engine::lab::FollowUpReason::kRecall
                            ? v1::FOLLOW_UP_REASON_RECALL
                            : v1::FOLLOW_UP_REASON_RESAMPLE);
        ToProto(absl::FromUnixSeconds(taken->retest.at_unix_seconds), out->mutable_scan_time());
        out->set_replayed(taken->replayed);
        // A replayed answer waits too: its record may still be in flight.
        call.FinishDurably(grpc::Status::OK);
      });
}

}  // namespace swabwave::services
