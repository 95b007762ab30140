// Client: the CLI's connection to swabwaved — one channel (TLS when given
// a CA), the service stubs, the bearer token on every call, fresh request
// ids. The channel retries unary calls itself (gRPC's retryPolicy service
// config, kRetryServiceConfig): on UNAVAILABLE and RESOURCE_EXHAUSTED,
// with exponential backoff and jitter, and after the server's pushback
// (grpc-retry-pushback-ms) when it sends one. A retry resends the same
// request, request id included, so a retried mutation is applied once.
//
// Thread-safety: the stubs are thread-safe; NewRequestId is thread-safe.
#ifndef SWABWAVE_SERVICES_SWABWAVE_CLIENT_H_
#define SWABWAVE_SERVICES_SWABWAVE_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "swabwave/v1/checkin.grpc.pb.h"
#include "swabwave/v1/lab.grpc.pb.h"
#include "swabwave/v1/planning.grpc.pb.h"
#include "swabwave/v1/progress.grpc.pb.h"

namespace swabwave::services {

// The channel's service config: every unary method of the five services
// retries up to 5 attempts, backing off 0.2 s × 2^n (at most 5 s, jittered),
// on UNAVAILABLE and RESOURCE_EXHAUSTED; a throttle stops retrying when
// most calls fail. The two client-sending streams (CheckInStream,
// ImportCommunity) are left out: their senders resend what was not
// acknowledged themselves, and gRPC would otherwise buffer their messages
// for a replay it may never make.
extern const char kRetryServiceConfig[];

struct ClientOptions {
  std::string address;
  // Sent as "authorization: Bearer <token>" on every call that does not
  // carry its own (see AuthorizeAtSite). Empty: none.
  std::string token;
  // Tablet tokens by site id, and team tokens by the team's desk name
  // ("communities/{c}/teams/{n}"), for tools that act at several desks.
  std::map<std::string, std::string> site_tokens;
  // TLS: the CA that signed the server's certificate (empty: plaintext);
  // for mutual TLS also this client's certificate and key.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // TLS: the name the server's certificate must carry, when it is not the
  // address's host.
  std::string tls_server_name;
  // Whether the channel retries (kRetryServiceConfig). Off only in tests
  // that look at a single refusal.
  bool retries = true;
};

class Client {
 public:
  explicit Client(const std::string& address) : Client(ClientOptions{.address = address}) {}
  // A client whose TLS files cannot be read reports it on every call
  // (UNAVAILABLE with the reason), so a CLI prints it once and exits.
  explicit Client(const ClientOptions& options);

  v1::PlanningService::Stub& planning() { return *planning_; }
  v1::CheckInService::Stub& checkin() { return *checkin_; }
  v1::ProgressService::Stub& progress() { return *progress_; }
  v1::CustodyService::Stub& custody() { return *custody_; }
  v1::LabService::Stub& lab() { return *lab_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // Puts the tablet token of `site_id` (or the team token of a team's desk
  // name) on the call, when one was given.
  void AuthorizeAtSite(grpc::ClientContext& context, const std::string& site_id) const;

  // A request id unique to this process run: "<prefix>-<random>-<counter>".
  static std::string NewRequestId(const std::string& prefix);

  // Calls `call` once with a fresh context whose deadline is `timeout` away;
  // the channel's retry policy retries within that deadline.
  static grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext&)>& call,
                           absl::Duration timeout = absl::Seconds(60));

 private:
  std::map<std::string, std::string> site_tokens_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PlanningService::Stub> planning_;
  std::unique_ptr<v1::CheckInService::Stub> checkin_;
  std::unique_ptr<v1::ProgressService::Stub> progress_;
  std::unique_ptr<v1::CustodyService::Stub> custody_;
  std::unique_ptr<v1::LabService::Stub> lab_;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_SWABWAVE_CLIENT_H_
