#include "services/api/planning_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/forecast/forecast.h"
#include "engine/model/local_time.h"
#include "engine/model/names.h"
#include "services/api/forecast_convert.h"
#include "services/api/plan_options_convert.h"
#include "services/api/staffing_convert.h"
#include "services/api/import_reactor.h"
#include "services/api/lab_convert.h"
#include "services/api/proto_convert.h"
#include "services/api/unary_call.h"

namespace swabwave::services {

namespace {

// The plan of a round, or FAILED_PRECONDITION when it has none.
absl::StatusOr<std::shared_ptr<const engine::plan::Plan>> PlanOf(const engine::Round& round) {
  std::shared_ptr<const engine::plan::Plan> plan = round.plan();
  if (plan == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", round.config().id, " has no plan yet; call PlanRound first"));
  }
  return plan;
}

// Where every paged view of a plan starts (GetPlan, ListAssignments,
// ForecastRound, GetRoster, ListDoorToDoorRoutes): the caller's round, its
// plan and the page asked for, checked in that order.
struct PlanPage {
  engine::Round* round = nullptr;
  std::shared_ptr<const engine::plan::Plan> plan;
  uint64_t offset = 0;
  size_t size = 0;
  uint32_t list = 0;  // PageRequest::list

  std::string Token(uint64_t position) const { return EncodePageToken(position, list); }
};

template <typename Call>
absl::StatusOr<PlanPage> LookUpPlanPage(const Call& call, size_t default_size, size_t max_size) {
  absl::StatusOr<engine::Round*> round = call.LookUpRound();
  if (!round.ok()) return round.status();
  absl::StatusOr<PageRequest> page = call.Page(default_size, max_size);
  if (!page.ok()) return page.status();
  absl::StatusOr<std::shared_ptr<const engine::plan::Plan>> plan = PlanOf(**round);
  if (!plan.ok()) return plan.status();
  return PlanPage{*round, *std::move(plan), page->offset, page->size, page->list};
}

absl::StatusOr<engine::RoundConfig> RoundConfigFromRequest(const v1::CreateRoundRequest& r) {
  engine::RoundConfig config;
  config.id = r.round_id();
  config.community_ids.assign(r.community_ids().begin(), r.community_ids().end());
  if (!r.has_start_time()) {
    return absl::InvalidArgumentError("start_time is required: when the round's first wave starts");
  }
  absl::StatusOr<absl::Time> start = TimeFromRequest("start_time", r.start_time());
  if (!start.ok()) return start.status();
  config.start = *start;
  config.pool_ratio = r.pool_ratio();
  if (r.has_wave_length()) {
    absl::StatusOr<absl::Duration> wave_length = DurationFromRequest("wave_length", r.wave_length());
    if (!wave_length.ok()) return wave_length.status();
    config.wave_length = *wave_length;
  }
  if (r.has_duration()) {
    absl::StatusOr<absl::Duration> duration = DurationFromRequest("duration", r.duration());
    if (!duration.ok()) return duration.status();
    config.duration = *duration;
  }
  if (r.door_to_door_teams() != 0) config.door_to_door_teams = r.door_to_door_teams();
  if (r.box_capacity() != 0) config.box_capacity = r.box_capacity();
  const v1::RoundTarget& target = r.target();
  config.target.compound_ids.assign(target.compound_ids().begin(), target.compound_ids().end());
  config.target.building_ids.assign(target.building_ids().begin(), target.building_ids().end());
  config.target.unit_ids.assign(target.unit_ids().begin(), target.unit_ids().end());
  config.target.resident_codes.assign(target.resident_codes().begin(),
                                      target.resident_codes().end());
  if (absl::Status s = engine::ValidateRoundConfig(config); !s.ok()) return s;
  return config;
}

// One page of routes into `out`.
absl::Status PageOfRoutes(const engine::Round& round, const engine::plan::DoorToDoorPlan& routes,
                          const PlanPage& page, v1::ListDoorToDoorRoutesResponse* out) {
  const size_t end = engine::PageEnd(page.offset, page.size, routes.routes.size());
  RoutesToProto(round, routes, std::min<size_t>(page.offset, end), end, out);
  if (end < routes.routes.size()) out->set_next_page_token(page.Token(end));
  return absl::OkStatus();
}

// A follow-up round: the buildings where `request.follow_up_of` found
// cases become its target, and their communities its own when it names
// none.
absl::Status TargetTheCases(const ServiceContext& context, const Principal& caller,
                            v1::CreateRoundRequest& request) {
  if (request.has_target()) {
    return absl::InvalidArgumentError(
        "target: a follow-up round targets the buildings of follow_up_of's cases; leave target "
        "unset");
  }
  absl::StatusOr<engine::Round*> of =
      LookUpRoundFor(context, caller, Rpc::kCreateRound, request.follow_up_of());
  if (!of.ok()) return of.status();
  const std::vector<engine::Round::MemberPlace> cases = (*of)->CasePlaces();
  if (cases.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "round ", (*of)->config().id,
        " has no cases (no positive follow-up swab): a follow-up round covers cases' buildings"));
  }
  absl::flat_hash_set<std::string> buildings;
  absl::flat_hash_set<std::string> communities(request.community_ids().begin(),
                                                request.community_ids().end());
  const bool fill_communities = request.community_ids().empty();
  for (const engine::Round::MemberPlace& place : cases) {
    if (buildings.insert(place.building_id).second) {
      request.mutable_target()->add_building_ids(place.building_id);
    }
    if (communities.insert(place.community_id).second) {
      if (!fill_communities) {
        return absl::InvalidArgumentError(absl::StrCat(
            "community_ids: a case of round ", (*of)->config().id, " lives in community ",
            place.community_id, ", which is not listed; list it, or leave community_ids empty"));
      }
      request.add_community_ids(place.community_id);
    }
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* PlanningService::ImportCommunity(
    grpc::CallbackServerContext* ctx, grpc::ByteBuffer* response) {
  return NewImportReactor(context_, ctx, context_.access->Admit(*ctx, Rpc::kImportCommunity),
                           response);
}

grpc::ServerUnaryReactor* PlanningService::CreateRound(grpc::CallbackServerContext* ctx,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return UnaryCall<v1::CreateRoundRequest, v1::CreateRoundResponse>::Start(
      context_, Rpc::kCreateRound, ctx, request, response, [this](auto& call) {
        absl::Status valid = CheckRequestId(call.request().request_id());
        auto wanted = std::make_shared<v1::CreateRoundRequest>(call.request());
        if (valid.ok() && !wanted->follow_up_of().empty()) {
          valid = TargetTheCases(context_, call.caller(), *wanted);
        }
        for (const std::string& community : wanted->community_ids()) {
          if (!valid.ok()) break;
          valid = context_.access->CheckCommunity(call.caller(), Rpc::kCreateRound, community);
        }
        if (!valid.ok()) return call.Finish(valid);
        call.OnSlowPath([this, &call, wanted] {
          call.RunIdempotent("CreateRound", [&] {
            absl::StatusOr<engine::RoundConfig> config = RoundConfigFromRequest(*wanted);
            if (!config.ok()) return ToGrpcStatus(config.status());
            absl::StatusOr<engine::Round*> round =
                context_.registry->CreateRound(*std::move(config));
            if (!round.ok()) return ToGrpcStatus(round.status());
            *call.response()->mutable_round() = RoundToProto(**round);
            PoolAdviceToProto(context_.registry->ListRounds(), **round, context_.clock.Now(),
                              call.response()->mutable_advice());
            spdlog::info("created round {} ({} residents)", (*round)->config().id,
                         (*round)->layout().resident_count());
            return grpc::Status::OK;
          });
        });
      });
}

grpc::ServerUnaryReactor* PlanningService::GetRound(grpc::CallbackServerContext* ctx,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  return UnaryCall<v1::GetRoundRequest, v1::GetRoundResponse>::Start(
      context_, Rpc::kGetRound, ctx, request, response, [](auto& call) {
        absl::StatusOr<engine::Round*> round = call.LookUpRound();
        if (round.ok()) *call.response()->mutable_round() = RoundToProto(**round);
        call.Finish(round.status());
      });
}

grpc::ServerUnaryReactor* PlanningService::ListRounds(grpc::CallbackServerContext* ctx,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  return UnaryCall<v1::ListRoundsRequest, v1::ListRoundsResponse>::Start(
      context_, Rpc::kListRounds, ctx, request, response, [this](auto& call) {
        absl::StatusOr<PageRequest> page = call.Page(50, 1000);
        if (!page.ok()) return call.Finish(page.status());
        // A command token sees only the rounds of its communities.
        std::vector<engine::Round*> rounds = context_.registry->ListRounds();
        std::erase_if(rounds, [&](const engine::Round* r) {
          return !AccessControl::MaySee(call.caller(), *r);
        });
        const size_t end = page->End(rounds.size());
        for (size_t i = page->offset; i < end; ++i) {
          *call.response()->add_rounds() = RoundToProto(*rounds[i]);
        }
        if (end < rounds.size()) call.response()->set_next_page_token(page->Token(end));
        call.Finish(grpc::Status::OK);
      });
}

grpc::ServerUnaryReactor* PlanningService::PlanRound(grpc::CallbackServerContext* ctx,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return UnaryCall<v1::PlanRoundRequest, v1::PlanRoundResponse>::Start(
      context_, Rpc::kPlanRound, ctx, request, response, [](auto& call) {
        const v1::PlanRoundRequest& r = call.request();
        absl::Status valid = CheckRequestId(r.request_id());
        absl::StatusOr<engine::Round*> round = call.LookUpRound();
        if (valid.ok()) valid = round.status();
        engine::plan::PlanOptions options = PlanOptionsFromProto(r.options());
        if (valid.ok()) valid = engine::plan::ValidatePlanOptions(options);
        if (valid.ok()) valid = CheckPlanner(r.options());
        if (valid.ok()) {
          valid = ApplyFinishBy(r.options(), (*round)->config(),
                                engine::ZoneOf((*round)->layout().community(0)), options);
        }
        absl::StatusOr<engine::plan::StaffingRequest> staffing =
            valid.ok() ? StaffingRequestFromProto(**round, r.options().staffing())
                       : absl::StatusOr<engine::plan::StaffingRequest>(valid);
        if (!staffing.ok()) return call.Finish(staffing.status());
        call.OnSlowPath([options, round = *round, staffing = *std::move(staffing), &call] {
          call.RunIdempotent("PlanRound", [&] {
            absl::StatusOr<std::shared_ptr<const engine::plan::Plan>> plan =
                round->MakePlan(PlannerFor(call.request().options()), options, staffing);
            if (!plan.ok() && options.max_waves > 0 && absl::IsResourceExhausted(plan.status())) {
              // A deadline the sites or staff cannot meet: say what would.
              return ToGrpcStatus(absl::ResourceExhaustedError(absl::StrCat(
                  "round ", round->config().id, " cannot finish in the ", options.max_waves,
                  " waves before options.finish_by: ", plan.status().message(),
                  " (AdviseFinish, `swabwave finish-by`, says what finishing by then takes)")));
            }
            if (!plan.ok()) return ToGrpcStatus(plan.status());
            *call.response()->mutable_summary() = PlanSummaryToProto(round->layout(), **plan);
            spdlog::info("planned round {}: {} waves (bound {}, {} with every desk), {} due at "
                         "sites, {} door-to-door, within staff: {}",
                         round->config().id, (*plan)->waves_used, (*plan)->waves_lower_bound,
                         (*plan)->waves_with_every_desk, (*plan)->due_at_sites,
                         (*plan)->door_to_door_count, (*plan)->within_staff);
            return grpc::Status::OK;
          });
        });
      });
}

namespace {

// The engine's form of a ReplanRound request: sites by index.
absl::StatusOr<engine::plan::ReplanRequest> ReplanRequestFromProto(
    const engine::Round& round, const v1::ReplanRoundRequest& request) {
  engine::plan::ReplanRequest replan;
  replan.from_wave = request.from_wave();
  switch (request.placement()) {
    case v1::REPLAN_PLACEMENT_UNSPECIFIED:
    case v1::REPLAN_PLACEMENT_EARLIEST_WAVE:
      replan.placement = engine::plan::MoverPlacement::kEarliestWave;
      break;
    case v1::REPLAN_PLACEMENT_NEAREST_SITE:
      replan.placement = engine::plan::MoverPlacement::kNearestSite;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "placement ", request.placement(),
          " is not a placement: use REPLAN_PLACEMENT_EARLIEST_WAVE (the default) or "
          "REPLAN_PLACEMENT_NEAREST_SITE"));
  }
  for (const v1::SiteChange& change : request.changes()) {
    absl::StatusOr<uint32_t> site = round.FindSite(change.site_id());
    if (!site.ok()) return site.status();
    replan.changes.push_back({*site, change.desks()});
  }
  return replan;
}

// Who must be told a new site and time: the untested among the moved.
void MovedToProto(const engine::Round& round, const engine::Round::Replanned& replanned,
                  v1::ReplanRoundResponse* response) {
  const engine::plan::Plan& plan = *replanned.plan;
  const engine::RoundLayout& layout = round.layout();
  for (const engine::plan::MovedResident& m : replanned.moved) {
    if (m.tested) continue;
    v1::MovedResident* out = response->add_moved();
    out->set_resident(static_cast<int32_t>(m.resident));
    out->set_resident_code(std::string(round.resident_code(m.resident)));
    out->set_from_site_id(layout.site(plan.site_of_cell(m.from)).id);
    out->set_from_wave(plan.wave_of_cell(m.from));
    out->set_to_site_id(layout.site(plan.site_of_cell(m.to)).id);
    out->set_to_wave(plan.wave_of_cell(m.to));
  }
}

}  // namespace

