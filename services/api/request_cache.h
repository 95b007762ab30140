// RequestCache: makes the rare unary mutations idempotent (import, create
// round, plan, open, close, open tube, seal tube). The first call with a
// request id runs; a retry with the same id after a success gets the
// original response, after a failure runs again (a cut import stream must be
// retryable); a concurrent retry waits for the first to finish. Reusing an
// id for a different request is INVALID_ARGUMENT.
//
// Check-ins do not come here: their idempotency lives in the lock-free core
// (the request tag in the resident's slot), so the hot path takes no lock.
//
// Bounded: the oldest entries are forgotten past `capacity` (a retry that
// late gets a fresh execution, which the engine answers consistently:
// ALREADY_EXISTS or FAILED_PRECONDITION naming the state).
//
// Thread-safety: all member functions are thread-safe.
#ifndef SWABWAVE_SERVICES_API_REQUEST_CACHE_H_
#define SWABWAVE_SERVICES_API_REQUEST_CACHE_H_

#include <grpcpp/support/status.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace google::protobuf {
class Message;
}

namespace swabwave::services {

class RequestCache {
 public:
  explicit RequestCache(size_t capacity = 100000) : capacity_(capacity) {}

  // Runs `work` once per (method, request_id): fills `response` with the
  // original answer on a retry. `request` is fingerprinted to detect reuse
  // of an id for a different request (request_id excluded by the caller
  // passing the same message).
  grpc::Status Run(absl::string_view method, absl::string_view request_id,
                   const google::protobuf::Message& request, google::protobuf::Message* response,
                   const std::function<grpc::Status()>& work);
  // The same with the request's fingerprint computed by the caller (an
  // import stream folds in every chunk as it arrives: ChainFingerprint).
  grpc::Status Run(absl::string_view method, absl::string_view request_id,
                   uint64_t request_fingerprint, google::protobuf::Message* response,
                   const std::function<grpc::Status()>& work);
  // `so_far` with `part` folded in; 0 starts a chain.
  static uint64_t ChainFingerprint(uint64_t so_far, const google::protobuf::Message& part);

  size_t size() const;

 private:
  struct Entry {
    bool done = false;
    uint64_t fingerprint = 0;
    grpc::Status status;
    std::string response;  // serialized
  };

  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_REQUEST_CACHE_H_
