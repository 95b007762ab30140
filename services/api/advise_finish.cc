// PlanningService.AdviseFinish: what finishing a round by a time takes
// (engine/plan/finish_by.h). Several plans of the round, nothing
// installed: it runs on the slow path like PlanRound.
#include "absl/strings/str_cat.h"
#include "engine/model/local_time.h"
#include "engine/plan/finish_by.h"
#include "services/api/plan_options_convert.h"
#include "services/api/planning_service.h"
#include "services/api/proto_convert.h"
#include "services/api/staffing_convert.h"
#include "services/api/unary_call.h"

namespace swabwave::services {

namespace {

void AdviceToProto(const engine::Round& round, const engine::plan::FinishAdvice& advice,
                   v1::AdviseFinishResponse* out) {
  ToProto(advice.finish_by, out->mutable_finish_by());
  out->set_waves_allowed(advice.waves_allowed);
  out->set_waves_every_desk(advice.waves_every_desk);
  if (advice.waves_every_desk > 0) {
    ToProto(advice.finish_every_desk, out->mutable_finish_every_desk());
  }
  out->set_met_with_every_desk(advice.met_with_every_desk);
  out->set_planned_on_hand(advice.planned_on_hand);
  out->set_waves_on_hand(advice.waves_on_hand);
  if (advice.planned_on_hand) ToProto(advice.finish_on_hand, out->mutable_finish_on_hand());
  out->set_met_on_hand(advice.met_on_hand);
  out->set_on_hand_error(advice.on_hand_error);
  for (const engine::plan::FinishAdvice::SiteNeed& need : advice.sites) {
    v1::SiteNeed* site = out->add_sites();
    site->set_site_id(round.layout().site(need.site).id);
    site->set_desks_open(need.desks_open);
    site->set_desks_on_hand(need.desks_on_hand);
  }
  out->set_desks_open(advice.desks_open);
  out->set_desks_at_least(advice.desks_at_least);
  out->set_desks_on_hand(advice.desks_on_hand);
  v1::Headcount* headcount = out->mutable_headcount();
  headcount->set_samplers_needed(advice.headcount.samplers_needed);
  headcount->set_scanners_needed(advice.headcount.scanners_needed);
  headcount->set_samplers_on_hand(advice.headcount.samplers_on_hand);
  headcount->set_scanners_on_hand(advice.headcount.scanners_on_hand);
  headcount->set_staff_on_hand(advice.headcount.staff_on_hand);
  out->set_due_at_sites(advice.due_at_sites);
  out->set_served_by_then(advice.served_by_then);
  out->set_extra_desks(advice.extra_desks);
  out->set_met_with_more_desks(advice.met_with_more_desks);
}

}  // namespace

grpc::ServerUnaryReactor* PlanningService::AdviseFinish(grpc::CallbackServerContext* ctx,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return UnaryCall<v1::AdviseFinishRequest, v1::AdviseFinishResponse>::Start(
      context_, Rpc::kAdviseFinish, ctx, request, response, [](auto& call) {
        const v1::AdviseFinishRequest& r = call.request();
        absl::StatusOr<engine::Round*> round = call.LookUpRound();
        if (!round.ok()) return call.Finish(round.status());
        if (!r.has_finish_by()) {
          return call.Finish(absl::InvalidArgumentError(
              "finish_by is required: the time the round must be done by"));
        }
        absl::StatusOr<absl::Time> finish_by = TimeFromRequest("finish_by", r.finish_by());
        if (!finish_by.ok()) return call.Finish(finish_by.status());
        const engine::RoundPhase phase = (*round)->phase();
        if (phase == engine::RoundPhase::kOpen || phase == engine::RoundPhase::kClosed) {
          return call.Finish(absl::FailedPreconditionError(absl::StrCat(
              "round ", (*round)->config().id, " is ", engine::PhaseName(phase),
              ": finishing by a time is advised before a round opens (ReplanRound moves "
              "people once it is open)")));
        }
        const engine::plan::PlanOptions options = PlanOptionsFromProto(r.options());
        absl::Status valid = engine::plan::ValidatePlanOptions(options);
        if (valid.ok()) valid = CheckPlanner(r.options());
        absl::StatusOr<engine::plan::StaffingRequest> staffing =
            valid.ok() ? StaffingRequestFromProto(**round, r.options().staffing())
                       : absl::StatusOr<engine::plan::StaffingRequest>(valid);
        if (!staffing.ok()) return call.Finish(staffing.status());
        call.OnSlowPath([options, round = *round, staffing = *std::move(staffing),
                         finish = *finish_by, &call] {
          absl::StatusOr<engine::plan::FinishAdvice> advice =
              engine::plan::AdviseFinish(PlannerFor(call.request().options()), round->layout(),
                                         round->config(), options, staffing, finish);
          if (!advice.ok()) return call.Finish(advice.status());
          AdviceToProto(*round, *advice, call.response());
          call.Finish(grpc::Status::OK);
        });
      });
}

}  // namespace swabwave::services
