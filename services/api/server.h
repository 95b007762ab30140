// SwabwaveServer: one running swabwave server — the gRPC services, the
// standard health service and reflection, and the HTTP side port — over one
// engine Registry. swabwaved wraps it in a process; integration tests start
// it in-process on a loopback port.
//
// Thread-safety: Start, Shutdown and the accessors from the owning thread;
// the registry and metrics are thread-safe.
#ifndef SWABWAVE_SERVICES_API_SERVER_H_
#define SWABWAVE_SERVICES_API_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/journal/journal.h"
#include "engine/registry/registry.h"
#include "services/api/access_control.h"
#include "services/api/checkin_service.h"
#include "services/api/metrics.h"
#include "services/api/planning_service.h"
#include "services/api/lab_service.h"
#include "services/api/progress_service.h"
#include "services/api/request_cache.h"
#include "services/api/service_support.h"
#include "services/api/token_admission.h"
#include "services/http/http_server.h"
#include "services/net/grpc_port.h"

namespace swabwave::services {

struct ServerOptions {
  // gRPC listen address; port 0 picks a free port (see SwabwaveServer::port).
  std::string listen = "127.0.0.1:50051";
  // HTTP side port for /healthz and /metrics; empty turns it off.
  std::string http_listen = "127.0.0.1:9090";
  // Threads for slow rare paths (import, create, plan).
  int slow_path_threads = 2;
  // The embedded journal's directory (engine/journal). Empty: keep nothing
  // (durability off, for benchmarks and in-memory tests only).
  std::string data_dir;
  // A snapshot is written once this many records were appended since the
  // last one (and at shutdown), bounding recovery time.
  uint64_t snapshot_every = 5'000'000;
  // Records waiting for the disk past which check-ins get RESOURCE_EXHAUSTED.
  uint64_t max_pending_records = uint64_t{1} << 20;
  // The journal's group-commit pacing (JournalOptions::min_sync_interval).
  absl::Duration sync_interval = absl::Milliseconds(2);

  // Access (services/api/access_control.h). Empty: no tokens needed, every
  // caller may do everything (in-process tests; swabwaved --auth=none).
  std::string tokens_file;
  // Requests per second per token where its line sets no rate= (0: none).
  double default_token_rate = 200;
  // TLS: both or neither. With a client CA, clients must present a
  // certificate it signed (mutual TLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Plaintext is allowed on loopback only: a listen address off loopback
  // needs TLS (gRPC; the HTTP port has none) or this, said out loud
  // (swabwaved --insecure), and the server warns at start.
  bool insecure = false;
  // Imports and watches one token may hold open at once (0: no cap).
  int max_imports_per_token = 2;
  int max_watches_per_token = 16;
  // Memory gRPC may use for its buffers (a ResourceQuota): what any number
  // of clients can make the server hold in requests being read.
  int64_t max_grpc_memory_bytes = int64_t{4} << 30;

  // Limits. The largest message the server reads, for every method (gRPC
  // 1.51 has no per-method limit on a server). The largest message a
  // swabwave client sends is an import chunk of 20,000 entities of at most
  // about 420 bytes each (CommunityToChunks): 8.4 MB, half of this.
  int max_message_bytes = 16 * 1024 * 1024;
  size_t max_import_entities = 50'000'000;
  // A rehearsal: rounds run by the wall clock shifted this far (RoundClock
  // in service_support.h), so a round that starts at tomorrow's 07:00 takes
  // check-ins today. Zero in production; logged loudly when not.
  absl::Duration rehearsal_clock_shift;
  // Concurrent calls per connection: a tablet needs a handful.
  int max_concurrent_streams = 1000;
  // Connections each port holds at once; more are closed as they come
  // (net/listener.h). swabwaved fits them under its descriptor limit.
  size_t max_grpc_connections = 8192;
  size_t max_http_connections = 256;
};

// OK when every listen address of `options` is on loopback or served over
// TLS; otherwise FAILED_PRECONDITION saying how to fix it, or, with
// `options.insecure`, OK after a warning in the log (issue 25 item 6).
// SwabwaveServer::Start calls it before it binds anything.
absl::Status CheckPlaintext(const ServerOptions& options);

class SwabwaveServer {
 public:
  // Builds and starts the server. UNAVAILABLE when an address cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SwabwaveServer>> Start(
      const ServerOptions& options);
  ~SwabwaveServer();

  int port() const { return grpc_port_ != nullptr ? grpc_port_->port() : 0; }
  int http_port() const { return http_ != nullptr ? http_->port() : 0; }
  engine::Registry& registry() { return registry_; }
  ServerMetrics& metrics() { return metrics_; }
  engine::journal::Store& store() { return *store_; }
  // Null when durability is off.
  engine::journal::Journal* journal() { return journal_; }
  // What recovery found at start (zeroes without a journal).
  const engine::journal::RecoveryReport& recovery() const { return recovery_; }
  // Writes a snapshot now (no-op without a journal).
  absl::Status Snapshot();
  // Re-reads the tokens file (SIGHUP); on an error the old tokens stay.
  absl::Status ReloadTokens() { return access_->Reload(); }

  // Graceful stop: /healthz and gRPC health report NOT_SERVING, new calls
  // are refused, calls in flight get `grace` to finish before they are
  // cancelled. Idempotent.
  void Shutdown(absl::Duration grace);
  // Blocks until Shutdown has completed.
  void Wait();

 private:
  SwabwaveServer() = default;
  HttpResponse ServeHttp(const std::string& path, const std::string& authorization);
  absl::Status OpenStore(const ServerOptions& options);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
      const ServerOptions& options) const;
  void SnapshotLoop(uint64_t every);

  // Declared first: destroyed after everything that may append to it.
  std::unique_ptr<engine::journal::Store> store_;
  engine::journal::Journal* journal_ = nullptr;  // store_, when it is a journal
  engine::journal::RecoveryReport recovery_;
  std::mutex snapshot_mu_;
  std::condition_variable snapshot_wake_;
  bool snapshot_stop_ = false;  // guarded by snapshot_mu_
  uint64_t snapshot_covered_ = 0;  // guarded by snapshot_mu_
  std::thread snapshotter_;
  engine::Registry registry_;
  ServerMetrics metrics_;
  std::unique_ptr<AccessControl> access_;
  RequestCache cache_;
  std::unique_ptr<SlowPathExecutor> slow_;
  std::unique_ptr<PlanningService> planning_;
  std::unique_ptr<CheckInService> checkin_;
  std::unique_ptr<ProgressService> progress_;
  std::unique_ptr<CustodyService> custody_;
  std::unique_ptr<LabService> lab_;
  // Refuses calls without a valid token before their message is read (TLS).
  std::shared_ptr<TokenAdmission> admission_;
  std::unique_ptr<net::GrpcPort> grpc_port_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HttpServer> http_;
  std::atomic<bool> draining_{false};
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_SERVER_H_
