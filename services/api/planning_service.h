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
#include "services/api/unary_call.h"
#include "swabwave/v1/planning.grpc.pb.h"

namespace swabwave::services {

// Every method is raw (serialized bytes in and out) and parses its own
// requests (unary_call.h; ImportCommunity's reactor its chunks).
using PlanningServiceBase =
    WithMethods<v1::PlanningService::Service,
                v1::PlanningService::WithRawCallbackMethod_ImportCommunity,
                v1::PlanningService::WithRawCallbackMethod_CreateRound,
                v1::PlanningService::WithRawCallbackMethod_GetRound,
                v1::PlanningService::WithRawCallbackMethod_ListRounds,
                v1::PlanningService::WithRawCallbackMethod_PlanRound,
                v1::PlanningService::WithRawCallbackMethod_GetPlan,
                v1::PlanningService::WithRawCallbackMethod_ListAssignments,
                v1::PlanningService::WithRawCallbackMethod_ListDoorToDoor,
                v1::PlanningService::WithRawCallbackMethod_OpenRound,
                v1::PlanningService::WithRawCallbackMethod_CloseRound,
                v1::PlanningService::WithRawCallbackMethod_ReplanRound,
                v1::PlanningService::WithRawCallbackMethod_ForecastRound,
                v1::PlanningService::WithRawCallbackMethod_GetRoster,
                v1::PlanningService::WithRawCallbackMethod_ListDoorToDoorRoutes,
                v1::PlanningService::WithRawCallbackMethod_AdviseFinish>;

class PlanningService final : public PlanningServiceBase {
 public:
  explicit PlanningService(ServiceContext context) : context_(context) {}

  grpc::ServerReadReactor<grpc::ByteBuffer>* ImportCommunity(grpc::CallbackServerContext* ctx,
                                                             grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CreateRound(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetRound(grpc::CallbackServerContext* ctx,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListRounds(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PlanRound(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ReplanRound(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ForecastRound(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetRoster(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListDoorToDoorRoutes(grpc::CallbackServerContext* ctx,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) override;
  // In advise_finish.cc.
  grpc::ServerUnaryReactor* AdviseFinish(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetPlan(grpc::CallbackServerContext* ctx,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListAssignments(grpc::CallbackServerContext* ctx,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListDoorToDoor(grpc::CallbackServerContext* ctx,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* OpenRound(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CloseRound(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

 private:
  ServiceContext context_;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_PLANNING_SERVICE_H_
