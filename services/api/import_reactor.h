// ImportCommunity's reactor: reads an import stream chunk by chunk (each
// checked against the chunk and server limits as it comes, the caller's
// right to the community checked on the first), then imports the
// community on the slow path, idempotently by request_id, and answers once
// its record is durable. Nothing is imported unless the whole stream is.
//
// The method is raw: the reactor parses each chunk itself, because gRPC
// reports a chunk that does not parse like the client's half-close.
//
// Thread-safety: gRPC calls the reactor's methods one at a time; the import
// itself runs on a slow-path thread after the last read.
#ifndef SWABWAVE_SERVICES_API_IMPORT_REACTOR_H_
#define SWABWAVE_SERVICES_API_IMPORT_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "services/api/access_control.h"
#include "services/api/service_support.h"

namespace swabwave::services {

// Entities (compounds, buildings, units, households, residents, sites,
// staff) one chunk may carry.
inline constexpr size_t kMaxImportChunkEntities = 100000;

// A reactor for one import by `caller` (a refused caller's import ends at
// once with the refusal); the response is serialized into `response`.
// gRPC deletes it when the call is done.
grpc::ServerReadReactor<grpc::ByteBuffer>* NewImportReactor(ServiceContext context,
                                                            grpc::CallbackServerContext* ctx,
                                                            absl::StatusOr<Caller> caller,
                                                            grpc::ByteBuffer* response);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_IMPORT_REACTOR_H_
