// Limits (issue 6): an import whose caller gave up is not applied, a
// message over the size limit and an import over the entity limit are
// refused with RESOURCE_EXHAUSTED, and a client that vanishes mid-stream
// leaves the server serving.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using testing::CommunitySpec;

class LimitsTest : public testing::ServerTest {
 protected:
  void StartWith(ServerOptions options) {
    server_->Shutdown(absl::ZeroDuration());
    server_.reset();
    options.listen = "127.0.0.1:0";
    options.http_listen = "127.0.0.1:0";
    StartServer(options);
  }
};

TEST_F(LimitsTest, AnImportWhoseDeadlinePassedIsNotApplied) {
  const engine::Community community = testing::MakeCommunity(CommunitySpec{.id = "late"});
  const std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(community, Client::NewRequestId("import"), 1000);
  {
    auto context = Context(absl::Seconds(1));
    v1::ImportCommunityResponse response;
    auto writer = client_->planning().ImportCommunity(context.get(), &response);
    for (const v1::ImportCommunityRequest& chunk : chunks) ASSERT_TRUE(writer->Write(chunk));
    // Every chunk (the last one marked) is on the server, but the client
    // does not close its side before its deadline: it gave up.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  // Nothing was imported: a new import of it succeeds (under a new
  // request id, so the request cache cannot answer for it), where an
  // applied one would make it ALREADY_EXISTS.
  v1::ImportCommunityResponse response;
  const grpc::Status retried = Import(community, &response);
  EXPECT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_EQ(response.residents(), CommunitySpec{}.residents());
}

TEST_F(LimitsTest, AMessageOverTheSizeLimitIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartWith(ServerOptions{.max_message_bytes = 64 * 1024}));
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  v1::CheckInRequest request = CheckInRequest("r", testing::Desk("tc-s0", 1), "x");
  request.set_resident_code(std::string(100 * 1024, 'A'));
  const grpc::Status status = CheckIn(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  // The server goes on serving.
  EXPECT_TRUE(GetRound("rounds/r").ok());
}

TEST_F(LimitsTest, AnImportOverTheEntityLimitIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartWith(ServerOptions{.max_import_entities = 50}));
  const engine::Community community = testing::MakeCommunity(CommunitySpec{});
  const grpc::Status status = Import(community, nullptr, 20);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find("split the city into communities"), std::string::npos)
      << status.error_message();
  // A community within the limit imports.
  const engine::Community small = testing::MakeCommunity(CommunitySpec{
      .id = "small", .buildings = 1, .units_per_building = 1, .sites = 1, .staff = 1});
  EXPECT_TRUE(Import(small).ok());
}

TEST_F(LimitsTest, AStreamCutMidWayKeepsWhatWasAnsweredAndTheServerServes) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  ASSERT_TRUE(OpenTube("r", testing::Desk("tc-s0", 1), "TUBE-1").ok());
  {
    auto context = Context();
    auto stream = client_->checkin().CheckInStream(context.get());
    v1::CheckInStreamRequest message;
    *message.add_check_ins() =
        CheckInRequest("r", testing::Desk("tc-s0", 1), testing::Code("tc", 1), "first");
    ASSERT_TRUE(stream->Write(message));
    v1::CheckInStreamResponse answer;
    ASSERT_TRUE(stream->Read(&answer));
    ASSERT_EQ(answer.outcomes_size(), 1);
    ASSERT_TRUE(answer.outcomes(0).has_result());
    // The tablet goes away without closing the stream.
    context->TryCancel();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // What was answered stays; the next stream works.
  std::vector<v1::CheckInOutcome> outcomes;
  v1::CheckInStreamRequest again;
  *again.add_check_ins() =
      CheckInRequest("r", testing::Desk("tc-s0", 1), testing::Code("tc", 1), "first");
  *again.add_check_ins() =
      CheckInRequest("r", testing::Desk("tc-s0", 1), testing::Code("tc", 2), "second");
  ASSERT_TRUE(Stream({again}, &outcomes).ok());
  const auto by_id = testing::ById(outcomes);
  EXPECT_TRUE(by_id.at("first").result().replayed());
  EXPECT_TRUE(by_id.at("second").has_result());
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(), 2);
}

}  // namespace
}  // namespace swabwave::services
