// GrpcPort: the gRPC server's listening port, accepted by a net::Listener
// (listener.h) instead of gRPC's own listener, which in gRPC 1.51 stops
// accepting for good after one accept4 fails with EMFILE. Each accepted
// connection is handed to grpc::Server through an external connection
// acceptor built with the server's credentials, so TLS and mutual TLS work
// as on a port gRPC binds itself.
//
// Example:
//   grpc::ServerBuilder builder;
//   auto port = GrpcPort::Bind("127.0.0.1:0", 4096, credentials, builder);
//   ... register services ...
//   auto server = builder.BuildAndStart();
//   (*port)->Start();
//   ...
//   (*port)->Stop();  // before server->Shutdown()
//
// Thread-safety: Bind, Start and Stop from the owning thread; stats from any.
#ifndef SWABWAVE_SERVICES_NET_GRPC_PORT_H_
#define SWABWAVE_SERVICES_NET_GRPC_PORT_H_

#include <grpcpp/grpcpp.h>

#include <boost/asio.hpp>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "services/net/listener.h"

namespace swabwave::services::net {

class GrpcPort {
 public:
  // Binds `address` and registers the acceptor on `builder`, which must
  // build the server before Start. INVALID_ARGUMENT for a malformed
  // address, UNAVAILABLE when it cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GrpcPort>> Bind(
      const std::string& address, size_t max_connections,
      std::shared_ptr<grpc::ServerCredentials> credentials, grpc::ServerBuilder& builder);
  ~GrpcPort();
  GrpcPort(const GrpcPort&) = delete;
  GrpcPort& operator=(const GrpcPort&) = delete;

  // Starts accepting (on a thread of its own).
  void Start();
  // Stops accepting and closes the port; connections already handed to
  // gRPC are gRPC's to end. Idempotent.
  void Stop();

  int port() const { return listener_->port(); }
  const std::shared_ptr<ListenerStats>& stats() const { return listener_->stats(); }

 private:
  GrpcPort() = default;

  boost::asio::io_context io_{1};
  // Keeps run() going between the listener's operations (Stop posts to it
  // after Close has let every operation end).
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  std::shared_ptr<Listener> listener_;
  std::thread thread_;
};

}  // namespace swabwave::services::net

#endif  // SWABWAVE_SERVICES_NET_GRPC_PORT_H_