grpc::ServerUnaryReactor* PlanningService::ReplanRound(grpc::CallbackServerContext* ctx,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return UnaryCall<v1::ReplanRoundRequest, v1::ReplanRoundResponse>::Start(
      context_, Rpc::kReplanRound, ctx, request, response, [](auto& call) {
        absl::Status valid = CheckRequestId(call.request().request_id());
        absl::StatusOr<engine::Round*> round = call.LookUpRound();
        if (valid.ok()) valid = round.status();
        const engine::plan::PlanOptions options = PlanOptionsFromProto(call.request().options());
        if (valid.ok()) valid = engine::plan::ValidatePlanOptions(options);
        absl::StatusOr<engine::plan::ReplanRequest> replan =
            valid.ok() ? ReplanRequestFromProto(**round, call.request())
                       : absl::StatusOr<engine::plan::ReplanRequest>(valid);
        if (!replan.ok()) return call.Finish(replan.status());
        call.OnSlowPath([options, round = *round, replan = *std::move(replan), &call] {
          call.RunIdempotent("ReplanRound", [&] {
            absl::StatusOr<engine::Round::Replanned> replanned = round->Replan(replan, options);
            if (!replanned.ok()) return ToGrpcStatus(replanned.status());
            v1::ReplanRoundResponse* out = call.response();
            *out->mutable_summary() = PlanSummaryToProto(round->layout(), *replanned->plan);
            out->set_moved_households(replanned->moved_households);
            MovedToProto(*round, *replanned, out);
            spdlog::info("re-planned round {} from wave {}: {} households moved",
                         round->config().id, replan.from_wave, replanned->moved_households);
            return grpc::Status::OK;
          });
        });
      });
}

