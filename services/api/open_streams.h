// OpenStreams: the server's open streams, each with the principal it was
// admitted as, so that revoking a token ends its streams (issue 25 item 4).
// A stream's token is checked when the stream opens; without this, a
// WatchProgress or an idle CheckInStream opened before a SIGHUP would go
// on with a revoked token until the client ended it.
//
// Thread-safety: every member function is thread-safe. `end` callbacks run
// with the registry's lock held, so Remove (from the stream's OnDone) waits
// for an `end` in progress and a stream is never ended after it is gone.
// An `end` must therefore not call Remove, nor wait for anything that does;
// gRPC runs a reactor's OnDone on its own threads, never inside Finish.
#ifndef SWABWAVE_SERVICES_API_OPEN_STREAMS_H_
#define SWABWAVE_SERVICES_API_OPEN_STREAMS_H_

#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "services/api/tokens.h"

namespace swabwave::services {

class OpenStreams {
 public:
  using Id = uint64_t;  // 0 is never a stream's

  // Registers a stream admitted as `caller`; `end` ends it (UNAUTHENTICATED)
  // once its token is revoked. If the token was revoked before the stream
  // was registered, `end` runs at once, before Add returns.
  Id Add(std::shared_ptr<const Principal> caller, absl::AnyInvocable<void()> end);
  // Forgets a stream; after it returns `end` is never called. Ids of 0 are
  // ignored.
  void Remove(Id id);
  // Ends every registered stream whose principal is revoked, and forgets
  // it; returns how many.
  int EndRevoked();
  size_t size() const;

 private:
  struct Stream {
    std::shared_ptr<const Principal> caller;
    absl::AnyInvocable<void()> end;
  };
  mutable absl::Mutex mu_;
  Id next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<Id, Stream> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_OPEN_STREAMS_H_
