// A real swabwaved under a low descriptor limit (docs/security.md item 3):
// idle connections from an anonymous client take every descriptor the
// process may open; once they close, a normal client is served again
// within seconds on both ports. And with the default caps the server never
// runs out at all: connections past a port's cap are closed as they come.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/services/server_process.h"
#include "tests/services/test_server.h"

#ifndef SWABWAVED_PATH
#error "SWABWAVED_PATH must name the swabwaved binary"
#endif

namespace swabwave::services::testing {
namespace {

using ::testing::HasSubstr;

// Opens up to `count` idle TCP connections to 127.0.0.1:port.
std::vector<int> OpenIdle(int port, int count) {
  std::vector<int> fds;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd);
      continue;
    }
    fds.push_back(fd);
  }
  return fds;
}

// One GET on a fresh connection; the whole response, or "" on failure.
std::string HttpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = ::read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
    }
  }
  ::close(fd);
  return response;
}

class DescriptorExhaustionTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    // The test's own connections need descriptors of their own.
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    work_dir_ = (std::filesystem::path(::testing::TempDir()) /
                 absl::StrCat("swabwave-fds-", getpid()))
                    .string();
    std::filesystem::remove_all(work_dir_);
    std::filesystem::create_directories(work_dir_);
  }
  void TearDown() override {
    client_.reset();
    std::filesystem::remove_all(work_dir_);
    ServerTest::TearDown();
  }

  // A gRPC call and an HTTP /healthz both succeed within 5 s.
  void ExpectServedWithinSeconds(int grpc_port, int http_port) {
    client_ = std::make_unique<Client>(absl::StrCat("127.0.0.1:", grpc_port));
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    grpc::Status grpc_status;
    std::string health;
    do {
      grpc_status = GetRound("rounds/none");
      health = HttpGet(http_port, "/healthz");
      if (grpc_status.error_code() == grpc::StatusCode::NOT_FOUND &&
          health.find("200 OK") != std::string::npos) {
        return;
      }
      client_ = std::make_unique<Client>(absl::StrCat("127.0.0.1:", grpc_port));
      absl::SleepFor(absl::Milliseconds(100));
    } while (absl::Now() < deadline);
    ADD_FAILURE() << "not served 5 s after the descriptors came free: gRPC "
                  << grpc_status.error_code() << " " << grpc_status.error_message()
                  << ", HTTP '" << health << "'";
  }

  std::string work_dir_;
};

TEST_F(DescriptorExhaustionTest, BothPortsServeAgainOnceIdleConnectionsLetGoOfEveryDescriptor) {
  // Caps far past the limit, so that connections really take every
  // descriptor the process may open.
  ServerProcess server(SWABWAVED_PATH,
                       {"--http_listen=127.0.0.1:0", "--data_dir=" + work_dir_ + "/data",
                        "--auth=none", "--max_grpc_connections=100000",
                        "--max_http_connections=100000"},
                       work_dir_ + "/exhausted.log", {.open_files = 128});
  const int grpc_port = server.WaitForPort();
  ASSERT_GT(grpc_port, 0) << server.Log();
  const int http_port = server.http_port();
  std::vector<int> grpc_idle = OpenIdle(grpc_port, 200);
  std::vector<int> http_idle = OpenIdle(http_port, 200);
  absl::SleepFor(absl::Seconds(1));  // the server tries, and fails, to accept the rest
  EXPECT_FALSE(server.Exited()) << server.Log();
  for (int fd : grpc_idle) ::close(fd);
  for (int fd : http_idle) ::close(fd);
  ExpectServedWithinSeconds(grpc_port, http_port);
  EXPECT_THAT(server.Log(), HasSubstr("Too many open files"));
  EXPECT_THAT(HttpGet(http_port, "/metrics"),
              ::testing::ContainsRegex("swabwave_listener_accept_errors_total\\{port=\"grpc\"\\} "
                                       "[1-9]"));
  EXPECT_EQ(server.Stop(), 0) << server.Log();
}

TEST_F(DescriptorExhaustionTest, DefaultCapsKeepDescriptorsFreeAndRefuseTheRest) {
  ServerProcess server(SWABWAVED_PATH,
                       {"--http_listen=127.0.0.1:0", "--data_dir=" + work_dir_ + "/data",
                        "--auth=none"},
                       work_dir_ + "/capped.log", {.open_files = 256});
  const int grpc_port = server.WaitForPort();
  ASSERT_GT(grpc_port, 0) << server.Log();
  const int http_port = server.http_port();
  std::vector<int> grpc_idle = OpenIdle(grpc_port, 300);
  std::vector<int> http_idle = OpenIdle(http_port, 300);
  absl::SleepFor(absl::Milliseconds(500));
  // 256 descriptors, 64 kept free: 168 for gRPC, 24 for HTTP.
  for (int fd : grpc_idle) ::close(fd);
  for (int fd : http_idle) ::close(fd);
  ExpectServedWithinSeconds(grpc_port, http_port);
  const std::string metrics = HttpGet(http_port, "/metrics");
  EXPECT_THAT(metrics, HasSubstr("swabwave_listener_max_connections{port=\"grpc\"} 168"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_listener_max_connections{port=\"http\"} 24"));
  EXPECT_THAT(metrics, ::testing::ContainsRegex(
                           "swabwave_listener_refused_total\\{port=\"grpc\"\\} [1-9]"));
  EXPECT_THAT(metrics, ::testing::ContainsRegex(
                           "swabwave_listener_refused_total\\{port=\"http\"\\} [1-9]"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_listener_accept_errors_total{port=\"grpc\"} 0"));
  EXPECT_THAT(server.Log(), ::testing::Not(HasSubstr("Too many open files")));
  EXPECT_EQ(server.Stop(), 0) << server.Log();
}

}  // namespace
}  // namespace swabwave::services::testing
