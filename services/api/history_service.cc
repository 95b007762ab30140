// ProgressService.GetResidentHistory and ListMissed: history across rounds
// (engine/history/history.h). Both read rounds as they are; the missed list
// scans a community's residents once per closed round, so it runs on the
// slow path.
#include "absl/strings/str_cat.h"
#include "engine/history/history.h"
#include "engine/model/names.h"
#include "services/api/progress_service.h"
#include "services/api/proto_convert.h"
#include "services/api/resource_names.h"
#include "services/api/unary_call.h"

namespace swabwave::services {

namespace {

v1::RoundOutcome OutcomeToProto(engine::history::RoundOutcome outcome) {
  using engine::history::RoundOutcome;
  switch (outcome) {
    case RoundOutcome::kNotPlanned: return v1::ROUND_OUTCOME_NOT_PLANNED;
    case RoundOutcome::kAwaiting: return v1::ROUND_OUTCOME_AWAITING;
    case RoundOutcome::kSampled: return v1::ROUND_OUTCOME_SAMPLED;
    case RoundOutcome::kMissed: return v1::ROUND_OUTCOME_MISSED;
    case RoundOutcome::kNotDue: return v1::ROUND_OUTCOME_NOT_DUE;
  }
  return v1::ROUND_OUTCOME_UNSPECIFIED;
}

}  // namespace

grpc::ServerUnaryReactor* ProgressService::GetResidentHistory(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return UnaryCall<v1::GetResidentHistoryRequest, v1::GetResidentHistoryResponse>::Start(
      context_, Rpc::kGetResidentHistory, ctx, request, response, [this](auto& call) {
        const std::string& code = call.request().resident_code();
        if (code.empty()) {
          return call.Finish(absl::InvalidArgumentError("resident_code is required"));
        }
        if (!engine::IsValidCode(code)) {
          return call.Finish(absl::InvalidArgumentError(
              "resident_code is not a valid code (1-64 of A-Z a-z 0-9 _ - . :)"));
        }
        for (const engine::history::RoundEntry& entry :
             engine::history::ResidentHistory(context_.registry->ListRounds(), code)) {
          const engine::Round& round = *entry.round;
          const std::string& community = round.layout().community(entry.community).id;
          // Rounds of communities the caller may not see are not its history.
          if (!context_.access->CheckCommunity(call.caller(), Rpc::kGetResidentHistory, community)
                   .ok()) {
            continue;
          }
          v1::ResidentRound* out = call.response()->add_rounds();
          out->set_round(RoundName(round.config().id));
          ToProto(round.config().start, out->mutable_round_start());
          out->set_community_id(community);
          out->set_resident_id(entry.resident);
          out->set_outcome(OutcomeToProto(entry.outcome));
          out->set_desk(entry.desk);
          if (entry.outcome == engine::history::RoundOutcome::kSampled) {
            ToProto(absl::FromUnixSeconds(entry.scan_unix_seconds), out->mutable_scan_time());
          }
          out->set_tube_barcode(entry.tube_barcode);
          if (entry.visits.has_value()) {
            out->set_visits(static_cast<int32_t>(entry.visits->count));
            out->set_last_visit(static_cast<v1::VisitOutcome>(entry.visits->last));
          }
        }
        if (call.response()->rounds().empty()) {
          return call.Finish(absl::NotFoundError(
              "no round you may see has a resident with this code (codes are not echoed)"));
        }
        call.Finish(grpc::Status::OK);
      });
}

grpc::ServerUnaryReactor* ProgressService::ListMissed(grpc::CallbackServerContext* ctx,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  return UnaryCall<v1::ListMissedRequest, v1::ListMissedResponse>::Start(
      context_, Rpc::kListMissed, ctx, request, response, [this](auto& call) {
        const v1::ListMissedRequest& r = call.request();
        if (absl::Status s = engine::CheckId("community_id", r.community_id()); !s.ok()) {
          return call.Finish(s);
        }
        if (absl::Status s =
                context_.access->CheckCommunity(call.caller(), Rpc::kListMissed, r.community_id());
            !s.ok()) {
          return call.Finish(s);
        }
        const engine::Community* community = context_.registry->FindCommunity(r.community_id());
        if (community == nullptr) {
          return call.Finish(absl::NotFoundError(
              absl::StrCat("community '", r.community_id(), "' is not on this server")));
        }
        call.OnSlowPath([this, community, &call] {
          const std::vector<engine::Round*> rounds = context_.registry->ListRounds();
          absl::StatusOr<std::vector<engine::history::MissedBuilding>> missed =
              engine::history::MissedLastRounds(rounds, *community, call.request().last());
          if (!missed.ok()) return call.Finish(missed.status());
          v1::ListMissedResponse* out = call.response();
          int32_t closed = 0;
          for (const engine::Round* round : rounds) {
            closed += round->phase() == engine::RoundPhase::kClosed &&
                      round->FindCommunity(community->id).ok();
          }
          out->set_rounds_considered(closed);
          for (const engine::history::MissedBuilding& b : *missed) {
            const engine::Building& building = community->buildings[b.building];
            v1::MissedBuilding* row = out->add_buildings();
            row->set_building_id(building.id);
            row->set_label(
                absl::StrCat(community->compounds[building.compound].name, " ", building.name));
            for (const engine::history::MissedResident& m : b.residents) {
              const engine::Household& household =
                  community->households[community->residents[m.resident].household];
              v1::MissedResident* resident = row->add_residents();
              resident->set_code(std::string(community->resident_code(m.resident)));
              resident->set_unit_id(community->units[household.unit].id);
              resident->set_household_id(household.id);
              for (const engine::Round* round : m.rounds) {
                resident->add_rounds(RoundName(round->config().id));
              }
              if (m.last_visit.has_value()) {
                resident->set_visits(static_cast<int32_t>(m.last_visit->count));
                resident->set_last_visit(static_cast<v1::VisitOutcome>(m.last_visit->last));
              }
              out->set_residents(out->residents() + 1);
            }
          }
          call.Finish(grpc::Status::OK);
        });
      });
}

}  // namespace swabwave::services
