#include "services/api/planning_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/forecast/forecast.h"
#include "engine/model/names.h"
#include "engine/plan/flow_planner.h"
#include "engine/plan/greedy_planner.h"
#include "services/api/forecast_convert.h"
#include "services/api/staffing_convert.h"
#include "services/api/proto_convert.h"

namespace swabwave::services {

namespace {

constexpr size_t kMaxImportChunkEntities = 100000;

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
};

template <typename Request>
absl::StatusOr<PlanPage> LookUpPlanPage(const ServiceContext& context, const Principal& caller,
                                        Rpc rpc, const Request& request, size_t default_size,
                                        size_t max_size) {
  absl::StatusOr<engine::Round*> round = LookUpRoundFor(context, caller, rpc, request.round());
  if (!round.ok()) return round.status();
  absl::StatusOr<size_t> size = PageSize(request.page_size(), default_size, max_size);
  if (!size.ok()) return size.status();
  absl::StatusOr<uint64_t> offset = DecodePageToken(request.page_token());
  if (!offset.ok()) return offset.status();
  absl::StatusOr<std::shared_ptr<const engine::plan::Plan>> plan = PlanOf(**round);
  if (!plan.ok()) return plan.status();
  return PlanPage{*round, *std::move(plan), *offset, *size};
}

size_t ChunkEntities(const v1::ImportCommunityRequest& c) {
  return c.compounds_size() + c.buildings_size() + c.units_size() + c.households_size() +
         c.residents_size() + c.sites_size() + c.staff_size();
}

// Reads an import stream chunk by chunk; imports the community at the end.
class ImportReactor final : public grpc::ServerReadReactor<v1::ImportCommunityRequest> {
 public:
  ImportReactor(ServiceContext context, grpc::CallbackServerContext* ctx,
                absl::StatusOr<Caller> caller, v1::ImportCommunityResponse* response)
      : context_(context),
        ctx_(ctx),
        response_(response),
        timer_(context.metrics, Rpc::kImportCommunity) {
    if (!caller.ok()) {
      Fail(caller.status());
      return;
    }
    caller_ = *std::move(caller);
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client closed its side: the stream is complete.
      context_.slow->Submit([this] { Import(); });
      return;
    }
    if (ChunkEntities(chunk_) > kMaxImportChunkEntities) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("chunk ", chunks_, " holds ", ChunkEntities(chunk_), " entities; at most ",
                       kMaxImportChunkEntities, " per chunk")));
    }
    entities_ += ChunkEntities(chunk_);
    if (entities_ > context_.max_import_entities) {
      return Fail(absl::ResourceExhaustedError(absl::StrCat(
          "the import passed ", context_.max_import_entities,
          " entities at chunk ", chunks_, ", the most one community may hold on this server "
          "(swabwaved --max_import_entities); split the city into communities")));
    }
    if (chunks_ == 0) {
      // The first chunk names the community: refuse before reading the rest.
      if (absl::Status s = context_.access->CheckCommunity(*caller_, Rpc::kImportCommunity,
                                                           chunk_.community().community_id());
          !s.ok()) {
        return Fail(s);
      }
      header_ = chunk_;
    }
    if (absl::Status s = assembler_.Add(chunk_, chunks_); !s.ok()) return Fail(s);
    ++chunks_;
    StartRead(&chunk_);
  }

  void OnDone() override { delete this; }

 private:
  void Fail(const absl::Status& status) {
    const grpc::Status grpc_status = ToGrpcStatus(status);
    timer_.Record(grpc_status);
    Finish(grpc_status);
  }

  void Import() {
    if (grpc::Status waits = CallerStillWaits(ctx_); !waits.ok()) {
      timer_.Record(waits);
      Finish(waits);
      return;
    }
    if (chunks_ == 0) {
      return Fail(absl::InvalidArgumentError("the import stream carried no chunks"));
    }
    // Fingerprint only the header chunk: a retry re-sends the same stream.
    header_.clear_compounds();
    header_.clear_buildings();
    header_.clear_units();
    header_.clear_households();
    header_.clear_residents();
    header_.clear_sites();
    header_.clear_staff();
    header_.set_last(false);
    const grpc::Status status =
        context_.cache->Run("ImportCommunity", assembler_.request_id(), header_, response_, [this] {
          absl::StatusOr<engine::Community> community = assembler_.Finish();
          if (!community.ok()) return ToGrpcStatus(community.status());
          absl::StatusOr<const engine::Community*> stored =
              context_.registry->ImportCommunity(*std::move(community));
          if (!stored.ok()) return ToGrpcStatus(stored.status());
          const engine::Community& c = **stored;
          response_->set_community(absl::StrCat("communities/", c.id));
          response_->set_compounds(c.compounds.size());
          response_->set_buildings(c.buildings.size());
          response_->set_units(c.units.size());
          response_->set_households(c.households.size());
          response_->set_residents(c.residents.size());
          response_->set_sites(c.sites.size());
          response_->set_desks(c.TotalDesks());
          response_->set_staff(c.staff.size());
          spdlog::info("imported community {} ({} residents, {} sites)", c.id, c.residents.size(),
                       c.sites.size());
          return grpc::Status::OK;
        });
    // Answer once the community's record is durable.
    WhenDurable(*context_.store, status, [this](const grpc::Status& durable) {
      timer_.Record(durable);
      Finish(durable);
    });
  }

  ServiceContext context_;
  grpc::CallbackServerContext* ctx_;
  Caller caller_;
  v1::ImportCommunityResponse* response_;
  RpcTimer timer_;
  v1::ImportCommunityRequest chunk_;
  v1::ImportCommunityRequest header_;
  ImportAssembler assembler_;
  size_t chunks_ = 0;
  size_t entities_ = 0;
};

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
  if (absl::Status s = engine::ValidateRoundConfig(config); !s.ok()) return s;
  return config;
}

