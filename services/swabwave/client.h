// Client: the CLI's connection to swabwaved — one channel, the three
// service stubs, fresh request ids, and a retry loop that resends the
// same request id on UNAVAILABLE (so a retried mutation is applied once).
//
// Thread-safety: the stubs are thread-safe; NewRequestId is thread-safe.
#ifndef SWABWAVE_SERVICES_SWABWAVE_CLIENT_H_
#define SWABWAVE_SERVICES_SWABWAVE_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "swabwave/v1/checkin.grpc.pb.h"
#include "swabwave/v1/planning.grpc.pb.h"
#include "swabwave/v1/progress.grpc.pb.h"

namespace swabwave::services {

class Client {
 public:
  explicit Client(const std::string& address);

  v1::PlanningService::Stub& planning() { return *planning_; }
  v1::CheckInService::Stub& checkin() { return *checkin_; }
  v1::ProgressService::Stub& progress() { return *progress_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // A request id unique to this process run: "<prefix>-<random>-<counter>".
  static std::string NewRequestId(const std::string& prefix);

  // Calls `call` with a fresh context (deadline `timeout`) until it returns
  // something other than UNAVAILABLE, at most `attempts` times, backing off.
  // The caller keeps the request (and its request_id) the same across tries.
  static grpc::Status WithRetry(const std::function<grpc::Status(grpc::ClientContext&)>& call,
                                absl::Duration timeout = absl::Seconds(60), int attempts = 4);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PlanningService::Stub> planning_;
  std::unique_ptr<v1::CheckInService::Stub> checkin_;
  std::unique_ptr<v1::ProgressService::Stub> progress_;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_SWABWAVE_CLIENT_H_
