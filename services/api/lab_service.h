// CustodyService and LabService (lab.proto): boxes and their hand-overs,
// lab results and recall lists. Each call is one engine call on the
// round's rare locked paths (engine/round/custody.cc, lab.cc); a change is
// durable before its answer.
//
// Thread-safety: gRPC calls the methods concurrently; the engine's books
// take their own locks.
#ifndef SWABWAVE_SERVICES_API_LAB_SERVICE_H_
#define SWABWAVE_SERVICES_API_LAB_SERVICE_H_

#include <string>

#include "services/api/service_support.h"
#include "services/api/unary_call.h"
#include "swabwave/v1/lab.grpc.pb.h"

namespace swabwave::services {

// Most results one ReportResults call may carry.
inline constexpr int kMaxResultsPerCall = 1000;

// The lab a call acts for: a lab token's own (PERMISSION_DENIED when the
// request names another); a server without tokens takes the request's
// (INVALID_ARGUMENT when it names none, or a malformed one).
[[nodiscard]] absl::StatusOr<std::string> LabOf(const Principal& caller,
                                                const std::string& requested);
// Who signs a hand-over: the token's description, never the token.
engine::custody::Signature SignedBy(const Principal& caller, absl::Time now);

using CustodyServiceBase =
    WithMethods<v1::CustodyService::Service, v1::CustodyService::WithRawCallbackMethod_PackBox,
                v1::CustodyService::WithRawCallbackMethod_PickUpBox,
                v1::CustodyService::WithRawCallbackMethod_ReceiveBox,
                v1::CustodyService::WithRawCallbackMethod_ListBoxes,
                v1::CustodyService::WithRawCallbackMethod_ListTubesToPack>;

class CustodyService final : public CustodyServiceBase {
 public:
  explicit CustodyService(ServiceContext context) : context_(context) {}

  grpc::ServerUnaryReactor* PackBox(grpc::CallbackServerContext* ctx,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PickUpBox(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ReceiveBox(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListBoxes(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListTubesToPack(grpc::CallbackServerContext* ctx,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;

 private:
  ServiceContext context_;
};

using LabServiceBase =
    WithMethods<v1::LabService::Service, v1::LabService::WithRawCallbackMethod_ReportResults,
                v1::LabService::WithRawCallbackMethod_ListRecalls>;

class LabService final : public LabServiceBase {
 public:
  explicit LabService(ServiceContext context) : context_(context) {}

  grpc::ServerUnaryReactor* ReportResults(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListRecalls(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

 private:
  ServiceContext context_;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_LAB_SERVICE_H_