namespace {

// Threads one forecast may use: a quarter of the cores, so check-ins keep
// the rest.
int ForecastThreads() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 4));
}

}  // namespace

grpc::ServerUnaryReactor* PlanningService::ForecastRound(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return UnaryCall<v1::ForecastRoundRequest, v1::ForecastRoundResponse>::Start(
      context_, Rpc::kForecastRound, ctx, request, response, [](auto& call) {
        absl::StatusOr<PlanPage> page = LookUpPlanPage(call, 50, 1000);
        absl::Status valid = page.status();
        absl::StatusOr<engine::forecast::ForecastOptions> options =
            ForecastOptionsFromProto(call.request().options(), ForecastThreads());
        if (valid.ok()) valid = options.status();
        if (!valid.ok()) return call.Finish(valid);
        // A simulation takes up to minutes for a city: on the slow-path threads.
        call.OnSlowPath([page = *std::move(page), options = *options, &call] {
          const engine::Round& round = *page.round;
          absl::StatusOr<engine::forecast::RoundForecast> forecast =
              engine::forecast::ForecastRound(round.layout(), round.config(), *page.plan, options);
          if (!forecast.ok()) return call.Finish(forecast.status());
          const size_t end = engine::PageEnd(page.offset, page.size, forecast->sites.size());
          ForecastToProto(*forecast, page.offset, end, call.response());
          if (end < forecast->sites.size()) {
            call.response()->set_next_page_token(page.Token(end));
          }
          call.Finish(grpc::Status::OK);
        });
      });
}

