#include "services/api/paging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "swabwave/v1/planning.pb.h"
#include "swabwave/v1/progress.pb.h"

namespace swabwave::services {
namespace {

using ::testing::HasSubstr;

TEST(PageTokenTest, RoundTripsAndEmptyIsTheStart) {
  constexpr uint32_t kList = 0x5EED1234;
  EXPECT_EQ(*DecodePageToken("", kList), 0u);
  for (uint64_t position : {uint64_t{0}, uint64_t{1}, uint64_t{1234}, ~uint64_t{0}}) {
    absl::StatusOr<uint64_t> decoded = DecodePageToken(EncodePageToken(position, kList), kList);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, position);
  }
}

TEST(PageTokenTest, TokensNotIssuedHereAreInvalid) {
  for (const char* bad : {"xyz", "p", "p-1", "p1x", "12", "P12", "p99999999999999999999999",
                          "p12", "p12-", "p12-1234567", "p12-123456789", "p12-1234567g",
                          "p12-+1234567", "p-12-12345678", "p12-12345678-"}) {
    const absl::Status status = DecodePageToken(bad, 7).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("pass next_page_token unchanged")) << bad;
  }
}

// A token carries its list: handed back with another list, or with a
// changed position, it is refused, never read as a position elsewhere.
TEST(PageTokenTest, ATokenOfAnotherListOrAnEditedPositionIsInvalid) {
  const std::string token = EncodePageToken(100, 1);
  const absl::Status other_list = DecodePageToken(token, 2).status();
  EXPECT_EQ(other_list.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(other_list.message(), HasSubstr("belongs to another list"));
  std::string edited = token;
  edited[1] = '2';  // p200-...
  EXPECT_EQ(DecodePageToken(edited, 1).status().code(), absl::StatusCode::kInvalidArgument);
}

// The key covers the RPC and every field but the page's own.
TEST(PageListKeyTest, CoversTheRpcAndTheRequestButNotItsPage) {
  v1::ListUntestedRequest request;
  request.set_round("rounds/r1");
  request.set_community_id("c1");
  const uint32_t key = PageListKey("ListUntested", request);
  EXPECT_EQ(PageListKey("ListUntested", request), key);
  EXPECT_NE(PageListKey("ListDoorToDoor", request), key);
  v1::ListUntestedRequest other_round = request;
  other_round.set_round("rounds/r2");
  EXPECT_NE(PageListKey("ListUntested", other_round), key);
  v1::ListUntestedRequest other_building = request;
  other_building.set_building_id("b7");
  EXPECT_NE(PageListKey("ListUntested", other_building), key);
}

TEST(PageSizeTest, ZeroIsTheDefaultAndTheRangeIsChecked) {
  EXPECT_EQ(*PageSize(0, 50, 1000), 50u);
  EXPECT_EQ(*PageSize(1, 50, 1000), 1u);
  EXPECT_EQ(*PageSize(1000, 50, 1000), 1000u);
  for (int32_t bad : {-1, -3, 1001, 1 << 30}) {
    const absl::Status status = PageSize(bad, 50, 1000).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("page_size ", bad))) << bad;
    EXPECT_THAT(status.message(), HasSubstr("between 1 and 1000")) << bad;
    EXPECT_THAT(status.message(), HasSubstr("default of 50")) << bad;
  }
}

}  // namespace
}  // namespace swabwave::services
