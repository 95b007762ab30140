// ProgressService over a real server on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::Shape;
using ::testing::HasSubstr;

class ProgressServiceTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    OpenRound(Shape{.mobility_limited_every = 5, .exempt_every = 7}, "r");
    ASSERT_TRUE(OpenTube("r", "sites/tc-s0/desks/1", "TUBE-1").ok());
    ASSERT_TRUE(OpenTube("r", "sites/tc-s0/desks/1", "TUBE-2").ok());
    for (int r : {1, 2, 3, 4})
      ASSERT_TRUE(CheckIn("r", "sites/tc-s0/desks/1", ResidentCode("tc", r)).ok());
  }

  v1::GetProgressResponse Progress(v1::ProgressLevel level) {
    v1::GetProgressRequest request;
    request.set_round("rounds/r");
    request.set_level(level);
    v1::GetProgressResponse response;
    const grpc::Status status =
        client_->progress().GetProgress(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
};

TEST_F(ProgressServiceTest, EveryLevelAddsUpToTheTotal) {
  for (v1::ProgressLevel level :
       {v1::PROGRESS_LEVEL_COMMUNITY, v1::PROGRESS_LEVEL_COMPOUND, v1::PROGRESS_LEVEL_BUILDING}) {
    const v1::GetProgressResponse response = Progress(level);
    EXPECT_EQ(response.total().sampled(), 4);
    // 24 residents, 3 exempt (7, 14, 21).
    EXPECT_EQ(response.total().due(), 21);
    EXPECT_EQ(response.total().remaining(), 17);
    EXPECT_EQ(response.total().door_to_door(), 4);
    int64_t due = 0, sampled = 0;
    for (const v1::ProgressRow& row : response.rows()) {
      due += row.counts().due();
      sampled += row.counts().sampled();
    }
    EXPECT_EQ(due, 21) << v1::ProgressLevel_Name(level);
    EXPECT_EQ(sampled, 4) << v1::ProgressLevel_Name(level);
  }
  const v1::GetProgressResponse sites = Progress(v1::PROGRESS_LEVEL_SITE);
  ASSERT_EQ(sites.rows_size(), 2);
  EXPECT_EQ(sites.rows(0).key(), "sites/tc-s0");
  EXPECT_EQ(sites.rows(0).check_ins_here(), 4);
  EXPECT_EQ(sites.rows(1).key(), "door-to-door");
  EXPECT_EQ(sites.rows(1).counts().remaining(), 4);
  const v1::GetProgressResponse waves = Progress(v1::PROGRESS_LEVEL_WAVE);
  ASSERT_GT(waves.rows_size(), 0);
  EXPECT_EQ(waves.rows(0).key(), "waves/0");
  EXPECT_EQ(waves.rows(0).label(),
            absl::StrCat(absl::FormatTime("%H:%M", testing::kRoundStart, absl::UTCTimeZone()), "-",
                         absl::FormatTime("%H:%M", testing::kRoundStart + absl::Minutes(30),
                                          absl::UTCTimeZone())));
}

TEST_F(ProgressServiceTest, BadRequestsAreRefused) {
  v1::GetProgressRequest request;
  request.set_round("rounds/r");
  v1::GetProgressResponse response;
  grpc::Status status = client_->progress().GetProgress(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("level is required"));
  request.set_level(v1::PROGRESS_LEVEL_SITE);
  request.set_page_size(-1);
  EXPECT_EQ(client_->progress().GetProgress(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A round without a plan.
  ASSERT_TRUE(CreateRound("draft", "tc").ok());
  request.set_round("rounds/draft");
  request.set_page_size(0);
  status = client_->progress().GetProgress(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("plan"));
}

TEST_F(ProgressServiceTest, UntestedListPagesThroughEveryoneNotYetSampled) {
  v1::ListUntestedRequest request;
  request.set_round("rounds/r");
  request.set_page_size(7);
  std::vector<int64_t> ids;
  int door_to_door = 0;
  for (int pages = 0; pages < 20; ++pages) {
    v1::ListUntestedResponse page;
    ASSERT_TRUE(client_->progress().ListUntested(Context().get(), request, &page).ok());
    for (const v1::UntestedResident& u : page.residents()) {
      ids.push_back(u.resident_id());
      if (u.door_to_door()) {
        ++door_to_door;
        EXPECT_TRUE(u.site_id().empty());
      } else {
        EXPECT_EQ(u.site_id(), "tc-s0");
      }
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(ids.size(), 17u);  // 21 due, 4 sampled
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
  for (int64_t sampled : {0, 1, 2, 3}) EXPECT_EQ(std::count(ids.begin(), ids.end(), sampled), 0);
  EXPECT_EQ(door_to_door, 4);

  request.clear_page_token();
  request.set_page_size(100);
  request.set_community_id("tc");
  request.set_building_id("b1");
  v1::ListUntestedResponse building;
  ASSERT_TRUE(client_->progress().ListUntested(Context().get(), request, &building).ok());
  for (const v1::UntestedResident& u : building.residents()) EXPECT_EQ(u.building_id(), "b1");
  request.set_community_id("");
  EXPECT_EQ(client_->progress().ListUntested(Context().get(), request, &building).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ProgressServiceTest, WatchStreamsUpdatesUntilTheRoundCloses) {
  v1::WatchProgressRequest request;
  request.set_round("rounds/r");
  ToProto(absl::Milliseconds(100), request.mutable_interval());
  auto context = Context(absl::Seconds(30));
  auto reader = client_->progress().WatchProgress(context.get(), request);
  v1::WatchProgressResponse update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.total().sampled(), 4);
  EXPECT_FALSE(update.round_closed());
  ASSERT_TRUE(CheckIn("r", "sites/tc-s0/desks/1", ResidentCode("tc", 6)).ok());
  ASSERT_TRUE(Close("r").ok());
  int updates = 1;
  bool closed = false;
  while (reader->Read(&update) && updates < 100) {
    ++updates;
    closed = update.round_closed();
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(update.total().sampled(), 5);
  EXPECT_TRUE(reader->Finish().ok());

  ToProto(absl::Milliseconds(10), request.mutable_interval());
  auto short_context = Context();
  auto refused = client_->progress().WatchProgress(short_context.get(), request);
  while (refused->Read(&update)) {
  }
  const grpc::Status status = refused->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("100ms"));
}

}  // namespace
}  // namespace swabwave::services