grpc::ServerUnaryReactor* PlanningService::GetRoster(grpc::CallbackServerContext* ctx,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return UnaryCall<v1::GetRosterRequest, v1::GetRosterResponse>::Start(
      context_, Rpc::kGetRoster, ctx, request, response, [](auto& call) {
        absl::StatusOr<PlanPage> page = LookUpPlanPage(call, 50, 1000);
        if (!page.ok()) return call.Finish(page.status());
        // The roster of a city is made over every site and wave: off the
        // check-in threads.
        call.OnSlowPath([page = *std::move(page), &call] {
          const engine::Round& round = *page.round;
          const engine::plan::Plan& plan = *page.plan;
          absl::StatusOr<engine::plan::Roster> roster = engine::plan::StaffPlan(
              round.layout(), round.config(), plan, plan.staffing, plan.availability);
          if (!roster.ok()) return call.Finish(roster.status());
          const size_t sites = round.layout().site_count();
          const size_t end = engine::PageEnd(page.offset, page.size, sites);
          RosterToProto(round, plan, *roster, page.offset, end, call.response());
          if (end < sites) call.response()->set_next_page_token(page.Token(end));
          call.Finish(grpc::Status::OK);
        });
      });
}

grpc::ServerUnaryReactor* PlanningService::ListDoorToDoorRoutes(grpc::CallbackServerContext* ctx,
                                                                const grpc::ByteBuffer* request,
                                                                grpc::ByteBuffer* response) {
  return UnaryCall<v1::ListDoorToDoorRoutesRequest, v1::ListDoorToDoorRoutesResponse>::Start(
      context_, Rpc::kListDoorToDoorRoutes, ctx, request, response, [this](auto& call) {
        call.Finish([&]() -> absl::Status {
          absl::StatusOr<PlanPage> page = LookUpPlanPage(call, 50, 1000);
          if (!page.ok()) return page.status();
          absl::StatusOr<engine::plan::DoorToDoorOptions> options =
              DoorToDoorOptionsFromProto(call.request().options());
          if (!options.ok()) return options.status();
          const engine::Round& round = *page->round;
          // One route per team of the round unless the request asks.
          if (call.request().options().teams_per_community() == 0) {
            options->teams_per_community = round.config().door_to_door_teams;
          }
          // Nearest-neighbour order over the round's door-to-door buildings:
          // quadratic per community in buildings with visits, which are few.
          // Once the round is open, the next routes: over whoever a team
          // still has to call on (the not-home among them), leaving at the
          // start of the current wave (one time for every page of a wave).
          if (call.request().follow_ups()) {
            // The retest walk: whoever is called back and not yet swabbed
            // again, leaving now.
            const absl::Time now = context_.clock.Now();
            absl::StatusOr<std::vector<uint32_t>> residents =
                round.AwaitingFollowUp(absl::ToUnixSeconds(now));
            if (!residents.ok()) return residents.status();
            options->leave_at = now;
            absl::StatusOr<engine::plan::DoorToDoorPlan> routes =
                engine::plan::PlanRoutes(round.layout(), round.config(), *residents, *options);
            if (!routes.ok()) return routes.status();
            return PageOfRoutes(round, *routes, *page, call.response());
          }
          const bool open = round.phase() == engine::RoundPhase::kOpen;
          if (open) {
            const engine::RoundConfig& config = round.config();
            absl::Duration rest;  // IDivDuration writes the remainder somewhere
            const int64_t wave = std::max<int64_t>(
                0, absl::IDivDuration(context_.clock.Now() - config.start, config.wave_length,
                                      &rest));
            options->leave_at = config.start + wave * config.wave_length;
          }
          absl::StatusOr<engine::plan::DoorToDoorPlan> routes = engine::plan::PlanDoorToDoor(
              round.layout(), round.config(), *page->plan, *options,
              open ? [&](uint32_t r) { return round.AwaitsVisit(r); }
                   : std::function<bool(uint32_t)>());
          if (!routes.ok()) return routes.status();
          return PageOfRoutes(round, *routes, *page, call.response());
        }());
      });
}

