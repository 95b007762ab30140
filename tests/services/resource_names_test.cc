// Resource names, page tokens, page sizes and request ids: what every
// service checks first, with messages that say what was expected.
#include "services/api/resource_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace swabwave::services {
namespace {

using ::testing::HasSubstr;

TEST(ParseRoundNameTest, AcceptsRoundsSlashId) {
  absl::StatusOr<std::string> id = ParseRoundName("rounds/r-2026.11_a:1");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "r-2026.11_a:1");
  EXPECT_EQ(RoundName("r1"), "rounds/r1");
  EXPECT_EQ(*ParseRoundName(RoundName("x")), "x");
}

TEST(ParseRoundNameTest, EmptyIsRequired) {
  const absl::Status status = ParseRoundName("").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("round is required"));
}

TEST(ParseRoundNameTest, MalformedNamesSayWhatIsExpected) {
  for (const char* bad : {"r1", "round1", "rounds/", "rounds/a/b", "round/r1", "rounds/a b",
                          "Rounds/r1", "/rounds/r1"}) {
    const absl::Status status = ParseRoundName(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("'", bad, "'"))) << bad;
    EXPECT_THAT(status.message(), HasSubstr("expected \"rounds/{round_id}\"")) << bad;
  }
  // An id over 64 characters is not a round id.
  EXPECT_FALSE(ParseRoundName("rounds/" + std::string(65, 'a')).ok());
  EXPECT_TRUE(ParseRoundName("rounds/" + std::string(64, 'a')).ok());
}

TEST(ParseRoundNameTest, EchoOfAHugeNameIsTruncated) {
  const absl::Status status = ParseRoundName(std::string(10000, 'x')).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(status.message().size(), 300u);
}

TEST(ParseDeskNameTest, AcceptsSitesDesks) {
  absl::StatusOr<DeskName> desk = ParseDeskName("sites/s-01/desks/12");
  ASSERT_TRUE(desk.ok()) << desk.status();
  EXPECT_EQ(desk->site_id, "s-01");
  EXPECT_EQ(desk->number, 12);
}

TEST(ParseDeskNameTest, AcceptsTeams) {
  absl::StatusOr<DeskName> desk = ParseDeskName("communities/kangcheng/teams/3");
  ASSERT_TRUE(desk.ok()) << desk.status();
  EXPECT_TRUE(desk->team());
  EXPECT_EQ(desk->community_id, "kangcheng");
  EXPECT_TRUE(desk->site_id.empty());
  EXPECT_EQ(desk->number, 3);
  EXPECT_FALSE(ParseDeskName("sites/s-01/desks/12")->team());
}

TEST(ParseDeskNameTest, EmptyIsRequired) {
  const absl::Status status = ParseDeskName("").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("desk is required"));
}

TEST(ParseDeskNameTest, MalformedNamesSayWhatIsExpected) {
  for (const char* bad :
       {"sites/s1/desks/0", "sites/s1/desks/-1", "sites/s1/desks/x", "sites/s1/desk/1",
        "s1/desks/1", "sites//desks/1", "sites/s1/desks/", "sites/s1/desks/1/x",
        "sites/s 1/desks/1", "sites/s1/desks/99999999999", "communities/c/teams/0",
        "communities/c/desks/1", "sites/s1/teams/1", "communities//teams/1"}) {
    const absl::Status status = ParseDeskName(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("sites/{site_id}/desks/{n}")) << bad;
    EXPECT_THAT(status.message(), HasSubstr("n >= 1")) << bad;
  }
}

TEST(CheckRequestIdTest, OneTo128Bytes) {
  EXPECT_TRUE(CheckRequestId("a").ok());
  EXPECT_TRUE(CheckRequestId(std::string(128, 'x')).ok());
  const absl::Status empty = CheckRequestId("");
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.message(), HasSubstr("request_id is required"));
  const absl::Status long_id = CheckRequestId(std::string(129, 'x'));
  EXPECT_EQ(long_id.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(long_id.message(), HasSubstr("request_id is 129 bytes; at most 128"));
}

}  // namespace
}  // namespace swabwave::services
