// The server as operations see it: the standard grpc.health.v1 service,
// server reflection (what grpcurl uses), the HTTP side port (/healthz,
// /metrics) and a graceful shutdown with calls still open.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/api/proto_convert.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::services::testing::Code;
using ::swabwave::services::testing::CommunitySpec;
using ::swabwave::services::testing::Desk;
using ::swabwave::services::testing::HttpGet;
using ::swabwave::services::testing::HttpReply;
using ::swabwave::services::testing::HttpRequest;
using ::testing::HasSubstr;
using ::testing::Not;

// grpc.health.v1.HealthCheckResponse.ServingStatus.
constexpr int kServing = 1;
constexpr int kNotServing = 2;

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return "";
  std::string out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// A HealthCheckResponse is one varint field (1: status); proto3 leaves it
// out when it is 0 (UNKNOWN). Debian ships no generated health stubs, so
// the two bytes are read by hand. -1: not a HealthCheckResponse.
int HealthStatusOf(const std::string& bytes) {
  if (bytes.empty()) return 0;
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
  return -1;
}

// One call through the generic stub, driven step by step on its own
// completion queue; every step waits at most until the call's deadline
// (plus a margin), so a silent server fails the test instead of hanging it.
class GenericCall {
 public:
  GenericCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method)
      : stub_(channel), deadline_(absl::Now() + absl::Seconds(10)) {
    context_.set_deadline(absl::ToChronoTime(deadline_));
    call_ = stub_.PrepareCall(&context_, method, &cq_);
    call_->StartCall(Tag(kStart));
    started_ = Wait(kStart);
  }

  ~GenericCall() {
    context_.TryCancel();
    if (started_ && !finished_) (void)Finish();
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.AsyncNext(&tag, &ok, absl::ToChronoTime(absl::Now() + absl::Seconds(5))) ==
           grpc::CompletionQueue::GOT_EVENT) {
    }
  }

  bool started() const { return started_; }
  bool Write(const std::string& bytes) {
    const grpc::ByteBuffer buffer = ToBuffer(bytes);
    call_->Write(buffer, Tag(kWrite));
    return Wait(kWrite);
  }
  bool WritesDone() {
    call_->WritesDone(Tag(kWritesDone));
    return Wait(kWritesDone);
  }
  bool Read(std::string* bytes) {
    grpc::ByteBuffer buffer;
    call_->Read(&buffer, Tag(kRead));
    if (!Wait(kRead)) return false;
    *bytes = FromBuffer(buffer);
    return true;
  }
  grpc::Status Finish() {
    grpc::Status status;
    call_->Finish(&status, Tag(kFinish));
    finished_ = true;
    if (!Wait(kFinish)) return grpc::Status(grpc::StatusCode::UNKNOWN, "finish never completed");
    return status;
  }
  void Cancel() { context_.TryCancel(); }

 private:
  enum Step : intptr_t { kStart = 1, kWrite, kWritesDone, kRead, kFinish };
  static void* Tag(Step step) { return reinterpret_cast<void*>(step); }

  // One operation is in flight at a time, so the next event is its own.
  bool Wait(Step step) {
    void* tag = nullptr;
    bool ok = false;
    const auto limit = absl::ToChronoTime(deadline_ + absl::Seconds(5));
    while (cq_.AsyncNext(&tag, &ok, limit) == grpc::CompletionQueue::GOT_EVENT) {
      if (tag == Tag(step)) return ok;
    }
    ADD_FAILURE() << "step " << step << " did not complete";
    return false;
  }

  grpc::GenericStub stub_;
  const absl::Time deadline_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  bool started_ = false;
  bool finished_ = false;
};

// grpc.health.v1.Health/Check for the whole server (service "").
grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel, int* serving_status) {
  GenericCall call(channel, "/grpc.health.v1.Health/Check");
  if (!call.started()) return call.Finish();
  call.Write("");  // an empty HealthCheckRequest: the server as a whole
  call.WritesDone();
  std::string reply;
  const bool got = call.Read(&reply);
  const grpc::Status status = call.Finish();
  if (status.ok()) *serving_status = got ? HealthStatusOf(reply) : -1;
  return status;
}