grpc::ServerUnaryReactor* PlanningService::GetPlan(grpc::CallbackServerContext* ctx,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) {
  return UnaryCall<v1::GetPlanRequest, v1::GetPlanResponse>::Start(
      context_, Rpc::kGetPlan, ctx, request, response, [](auto& call) {
        absl::StatusOr<PlanPage> page = LookUpPlanPage(call, 50, 1000);
        if (!page.ok()) return call.Finish(page.status());
        const engine::plan::Plan& p = *page->plan;
        const engine::RoundLayout& layout = page->round->layout();
        v1::GetPlanResponse* plan_page = call.response();
        *plan_page->mutable_summary() = PlanSummaryToProto(layout, p);
        const size_t end = engine::PageEnd(page->offset, page->size, layout.site_count());
        for (size_t s = page->offset; s < end; ++s) {
          const uint32_t site = static_cast<uint32_t>(s);
          v1::SitePlan* out = plan_page->add_sites();
          out->set_site_id(layout.site(site).id);
          out->set_community_id(layout.community(layout.LocateSite(site).community).id);
          out->set_desks(layout.site(site).desks);
          for (int w = 0; w < p.wave_count; ++w) {
            const int32_t load = p.cell_load[p.cell(site, w)];
            if (load == 0) continue;
            v1::WaveLoad* wave = out->add_waves();
            wave->set_wave(w);
            wave->set_load(load);
            wave->set_capacity(p.cell_capacity[p.cell(site, w)]);
            wave->set_desks(p.desks_of_cell(layout, p.cell(site, w)));
          }
        }
        if (end < layout.site_count()) plan_page->set_next_page_token(page->Token(end));
        call.Finish(grpc::Status::OK);
      });
}

