// PlanningService (planning.proto): import, rounds, plans and schedules for
// the command center. Heavy calls (finishing an import, creating and
// planning a round) run on the SlowPathExecutor; every mutation is
// idempotent by request_id through the RequestCache.
//
// Thread-safety: gRPC calls the methods concurrently; all state is in the
// thread-safe ServiceContext.
#ifndef SWABWAVE_SERVICES_API_PLANNING_SERVICE_H_
#define SWABWAVE_SERVICES_API_PLANNING_SERVICE_H_

#include "services/api/service_support.h"
#include "swabwave/v1/planning.grpc.pb.h"

namespace swabwave::services {

class PlanningService final : public v1::PlanningService::CallbackService {
 public:
  explicit PlanningService(ServiceContext context) : context_(context) {}

  grpc::ServerReadReactor<v1::ImportCommunityRequest>* ImportCommunity(
      grpc::CallbackServerContext* ctx, v1::ImportCommunityResponse* response) override;
  grpc::ServerUnaryReactor* CreateRound(grpc::CallbackServerContext* ctx,
                                        const v1::CreateRoundRequest* request,
                                        v1::CreateRoundResponse* response) override;
  grpc::ServerUnaryReactor* GetRound(grpc::CallbackServerContext* ctx,
                                     const v1::GetRoundRequest* request,
                                     v1::GetRoundResponse* response) override;
  grpc::ServerUnaryReactor* ListRounds(grpc::CallbackServerContext* ctx,
                                       const v1::ListRoundsRequest* request,
                                       v1::ListRoundsResponse* response) override;
  grpc::ServerUnaryReactor* PlanRound(grpc::CallbackServerContext* ctx,
                                      const v1::PlanRoundRequest* request,
                                      v1::PlanRoundResponse* response) override;
  grpc::ServerUnaryReactor* ReplanRound(grpc::CallbackServerContext* ctx,
                                        const v1::ReplanRoundRequest* request,
                                        v1::ReplanRoundResponse* response) override;
  grpc::ServerUnaryReactor* ForecastRound(grpc::CallbackServerContext* ctx,
                                          const v1::ForecastRoundRequest* request,
                                          v1::ForecastRoundResponse* response) override;
  grpc::ServerUnaryReactor* GetRoster(grpc::CallbackServerContext* ctx,
                                      const v1::GetRosterRequest* request,
                                      v1::GetRosterResponse* response) override;
  grpc::ServerUnaryReactor* ListDoorToDoorRoutes(grpc::CallbackServerContext* ctx,
                                                 const v1::ListDoorToDoorRoutesRequest* request,
                                                 v1::ListDoorToDoorRoutesResponse* response) override;
  grpc::ServerUnaryReactor* GetPlan(grpc::CallbackServerContext* ctx,
                                    const v1::GetPlanRequest* request,
                                    v1::GetPlanResponse* response) override;
  grpc::ServerUnaryReactor* ListAssignments(grpc::CallbackServerContext* ctx,
                                            const v1::ListAssignmentsRequest* request,
                                            v1::ListAssignmentsResponse* response) override;
  grpc::ServerUnaryReactor* ListDoorToDoor(grpc::CallbackServerContext* ctx,
                                           const v1::ListDoorToDoorRequest* request,
                                           v1::ListDoorToDoorResponse* response) override;
  grpc::ServerUnaryReactor* OpenRound(grpc::CallbackServerContext* ctx,
                                      const v1::OpenRoundRequest* request,
                                      v1::OpenRoundResponse* response) override;
  grpc::ServerUnaryReactor* CloseRound(grpc::CallbackServerContext* ctx,
                                       const v1::CloseRoundRequest* request,
                                       v1::CloseRoundResponse* response) override;

 private:
  ServiceContext context_;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_PLANNING_SERVICE_H_