// Whether a TCP connection to the loopback port is accepted.
bool CanConnect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

using ServerSurfaceTest = testing::ServerTest;

// -------------------------------------------------------------------- health

TEST_F(ServerSurfaceTest, HealthIsServing) {
  int serving = -1;
  const grpc::Status status = HealthCheck(client_->channel(), &serving);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(serving, kServing);
}

TEST_F(ServerSurfaceTest, HealthIsNotServingOnceShutDown) {
  server_->Shutdown(absl::Milliseconds(200));
  int serving = -1;
  const grpc::Status status = HealthCheck(client_->channel(), &serving);
  // The listener is gone, so the check cannot even connect; were it still
  // answering, it would have to say NOT_SERVING.
  if (status.ok()) {
    EXPECT_EQ(serving, kNotServing);
  } else {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
}

TEST_F(ServerSurfaceTest, HealthWatcherSeesNotServingWhenShutdownStarts) {
  GenericCall watch(client_->channel(), "/grpc.health.v1.Health/Watch");
  ASSERT_TRUE(watch.started());
  ASSERT_TRUE(watch.Write(""));
  ASSERT_TRUE(watch.WritesDone());
  std::string reply;
  ASSERT_TRUE(watch.Read(&reply));
  EXPECT_EQ(HealthStatusOf(reply), kServing);
  // Shutdown blocks for its grace while the watch is open: run it aside.
  std::thread shutdown([&] { server_->Shutdown(absl::Milliseconds(500)); });
  int last = kServing;
  for (int updates = 0; updates < 10 && last == kServing && watch.Read(&reply); ++updates) {
    last = HealthStatusOf(reply);
  }
  watch.Cancel();
  shutdown.join();
  EXPECT_EQ(last, kNotServing);
}

// ---------------------------------------------------------------- reflection

TEST_F(ServerSurfaceTest, ReflectionListsEveryService) {
  // The reflection messages are compiled into libgrpc++_reflection (linked
  // through swabwave::api), though Debian ships no headers for them.
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  const google::protobuf::Descriptor* request_type =
      pool->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionRequest");
  const google::protobuf::Descriptor* response_type =
      pool->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionResponse");
  ASSERT_NE(request_type, nullptr);
  ASSERT_NE(response_type, nullptr);
  google::protobuf::MessageFactory* factory = google::protobuf::MessageFactory::generated_factory();
  std::unique_ptr<google::protobuf::Message> request(factory->GetPrototype(request_type)->New());
  request->GetReflection()->SetString(request.get(), request_type->FindFieldByName("list_services"),
                                      "*");

  GenericCall call(client_->channel(),
                   "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  ASSERT_TRUE(call.started());
  ASSERT_TRUE(call.Write(request->SerializeAsString()));
  std::string reply;
  ASSERT_TRUE(call.Read(&reply));
  ASSERT_TRUE(call.WritesDone());
  EXPECT_TRUE(call.Finish().ok());

  std::unique_ptr<google::protobuf::Message> response(factory->GetPrototype(response_type)->New());
  ASSERT_TRUE(response->ParseFromString(reply));
  const google::protobuf::FieldDescriptor* list_field =
      response_type->FindFieldByName("list_services_response");
  ASSERT_NE(list_field, nullptr);
  ASSERT_TRUE(response->GetReflection()->HasField(*response, list_field))
      << response->DebugString();
  const google::protobuf::Message& list =
      response->GetReflection()->GetMessage(*response, list_field);
  const google::protobuf::FieldDescriptor* service_field =
      list.GetDescriptor()->FindFieldByName("service");
  std::vector<std::string> names;
  for (int i = 0; i < list.GetReflection()->FieldSize(list, service_field); ++i) {
    const google::protobuf::Message& service =
        list.GetReflection()->GetRepeatedMessage(list, service_field, i);
    names.push_back(service.GetReflection()->GetString(
        service, service.GetDescriptor()->FindFieldByName("name")));
  }
  EXPECT_THAT(names,
              ::testing::IsSupersetOf({"swabwave.v1.PlanningService", "swabwave.v1.CheckInService",
                                       "swabwave.v1.ProgressService", "grpc.health.v1.Health",
                                       "grpc.reflection.v1alpha.ServerReflection"}));
}

// ------------------------------------------------------------ HTTP side port

TEST_F(ServerSurfaceTest, HealthzIsOk) {
  const HttpReply reply = HttpGet(server_->http_port(), "/healthz");
  EXPECT_EQ(reply.status, 200) << reply.headers;
  EXPECT_EQ(reply.body, "ok\n");
}

TEST_F(ServerSurfaceTest, UnknownPathIsNotFound) {
  const HttpReply reply = HttpGet(server_->http_port(), "/nope");
  EXPECT_EQ(reply.status, 404) << reply.headers;
  EXPECT_THAT(reply.body, HasSubstr("try /healthz or /metrics"));
}

TEST_F(ServerSurfaceTest, OnlyGetIsServed) {
  const HttpReply reply = HttpRequest(server_->http_port(), "POST", "/healthz");
  EXPECT_EQ(reply.status, 405) << reply.headers;
  EXPECT_THAT(reply.body, HasSubstr("only GET"));
}

TEST_F(ServerSurfaceTest, MetricsCountCheckInsByResult) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const std::string desk1 = Desk("tc-s0", 1), desk2 = Desk("tc-s0", 2);
  ASSERT_TRUE(OpenTube("r", desk1, "TUBE-1").ok());
  for (int n = 1; n <= 3; ++n) ASSERT_TRUE(CheckIn("r", desk1, Code("tc", n)).ok()) << n;
  // Two more on a stream: metrics count both paths.
  std::vector<v1::CheckInOutcome> outcomes;
  v1::CheckInStreamRequest message;
  *message.add_check_ins() = CheckInRequest("r", desk1, Code("tc", 4));
  *message.add_check_ins() = CheckInRequest("r", desk1, Code("tc", 5));
  ASSERT_TRUE(Stream({message}, &outcomes).ok());
  EXPECT_EQ(CheckIn("r", desk2, Code("tc", 1)).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CheckIn("r", desk1, "NOBODY-1").error_code(), grpc::StatusCode::NOT_FOUND);

  const HttpReply reply = HttpGet(server_->http_port(), "/metrics");
  ASSERT_EQ(reply.status, 200) << reply.headers;
  EXPECT_THAT(reply.headers, HasSubstr("text/plain; version=0.0.4"));
  const std::string& metrics = reply.body;
  EXPECT_THAT(metrics, HasSubstr("swabwave_check_ins_total{result=\"sampled\"} 5\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_check_ins_total{result=\"already_sampled\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_check_ins_total{result=\"unknown_resident\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_check_ins_total{result=\"replayed\"} 0\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_site_check_ins_total{round=\"r\",site=\"tc-s0\"} 5\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_round_sampled{round=\"r\"} 5\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_round_remaining{round=\"r\"} 43\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_round_open{round=\"r\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("swabwave_rpcs_total{method=\"CheckIn\",code=\"OK\"} 3\n"));
  EXPECT_THAT(metrics,
              HasSubstr("swabwave_rpcs_total{method=\"CheckIn\",code=\"ALREADY_EXISTS\"} 1\n"));
  // No resident code ever reaches the metrics.
  for (int n = 1; n <= 5; ++n) EXPECT_THAT(metrics, Not(HasSubstr(Code("tc", n))));
  EXPECT_THAT(metrics, Not(HasSubstr("NOBODY-1")));
}

// ------------------------------------------------------------------ lifecycle

// Two servers on one port would each hold their own state while the kernel
// split the tablets' connections between them.
TEST_F(ServerSurfaceTest, GrpcPortInUseIsUnavailable) {
  const std::string address = absl::StrCat("127.0.0.1:", server_->port());
  absl::StatusOr<std::unique_ptr<SwabwaveServer>> second =
      SwabwaveServer::Start(ServerOptions{.listen = address, .http_listen = ""});
  ASSERT_FALSE(second.ok()) << "a second server started on " << address;
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("cannot listen for gRPC on " + address));
  EXPECT_TRUE(GetRound("rounds/none").error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerSurfaceTest, HttpPortInUseIsUnavailable) {
  absl::StatusOr<std::unique_ptr<SwabwaveServer>> second = SwabwaveServer::Start(ServerOptions{
      .listen = "127.0.0.1:0", .http_listen = absl::StrCat("127.0.0.1:", server_->http_port())});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("cannot listen for HTTP"));
  // The first server is untouched.
  EXPECT_EQ(HttpGet(server_->http_port(), "/healthz").status, 200);
}

TEST_F(ServerSurfaceTest, BadHttpAddressIsRefused) {
  absl::StatusOr<std::unique_ptr<SwabwaveServer>> second =
      SwabwaveServer::Start(ServerOptions{.listen = "127.0.0.1:0", .http_listen = "nonsense"});
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("must be host:port"));
}

