// CheckInService.RecordVisit: a door-to-door team's visit that did not
// sample (engine/visits/visit_book.h). Idempotent in the engine (the visit
// book keeps request ids across restarts), durable before it answers.
#include "absl/strings/str_cat.h"
#include "engine/model/names.h"
#include "services/api/checkin_service.h"
#include "services/api/proto_convert.h"
#include "services/api/resource_names.h"
#include "services/api/service_support.h"
#include "services/api/status.h"
#include "services/api/unary_call.h"

namespace swabwave::services {

namespace {

absl::StatusOr<engine::visits::VisitOutcome> OutcomeFromProto(v1::VisitOutcome outcome) {
  switch (outcome) {
    case v1::VISIT_OUTCOME_NOT_HOME: return engine::visits::VisitOutcome::kNotHome;
    case v1::VISIT_OUTCOME_REFUSED: return engine::visits::VisitOutcome::kRefused;
    case v1::VISIT_OUTCOME_MOVED_AWAY: return engine::visits::VisitOutcome::kMovedAway;
    case v1::VISIT_OUTCOME_IN_HOSPITAL: return engine::visits::VisitOutcome::kInHospital;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "outcome ", static_cast<int>(outcome),
          " is not a visit outcome: use VISIT_OUTCOME_NOT_HOME, _REFUSED, _MOVED_AWAY or "
          "_IN_HOSPITAL (a resident sampled at the door is a CheckIn at the team's desk)"));
  }
}

// The engine's visit for a request, or the error to answer.
absl::StatusOr<engine::visits::Visit> VisitFromRequest(const ServiceContext& context,
                                                       const Principal& caller,
                                                       const engine::Round& round,
                                                       const v1::RecordVisitRequest& r,
                                                       absl::Time now) {
  absl::StatusOr<engine::DeskIndex> desk =
      ResolveDeskFor(context, caller, Rpc::kRecordVisit, round, r.desk(), nullptr);
  if (!desk.ok()) return desk.status();
  if (!round.TeamOf(*desk).has_value()) {
    return absl::InvalidArgumentError(
        "desk names a site's desk; visits are recorded at a door-to-door team's desk, "
        "\"communities/{community_id}/teams/{n}\"");
  }
  if (absl::Status s = engine::CheckCode("resident_code", r.resident_code()); !s.ok()) return s;
  absl::StatusOr<engine::visits::VisitOutcome> outcome = OutcomeFromProto(r.outcome());
  if (!outcome.ok()) return outcome.status();
  absl::StatusOr<absl::Time> at = MomentFromRequest(
      round, "visit_time", r.has_visit_time() ? &r.visit_time() : nullptr, now);
  if (!at.ok()) return at.status();
  absl::StatusOr<uint32_t> resident = round.FindResident(r.resident_code());
  if (!resident.ok()) return resident.status();
  engine::visits::Visit visit{*resident, *desk, *outcome, absl::ToUnixSeconds(*at), r.reason(),
                              engine::core::RequestFingerprint(r.request_id())};
  if (absl::Status s = engine::visits::ValidateVisit(visit); !s.ok()) return s;
  return visit;
}

}  // namespace

grpc::ServerUnaryReactor* CheckInService::RecordVisit(grpc::CallbackServerContext* ctx,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  return UnaryCall<v1::RecordVisitRequest, v1::RecordVisitResponse>::Start(
      context_, Rpc::kRecordVisit, ctx, request, response, [this](auto& call) {
        const v1::RecordVisitRequest& r = call.request();
        if (absl::Status s = CheckRequestId(r.request_id()); !s.ok()) return call.Finish(s);
        absl::StatusOr<engine::Round*> round = LookUpRound(*context_.registry, r.round());
        if (!round.ok()) return call.Finish(round.status());
        absl::StatusOr<engine::visits::Visit> visit =
            VisitFromRequest(context_, call.caller(), **round, r, context_.clock.Now());
        if (!visit.ok()) return call.Finish(visit.status());
        if (grpc::Status admission = StoreAdmission(*context_.store, 1); !admission.ok()) {
          return call.Finish(admission);
        }
        absl::StatusOr<engine::visits::VisitBook::Recorded> recorded =
            (*round)->RecordVisit(*std::move(visit));
        if (!recorded.ok()) return call.Finish(recorded.status());
        v1::RecordVisitResponse* out = call.response();
        out->set_resident_id(recorded->visit.resident);
        out->set_outcome(static_cast<v1::VisitOutcome>(recorded->visit.outcome));
        ToProto(absl::FromUnixSeconds(recorded->visit.at_unix_seconds), out->mutable_visit_time());
        out->set_replayed(recorded->replayed);
        if (const auto seen = (*round)->VisitsOf(recorded->visit.resident)) {
          out->set_visits(static_cast<int32_t>(seen->count));
        }
        // A replayed answer waits too: its record may still be in flight.
        call.FinishDurably(grpc::Status::OK);
      });
}

}  // namespace swabwave::services
