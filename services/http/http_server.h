// HttpServer: the server's HTTP side port (Boost.Asio/Beast) for
// /healthz and /metrics. Small on purpose: GET only, keep-alive, one
// io_context thread, a handler that maps a path to a response. Connections
// come through a net::Listener: capped, and accepting again by itself after
// the process ran out of descriptors.
//
// Thread-safety: Start and Stop from one thread; the handler runs on the
// server's own thread and must be thread-safe against the rest of the
// process.
#ifndef SWABWAVE_SERVICES_HTTP_HTTP_SERVER_H_
#define SWABWAVE_SERVICES_HTTP_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "services/net/listener.h"

namespace swabwave::services {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  // The request's path (without its query) and its Authorization header
  // (empty without one).
  using Handler =
      std::function<HttpResponse(const std::string& path, const std::string& authorization)>;

  // Listens on `address` ("host:port", port 0 picks a free one), holding
  // at most `max_connections` connections (more are closed at once).
  // INVALID_ARGUMENT for a malformed address, UNAVAILABLE when it cannot be
  // bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& address, Handler handler, size_t max_connections = 256);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  // The listener's counts (connections, cap, refusals, accept errors).
  const std::shared_ptr<net::ListenerStats>& stats() const { return stats_; }
  // Stops accepting and closes every connection; idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  int port_ = 0;
  std::shared_ptr<net::ListenerStats> stats_;
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_HTTP_HTTP_SERVER_H_