namespace {

// One page of a plan's unit assignments, optionally of one community or
// building of it.
absl::Status AssignmentsPage(const PlanPage& page, const v1::ListAssignmentsRequest& request,
                             v1::ListAssignmentsResponse* response) {
  const engine::Round& round = *page.round;
  const engine::RoundLayout& layout = round.layout();
  const engine::RoundConfig& config = round.config();

  // Filters: a community (its unit range) and optionally one building.
  absl::StatusOr<engine::Round::UntestedFilter> area =
      ParseAreaFilter(round, request.community_id(), request.building_id());
  if (!area.ok()) return area.status();
  uint32_t unit_begin = 0, unit_end = layout.unit_count();
  uint32_t building = engine::kNoId;  // within the community
  if (area->community.has_value()) {
    unit_begin = layout.unit_base(*area->community);
    unit_end = layout.unit_base(*area->community + 1);
  }
  if (area->building.has_value()) {
    building = *area->building - layout.building_base(*area->community);
  }
  size_t matched = 0;
  for (const engine::plan::UnitAssignment& a : page.plan->assignments) {
    if (a.unit < unit_begin || a.unit >= unit_end) continue;
    const engine::RoundLayout::Local unit = layout.LocateUnit(a.unit);
    const engine::Community& community = layout.community(unit.community);
    const engine::Unit& u = community.units[unit.id];
    if (building != engine::kNoId && u.building != building) continue;
    const size_t position = matched++;
    if (position < page.offset) continue;
    if (static_cast<size_t>(response->assignments_size()) == page.size) {
      response->set_next_page_token(page.Token(position));
      break;
    }
    v1::Assignment* out = response->add_assignments();
    out->set_community_id(community.id);
    out->set_building_id(community.buildings[u.building].id);
    out->set_unit_id(u.id);
    out->set_site_id(layout.site(a.site).id);
    out->set_wave(a.wave);
    ToProto(config.WaveStart(a.wave), out->mutable_window_start());
    ToProto(config.WaveEnd(a.wave), out->mutable_window_end());
    out->set_residents(a.residents);
    for (uint32_t h : a.households) {
      out->add_household_ids(community.households[layout.LocateHousehold(h).id].id);
    }
  }
  return absl::OkStatus();
}

// One page of the round's door-to-door list, by building.
absl::Status DoorToDoorPage(const engine::Round& round, const PageRequest& page,
                            v1::ListDoorToDoorResponse* response) {
  size_t total = 0;
  absl::StatusOr<std::vector<engine::DoorToDoorBuilding>> buildings =
      round.DoorToDoor(page.offset, page.size, &total);
  if (!buildings.ok()) return buildings.status();
  const engine::RoundLayout& layout = round.layout();
  for (const engine::DoorToDoorBuilding& b : *buildings) {
    const engine::RoundLayout::Local building = layout.LocateBuilding(b.building);
    const engine::Community& community = layout.community(building.community);
    v1::DoorToDoorBuilding* out = response->add_buildings();
    out->set_community_id(community.id);
    out->set_building_id(community.buildings[building.id].id);
    for (uint32_t r : b.residents) {
      const engine::RoundLayout::Local resident = layout.LocateResident(r);
      const engine::Household& household =
          community.households[community.residents[resident.id].household];
      v1::DoorToDoorVisit* visit = out->add_visits();
      visit->set_resident_id(r);
      const absl::string_view code = round.resident_code(r);
      visit->set_code(code.data(), code.size());
      visit->set_household_id(household.id);
      visit->set_unit_id(community.units[household.unit].id);
    }
  }
  if (page.offset + buildings->size() < total) {
    response->set_next_page_token(page.Token(page.offset + buildings->size()));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* PlanningService::ListAssignments(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return UnaryCall<v1::ListAssignmentsRequest, v1::ListAssignmentsResponse>::Start(
      context_, Rpc::kListAssignments, ctx, request, response, [](auto& call) {
        absl::StatusOr<PlanPage> page = LookUpPlanPage(call, 100, 5000);
        if (!page.ok()) return call.Finish(page.status());
        call.Finish(AssignmentsPage(*page, call.request(), call.response()));
      });
}

grpc::ServerUnaryReactor* PlanningService::ListDoorToDoor(grpc::CallbackServerContext* ctx,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return UnaryCall<v1::ListDoorToDoorRequest, v1::ListDoorToDoorResponse>::Start(
      context_, Rpc::kListDoorToDoor, ctx, request, response, [](auto& call) {
        absl::StatusOr<engine::Round*> round = call.LookUpRound();
        if (!round.ok()) return call.Finish(round.status());
        absl::StatusOr<PageRequest> page = call.Page(100, 5000);
        if (!page.ok()) return call.Finish(page.status());
        call.Finish(DoorToDoorPage(**round, *page, call.response()));
      });
}

namespace {

// OpenRound and CloseRound: one path; only the round's change differs.
template <class Call>
void ChangePhase(Call& call, absl::string_view method, absl::Status (engine::Round::*change)(),
                 const char* done) {
  if (absl::Status s = CheckRequestId(call.request().request_id()); !s.ok()) {
    return call.FinishDurably(ToGrpcStatus(s));
  }
  // Scope first: a replayed request id must not show another community's
  // round.
  absl::StatusOr<engine::Round*> round = call.LookUpRound();
  if (!round.ok()) return call.FinishDurably(ToGrpcStatus(round.status()));
  call.RunIdempotent(method, [&] {
    if (absl::Status s = ((*round)->*change)(); !s.ok()) return ToGrpcStatus(s);
    *call.response()->mutable_round() = RoundToProto(**round);
    spdlog::info("{} round {}", done, (*round)->config().id);
    return grpc::Status::OK;
  });
}

}  // namespace

grpc::ServerUnaryReactor* PlanningService::OpenRound(grpc::CallbackServerContext* ctx,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return UnaryCall<v1::OpenRoundRequest, v1::OpenRoundResponse>::Start(
      context_, Rpc::kOpenRound, ctx, request, response,
      [](auto& call) { ChangePhase(call, "OpenRound", &engine::Round::Open, "opened"); });
}

grpc::ServerUnaryReactor* PlanningService::CloseRound(grpc::CallbackServerContext* ctx,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  return UnaryCall<v1::CloseRoundRequest, v1::CloseRoundResponse>::Start(
      context_, Rpc::kCloseRound, ctx, request, response,
      [](auto& call) { ChangePhase(call, "CloseRound", &engine::Round::Close, "closed"); });
}

}  // namespace swabwave::services
