#include "services/swabwave/client.h"

#include <atomic>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace swabwave::services {

Client::Client(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  planning_ = v1::PlanningService::NewStub(channel_);
  checkin_ = v1::CheckInService::NewStub(channel_);
  progress_ = v1::ProgressService::NewStub(channel_);
}

std::string Client::NewRequestId(const std::string& prefix) {
  static const uint64_t run = absl::BitGen()();
  static std::atomic<uint64_t> counter{0};
  return absl::StrFormat("%s-%016x-%d", prefix, run, counter.fetch_add(1));
}

grpc::Status Client::WithRetry(const std::function<grpc::Status(grpc::ClientContext&)>& call,
                               absl::Duration timeout, int attempts) {
  grpc::Status status;
  absl::Duration backoff = absl::Milliseconds(200);
  for (int attempt = 0; attempt < attempts; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    context.set_wait_for_ready(attempt > 0);
    status = call(context);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return status;
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(backoff));
    backoff *= 2;
  }
  return status;
}

}  // namespace swabwave::services
