// CheckInService.RegisterWalkIn: someone on no roster, registered at a desk
// and sampled there in one step (engine/roster/walk_in_book.h).
// Idempotent in the engine (the round's walk-in book keeps request ids
// across restarts), durable before it answers.
#include "absl/strings/str_cat.h"
#include "engine/core/request_index.h"
#include "services/api/checkin_service.h"
#include "services/api/proto_convert.h"
#include "services/api/resource_names.h"
#include "services/api/service_support.h"
#include "services/api/status.h"
#include "services/api/unary_call.h"

namespace swabwave::services {

grpc::ServerUnaryReactor* CheckInService::RegisterWalkIn(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return UnaryCall<v1::RegisterWalkInRequest, v1::RegisterWalkInResponse>::Start(
      context_, Rpc::kRegisterWalkIn, ctx, request, response, [this](auto& call) {
        const v1::RegisterWalkInRequest& r = call.request();
        if (absl::Status s = CheckRequestId(r.request_id()); !s.ok()) return call.Finish(s);
        absl::StatusOr<engine::Round*> round = LookUpRound(*context_.registry, r.round());
        if (!round.ok()) return call.Finish(round.status());
        absl::StatusOr<engine::DeskIndex> desk = ResolveDeskFor(
            context_, call.caller(), Rpc::kRegisterWalkIn, **round, r.desk(), nullptr);
        if (!desk.ok()) return call.Finish(desk.status());
        if (r.community_id().empty() || r.unit_id().empty()) {
          return call.Finish(absl::InvalidArgumentError(
              "community_id and unit_id are required: where the person lives"));
        }
        const absl::Time now = context_.clock.Now();
        absl::StatusOr<absl::Time> at = MomentFromRequest(
            **round, "scan_time", r.has_scan_time() ? &r.scan_time() : nullptr, now);
        if (!at.ok()) return call.Finish(at.status());
        if (grpc::Status admission = StoreAdmission(*context_.store, 1); !admission.ok()) {
          return call.Finish(admission);
        }
        engine::Round::WalkInRequest walk_in;
        walk_in.community_id = r.community_id();
        walk_in.unit_id = r.unit_id();
        walk_in.household_id = r.household_id();
        walk_in.code = r.code();
        walk_in.desk = *desk;
        walk_in.scan_unix_seconds = absl::ToUnixSeconds(*at);
        walk_in.request = engine::core::RequestFingerprint(r.request_id());
        absl::StatusOr<engine::roster::WalkInBook::Recorded> recorded =
            context_.registry->RegisterWalkIn(**round, walk_in);
        if (!recorded.ok()) return call.Finish(recorded.status());
        const engine::roster::WalkIn& w = recorded->walk_in;
        v1::RegisterWalkInResponse* out = call.response();
        out->set_code(w.code);
        out->set_household_id(w.household_id);
        out->set_new_household(w.new_household);
        out->set_tube_barcode(std::string((*round)->TubeBarcode(w.tube)));
        out->set_position(static_cast<int32_t>(w.slot) + 1);
        ToProto(absl::FromUnixSeconds(w.scan_unix_seconds), out->mutable_scan_time());
        out->set_replayed(recorded->replayed);
        // A replayed answer waits too: its record may still be in flight.
        call.FinishDurably(grpc::Status::OK);
      });
}

}  // namespace swabwave::services
