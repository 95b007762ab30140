#include "services/api/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"

namespace swabwave::services {

absl::StatusOr<std::unique_ptr<SwabwaveServer>> SwabwaveServer::Start(
    const ServerOptions& options) {
  std::unique_ptr<SwabwaveServer> server(new SwabwaveServer());
  server->slow_ = std::make_unique<SlowPathExecutor>(options.slow_path_threads);
  const ServiceContext context{&server->registry_, &server->metrics_, &server->cache_,
                               server->slow_.get()};
  server->planning_ = std::make_unique<PlanningService>(context);
  server->checkin_ = std::make_unique<CheckInService>(context);
  server->progress_ = std::make_unique<ProgressService>(context);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second server on the same port
  // would start and the kernel would split connections between two
  // separate states (a resident sampled once in each). Refuse the port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(server->planning_.get());
  builder.RegisterService(server->checkin_.get());
  builder.RegisterService(server->progress_.get());
  // Community imports arrive in chunks of up to 100,000 entities.
  builder.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", options.listen,
                                               " (address in use, or not a local address?)"));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);

  if (!options.http_listen.empty()) {
    SwabwaveServer* raw = server.get();
    absl::StatusOr<std::unique_ptr<HttpServer>> http = HttpServer::Start(
        options.http_listen, [raw](const std::string& path) { return raw->ServeHttp(path); });
    if (!http.ok()) {
      server->Shutdown(absl::ZeroDuration());
      return http.status();
    }
    server->http_ = *std::move(http);
  }
  spdlog::info("swabwaved listening: gRPC on port {}, HTTP on port {}", server->port_,
               server->http_port());
  return server;
}

HttpResponse SwabwaveServer::ServeHttp(const std::string& path) {
  if (path == "/healthz") {
    if (draining_.load(std::memory_order_acquire)) return {503, "text/plain", "draining\n"};
    return {200, "text/plain", "ok\n"};
  }
  if (path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_.Render(registry_)};
  }
  return {404, "text/plain", "not found: try /healthz or /metrics\n"};
}

void SwabwaveServer::Shutdown(absl::Duration grace) {
  if (draining_.exchange(true)) return;
  spdlog::info("swabwaved draining (grace {})", absl::FormatDuration(grace));
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  }
  // Slow-path work still queued finishes its calls (they were accepted).
  slow_.reset();
  if (http_ != nullptr) http_->Stop();
  spdlog::info("swabwaved stopped");
}

void SwabwaveServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

SwabwaveServer::~SwabwaveServer() { Shutdown(absl::ZeroDuration()); }

}  // namespace swabwave::services
