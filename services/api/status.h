// The one place engine statuses become gRPC statuses (STYLE.md, Errors).
// absl::StatusCode and grpc::StatusCode share their numbering.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_API_STATUS_H_
#define SWABWAVE_SERVICES_API_STATUS_H_

#include <grpcpp/support/status.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace swabwave::services {

// The most bytes of a message a client or the log is given
// (docs/bad-input.md): an error that echoes a megabyte of input must not
// become a megabyte answer, nor pass gRPC's metadata limit.
inline constexpr size_t kMaxMessageBytes = 1000;

// `message` as it may be shown: control characters escaped (\n, \xNN), so
// an echoed input cannot forge a log line or a second line of an answer,
// and cut at a UTF-8 boundary to at most kMaxMessageBytes with a note of
// how much was cut. A short printable message is returned as it is.
std::string BoundedMessage(absl::string_view message);

// Bounds the message (BoundedMessage) as it crosses: every answer's message
// is at most kMaxMessageBytes of printable text, whatever a handler echoed.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// The trailing metadata key gRPC's client retry policy reads.
inline constexpr char kRetryPushbackKey[] = "grpc-retry-pushback-ms";

// What a client's retry policy should do after `status`, in the form of
// grpc-retry-pushback-ms: for RESOURCE_EXHAUSTED whose message says "retry
// in N ms" (a full journal queue, a token over its rate), "N"; for any
// other RESOURCE_EXHAUSTED (a cap on open streams, a plan that does not
// fit), "-1": do not retry, waiting will not change the answer. Empty for
// every other status: the policy's own backoff applies.
std::string RetryPushback(const grpc::Status& status);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_STATUS_H_
