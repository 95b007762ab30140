// UnaryCall: one unary RPC from the wire to its answer, so that a handler
// says only what differs from the others.
//
// Every unary method is registered raw (serialized bytes in and out; see
// the services' class declarations). Start admits the caller
// (AccessControl::Admit), then parses the request itself, so a request that
// does not parse is INVALID_ARGUMENT naming the message (gRPC answers those
// UNIMPLEMENTED with no message, which reads as "method missing"); then it
// hands the call to the handler's body. The body finishes it, at once or
// later from another thread (the slow path, the journal's completer);
// Finish serializes the response, records the RPC's time and status, and
// ends the call. The request and the response live on the call's arena:
// their strings and sub-messages are carved out of a few blocks and freed
// at once (a batch of a thousand lab results otherwise paid a malloc and a
// free per string, about a fifth of the server's time: bench/RESULTS.md).
//
// Example:
//   return UnaryCall<v1::GetRoundRequest, v1::GetRoundResponse>::Start(
//       context_, Rpc::kGetRound, ctx, request, response, [](auto& call) {
//         absl::StatusOr<engine::Round*> round = call.LookUpRound();
//         if (round.ok()) *call.response()->mutable_round() = RoundToProto(**round);
//         call.Finish(round.status());
//       });
//
// Thread-safety: a call belongs to one thread at a time: the body's, then
// whichever thread it hands the call to. It deletes itself in Finish.
#ifndef SWABWAVE_SERVICES_API_UNARY_CALL_H_
#define SWABWAVE_SERVICES_API_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <google/protobuf/arena.h>

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/api/paging.h"
#include "services/api/service_support.h"

namespace swabwave::services {

// A generated service with each of its methods' mixins applied, in order:
// WithMethods<v1::X::Service, v1::X::WithRawCallbackMethod_A, ...> is
// WithRawCallbackMethod_A<...<v1::X::Service>>, without the nesting.
template <class Service, template <class> class... Mixins>
struct ComposeMethods;
template <class Service>
struct ComposeMethods<Service> {
  using type = Service;
};
template <class Service, template <class> class First, template <class> class... Rest>
struct ComposeMethods<Service, First, Rest...> {
  using type = First<typename ComposeMethods<Service, Rest...>::type>;
};
template <class Service, template <class> class... Mixins>
using WithMethods = typename ComposeMethods<Service, Mixins...>::type;

// INVALID_ARGUMENT for a request of `rpc` that does not parse as
// `message_type`.
absl::Status UnparsedRequest(Rpc rpc, absl::string_view message_type);

template <class Request, class Response>
class UnaryCall {
 public:
  // The reactor to return to gRPC for a raw unary method.
  template <class Body>
  static grpc::ServerUnaryReactor* Start(const ServiceContext& context, Rpc rpc,
                                         grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* raw_request,
                                         grpc::ByteBuffer* raw_response, Body&& body) {
    auto* call = new UnaryCall(context, rpc, ctx, raw_response);
    grpc::ServerUnaryReactor* reactor = call->reactor_;  // `call` may be gone when body returns
    // The caller first: who is refused learns nothing from parsing.
    absl::StatusOr<Caller> caller = context.access->Admit(*ctx, rpc);
    grpc::ByteBuffer bytes(*raw_request);  // shares the slices; parsing consumes it
    if (!caller.ok()) {
      call->Finish(caller.status());
    } else if (!grpc::SerializationTraits<Request>::Deserialize(&bytes, call->request_).ok()) {
      call->Finish(UnparsedRequest(rpc, Request::descriptor()->full_name()));
    } else {
      call->caller_ = *std::move(caller);
      body(*call);
    }
    return reactor;
  }

  const Request& request() const { return *request_; }
  Response* response() { return response_; }
  const Principal& caller() const { return *caller_; }
  const ServiceContext& context() const { return context_; }
  Rpc rpc() const { return timer_.rpc(); }
  grpc::CallbackServerContext* server_context() const { return ctx_; }

  // The round the request names, if the caller may act for it
  // (LookUpRoundFor).
  absl::StatusOr<engine::Round*> LookUpRound() const {
    return LookUpRoundFor(context_, *caller_, rpc(), request_->round());
  }
  // The page the request asks for (ParsePageRequest), its token checked
  // against this RPC and the rest of the request (PageListKey).
  absl::StatusOr<PageRequest> Page(size_t default_size, size_t max_size) const {
    Request unpaged = *request_;
    unpaged.clear_page_size();
    unpaged.clear_page_token();
    return ParsePageRequest(request_->page_size(), request_->page_token(), default_size, max_size,
                            PageListKey(RpcName(rpc()), unpaged));
  }

  // Ends the call: the response on OK, the status alone otherwise.
  void Finish(const grpc::Status& status) {
    grpc::Status answer = status;
    if (answer.ok()) {
      bool own_buffer;
      answer = grpc::SerializationTraits<Response>::Serialize(*response_, raw_response_,
                                                              &own_buffer);
    } else if (std::string pushback = RetryPushback(answer); !pushback.empty()) {
      ctx_->AddTrailingMetadata(kRetryPushbackKey, std::move(pushback));
    }
    timer_.Finish(reactor_, answer);
    delete this;
  }
  void Finish(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  // Ends the call once every change appended so far is durable; with
  // UNAVAILABLE instead of OK if the store fails first.
  void FinishDurably(grpc::Status status) {
    WhenDurable(*context_.store, std::move(status),
                [this](const grpc::Status& durable) { Finish(durable); });
  }
  // Runs `work()` on the slow-path threads, unless the caller stopped
  // waiting meanwhile (then the call ends CANCELLED or DEADLINE_EXCEEDED
  // without doing the work: a retry carries the same request_id).
  template <class Work>
  void OnSlowPath(Work work) {
    context_.slow->Submit([this, work = std::move(work)]() mutable {
      if (grpc::Status waits = CallerStillWaits(ctx_); !waits.ok()) return Finish(waits);
      work();
    });
  }
  // Runs `change` through the request cache under the request's
  // request_id (a retry gets the first answer; a different request with
  // the same id is INVALID_ARGUMENT), then finishes once it is durable.
  template <class Change>
  void RunIdempotent(absl::string_view name, Change change) {
    FinishDurably(context_.cache->Run(std::string(name), request_->request_id(), *request_,
                                      response_, std::move(change)));
  }

 private:
  UnaryCall(const ServiceContext& context, Rpc rpc, grpc::CallbackServerContext* ctx,
            grpc::ByteBuffer* raw_response)
      : context_(context),
        ctx_(ctx),
        reactor_(ctx->DefaultReactor()),
        raw_response_(raw_response),
        timer_(context.metrics, rpc),
        arena_(ArenaOptions()),
        request_(google::protobuf::Arena::CreateMessage<Request>(&arena_)),
        response_(google::protobuf::Arena::CreateMessage<Response>(&arena_)) {}

  static google::protobuf::ArenaOptions ArenaOptions() {
    google::protobuf::ArenaOptions options;
    // Blocks grow to 64 KiB: a response of a thousand outcomes takes a
    // handful, not dozens of the default 8 KiB.
    options.max_block_size = 64 * 1024;
    return options;
  }

  const ServiceContext& context_;
  grpc::CallbackServerContext* const ctx_;
  grpc::ServerUnaryReactor* const reactor_;
  grpc::ByteBuffer* const raw_response_;
  const RpcTimer timer_;
  Caller caller_;
  google::protobuf::Arena arena_;  // before the messages: they live on it
  Request* const request_;
  Response* const response_;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_UNARY_CALL_H_
