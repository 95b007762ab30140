// net::Listener under a descriptor limit (docs/security.md item 3): an
// accept that fails with EMFILE is retried, and the port serves again once
// descriptors come free; past its cap a connection is closed at once.
// Each test lowers this process's own RLIMIT_NOFILE and puts it back.
#include "services/net/listener.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace swabwave::services::net {
namespace {

namespace asio = boost::asio;

// Runs a listener on its own io thread; counts the connections handed on.
class Served {
 public:
  explicit Served(size_t max_connections) : work_(asio::make_work_guard(io_)) {
    Listener::Handoff handoff;
    handoff.socket = [this](tcp::socket socket, std::unique_ptr<ConnectionTicket> ticket) {
      handed_.fetch_add(1);
      held_.push_back({std::move(socket), std::move(ticket)});
    };
    auto listener = Listener::Bind(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
                                   "test", max_connections, std::move(handoff));
    EXPECT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
    listener_->Start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Served() {
    listener_->Close();
    asio::post(io_, [this] { held_.clear(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }
  // Ends every connection held so far (on the io thread).
  void DropAll() {
    std::atomic<bool> done{false};
    asio::post(io_, [this, &done] {
      held_.clear();
      done = true;
    });
    while (!done) absl::SleepFor(absl::Milliseconds(1));
  }

  int port() const { return listener_->port(); }
  const ListenerStats& stats() const { return *listener_->stats(); }
  int handed() const { return handed_.load(); }

 private:
  struct Held {
    tcp::socket socket;
    std::unique_ptr<ConnectionTicket> ticket;
  };
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::shared_ptr<Listener> listener_;
  std::vector<Held> held_;  // io thread only
  std::atomic<int> handed_{0};
  std::thread thread_;
};

// A blocking client socket connected to 127.0.0.1:port, or -1.
int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Waits up to 5 s for `condition`.
template <typename F>
bool Eventually(F condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return condition();
}

// Lowers the soft descriptor limit for the test's life.
class LowerOpenFileLimit {
 public:
  explicit LowerOpenFileLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    ::setrlimit(RLIMIT_NOFILE, &lowered);
  }
  ~LowerOpenFileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

// Not in the sanitizer build: UBSan's vptr check probes memory through a
// pipe, which fails while the process is out of descriptors, and it then
// reports a bad vptr on the next virtual call (tests/services/CMakeLists.txt).
#ifndef SWABWAVE_SANITIZED
TEST(ListenerTest, AcceptsAgainOnceDescriptorsComeFreeAfterEmfile) {
  Served served(1000);
  // The clients' sockets come first; then every free descriptor is taken,
  // so the listener's accept fails with EMFILE while they connect.
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    clients.push_back(fd);
  }
  std::vector<int> filler;
  {
    LowerOpenFileLimit limit(256);
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) filler.push_back(fd);
    ASSERT_EQ(errno, EMFILE);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(served.port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int fd : clients) {
      // The kernel completes the handshake into the backlog.
      ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    }
    EXPECT_TRUE(Eventually([&] { return served.stats().accept_errors_total.load() >= 2; }))
        << "the listener never failed to accept";
    EXPECT_EQ(served.handed(), 0);
    for (int fd : filler) ::close(fd);
    // Served again within the backoff (at most a second), not never.
    EXPECT_TRUE(Eventually([&] { return served.handed() == 3; })) << served.handed();
  }
  for (int fd : clients) ::close(fd);
  // And a new client after that, as usual.
  const int late = Connect(served.port());
  ASSERT_GE(late, 0);
  EXPECT_TRUE(Eventually([&] { return served.handed() == 4; }));
  ::close(late);
}

#endif  // SWABWAVE_SANITIZED

TEST(ListenerTest, PastItsCapAConnectionIsClosedAtOnceAndCounted) {
  Served served(2);
  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) {
    const int fd = Connect(served.port());
    ASSERT_GE(fd, 0);
    clients.push_back(fd);
  }
  EXPECT_TRUE(Eventually([&] { return served.stats().refused_total.load() == 3; }));
  EXPECT_EQ(served.handed(), 2);
  EXPECT_EQ(served.stats().connections.load(), 2u);
  // A refused client reads end-of-file at once instead of waiting.
  char byte;
  EXPECT_EQ(::read(clients[4], &byte, 1), 0);
  // Room again once the held ones end.
  served.DropAll();
  EXPECT_EQ(served.stats().connections.load(), 0u);
  const int next = Connect(served.port());
  ASSERT_GE(next, 0);
  EXPECT_TRUE(Eventually([&] { return served.handed() == 3; }));
  ::close(next);
  for (int fd : clients) ::close(fd);
}

TEST(ListenerTest, ListenAddressesParseOrSayWhatIsWrong) {
  EXPECT_EQ(ParseListenAddress("127.0.0.1:80")->port(), 80);
  EXPECT_TRUE(ParseListenAddress("[::1]:0")->address().is_v6());
  EXPECT_TRUE(ParseListenAddress("localhost:0").ok());
  EXPECT_EQ(ParseListenAddress("127.0.0.1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseListenAddress("127.0.0.1:70000").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace swabwave::services::net
