// The server as operations see it: the standard health service, server
// reflection (grpcurl), the HTTP side port, and a graceful shutdown.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "absl/strings/str_cat.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::Shape;
using ::testing::HasSubstr;

std::string BufferToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// grpc.health.v1.Health/Check for the whole server, through the generic
// stub (Debian ships no generated health stubs). The request is empty; the
// response is field 1 (status) as a varint: SERVING = 1, NOT_SERVING = 2.
grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::ByteBuffer request, reply;
  grpc::Slice empty("", 0);
  request = grpc::ByteBuffer(&empty, 1);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &reply,
                 [&](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  if (status.ok()) *response = BufferToString(reply);
  return status;
}

// One HTTP/1.1 GET on loopback; returns the whole response.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return "";
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  (void)write(fd, request.data(), request.size());
  std::string response;
  char buffer[65536];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
  close(fd);
  return response;
}

using ServerSurfaceTest = testing::ServerTest;

TEST_F(ServerSurfaceTest, HealthIsServingUntilShutdown) {
  std::string response;
  ASSERT_TRUE(HealthCheck(client_->channel(), &response).ok());
  EXPECT_EQ(response, std::string("\x08\x01", 2));  // SERVING
  server_->Shutdown(absl::Seconds(1));
  const grpc::Status after = HealthCheck(client_->channel(), &response);
  EXPECT_FALSE(after.ok() && response == std::string("\x08\x01", 2));
}

TEST_F(ServerSurfaceTest, ReflectionListsTheServices) {
  // grpc.reflection.v1alpha ServerReflectionInfo, list_services (field 7).
  grpc::GenericStub stub(client_->channel());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::Slice list("\x3a\x00", 2);
  grpc::ByteBuffer request(&list, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  const std::string services = BufferToString(reply);
  EXPECT_THAT(services, HasSubstr("swabwave.v1.CheckInService"));
  EXPECT_THAT(services, HasSubstr("swabwave.v1.PlanningService"));
  EXPECT_THAT(services, HasSubstr("swabwave.v1.ProgressService"));
  EXPECT_THAT(services, HasSubstr("grpc.health.v1.Health"));
  call->WritesDone(reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(5)) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(ServerSurfaceTest, SidePortServesHealthAndMetrics) {
  EXPECT_THAT(HttpGet(server_->http_port(), "/healthz"), HasSubstr("200 OK"));
  EXPECT_THAT(HttpGet(server_->http_port(), "/nope"), HasSubstr("404"));
  OpenRound(Shape{}, "r");
  ASSERT_TRUE(OpenTube("r", "sites/tc-s0/desks/1", "TUBE-1").ok());
  for (int r = 1; r <= 3; ++r) {
    ASSERT_TRUE(CheckIn("r", "sites/tc-s0/desks/1", ResidentCode("tc", r)).ok());
  }
  EXPECT_EQ(CheckIn("r", "sites/tc-s0/desks/2", ResidentCode("tc", 1)).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CheckIn("r", "sites/tc-s0/desks/1", "NOBODY").error_code(),
            grpc::StatusCode::NOT_FOUND);
  const std::string metrics = HttpGet(server_->http_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("swabwave_check_ins_total{result=\"sampled\"} 3\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_check_ins_total{result=\"already_sampled\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_check_ins_total{result=\"unknown_resident\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_site_check_ins_total{round=\"r\",site=\"tc-s0\"} 3\n"));
  EXPECT_THAT(metrics,
              HasSubstr("swabwave_rpc_seconds_bucket{method=\"CheckIn\",le=\"+Inf\"} 5\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_round_remaining{round=\"r\"} 21\n"));
  // No resident code ever appears in the metrics.
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr(ResidentCode("tc", 1))));
  server_->Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace swabwave::services
