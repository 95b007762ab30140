#include "services/net/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <utility>
#include <cerrno>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace swabwave::services::net {

namespace asio = boost::asio;

absl::StatusOr<tcp::endpoint> ParseListenAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", address.substr(0, 300), "' must be host:port"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code error;
  const asio::ip::address ip = asio::ip::make_address(host, error);
  if (!error) return tcp::endpoint(ip, static_cast<uint16_t>(port));
  // A name ("localhost"): its first address.
  asio::io_context io;
  tcp::resolver resolver(io);
  const tcp::resolver::results_type results =
      resolver.resolve(host, std::to_string(port), tcp::resolver::passive, error);
  if (error || results.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("listen address '", address.substr(0, 300),
                                                   "': '", host.substr(0, 256),
                                                   "' is neither an IP address nor a known name"));
  }
  return results.begin()->endpoint();
}

void AppendListenerMetrics(
    const std::vector<std::pair<std::string, const ListenerStats*>>& listeners, std::string* out) {
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    const std::atomic<uint64_t> ListenerStats::*value;
  };
  static constexpr Family kFamilies[] = {
      {"swabwave_listener_connections", "gauge", "Connections the port holds now.",
       &ListenerStats::connections},
      {"swabwave_listener_max_connections", "gauge",
       "Most connections the port holds; more are closed as they come.",
       &ListenerStats::max_connections},
      {"swabwave_listener_accepted_total", "counter", "Connections accepted.",
       &ListenerStats::accepted_total},
      {"swabwave_listener_refused_total", "counter",
       "Connections closed at once because the port held its most.",
       &ListenerStats::refused_total},
      {"swabwave_listener_accept_errors_total", "counter",
       "Accepts that failed (out of descriptors or memory: retried after a backoff).",
       &ListenerStats::accept_errors_total},
  };
  for (const Family& family : kFamilies) {
    absl::StrAppend(out, "# HELP ", family.name, " ", family.help, "\n# TYPE ", family.name,
                    " ", family.type, "\n");
    for (const auto& [port, stats] : listeners) {
      absl::StrAppend(out, family.name, "{port=\"", port, "\"} ",
                      (stats->*family.value).load(std::memory_order_relaxed), "\n");
    }
  }
}

Listener::Listener(asio::io_context& io, std::string name, size_t max_connections,
                   Handoff handoff)
    : io_(io),
      acceptor_(io),
      backoff_timer_(io),
      sweep_timer_(io),
      name_(std::move(name)),
      max_connections_(max_connections),
      handoff_(std::move(handoff)) {
  stats_->max_connections.store(max_connections, std::memory_order_relaxed);
}

absl::StatusOr<std::shared_ptr<Listener>> Listener::Bind(asio::io_context& io,
                                                         const tcp::endpoint& endpoint,
                                                         std::string name, size_t max_connections,
                                                         Handoff handoff) {
  std::shared_ptr<Listener> listener(
      new Listener(io, std::move(name), std::max<size_t>(1, max_connections), std::move(handoff)));
  boost::system::error_code error;
  tcp::acceptor& acceptor = listener->acceptor_;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot listen for ", listener->name_, " on ",
                                               endpoint.address().to_string(), ":",
                                               endpoint.port(), ": ", error.message(),
                                               " (address in use, or not a local address?)"));
  }
  listener->port_ = acceptor.local_endpoint().port();
  return listener;
}

void Listener::Start() {
  asio::post(io_, [self = shared_from_this()] { self->Accept(); });
  if (handoff_.descriptor) ScheduleSweep();
}

void Listener::ScheduleSweep() {
  // Keeps the connection gauge true while nobody connects.
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (error || self == nullptr || !self->acceptor_.is_open()) return;
    self->SweepHandedDescriptors();
    self->ScheduleSweep();
  });
}

void Listener::Close() {
  // On the io thread: the acceptor is not thread-safe.
  asio::post(io_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->backoff_timer_.cancel();
    self->sweep_timer_.cancel();
  });
}

void Listener::Accept() {
  if (!acceptor_.is_open()) return;
  acceptor_.async_accept([self = shared_from_this()](const boost::system::error_code& error,
                                                     tcp::socket socket) {
    self->OnAccepted(error, std::move(socket));
  });
}

void Listener::OnAccepted(const boost::system::error_code& error, tcp::socket socket) {
  if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;  // closed
  if (error) return RetryAfterBackoff(error);
  backoff_ms_ = 0;
  stats_->accepted_total.fetch_add(1, std::memory_order_relaxed);
  if (AtCapacity()) {
    // Closed at once: it holds no descriptor, and its client learns now
    // rather than after a timeout in the backlog.
    stats_->refused_total.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    socket.close(ignored);
    return Accept();
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  stats_->connections.fetch_add(1, std::memory_order_relaxed);
  if (handoff_.socket) {
    handoff_.socket(std::move(socket), std::make_unique<ConnectionTicket>(stats_));
  } else {
    const int fd = socket.release(ignored);
    struct stat info;
    if (ignored || fd < 0 || ::fstat(fd, &info) != 0) {
      stats_->connections.fetch_sub(1, std::memory_order_relaxed);
      if (fd >= 0) ::close(fd);
      return Accept();
    }
    // gRPC expects what its own accept4 gives: non-blocking, close-on-exec.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    handed_.push_back({fd, info.st_dev, info.st_ino});
    handoff_.descriptor(acceptor_.native_handle(), fd);
  }
  Accept();
}

void Listener::RetryAfterBackoff(const boost::system::error_code& error) {
  stats_->accept_errors_total.fetch_add(1, std::memory_order_relaxed);
  // The client went away during the handshake: nothing to wait for.
  if (error == asio::error::connection_aborted) return Accept();
  // Out of descriptors (EMFILE, ENFILE) or memory (ENOBUFS, ENOMEM), or
  // something unexpected: the pending connection stays in the backlog and
  // the socket stays readable, so retrying at once would spin. Wait.
  backoff_ms_ = backoff_ms_ == 0 ? kFirstBackoffMs : std::min(backoff_ms_ * 2, kMaxBackoffMs);
  // One line per burst, not one per retry.
  if (errors_logged_++ == 0 || backoff_ms_ == kFirstBackoffMs) {
    spdlog::warn("{}: accept failed ({}); retrying in {} ms and backing off up to {} ms until it "
                 "succeeds",
                 name_, error.message(), backoff_ms_, kMaxBackoffMs);
  }
  backoff_timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
  backoff_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
    if (e) return;  // closed
    self->Accept();
  });
}

void Listener::SweepHandedDescriptors() {
  // A descriptor gRPC closed fails fstat, or names another file once the
  // number was reused: either way that connection is gone.
  std::erase_if(handed_, [](const Handed& h) {
    struct stat info;
    return ::fstat(h.fd, &info) != 0 || info.st_dev != h.device || info.st_ino != h.inode;
  });
  stats_->connections.store(handed_.size(), std::memory_order_relaxed);
}

bool Listener::AtCapacity() {
  if (stats_->connections.load(std::memory_order_relaxed) < max_connections_) return false;
  if (!handoff_.descriptor) return true;
  SweepHandedDescriptors();
  return handed_.size() >= max_connections_;
}

}  // namespace swabwave::services::net
