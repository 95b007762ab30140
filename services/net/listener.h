// Listener: accepts TCP connections for one of the server's ports and hands
// each one on, surviving the moments the process runs out of descriptors.
//
// gRPC 1.51's own listener gives up for good on the first accept4 that fails
// with EMFILE (its tcp_server treats every error but EAGAIN as the end), and
// a plain Asio accept loop that returns on error does the same. A Listener
// instead:
//   - retries an accept that failed for want of resources (EMFILE, ENFILE,
//     ENOBUFS, ENOMEM) after a backoff that doubles from 10 ms to 1 s, so
//     the port serves again within a second of descriptors coming free; an
//     aborted handshake (ECONNABORTED and the like) is retried at once;
//   - holds at most `max_connections` at a time: past that a new connection
//     is accepted and closed at once (refused), so that it holds no
//     descriptor and does not wait in the backlog;
//   - counts what it did (ListenerStats) for /metrics.
// The gRPC port hands connections to grpc::Server through an external
// connection acceptor (with the server's credentials, TLS included); the
// HTTP port hands them to its Beast sessions.
//
// How a Listener learns that a connection ended depends on who owns it: a
// Beast session holds a ConnectionTicket and gives it back when it ends; a
// descriptor handed to gRPC is never seen again, so the listener remembers
// it with its inode and checks, when it needs to know, which of them still
// name the same socket (fstat: a closed one fails or names another file).
//
// Thread-safety: everything runs on the io_context's thread except Close
// and stats, which may be called from any thread.
#ifndef SWABWAVE_SERVICES_NET_LISTENER_H_
#define SWABWAVE_SERVICES_NET_LISTENER_H_

#include <sys/types.h>

#include <atomic>
#include <utility>
#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace swabwave::services::net {

using tcp = boost::asio::ip::tcp;

// "host:port" or "[v6]:port" to an endpoint; the host may be a name
// (resolved, first address). INVALID_ARGUMENT naming the address otherwise.
[[nodiscard]] absl::StatusOr<tcp::endpoint> ParseListenAddress(const std::string& address);

// What a listener did, for /metrics.
struct ListenerStats {
  std::atomic<uint64_t> connections{0};  // open now
  std::atomic<uint64_t> max_connections{0};
  std::atomic<uint64_t> accepted_total{0};
  std::atomic<uint64_t> refused_total{0};        // closed at once: at the cap
  std::atomic<uint64_t> accept_errors_total{0};  // accept failed (descriptors, memory, ...)
};

// Appends the listeners' counts in Prometheus text format, one family
// each, labelled port="<name>" (e.g. "grpc", "http").
void AppendListenerMetrics(
    const std::vector<std::pair<std::string, const ListenerStats*>>& listeners, std::string* out);

class Listener;

// Held by a connection the listener counts until it is destroyed.
class ConnectionTicket {
 public:
  explicit ConnectionTicket(std::shared_ptr<ListenerStats> stats) : stats_(std::move(stats)) {}
  ~ConnectionTicket() { stats_->connections.fetch_sub(1, std::memory_order_relaxed); }
  ConnectionTicket(const ConnectionTicket&) = delete;
  ConnectionTicket& operator=(const ConnectionTicket&) = delete;

 private:
  std::shared_ptr<ListenerStats> stats_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // How accepted connections are handed on (exactly one of the two).
  struct Handoff {
    // The socket and a ticket to keep while the connection lives.
    std::function<void(tcp::socket, std::unique_ptr<ConnectionTicket>)> socket;
    // The socket's descriptor, owned by the callee from then on (gRPC).
    std::function<void(int listener_fd, int fd)> descriptor;
  };

  // Binds `endpoint` (SO_REUSEADDR, never SO_REUSEPORT: a second server on
  // the port must fail, not split the clients) and listens. UNAVAILABLE
  // when it cannot. Accepting starts with Start().
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<Listener>> Bind(
      boost::asio::io_context& io, const tcp::endpoint& endpoint, std::string name,
      size_t max_connections, Handoff handoff);

  void Start();
  // Stops accepting and closes the listening socket; connections handed
  // on are not touched. Safe from any thread; idempotent.
  void Close();

  int port() const { return port_; }
  const std::string& name() const { return name_; }
  const std::shared_ptr<ListenerStats>& stats() const { return stats_; }

  // Backoff after a failed accept: from kFirstBackoff, doubling, at most
  // kMaxBackoff.
  static constexpr int kFirstBackoffMs = 10;
  static constexpr int kMaxBackoffMs = 1000;

 private:
  Listener(boost::asio::io_context& io, std::string name, size_t max_connections,
           Handoff handoff);

  void Accept();
  void ScheduleSweep();
  void OnAccepted(const boost::system::error_code& error, tcp::socket socket);
  void RetryAfterBackoff(const boost::system::error_code& error);
  // Descriptors handed on: forgets those whose socket is gone.
  void SweepHandedDescriptors();
  bool AtCapacity();

  struct Handed {
    int fd;
    dev_t device;
    ino_t inode;
  };

  boost::asio::io_context& io_;
  tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_timer_;
  boost::asio::steady_timer sweep_timer_;
  const std::string name_;
  const size_t max_connections_;
  const Handoff handoff_;
  std::shared_ptr<ListenerStats> stats_ = std::make_shared<ListenerStats>();
  std::vector<Handed> handed_;  // descriptor handoff only
  int backoff_ms_ = 0;
  uint64_t errors_logged_ = 0;
  int port_ = 0;
};

}  // namespace swabwave::services::net

#endif  // SWABWAVE_SERVICES_NET_LISTENER_H_
