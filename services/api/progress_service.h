// ProgressService (progress.proto): what the command center watches, and
// the untested list it chases. Reads the round's live counters; never
// touches the check-in path's words except to read them.
//
// Thread-safety: gRPC calls the methods concurrently; WatchProgress
// reactors guard their alarm and finish state with their own mutex.
#ifndef SWABWAVE_SERVICES_API_PROGRESS_SERVICE_H_
#define SWABWAVE_SERVICES_API_PROGRESS_SERVICE_H_

#include "services/api/service_support.h"
#include "services/api/unary_call.h"
#include "swabwave/v1/progress.grpc.pb.h"

namespace swabwave::services {

// Every method is raw and parses its own request (unary_call.h; the watch's
// reactor its own).
using ProgressServiceBase = WithMethods<v1::ProgressService::Service,
                                        v1::ProgressService::WithRawCallbackMethod_GetProgress,
                                        v1::ProgressService::WithRawCallbackMethod_ListUntested,
                                        v1::ProgressService::WithRawCallbackMethod_WatchProgress,
                                        v1::ProgressService::WithRawCallbackMethod_GetResidentHistory,
                                        v1::ProgressService::WithRawCallbackMethod_ListMissed>;

class ProgressService final : public ProgressServiceBase {
 public:
  explicit ProgressService(ServiceContext context) : context_(context) {}

  grpc::ServerUnaryReactor* GetProgress(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListUntested(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchProgress(grpc::CallbackServerContext* ctx,
                                                            const grpc::ByteBuffer* request) override;
  // In history_service.cc.
  grpc::ServerUnaryReactor* GetResidentHistory(grpc::CallbackServerContext* ctx,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListMissed(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

 private:
  ServiceContext context_;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_PROGRESS_SERVICE_H_
