#include "services/net/grpc_port.h"

#include <unistd.h>

#include <future>
#include <utility>

namespace swabwave::services::net {

absl::StatusOr<std::unique_ptr<GrpcPort>> GrpcPort::Bind(
    const std::string& address, size_t max_connections,
    std::shared_ptr<grpc::ServerCredentials> credentials, grpc::ServerBuilder& builder) {
  absl::StatusOr<tcp::endpoint> endpoint = ParseListenAddress(address);
  if (!endpoint.ok()) return endpoint.status();
  std::unique_ptr<GrpcPort> port(new GrpcPort());
  port->acceptor_ = builder.experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
      std::move(credentials));
  Listener::Handoff handoff;
  handoff.descriptor = [acceptor = port->acceptor_.get()](int listener_fd, int fd) {
    grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters connection;
    connection.listener_fd = listener_fd;
    connection.fd = fd;  // gRPC owns it from here (and closes it once the server stopped)
    acceptor->HandleNewConnection(&connection);
  };
  absl::StatusOr<std::shared_ptr<Listener>> listener =
      Listener::Bind(port->io_, *endpoint, "gRPC", max_connections, std::move(handoff));
  if (!listener.ok()) return listener.status();
  port->listener_ = *std::move(listener);
  return port;
}

void GrpcPort::Start() {
  listener_->Start();
  thread_ = std::thread([this] { io_.run(); });
}

void GrpcPort::Stop() {
  if (!thread_.joinable()) return;
  // Close runs on the io thread, before anything posted after it: once the
  // promise is kept the port is closed and no handoff is under way.
  listener_->Close();
  std::promise<void> closed;
  boost::asio::post(io_, [&closed] { closed.set_value(); });
  closed.get_future().wait();
  io_.stop();
  thread_.join();
}

GrpcPort::~GrpcPort() { Stop(); }

}  // namespace swabwave::services::net
