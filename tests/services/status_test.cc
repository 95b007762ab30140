// BoundedMessage (services/api/status.h): what an answer or a log line may
// carry of a message that echoes input (issue 25 item 8).
#include "services/api/status.h"

#include <gtest/gtest.h>

#include <string>

namespace swabwave::services {
namespace {

TEST(BoundedMessageTest, AShortPrintableMessageIsUnchanged) {
  EXPECT_EQ(BoundedMessage("site 's01' has no desk 9"), "site 's01' has no desk 9");
  EXPECT_EQ(BoundedMessage("楼 12 单元 3"), "楼 12 单元 3");
}

TEST(BoundedMessageTest, ControlCharactersAreEscapedSoNoLineCanBeForged) {
  EXPECT_EQ(BoundedMessage("id 'x\n2026-12-05 [error] forged'"),
            "id 'x\\n2026-12-05 [error] forged'");
  EXPECT_EQ(BoundedMessage(std::string("a\0b\x1b[31m\r\t\x7f", 11)), "a\\x00b\\x1b[31m\\r\\t\\x7f");
}

TEST(BoundedMessageTest, ALongMessageIsCutAtACharacterBoundaryWithWhatWasCut) {
  const std::string ascii = "staff member '" + std::string(60'000, 's') + "' is unknown";
  const std::string cut = BoundedMessage(ascii);
  EXPECT_LE(cut.size(), kMaxMessageBytes);
  EXPECT_EQ(cut.rfind("staff member 'sss", 0), 0u);
  EXPECT_NE(cut.find(" more bytes)"), std::string::npos) << cut;
  // Three-byte characters: whatever the cut, no character is split.
  for (size_t prefix = 0; prefix < 3; ++prefix) {
    std::string wide(prefix, 'x');
    for (int i = 0; i < 2'000; ++i) wide += "楼";
    const std::string shown = BoundedMessage(wide);
    ASSERT_LE(shown.size(), kMaxMessageBytes);
    const size_t body = shown.find("...");
    ASSERT_NE(body, std::string::npos);
    EXPECT_EQ((body - prefix) % 3, 0u) << "a character was split after prefix " << prefix;
    // What the note says was cut, and what was shown, add up to the input.
    const size_t more = std::stoul(shown.substr(body + 5));
    EXPECT_EQ(body + more, wide.size());
  }
}

TEST(BoundedMessageTest, ToGrpcStatusBoundsEveryMessage) {
  const grpc::Status status =
      ToGrpcStatus(absl::InvalidArgumentError("x\n" + std::string(5'000, 'y')));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(status.error_message().size(), kMaxMessageBytes);
  EXPECT_EQ(status.error_message().find('\n'), std::string::npos);
}

TEST(RetryPushbackTest, TheRetryHintInTheMessageIsThePushback) {
  using grpc::StatusCode;
  EXPECT_EQ(RetryPushback(grpc::Status(StatusCode::RESOURCE_EXHAUSTED,
                                       "the server's journal queue is full (the disk is behind); "
                                       "retry in 100 ms with the same request_id")),
            "100");
  EXPECT_EQ(RetryPushback(grpc::Status(StatusCode::RESOURCE_EXHAUSTED,
                                       "this token is over its rate limit of 1 requests per "
                                       "second; retry in 734 ms")),
            "734");
  // No hint, or a hint that does not read: do not retry.
  EXPECT_EQ(RetryPushback(grpc::Status(StatusCode::RESOURCE_EXHAUSTED, "too many waves")), "-1");
  EXPECT_EQ(RetryPushback(grpc::Status(StatusCode::RESOURCE_EXHAUSTED, "retry in a while")),
            "-1");
  // Other codes: the client's own backoff.
  EXPECT_EQ(RetryPushback(grpc::Status(StatusCode::UNAVAILABLE, "draining; retry in 5 ms")), "");
  EXPECT_EQ(RetryPushback(grpc::Status::OK), "");
}

}  // namespace
}  // namespace swabwave::services