engine::plan::PlanOptions PlanOptionsFromProto(const v1::PlanOptions& o) {
  engine::plan::PlanOptions options;
  if (o.per_desk_rate_per_hour() != 0) options.per_desk_rate_per_hour = o.per_desk_rate_per_hour();
  if (o.utilization() != 0) options.utilization = o.utilization();
  if (o.nearest_sites() != 0) options.nearest_sites = o.nearest_sites();
  options.walking_m_per_wave = o.walking_m_per_wave();
  return options;
}

// INVALID_ARGUMENT for a planner this server does not know (proto3 keeps
// unknown enum numbers).
absl::Status CheckPlanner(const v1::PlanOptions& o) {
  if (v1::Planner_IsValid(o.planner())) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("options.planner ", o.planner(),
                   " is not a planner: use PLANNER_OPTIMAL (the default) or PLANNER_GREEDY"));
}

// The optimal planner unless the request asks for the first one.
const engine::plan::Planner& PlannerFor(const v1::PlanOptions& o) {
  static const engine::plan::FlowPlanner optimal;
  static const engine::plan::GreedyPlanner greedy;
  if (o.planner() == v1::PLANNER_GREEDY) return greedy;
  return optimal;
}

}  // namespace

grpc::ServerReadReactor<v1::ImportCommunityRequest>* PlanningService::ImportCommunity(
    grpc::CallbackServerContext* ctx, v1::ImportCommunityResponse* response) {
  return new ImportReactor(context_, ctx, context_.access->Admit(*ctx, Rpc::kImportCommunity),
                           response);
}

