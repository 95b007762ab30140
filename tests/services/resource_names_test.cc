#include "services/api/resource_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swabwave::services {
namespace {

using ::testing::HasSubstr;

TEST(ResourceNamesTest, RoundNames) {
  EXPECT_EQ(*ParseRoundName("rounds/r-2026.11"), "r-2026.11");
  EXPECT_EQ(RoundName("r1"), "rounds/r1");
  for (const char* bad : {"", "r1", "rounds/", "rounds/a/b", "round/r1", "rounds/a b"}) {
    absl::StatusOr<std::string> parsed = ParseRoundName(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(parsed.status().message(), HasSubstr("round")) << bad;
  }
}

TEST(ResourceNamesTest, DeskNames) {
  absl::StatusOr<DeskName> desk = ParseDeskName("sites/s-01/desks/12");
  ASSERT_TRUE(desk.ok());
  EXPECT_EQ(desk->site_id, "s-01");
  EXPECT_EQ(desk->number, 12);
  for (const char* bad : {"", "sites/s1/desks/0", "sites/s1/desks/-1", "sites/s1/desks/x",
                          "sites/s1/desk/1", "s1/desks/1", "sites//desks/1"}) {
    EXPECT_EQ(ParseDeskName(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ResourceNamesTest, PageTokensAndSizes) {
  EXPECT_EQ(*DecodePageToken(""), 0u);
  EXPECT_EQ(*DecodePageToken(EncodePageToken(1234)), 1234u);
  EXPECT_THAT(DecodePageToken("xyz").status().message(), HasSubstr("next_page_token"));
  EXPECT_EQ(*PageSize(0, 50, 1000), 50u);
  EXPECT_EQ(*PageSize(7, 50, 1000), 7u);
  EXPECT_THAT(PageSize(1001, 50, 1000).status().message(), HasSubstr("between 1 and 1000"));
  EXPECT_FALSE(PageSize(-3, 50, 1000).ok());
}

TEST(ResourceNamesTest, RequestIds) {
  EXPECT_TRUE(CheckRequestId("a").ok());
  EXPECT_TRUE(CheckRequestId(std::string(128, 'x')).ok());
  EXPECT_THAT(CheckRequestId("").message(), HasSubstr("required"));
  EXPECT_THAT(CheckRequestId(std::string(129, 'x')).message(), HasSubstr("at most 128"));
}

}  // namespace
}  // namespace swabwave::services
