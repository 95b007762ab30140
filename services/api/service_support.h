// What every swabwave service shares: the engine registry, metrics, the
// request cache, an executor for slow rare paths, and small helpers for
// finishing callback-API calls.
//
// Thread-safety: ServiceContext's members are thread-safe; SlowPathExecutor
// may be used from any thread.
#ifndef SWABWAVE_SERVICES_API_SERVICE_SUPPORT_H_
#define SWABWAVE_SERVICES_API_SERVICE_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "engine/journal/store.h"
#include "engine/registry/registry.h"
#include "services/api/access_control.h"
#include "services/api/metrics.h"
#include "services/api/request_cache.h"
#include "services/api/resource_names.h"
#include "services/api/status.h"

namespace swabwave::services {

// Runs work that may take seconds (importing, indexing and planning a city)
// off gRPC's callback threads, which must not block.
class SlowPathExecutor {
 public:
  explicit SlowPathExecutor(int threads = 2);
  ~SlowPathExecutor();  // runs what was queued, then joins
  SlowPathExecutor(const SlowPathExecutor&) = delete;
  SlowPathExecutor& operator=(const SlowPathExecutor&) = delete;

  void Submit(std::function<void()> work);

 private:
  void Loop();

  absl::Mutex mu_;
  std::vector<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// The clock rounds run by: the wall clock, or for a rehearsal the wall
// clock shifted (ServerOptions::rehearsal_clock_shift), so that a capacity
// team can run tomorrow's 07:00 round today. Check-in and visit times
// default to it and are checked against it; next routes leave by it.
// Durations (latencies, timeouts, rates) keep the wall clock.
class RoundClock {
 public:
  RoundClock() = default;
  explicit RoundClock(absl::Duration shift) : shift_(shift) {}
  absl::Time Now() const { return absl::Now() + shift_; }
  absl::Duration shift() const { return shift_; }

 private:
  absl::Duration shift_;
};

struct ServiceContext {
  engine::Registry* registry = nullptr;
  // Where changes become durable; every mutation answers only once what it
  // appended is (DESIGN.md §4.3).
  engine::journal::Store* store = nullptr;
  ServerMetrics* metrics = nullptr;
  RequestCache* cache = nullptr;
  SlowPathExecutor* slow = nullptr;
  // Who may call what; every handler admits its caller first.
  const AccessControl* access = nullptr;
  // Most entities (residents, units, ...) one community import may carry:
  // an import stream that never ends must not take all memory.
  size_t max_import_entities = 50'000'000;
  RoundClock clock;
};

// Times one RPC and records it when the call finishes.
class RpcTimer {
 public:
  RpcTimer(ServerMetrics* metrics, Rpc rpc) : metrics_(metrics), rpc_(rpc), start_(absl::Now()) {}
  // Records and finishes a unary reactor with `status` (UnaryCall).
  void Finish(grpc::ServerUnaryReactor* reactor, const grpc::Status& status) const {
    metrics_->RecordRpc(rpc_, status.error_code(), absl::Now() - start_);
    reactor->Finish(status);
  }
  Rpc rpc() const { return rpc_; }
  void Record(const grpc::Status& status) const {
    metrics_->RecordRpc(rpc_, status.error_code(), absl::Now() - start_);
  }

 private:
  ServerMetrics* metrics_;
  Rpc rpc_;
  absl::Time start_;
};

// Calls `finish(status)` once every record appended so far (this call's
// among them) is durable; if the store fails first, with UNAVAILABLE
// instead of an OK `status`. `finish` may run on the journal's writer
// thread: keep it to finishing the call.
void WhenDurable(engine::journal::Store& store, grpc::Status status,
                 absl::AnyInvocable<void(const grpc::Status&)> finish);

// The status a call gets when the store cannot take its change: UNAVAILABLE
// (failed store) or RESOURCE_EXHAUSTED (queue full, with a retry hint); OK
// when it can.
grpc::Status StoreAdmission(const engine::journal::Store& store, uint64_t records);

// The round named "rounds/{id}": INVALID_ARGUMENT for a bad name, NOT_FOUND
// for an unknown round. Lock-free.
[[nodiscard]] absl::StatusOr<engine::Round*> LookUpRound(const engine::Registry& registry,
                                                         absl::string_view name);

// LookUpRound, then PERMISSION_DENIED unless `caller` may act for every
// community of the round.
[[nodiscard]] absl::StatusOr<engine::Round*> LookUpRoundFor(const ServiceContext& context,
                                                            const Principal& caller, Rpc rpc,
                                                            absl::string_view name);

// The part of a round a list asks for by community_id and (optionally,
// within it) building_id: INVALID_ARGUMENT for a building without its
// community or a malformed id (checked before the lookup: a NOT_FOUND
// echoing a huge id would not fit in the trailers), NOT_FOUND for one not
// in the round. Both empty: the whole round.
[[nodiscard]] absl::StatusOr<engine::Round::UntestedFilter> ParseAreaFilter(
    const engine::Round& round, absl::string_view community_id, absl::string_view building_id);

// Slow work checks this before it starts: OK while the caller still waits,
// DEADLINE_EXCEEDED once its deadline has passed, CANCELLED once it went
// away. A queue of abandoned calls then drains without doing their work
// (their retries carry the same request_id, so nothing is lost).
grpc::Status CallerStillWaits(grpc::CallbackServerContext* ctx);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_SERVICE_SUPPORT_H_
