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

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/registry.h"
#include "services/api/checkin_service.h"
#include "services/api/metrics.h"
#include "services/api/planning_service.h"
#include "services/api/progress_service.h"
#include "services/api/request_cache.h"
#include "services/api/service_support.h"
#include "services/http/http_server.h"

namespace swabwave::services {

struct ServerOptions {
  // gRPC listen address; port 0 picks a free port (see SwabwaveServer::port).
  std::string listen = "127.0.0.1:50051";
  // HTTP side port for /healthz and /metrics; empty turns it off.
  std::string http_listen = "127.0.0.1:9090";
  // Threads for slow rare paths (import, create, plan).
  int slow_path_threads = 2;
};

class SwabwaveServer {
 public:
  // Builds and starts the server. UNAVAILABLE when an address cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SwabwaveServer>> Start(
      const ServerOptions& options);
  ~SwabwaveServer();

  int port() const { return port_; }
  int http_port() const { return http_ != nullptr ? http_->port() : 0; }
  engine::Registry& registry() { return registry_; }
  ServerMetrics& metrics() { return metrics_; }

  // Graceful stop: /healthz and gRPC health report NOT_SERVING, new calls
  // are refused, calls in flight get `grace` to finish before they are
  // cancelled. Idempotent.
  void Shutdown(absl::Duration grace);
  // Blocks until Shutdown has completed.
  void Wait();

 private:
  SwabwaveServer() = default;
  HttpResponse ServeHttp(const std::string& path);

  engine::Registry registry_;
  ServerMetrics metrics_;
  RequestCache cache_;
  std::unique_ptr<SlowPathExecutor> slow_;
  std::unique_ptr<PlanningService> planning_;
  std::unique_ptr<CheckInService> checkin_;
  std::unique_ptr<ProgressService> progress_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HttpServer> http_;
  std::atomic<bool> draining_{false};
  int port_ = 0;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_SERVER_H_
