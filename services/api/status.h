// The one place engine statuses become gRPC statuses (STYLE.md, Errors).
// absl::StatusCode and grpc::StatusCode share their numbering.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_API_STATUS_H_
#define SWABWAVE_SERVICES_API_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace swabwave::services {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_STATUS_H_
