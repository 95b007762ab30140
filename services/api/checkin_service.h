// CheckInService (checkin.proto): the sampling-site tablets' API. CheckIn
// and CheckInStream translate each request into one call to the lock-free
// core (engine::Round::CheckIn) and its verdict into a status; tubes go
// through the desk rack's rare locked path.
//
// The stream reads one message (a batch of check-ins) at a time, answers
// each check-in in an outcome, and coalesces outcomes that are ready while
// a write is in flight into the next message. It stops reading while too
// many outcomes wait to be written (a slow reader cannot make the server
// buffer without bound).
//
// Thread-safety: gRPC calls the methods concurrently; each stream reactor
// guards its write queue with its own mutex.
#ifndef SWABWAVE_SERVICES_API_CHECKIN_SERVICE_H_
#define SWABWAVE_SERVICES_API_CHECKIN_SERVICE_H_

#include "services/api/service_support.h"
#include "services/api/unary_call.h"
#include "swabwave/v1/checkin.grpc.pb.h"

namespace swabwave::services {

// Most check-ins one stream message may carry.
inline constexpr int kMaxCheckInsPerMessage = 1000;

// The last round and desk names a stream resolved, so a tablet's repeated
// names are parsed once.
struct CheckInMemo {
  std::string round_name;
  engine::Round* round = nullptr;
  std::string desk_name;
  engine::DeskIndex desk = engine::kNoId;
};
struct CheckInAnswer {
  grpc::Status status;
  CheckInResultLabel label = CheckInResultLabel::kInvalidRequest;
};
// A request checked and resolved, ready for the core: `valid` with `round`
// and `attempt`, or not, with the error in `answer`. The attempt's code
// points into the request, which must outlive it.
struct PreparedCheckIn {
  bool valid = false;
  bool batched = false;  // used by the stream while it groups a message
  engine::Round* round = nullptr;
  engine::core::CheckInAttempt attempt;
  CheckInAnswer answer;
};
// INVALID_ARGUMENT, naming `field`, for a moment at a desk or door more
// than 1 h before the round starts or ahead of the server's clock `now` by
// more than the tolerance a tablet's clock may drift.
absl::Status CheckMomentInRound(const engine::Round& round, absl::string_view field,
                                absl::Time at, absl::Time now);
// A moment a request gives (`given`, or the server's clock `now` when it
// gives none), parsed and checked as CheckMomentInRound checks it.
[[nodiscard]] absl::StatusOr<absl::Time> MomentFromRequest(
    const engine::Round& round, absl::string_view field,
    const google::protobuf::Timestamp* given, absl::Time now);
// The desk `name` names (a site's desk or a team's), if the caller may act
// there; PERMISSION_DENIED otherwise. `memo` may be null.
absl::StatusOr<engine::DeskIndex> ResolveDeskFor(const ServiceContext& context,
                                                 const Principal& caller, Rpc rpc,
                                                 const engine::Round& round,
                                                 const std::string& name, CheckInMemo* memo);
// PERMISSION_DENIED for a desk outside the caller's site.
PreparedCheckIn PrepareCheckIn(const ServiceContext& context, const Principal& caller, Rpc rpc,
                               const v1::CheckInRequest& request, absl::Time now,
                               CheckInMemo* memo);
// The answer for the core's result of a prepared check-in.
CheckInAnswer DescribeCheckIn(const engine::Round& round,
                              const engine::core::CheckInAttempt& attempt,
                              const engine::core::CheckInResult& outcome,
                              v1::CheckInResponse* result, v1::ExistingCheckIn* existing);
// Checks one request in and describes the outcome: `result` on OK,
// `existing` on ALREADY_EXISTS. `now` stamps requests without a scan time;
// `memo` may be null.
CheckInAnswer ProcessCheckIn(const ServiceContext& context, const Principal& caller,
                             const v1::CheckInRequest& request, absl::Time now, CheckInMemo* memo,
                             v1::CheckInResponse* result, v1::ExistingCheckIn* existing);

// Every method is raw (serialized messages in and out) and parses its own
// requests: gRPC answers a request that does not parse UNIMPLEMENTED with no
// message, or, on a stream, as if the client had half-closed (unary_call.h,
// and CheckInStream's reactor in checkin_service.cc).
using CheckInServiceBase =
    WithMethods<v1::CheckInService::Service, v1::CheckInService::WithRawCallbackMethod_OpenTube,
                v1::CheckInService::WithRawCallbackMethod_CheckIn,
                v1::CheckInService::WithRawCallbackMethod_CheckInStream,
                v1::CheckInService::WithRawCallbackMethod_SealTube,
                v1::CheckInService::WithRawCallbackMethod_RecordVisit,
                v1::CheckInService::WithRawCallbackMethod_RegisterWalkIn,
                v1::CheckInService::WithRawCallbackMethod_TakeFollowUpSwab>;

class CheckInService final : public CheckInServiceBase {
 public:
  explicit CheckInService(ServiceContext context) : context_(context) {}

  grpc::ServerUnaryReactor* OpenTube(grpc::CallbackServerContext* ctx,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CheckIn(grpc::CallbackServerContext* ctx,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* CheckInStream(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* SealTube(grpc::CallbackServerContext* ctx,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  // record_visit.cc
  grpc::ServerUnaryReactor* RecordVisit(grpc::CallbackServerContext* ctx,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  // register_walk_in.cc
  grpc::ServerUnaryReactor* RegisterWalkIn(grpc::CallbackServerContext* ctx,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  // take_follow_up.cc
  grpc::ServerUnaryReactor* TakeFollowUpSwab(grpc::CallbackServerContext* ctx,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;

 private:
  ServiceContext context_;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_CHECKIN_SERVICE_H_