grpc::ServerUnaryReactor* PlanningService::CreateRound(grpc::CallbackServerContext* ctx,
                                                       const v1::CreateRoundRequest* request,
                                                       v1::CreateRoundResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kCreateRound);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  absl::Status valid = CheckRequestId(request->request_id());
  for (const std::string& community : request->community_ids()) {
    if (!valid.ok()) break;
    valid = context_.access->CheckCommunity(*caller, Rpc::kCreateRound, community);
  }
  if (!valid.ok()) {
    timer.Finish(reactor, ToGrpcStatus(valid));
    return reactor;
  }
  context_.slow->Submit([this, ctx, reactor, request, response, timer] {
    if (grpc::Status waits = CallerStillWaits(ctx); !waits.ok()) {
      return timer.Finish(reactor, waits);
    }
    const grpc::Status status =
        context_.cache->Run("CreateRound", request->request_id(), *request, response, [&] {
          absl::StatusOr<engine::RoundConfig> config = RoundConfigFromRequest(*request);
          if (!config.ok()) return ToGrpcStatus(config.status());
          absl::StatusOr<engine::Round*> round = context_.registry->CreateRound(*std::move(config));
          if (!round.ok()) return ToGrpcStatus(round.status());
          *response->mutable_round() = RoundToProto(**round);
          spdlog::info("created round {} ({} residents)", (*round)->config().id,
                       (*round)->layout().resident_count());
          return grpc::Status::OK;
        });
    FinishDurably(context_, reactor, timer, status);
  });
  return reactor;
}

grpc::ServerUnaryReactor* PlanningService::GetRound(grpc::CallbackServerContext* ctx,
                                                    const v1::GetRoundRequest* request,
                                                    v1::GetRoundResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kGetRound);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  absl::StatusOr<engine::Round*> round =
      LookUpRoundFor(context_, *caller, Rpc::kGetRound, request->round());
  if (round.ok()) *response->mutable_round() = RoundToProto(**round);
  timer.Finish(reactor, ToGrpcStatus(round.status()));
  return reactor;
}

grpc::ServerUnaryReactor* PlanningService::ListRounds(grpc::CallbackServerContext* ctx,
                                                      const v1::ListRoundsRequest* request,
                                                      v1::ListRoundsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kListRounds);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  absl::StatusOr<size_t> size = PageSize(request->page_size(), 50, 1000);
  absl::StatusOr<uint64_t> offset = DecodePageToken(request->page_token());
  if (!size.ok() || !offset.ok()) {
    timer.Finish(reactor, ToGrpcStatus(!size.ok() ? size.status() : offset.status()));
    return reactor;
  }
  // A command token sees only the rounds of its communities.
  std::vector<engine::Round*> rounds = context_.registry->ListRounds();
  std::erase_if(rounds, [&](const engine::Round* r) { return !AccessControl::MaySee(*caller, *r); });
  const size_t end = std::min(rounds.size(), *offset + *size);
  for (size_t i = *offset; i < end; ++i) *response->add_rounds() = RoundToProto(*rounds[i]);
  if (end < rounds.size()) response->set_next_page_token(EncodePageToken(end));
  timer.Finish(reactor, grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* PlanningService::PlanRound(grpc::CallbackServerContext* ctx,
                                                     const v1::PlanRoundRequest* request,
                                                     v1::PlanRoundResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kPlanRound);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  absl::Status valid = CheckRequestId(request->request_id());
  absl::StatusOr<engine::Round*> round =
      LookUpRoundFor(context_, *caller, Rpc::kPlanRound, request->round());
  if (valid.ok()) valid = round.status();
  const engine::plan::PlanOptions options = PlanOptionsFromProto(request->options());
  if (valid.ok()) valid = engine::plan::ValidatePlanOptions(options);
  if (valid.ok()) valid = CheckPlanner(request->options());
  absl::StatusOr<engine::plan::StaffingRequest> staffing =
      valid.ok() ? StaffingRequestFromProto(**round, request->options().staffing())
                 : absl::StatusOr<engine::plan::StaffingRequest>(valid);
  if (!staffing.ok()) {
    timer.Finish(reactor, ToGrpcStatus(staffing.status()));
    return reactor;
  }
  context_.slow->Submit([this, ctx, reactor, request, response, timer, options, r = *round,
                         staffing = *std::move(staffing)] {
    if (grpc::Status waits = CallerStillWaits(ctx); !waits.ok()) {
      return timer.Finish(reactor, waits);
    }
    const grpc::Status status =
        context_.cache->Run("PlanRound", request->request_id(), *request, response, [&] {
          absl::StatusOr<std::shared_ptr<const engine::plan::Plan>> plan =
              r->MakePlan(PlannerFor(request->options()), options, staffing);
          if (!plan.ok()) return ToGrpcStatus(plan.status());
          *response->mutable_summary() = PlanSummaryToProto(r->layout(), **plan);
          spdlog::info("planned round {}: {} waves (bound {}, {} with every desk), {} due at "
                       "sites, {} door-to-door, within staff: {}",
                       r->config().id, (*plan)->waves_used, (*plan)->waves_lower_bound,
                       (*plan)->waves_with_every_desk, (*plan)->due_at_sites,
                       (*plan)->door_to_door_count, (*plan)->within_staff);
          return grpc::Status::OK;
        });
    FinishDurably(context_, reactor, timer, status);
  });
  return reactor;
}

