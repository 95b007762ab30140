#include "services/net/descriptor_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace swabwave::services::net {

uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(limit.rlim_cur);
}

ConnectionCaps FitConnectionCaps(uint64_t open_files, size_t grpc, size_t http) {
  const uint64_t available =
      open_files > kReservedDescriptors ? open_files - kReservedDescriptors : 0;
  ConnectionCaps caps;
  caps.http = http != 0 ? http
                        : static_cast<size_t>(std::clamp<uint64_t>(
                              available / 8, 1, kDefaultHttpConnections));
  caps.grpc = grpc != 0 ? grpc
                        : static_cast<size_t>(std::clamp<uint64_t>(
                              available - std::min<uint64_t>(available, available / 8), 1,
                              kDefaultGrpcConnections));
  caps.past_limit = uint64_t{caps.grpc} + caps.http > available;
  return caps;
}

}  // namespace swabwave::services::net