TEST_F(ServerSurfaceTest, ShutdownWithOpenStreamsFinishesAndRefusesNewCalls) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  // A watcher and a tablet stream, both left open.
  v1::WatchProgressRequest watch_request;
  watch_request.set_round("rounds/r");
  ToProto(absl::Milliseconds(100), watch_request.mutable_interval());
  auto watch_context = Context();
  auto watch = client_->progress().WatchProgress(watch_context.get(), watch_request);
  v1::WatchProgressResponse update;
  ASSERT_TRUE(watch->Read(&update));
  auto stream_context = Context();
  auto stream = client_->checkin().CheckInStream(stream_context.get());
  v1::CheckInStreamRequest message;
  *message.add_check_ins() = CheckInRequest("r", Desk("tc-s0", 1), "NOBODY-1");
  ASSERT_TRUE(stream->Write(message));
  v1::CheckInStreamResponse answer;
  ASSERT_TRUE(stream->Read(&answer));

  const absl::Time start = absl::Now();
  server_->Shutdown(absl::Milliseconds(300));
  // The grace, then the open calls are cancelled; nothing waits on the
  // clients' own 20 s deadlines.
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  while (watch->Read(&update)) {
  }
  EXPECT_FALSE(watch->Finish().ok());
  stream->WritesDone();
  while (stream->Read(&answer)) {
  }
  (void)stream->Finish();

  const grpc::Status after = GetRound("rounds/r");
  EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAVAILABLE) << after.error_message();
  server_->Shutdown(absl::ZeroDuration());  // idempotent
}

TEST_F(ServerSurfaceTest, SidePortIsClosedAfterShutdown) {
  const int port = server_->http_port();
  ASSERT_TRUE(CanConnect(port));
  server_->Shutdown(absl::Milliseconds(100));
  // Refused at once, not accepted by the kernel and left unanswered.
  EXPECT_FALSE(CanConnect(port));
}

TEST_F(ServerSurfaceTest, MetricsShowTheJournalOfAJournaledServer) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/swabwave-metrics-", getpid());
  std::filesystem::remove_all(dir);
  client_.reset();
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  StartServer(ServerOptions{.listen = "127.0.0.1:0", .http_listen = "127.0.0.1:0",
                            .data_dir = dir});
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const HttpReply reply = HttpGet(server_->http_port(), "/metrics");
  ASSERT_EQ(reply.status, 200);
  EXPECT_THAT(reply.body, HasSubstr("swabwave_journal_healthy 1\n"));
  EXPECT_THAT(reply.body, HasSubstr("swabwave_journal_fsyncs_total "));
  EXPECT_THAT(reply.body, HasSubstr(absl::StrCat("swabwave_journal_durable_records ",
                                                 server_->store().durable(), "\n")));
  client_.reset();
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace swabwave::services