namespace {

// The engine's form of a ReplanRound request: sites by index.
absl::StatusOr<engine::plan::ReplanRequest> ReplanRequestFromProto(
    const engine::Round& round, const v1::ReplanRoundRequest& request) {
  engine::plan::ReplanRequest replan;
  replan.from_wave = request.from_wave();
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
                                                       const v1::ReplanRoundRequest* request,
                                                       v1::ReplanRoundResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kReplanRound);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  absl::Status valid = CheckRequestId(request->request_id());
  absl::StatusOr<engine::Round*> round =
      LookUpRoundFor(context_, *caller, Rpc::kReplanRound, request->round());
  if (valid.ok()) valid = round.status();
  const engine::plan::PlanOptions options = PlanOptionsFromProto(request->options());
  if (valid.ok()) valid = engine::plan::ValidatePlanOptions(options);
  absl::StatusOr<engine::plan::ReplanRequest> replan =
      valid.ok() ? ReplanRequestFromProto(**round, *request)
                 : absl::StatusOr<engine::plan::ReplanRequest>(valid);
  if (!replan.ok()) {
    timer.Finish(reactor, ToGrpcStatus(replan.status()));
    return reactor;
  }
  context_.slow->Submit([this, ctx, reactor, request, response, timer, options, r = *round,
                         replan = *std::move(replan)] {
    if (grpc::Status waits = CallerStillWaits(ctx); !waits.ok()) {
      return timer.Finish(reactor, waits);
    }
    const grpc::Status status =
        context_.cache->Run("ReplanRound", request->request_id(), *request, response, [&] {
          absl::StatusOr<engine::Round::Replanned> replanned = r->Replan(replan, options);
          if (!replanned.ok()) return ToGrpcStatus(replanned.status());
          *response->mutable_summary() = PlanSummaryToProto(r->layout(), *replanned->plan);
          response->set_moved_households(replanned->moved_households);
          MovedToProto(*r, *replanned, response);
          spdlog::info("re-planned round {} from wave {}: {} households moved", r->config().id,
                       replan.from_wave, replanned->moved_households);
          return grpc::Status::OK;
        });
    FinishDurably(context_, reactor, timer, status);
  });
  return reactor;
}

namespace {

// Threads one forecast may use: a quarter of the cores, so check-ins keep
// the rest.
int ForecastThreads() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 4));
}

}  // namespace

