// CheckInStream's reactor: the tablets' path. Many check-ins a message,
// each message checked and handed to the core as one batch per round, its
// answers held until the journal has made everything they report durable,
// then written in the order the messages came. The stream reads the next
// message while one waits for the disk (group commit needs several in
// flight), and stops reading while too many answers wait to be written.
//
// The method is raw: the reactor parses each message itself, because gRPC
// reports a message that does not parse like the client's half-close (the
// stream would end OK with the check-ins after it unanswered); such a
// message ends the stream with INVALID_ARGUMENT naming it.
//
// Thread-safety: gRPC calls the reactor's methods; the journal's threads
// finish its waits. Its state is under its own mutex.
#ifndef SWABWAVE_SERVICES_API_CHECKIN_STREAM_H_
#define SWABWAVE_SERVICES_API_CHECKIN_STREAM_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "services/api/access_control.h"
#include "services/api/service_support.h"

namespace swabwave::services {

// A reactor for one stream of `caller` (a refused caller's stream ends at
// once with the refusal). gRPC deletes it when the call is done.
grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* NewCheckInStream(
    ServiceContext context, absl::StatusOr<Caller> caller);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_CHECKIN_STREAM_H_
