#include "services/http/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/str_cat.h"
#include "services/net/listener.h"

namespace swabwave::services {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// One keep-alive connection: read a request, answer, repeat.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::unique_ptr<net::ConnectionTicket> ticket,
          const HttpServer::Handler& handler)
      : stream_(std::move(socket)), ticket_(std::move(ticket)), handler_(handler) {}

  void Run() { Read(); }

 private:
  void Read() {
    request_ = {};
    // A client that sends nothing for 30 s is dropped.
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->Answer();
                     });
  }

  void Answer() {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request_.version());
    response->keep_alive(request_.keep_alive());
    response->set(http::field::server, "swabwaved");
    if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      response->result(http::status::method_not_allowed);
      response->set(http::field::content_type, "text/plain; charset=utf-8");
      response->body() = "only GET is served here\n";
    } else {
      std::string path(request_.target());
      if (const size_t query = path.find('?'); query != std::string::npos) path.resize(query);
      const auto authorization = request_.find(http::field::authorization);
      HttpResponse answer = handler_(
          path, authorization == request_.end() ? std::string()
                                                : std::string(authorization->value()));
      response->result(static_cast<http::status>(answer.status));
      response->set(http::field::content_type, answer.content_type);
      if (request_.method() == http::verb::get) response->body() = std::move(answer.body);
    }
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, size_t) {
                        if (ec || !response->keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  std::unique_ptr<net::ConnectionTicket> ticket_;  // counted by the listener while it lives
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  const HttpServer::Handler& handler_;
};

}  // namespace

struct HttpServer::Impl {
  asio::io_context io{1};
  std::shared_ptr<net::Listener> listener;
  Handler handler;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                              Handler handler,
                                                              size_t max_connections) {
  absl::StatusOr<tcp::endpoint> endpoint = net::ParseListenAddress(address);
  if (!endpoint.ok()) return endpoint.status();
  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  net::Listener::Handoff handoff;
  handoff.socket = [impl = impl.get()](tcp::socket socket,
                                        std::unique_ptr<net::ConnectionTicket> ticket) {
    std::make_shared<Session>(std::move(socket), std::move(ticket), impl->handler)->Run();
  };
  absl::StatusOr<std::shared_ptr<net::Listener>> listener =
      net::Listener::Bind(impl->io, *endpoint, "HTTP", max_connections, std::move(handoff));
  if (!listener.ok()) return listener.status();
  impl->listener = *std::move(listener);
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(impl)));
  server->port_ = server->impl_->listener->port();
  server->stats_ = server->impl_->listener->stats();
  server->impl_->listener->Start();
  server->thread_ = std::thread([io = &server->impl_->io] { io->run(); });
  return server;
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  impl_->io.stop();
  thread_.join();
  // Stopping the io_context alone leaves the listening socket open: the
  // kernel would still accept connections that nobody answers. Destroying
  // it closes the acceptor and every session (their handlers own them).
  impl_.reset();
}

HttpServer::~HttpServer() { Stop(); }

}  // namespace swabwave::services