grpc::ServerUnaryReactor* PlanningService::ForecastRound(grpc::CallbackServerContext* ctx,
                                                         const v1::ForecastRoundRequest* request,
                                                         v1::ForecastRoundResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kForecastRound);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  absl::StatusOr<PlanPage> page =
      LookUpPlanPage(context_, *caller, Rpc::kForecastRound, *request, 50, 1000);
  absl::Status valid = page.status();
  absl::StatusOr<engine::forecast::ForecastOptions> options =
      ForecastOptionsFromProto(request->options(), ForecastThreads());
  if (valid.ok()) valid = options.status();
  if (!valid.ok()) {
    timer.Finish(reactor, ToGrpcStatus(valid));
    return reactor;
  }
  // A simulation takes up to minutes for a city: on the slow-path threads.
  context_.slow->Submit([ctx, reactor, response, timer, r = page->round,
                         plan = std::move(page->plan), options = *options, offset = page->offset,
                         size = page->size] {
    if (grpc::Status waits = CallerStillWaits(ctx); !waits.ok()) {
      return timer.Finish(reactor, waits);
    }
    absl::StatusOr<engine::forecast::RoundForecast> forecast =
        engine::forecast::ForecastRound(r->layout(), r->config(), *plan, options);
    if (!forecast.ok()) return timer.Finish(reactor, ToGrpcStatus(forecast.status()));
    const size_t end = std::min<size_t>(forecast->sites.size(), offset + size);
    ForecastToProto(*forecast, offset, end, response);
    if (end < forecast->sites.size()) response->set_next_page_token(EncodePageToken(end));
    timer.Finish(reactor, grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* PlanningService::GetRoster(grpc::CallbackServerContext* ctx,
                                                     const v1::GetRosterRequest* request,
                                                     v1::GetRosterResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kGetRoster);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  absl::StatusOr<PlanPage> page =
      LookUpPlanPage(context_, *caller, Rpc::kGetRoster, *request, 50, 1000);
  if (!page.ok()) {
    timer.Finish(reactor, ToGrpcStatus(page.status()));
    return reactor;
  }
  // The roster of a city is made over every site and wave: off the
  // check-in threads.
  context_.slow->Submit([ctx, reactor, response, timer, r = page->round,
                         plan = std::move(page->plan), offset = page->offset, size = page->size] {
    if (grpc::Status waits = CallerStillWaits(ctx); !waits.ok()) {
      return timer.Finish(reactor, waits);
    }
    absl::StatusOr<engine::plan::Roster> roster =
        engine::plan::StaffPlan(r->layout(), r->config(), *plan, plan->staffing, plan->availability);
    if (!roster.ok()) return timer.Finish(reactor, ToGrpcStatus(roster.status()));
    const size_t sites = r->layout().site_count();
    const size_t end = std::min<size_t>(sites, offset + size);
    RosterToProto(*r, *plan, *roster, offset, end, response);
    if (end < sites) response->set_next_page_token(EncodePageToken(end));
    timer.Finish(reactor, grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* PlanningService::ListDoorToDoorRoutes(
    grpc::CallbackServerContext* ctx, const v1::ListDoorToDoorRoutesRequest* request,
    v1::ListDoorToDoorRoutesResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kListDoorToDoorRoutes);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  const auto run = [&]() -> absl::Status {
    absl::StatusOr<PlanPage> page =
        LookUpPlanPage(context_, *caller, Rpc::kListDoorToDoorRoutes, *request, 50, 1000);
    if (!page.ok()) return page.status();
    absl::StatusOr<engine::plan::DoorToDoorOptions> options =
        DoorToDoorOptionsFromProto(request->options());
    if (!options.ok()) return options.status();
    const engine::Round& round = *page->round;
    // Nearest-neighbour order over the round's door-to-door buildings:
    // quadratic per community in buildings with visits, which are few.
    absl::StatusOr<engine::plan::DoorToDoorPlan> routes =
        engine::plan::PlanDoorToDoor(round.layout(), round.config(), *page->plan, *options);
    if (!routes.ok()) return routes.status();
    const size_t end = std::min<size_t>(routes->routes.size(), page->offset + page->size);
    RoutesToProto(round, *routes, std::min<size_t>(page->offset, end), end, response);
    if (end < routes->routes.size()) response->set_next_page_token(EncodePageToken(end));
    return absl::OkStatus();
  };
  timer.Finish(reactor, ToGrpcStatus(run()));
  return reactor;
}

grpc::ServerUnaryReactor* PlanningService::GetPlan(grpc::CallbackServerContext* ctx,
                                                   const v1::GetPlanRequest* request,
                                                   v1::GetPlanResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kGetPlan);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  const auto run = [&]() -> absl::Status {
    absl::StatusOr<PlanPage> page =
        LookUpPlanPage(context_, *caller, Rpc::kGetPlan, *request, 50, 1000);
    if (!page.ok()) return page.status();
    const engine::plan::Plan& p = *page->plan;
    const engine::RoundLayout& layout = page->round->layout();
    *response->mutable_summary() = PlanSummaryToProto(layout, p);
    const size_t end = std::min<size_t>(layout.site_count(), page->offset + page->size);
    for (size_t s = page->offset; s < end; ++s) {
      const uint32_t site = static_cast<uint32_t>(s);
      v1::SitePlan* out = response->add_sites();
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
    if (end < layout.site_count()) response->set_next_page_token(EncodePageToken(end));
    return absl::OkStatus();
  };
  timer.Finish(reactor, ToGrpcStatus(run()));
  return reactor;
}

grpc::ServerUnaryReactor* PlanningService::ListAssignments(
    grpc::CallbackServerContext* ctx, const v1::ListAssignmentsRequest* request,
    v1::ListAssignmentsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kListAssignments);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  const auto run = [&]() -> absl::Status {
    absl::StatusOr<PlanPage> page =
        LookUpPlanPage(context_, *caller, Rpc::kListAssignments, *request, 100, 5000);
    if (!page.ok()) return page.status();
    const engine::Round& round = *page->round;
    const engine::RoundLayout& layout = round.layout();
    const engine::RoundConfig& config = round.config();

    // Filters: a community (its unit range) and optionally one building.
    uint32_t unit_begin = 0, unit_end = layout.unit_count();
    uint32_t building = engine::kNoId;
    if (!request->building_id().empty() && request->community_id().empty()) {
      return absl::InvalidArgumentError("building_id needs community_id (ids are per community)");
    }
    // Checked first: a NOT_FOUND echoing a huge id would not fit in the trailers.
    if (!request->building_id().empty()) {
      if (absl::Status s = engine::CheckId("building_id", request->building_id()); !s.ok()) {
        return s;
      }
    }
    if (!request->community_id().empty()) {
      if (absl::Status s = engine::CheckId("community_id", request->community_id()); !s.ok()) {
        return s;
      }
      absl::StatusOr<uint32_t> c = round.FindCommunity(request->community_id());
      if (!c.ok()) return c.status();
      unit_begin = layout.unit_base(*c);
      unit_end = layout.unit_base(*c + 1);
      if (!request->building_id().empty()) {
        absl::StatusOr<uint32_t> b = round.FindBuilding(*c, request->building_id());
        if (!b.ok()) return b.status();
        building = *b - layout.building_base(*c);
      }
    }
    size_t matched = 0;
    for (const engine::plan::UnitAssignment& a : page->plan->assignments) {
      if (a.unit < unit_begin || a.unit >= unit_end) continue;
      const engine::RoundLayout::Local unit = layout.LocateUnit(a.unit);
      const engine::Community& community = layout.community(unit.community);
      const engine::Unit& u = community.units[unit.id];
      if (building != engine::kNoId && u.building != building) continue;
      const size_t position = matched++;
      if (position < page->offset) continue;
      if (static_cast<size_t>(response->assignments_size()) == page->size) {
        response->set_next_page_token(EncodePageToken(position));
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
  };
  timer.Finish(reactor, ToGrpcStatus(run()));
  return reactor;
}

grpc::ServerUnaryReactor* PlanningService::ListDoorToDoor(grpc::CallbackServerContext* ctx,
                                                          const v1::ListDoorToDoorRequest* request,
                                                          v1::ListDoorToDoorResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kListDoorToDoor);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  const auto run = [&]() -> absl::Status {
    absl::StatusOr<engine::Round*> round =
        LookUpRoundFor(context_, *caller, Rpc::kListDoorToDoor, request->round());
    if (!round.ok()) return round.status();
    absl::StatusOr<size_t> size = PageSize(request->page_size(), 100, 5000);
    if (!size.ok()) return size.status();
    absl::StatusOr<uint64_t> offset = DecodePageToken(request->page_token());
    if (!offset.ok()) return offset.status();
    size_t total = 0;
    absl::StatusOr<std::vector<engine::DoorToDoorBuilding>> page =
        (*round)->DoorToDoor(*offset, *size, &total);
    if (!page.ok()) return page.status();
    const engine::RoundLayout& layout = (*round)->layout();
    for (const engine::DoorToDoorBuilding& b : *page) {
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
        const absl::string_view code = (*round)->resident_code(r);
        visit->set_code(code.data(), code.size());
        visit->set_household_id(household.id);
        visit->set_unit_id(community.units[household.unit].id);
      }
    }
    if (*offset + page->size() < total) {
      response->set_next_page_token(EncodePageToken(*offset + page->size()));
    }
    return absl::OkStatus();
  };
  timer.Finish(reactor, ToGrpcStatus(run()));
  return reactor;
}

grpc::ServerUnaryReactor* PlanningService::OpenRound(grpc::CallbackServerContext* ctx,
                                                     const v1::OpenRoundRequest* request,
                                                     v1::OpenRoundResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kOpenRound);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  const auto run = [&]() -> grpc::Status {
    if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return ToGrpcStatus(s);
    // Scope first: a replayed request id must not show another community's round.
    absl::StatusOr<engine::Round*> round =
        LookUpRoundFor(context_, *caller, Rpc::kOpenRound, request->round());
    if (!round.ok()) return ToGrpcStatus(round.status());
    return context_.cache->Run("OpenRound", request->request_id(), *request, response, [&] {
      if (absl::Status s = (*round)->Open(); !s.ok()) return ToGrpcStatus(s);
      *response->mutable_round() = RoundToProto(**round);
      spdlog::info("opened round {}", (*round)->config().id);
      return grpc::Status::OK;
    });
  };
  FinishDurably(context_, reactor, timer, run());
  return reactor;
}

grpc::ServerUnaryReactor* PlanningService::CloseRound(grpc::CallbackServerContext* ctx,
                                                      const v1::CloseRoundRequest* request,
                                                      v1::CloseRoundResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const RpcTimer timer(context_.metrics, Rpc::kCloseRound);
  const Caller caller = AdmitUnary(context_, ctx, reactor, timer);
  if (caller == nullptr) return reactor;
  const auto run = [&]() -> grpc::Status {
    if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return ToGrpcStatus(s);
    // Scope first: a replayed request id must not show another community's round.
    absl::StatusOr<engine::Round*> round =
        LookUpRoundFor(context_, *caller, Rpc::kCloseRound, request->round());
    if (!round.ok()) return ToGrpcStatus(round.status());
    return context_.cache->Run("CloseRound", request->request_id(), *request, response, [&] {
      if (absl::Status s = (*round)->Close(); !s.ok()) return ToGrpcStatus(s);
      *response->mutable_round() = RoundToProto(**round);
      spdlog::info("closed round {}", (*round)->config().id);
      return grpc::Status::OK;
    });
  };
  FinishDurably(context_, reactor, timer, run());
  return reactor;
}

}  // namespace swabwave::services
