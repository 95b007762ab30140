// ProgressService over a real server on loopback: counts at every level add
// up to the round's totals, the untested list pages through exactly the
// residents due and not sampled, and WatchProgress streams until the round
// closes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::services::testing::Code;
using ::swabwave::services::testing::CommunitySpec;
using ::swabwave::services::testing::Desk;
using ::swabwave::services::testing::kRoundStart;
using ::testing::HasSubstr;
using ::testing::Not;

// 48 residents; every 5th mobility-limited, every 7th exempt (35 is both,
// and exempt): exempt 7 14 21 28 35 42, door-to-door 5 10 15 20 25 30 40 45.
const CommunitySpec kSpec{.mobility_limited_every = 5, .exempt_every = 7};
const std::string kDesk = Desk("tc-s0", 1);

void ExpectCounts(const v1::Counts& counts, int64_t due, int64_t sampled, int64_t exempt,
                  int64_t door_to_door, const std::string& where) {
  EXPECT_EQ(counts.due(), due) << where;
  EXPECT_EQ(counts.sampled(), sampled) << where;
  EXPECT_EQ(counts.remaining(), due - sampled) << where;
  EXPECT_EQ(counts.exempt(), exempt) << where;
  EXPECT_EQ(counts.door_to_door(), door_to_door) << where;
}

v1::Counts Sum(const v1::GetProgressResponse& response) {
  v1::Counts sum;
  for (const v1::ProgressRow& row : response.rows()) {
    sum.set_due(sum.due() + row.counts().due());
    sum.set_sampled(sum.sampled() + row.counts().sampled());
    sum.set_remaining(sum.remaining() + row.counts().remaining());
    sum.set_exempt(sum.exempt() + row.counts().exempt());
    sum.set_door_to_door(sum.door_to_door() + row.counts().door_to_door());
    sum.set_not_home(sum.not_home() + row.counts().not_home());
    sum.set_refused(sum.refused() + row.counts().refused());
    sum.set_in_hospital(sum.in_hospital() + row.counts().in_hospital());
    sum.set_moved_away(sum.moved_away() + row.counts().moved_away());
    sum.set_unaccounted(sum.unaccounted() + row.counts().unaccounted());
  }
  return sum;
}

// Round "r" open over kSpec; tc-R1..R5 sampled at tc-s0 desk 1 (R5 is
// door-to-door but came to the site). Totals: due 42 (34 at sites, 8 at
// home), sampled 5, exempt 6, door-to-door left 7.
class ProgressServiceTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(OpenRound(kSpec, "r"));
    ASSERT_TRUE(OpenTube("r", kDesk, "TUBE-1").ok());
    for (int n = 1; n <= 5; ++n) ASSERT_TRUE(CheckIn("r", kDesk, Code("tc", n)).ok()) << n;
  }

  grpc::Status ListUntested(v1::ListUntestedRequest request,
                            std::vector<v1::UntestedResident>* residents, int* pages = nullptr) {
    request.set_round("rounds/r");
    int page_count = 0;
    // Bounded: a server that kept handing out tokens would fail the test.
    for (; page_count < 100; ++page_count) {
      v1::ListUntestedResponse page;
      const grpc::Status status = client_->progress().ListUntested(Context().get(), request, &page);
      if (!status.ok()) return status;
      for (const v1::UntestedResident& u : page.residents()) residents->push_back(u);
      if (page.next_page_token().empty()) break;
      request.set_page_token(page.next_page_token());
    }
    EXPECT_LT(page_count, 100) << "the untested list did not end";
    if (pages != nullptr) *pages = page_count + 1;
    return grpc::Status::OK;
  }
};

// ---------------------------------------------------------------- GetProgress

TEST_F(ProgressServiceTest, CommunityLevelRowsAddUpToTheTotal) {
  const v1::GetProgressResponse response = Progress("r", v1::PROGRESS_LEVEL_COMMUNITY);
  ExpectCounts(response.total(), 42, 5, 6, 7, "total");
  ASSERT_EQ(response.rows_size(), 1);
  EXPECT_EQ(response.rows(0).key(), "communities/tc");
  EXPECT_EQ(response.rows(0).label(), "Community tc");
  EXPECT_EQ(Sum(response).SerializeAsString(), response.total().SerializeAsString());
  EXPECT_TRUE(response.next_page_token().empty());
  EXPECT_GE(FromProto(response.as_of()), kRoundStart);
}

TEST_F(ProgressServiceTest, CompoundLevelRowsAddUpToTheTotal) {
  const v1::GetProgressResponse response = Progress("r", v1::PROGRESS_LEVEL_COMPOUND);
  ExpectCounts(response.total(), 42, 5, 6, 7, "total");
  ASSERT_EQ(response.rows_size(), 2);
  EXPECT_EQ(response.rows(0).key(), "communities/tc/compounds/c0");  // b0 and b2
  ExpectCounts(response.rows(0).counts(), 21, 5, 3, 3, "c0");
  EXPECT_EQ(response.rows(1).key(), "communities/tc/compounds/c1");  // b1 and b3
  ExpectCounts(response.rows(1).counts(), 21, 0, 3, 4, "c1");
  EXPECT_EQ(Sum(response).SerializeAsString(), response.total().SerializeAsString());
}

TEST_F(ProgressServiceTest, BuildingLevelRowsAddUpToTheTotal) {
  const v1::GetProgressResponse response = Progress("r", v1::PROGRESS_LEVEL_BUILDING);
  ExpectCounts(response.total(), 42, 5, 6, 7, "total");
  ASSERT_EQ(response.rows_size(), 4);
  EXPECT_EQ(response.rows(0).key(), "communities/tc/buildings/b0");
  ExpectCounts(response.rows(0).counts(), 11, 5, 1, 1, "b0");  // R1..R12
  ExpectCounts(response.rows(1).counts(), 10, 0, 2, 2, "b1");  // R13..R24
  ExpectCounts(response.rows(2).counts(), 10, 0, 2, 2, "b2");  // R25..R36
  ExpectCounts(response.rows(3).counts(), 11, 0, 1, 2, "b3");  // R37..R48
  EXPECT_EQ(Sum(response).SerializeAsString(), response.total().SerializeAsString());
}

TEST_F(ProgressServiceTest, SiteLevelIncludesTheDoorToDoorRow) {
  const v1::GetProgressResponse response = Progress("r", v1::PROGRESS_LEVEL_SITE);
  ExpectCounts(response.total(), 42, 5, 6, 7, "total");
  ASSERT_EQ(response.rows_size(), 3);
  EXPECT_EQ(response.rows(0).key(), "sites/tc-s0");
  EXPECT_EQ(response.rows(0).check_ins_here(), 5);  // whoever was assigned there
  EXPECT_EQ(response.rows(1).key(), "sites/tc-s1");
  EXPECT_EQ(response.rows(1).check_ins_here(), 0);
  const v1::ProgressRow& home = response.rows(2);
  EXPECT_EQ(home.key(), "door-to-door");
  ExpectCounts(home.counts(), 8, 1, 0, 7, "door-to-door");
  // Sites plus home visits are everyone due (exempt residents are in no row).
  const v1::Counts sum = Sum(response);
  EXPECT_EQ(sum.due(), response.total().due());
  EXPECT_EQ(sum.sampled(), response.total().sampled());
  EXPECT_EQ(sum.remaining(), response.total().remaining());
  EXPECT_EQ(sum.door_to_door(), response.total().door_to_door());
}

TEST_F(ProgressServiceTest, WaveLevelCoversEveryoneDueAtSites) {
  const v1::GetProgressResponse response = Progress("r", v1::PROGRESS_LEVEL_WAVE);
  ASSERT_GT(response.rows_size(), 0);
  for (int w = 0; w < response.rows_size(); ++w) {
    const v1::ProgressRow& row = response.rows(w);
    EXPECT_EQ(row.key(), absl::StrCat("waves/", w));
    EXPECT_EQ(FromProto(row.window_start()), kRoundStart + absl::Minutes(30) * w);
  }
  EXPECT_EQ(response.rows(0).label(),
            absl::StrCat(
                absl::FormatTime("%H:%M", kRoundStart, absl::UTCTimeZone()), "-",
                absl::FormatTime("%H:%M", kRoundStart + absl::Minutes(30), absl::UTCTimeZone())));
  const v1::Counts sum = Sum(response);
  EXPECT_EQ(sum.due(), 34);
  EXPECT_EQ(sum.sampled(), 4);  // R5 was due at home, in no wave
}

TEST_F(ProgressServiceTest, BuildingLevelWithPageSizeOneWalksEveryBuilding) {
  v1::GetProgressRequest request;
  request.set_round("rounds/r");
  request.set_level(v1::PROGRESS_LEVEL_BUILDING);
  request.set_page_size(1);
  std::vector<std::string> keys;
  for (int pages = 0; pages < 10; ++pages) {
    v1::GetProgressResponse page;
    const grpc::Status status = client_->progress().GetProgress(Context().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ExpectCounts(page.total(), 42, 5, 6, 7, "total on every page");
    for (const v1::ProgressRow& row : page.rows()) keys.push_back(row.key());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "communities/tc/buildings/b0", "communities/tc/buildings/b1",
                      "communities/tc/buildings/b2", "communities/tc/buildings/b3"}));
}

TEST_F(ProgressServiceTest, UnspecifiedLevelIsInvalid) {
  v1::GetProgressRequest request;
  request.set_round("rounds/r");
  v1::GetProgressResponse response;
  const grpc::Status status = client_->progress().GetProgress(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("level is required"));
}

TEST_F(ProgressServiceTest, BadPageSizeOrTokenIsInvalid) {
  v1::GetProgressRequest request;
  request.set_round("rounds/r");
  request.set_level(v1::PROGRESS_LEVEL_SITE);
  request.set_page_size(-1);
  v1::GetProgressResponse response;
  grpc::Status status = client_->progress().GetProgress(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_size -1"));
  request.set_page_size(0);
  request.set_page_token("not-a-token");
  status = client_->progress().GetProgress(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
}

TEST_F(ProgressServiceTest, ProgressBeforePlanningIsFailedPrecondition) {
  ASSERT_TRUE(CreateRound("draft", "tc").ok());
  v1::GetProgressRequest request;
  request.set_round("rounds/draft");
  request.set_level(v1::PROGRESS_LEVEL_COMMUNITY);
  v1::GetProgressResponse response;
  const grpc::Status status = client_->progress().GetProgress(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("round draft has no plan yet"));
}

TEST_F(ProgressServiceTest, ProgressOfAnUnknownRoundIsNotFound) {
  v1::GetProgressRequest request;
  request.set_round("rounds/nope");
  request.set_level(v1::PROGRESS_LEVEL_COMMUNITY);
  v1::GetProgressResponse response;
  const grpc::Status status = client_->progress().GetProgress(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("round 'nope' does not exist"));
}

// --------------------------------------------------------------- ListUntested

TEST_F(ProgressServiceTest, UntestedListWithPageSizeSevenWalksEveryoneNotSampled) {
  v1::ListUntestedRequest request;
  request.set_page_size(7);
  std::vector<v1::UntestedResident> residents;
  int pages = 0;
  ASSERT_TRUE(ListUntested(request, &residents, &pages).ok());
  ASSERT_EQ(residents.size(), 37u);  // 42 due, 5 sampled
  EXPECT_EQ(pages, 6);

  std::set<std::string> expected;
  for (int n = 6; n <= 48; ++n) {
    if (n % 7 != 0) expected.insert(Code("tc", n));  // neither sampled nor exempt
  }
  std::set<std::string> codes;
  int64_t previous = -1;
  int door_to_door = 0;
  for (const v1::UntestedResident& u : residents) {
    EXPECT_GT(u.resident_id(), previous) << "ids must strictly increase";
    previous = u.resident_id();
    EXPECT_EQ(u.code(), Code("tc", static_cast<int>(u.resident_id()) + 1));
    codes.insert(u.code());
    EXPECT_EQ(u.community_id(), "tc");
    EXPECT_THAT(u.unit_id(), ::testing::StartsWith(u.building_id() + "-u"));
    EXPECT_THAT(u.household_id(), ::testing::StartsWith(u.unit_id() + "-h"));
    if (u.door_to_door()) {
      ++door_to_door;
      EXPECT_TRUE(u.site_id().empty()) << u.code();
    } else {
      EXPECT_THAT(u.site_id(), ::testing::StartsWith("tc-s")) << u.code();
      EXPECT_GE(u.wave(), 0);
    }
  }
  EXPECT_EQ(codes, expected);
  EXPECT_EQ(door_to_door, 7);
}

TEST_F(ProgressServiceTest, UntestedListFilteredByBuilding) {
  v1::ListUntestedRequest request;
  request.set_community_id("tc");
  request.set_building_id("b1");
  request.set_page_size(3);
  std::vector<v1::UntestedResident> residents;
  ASSERT_TRUE(ListUntested(request, &residents).ok());
  std::vector<std::string> codes;
  for (const v1::UntestedResident& u : residents) {
    EXPECT_EQ(u.building_id(), "b1");
    codes.push_back(u.code());
  }
  std::vector<std::string> expected;
  for (int n = 13; n <= 24; ++n) {
    if (n != 14 && n != 21) expected.push_back(Code("tc", n));
  }
  EXPECT_EQ(codes, expected);
}

TEST_F(ProgressServiceTest, UntestedListFilteredByCommunity) {
  v1::ListUntestedRequest request;
  request.set_community_id("tc");
  request.set_page_size(100);
  std::vector<v1::UntestedResident> residents;
  ASSERT_TRUE(ListUntested(request, &residents).ok());
  EXPECT_EQ(residents.size(), 37u);
}

TEST_F(ProgressServiceTest, UntestedListBuildingWithoutCommunityIsInvalid) {
  v1::ListUntestedRequest request;
  request.set_building_id("b1");
  std::vector<v1::UntestedResident> residents;
  const grpc::Status status = ListUntested(request, &residents);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("building_id needs community_id"));
}

TEST_F(ProgressServiceTest, UntestedListOfUnknownBuildingOrCommunityIsNotFound) {
  v1::ListUntestedRequest request;
  request.set_community_id("tc");
  request.set_building_id("b9");
  std::vector<v1::UntestedResident> residents;
  grpc::Status status = ListUntested(request, &residents);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("building 'b9' is not in community 'tc'"));
  request.set_community_id("zz");
  request.clear_building_id();
  status = ListUntested(request, &residents);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("community 'zz' is not in round r"));
}

TEST_F(ProgressServiceTest, UntestedListBeforePlanningIsFailedPrecondition) {
  ASSERT_TRUE(CreateRound("draft", "tc").ok());
  v1::ListUntestedRequest request;
  request.set_round("rounds/draft");
  v1::ListUntestedResponse response;
  const grpc::Status status = client_->progress().ListUntested(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("has no plan yet"));
}

// -------------------------------------------------------------- WatchProgress

TEST_F(ProgressServiceTest, WatchStreamsUpdatesUntilTheRoundCloses) {
  v1::WatchProgressRequest request;
  request.set_round("rounds/r");
  ToProto(absl::Milliseconds(100), request.mutable_interval());
  auto context = Context();
  auto reader = client_->progress().WatchProgress(context.get(), request);

  v1::WatchProgressResponse first, second;
  ASSERT_TRUE(reader->Read(&first));
  ExpectCounts(first.total(), 42, 5, 6, 7, "first update");
  EXPECT_FALSE(first.round_closed());
  ASSERT_TRUE(reader->Read(&second));
  EXPECT_FALSE(second.round_closed());
  // Updates come an interval apart (allow for whole-millisecond rounding).
  EXPECT_GE(FromProto(second.as_of()) - FromProto(first.as_of()), absl::Milliseconds(99));
  EXPECT_GE(second.check_ins_per_second(), 0);

  ASSERT_TRUE(CheckIn("r", kDesk, Code("tc", 6)).ok());
  ASSERT_TRUE(Close("r").ok());
  v1::WatchProgressResponse update;
  bool closed = false;
  // The close shows within an interval or two; 50 updates is 5 s.
  for (int updates = 0; updates < 50 && !closed && reader->Read(&update); ++updates) {
    closed = update.round_closed();
  }
  ASSERT_TRUE(closed) << "no update said the round closed";
  EXPECT_EQ(update.total().sampled(), 6);
  EXPECT_FALSE(reader->Read(&update)) << "the stream goes on after the round closed";
  const grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ProgressServiceTest, WatchOfAClosedRoundSendsOneUpdateAndEnds) {
  ASSERT_TRUE(Close("r").ok());
  v1::WatchProgressRequest request;
  request.set_round("rounds/r");
  auto context = Context();
  auto reader = client_->progress().WatchProgress(context.get(), request);
  v1::WatchProgressResponse update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_TRUE(update.round_closed());
  EXPECT_FALSE(reader->Read(&update));
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(ProgressServiceTest, WatchWithATenMillisecondIntervalIsInvalid) {
  v1::WatchProgressRequest request;
  request.set_round("rounds/r");
  ToProto(absl::Milliseconds(10), request.mutable_interval());
  auto context = Context();
  auto reader = client_->progress().WatchProgress(context.get(), request);
  v1::WatchProgressResponse update;
  EXPECT_FALSE(reader->Read(&update));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("interval 10ms"));
  EXPECT_THAT(status.error_message(), HasSubstr("100ms minimum"));
}

TEST_F(ProgressServiceTest, WatchOfADraftOrUnknownRoundIsRefused) {
  ASSERT_TRUE(CreateRound("draft", "tc").ok());
  for (const auto& [round, code, message] :
       std::vector<std::tuple<std::string, grpc::StatusCode, std::string>>{
           {"rounds/draft", grpc::StatusCode::FAILED_PRECONDITION, "has no plan yet"},
           {"rounds/nope", grpc::StatusCode::NOT_FOUND, "does not exist"},
           {"nope", grpc::StatusCode::INVALID_ARGUMENT, "rounds/{round_id}"}}) {
    v1::WatchProgressRequest request;
    request.set_round(round);
    auto context = Context();
    auto reader = client_->progress().WatchProgress(context.get(), request);
    v1::WatchProgressResponse update;
    EXPECT_FALSE(reader->Read(&update)) << round;
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), code) << round;
    EXPECT_THAT(status.error_message(), HasSubstr(message)) << round;
  }
}

TEST_F(ProgressServiceTest, WatcherCancellingLeavesTheServerServing) {
  v1::WatchProgressRequest request;
  request.set_round("rounds/r");
  ToProto(absl::Milliseconds(100), request.mutable_interval());
  auto context = Context();
  auto reader = client_->progress().WatchProgress(context.get(), request);
  v1::WatchProgressResponse update;
  ASSERT_TRUE(reader->Read(&update));
  context->TryCancel();
  while (reader->Read(&update)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ExpectCounts(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total(), 42, 5, 6, 7, "after cancel");
}

// Watchers come and go while the round runs and closes: each ends, by its
// own cancel or by the close, and the server keeps answering.
TEST_F(ProgressServiceTest, ManyWatchersEndByCancelOrClose) {
  constexpr int kWatchers = 12;
  v1::WatchProgressRequest request;
  request.set_round("rounds/r");
  ToProto(absl::Milliseconds(100), request.mutable_interval());
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::WatchProgressResponse>>> readers;
  v1::WatchProgressResponse update;
  for (int i = 0; i < kWatchers; ++i) {
    contexts.push_back(Context());
    readers.push_back(client_->progress().WatchProgress(contexts.back().get(), request));
    ASSERT_TRUE(readers.back()->Read(&update)) << i;
  }
  // Half cancel while an interval's alarm is pending, half wait for the close.
  for (int i = 0; i < kWatchers; i += 2) contexts[i]->TryCancel();
  ASSERT_TRUE(Close("r").ok());
  for (int i = 0; i < kWatchers; ++i) {
    bool closed = false;
    for (int updates = 0; updates < 50 && readers[i]->Read(&update); ++updates) {
      closed = update.round_closed();
    }
    const grpc::Status status = readers[i]->Finish();
    if (i % 2 == 0) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << i;
    } else {
      EXPECT_TRUE(closed) << i;
      EXPECT_TRUE(status.ok()) << i << ": " << status.error_message();
    }
  }
  ExpectCounts(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total(), 42, 5, 6, 7, "after");
}

// --------------------------------------------------------- history across rounds

// Two closed rounds over "tc": resident 1 sampled in both, 2 in the first
// only, everyone else in neither. History tells each round apart; the
// missed list names who missed the last N they were due in.
class HistoryServiceTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_TRUE(Import(testing::MakeCommunity(CommunitySpec{})).ok());
    for (const char* id : {"h1", "h2"}) {
      ASSERT_TRUE(CreateRound(id, "tc").ok());
      ASSERT_TRUE(Plan(id).ok());
      ASSERT_TRUE(Open(id).ok());
      ASSERT_TRUE(OpenTube(id, testing::Desk("tc-s0", 1), absl::StrCat("T-", id)).ok());
      ASSERT_TRUE(CheckIn(id, testing::Desk("tc-s0", 1), Code("tc", 1)).ok());
      if (std::string(id) == "h1") {
        ASSERT_TRUE(CheckIn(id, testing::Desk("tc-s0", 1), Code("tc", 2)).ok());
      }
      ASSERT_TRUE(Close(id).ok());
    }
  }

  v1::ListMissedResponse Missed(int last, grpc::Status* status) {
    v1::ListMissedRequest request;
    request.set_community_id("tc");
    request.set_last(last);
    v1::ListMissedResponse response;
    *status = client_->progress().ListMissed(Context().get(), request, &response);
    return response;
  }
};

TEST_F(HistoryServiceTest, AResidentsHistoryHasEveryRoundTheyWereIn) {
  v1::GetResidentHistoryRequest request;
  request.set_resident_code(Code("tc", 2));
  v1::GetResidentHistoryResponse response;
  grpc::Status status =
      client_->progress().GetResidentHistory(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.rounds_size(), 2);
  EXPECT_EQ(response.rounds(0).round(), "rounds/h1");
  EXPECT_EQ(response.rounds(0).outcome(), v1::ROUND_OUTCOME_SAMPLED);
  EXPECT_EQ(response.rounds(0).desk(), "sites/tc-s0/desks/1");
  EXPECT_EQ(response.rounds(0).tube_barcode(), "T-h1");
  EXPECT_TRUE(response.rounds(0).has_scan_time());
  EXPECT_EQ(response.rounds(1).outcome(), v1::ROUND_OUTCOME_MISSED);
  EXPECT_EQ(response.rounds(1).community_id(), "tc");

  request.set_resident_code("NOBODY-HERE");
  status = client_->progress().GetResidentHistory(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("NOBODY")));
  request.set_resident_code("not a code");
  status = client_->progress().GetResidentHistory(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("not a code")));
}

TEST_F(HistoryServiceTest, TheMissedListNamesWhoMissedTheLastRoundsPerBuilding) {
  const int residents = CommunitySpec{}.residents();
  grpc::Status status;
  v1::ListMissedResponse one = Missed(1, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(one.rounds_considered(), 2);
  EXPECT_EQ(one.residents(), residents - 1);  // all but resident 1 missed h2
  v1::ListMissedResponse two = Missed(2, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(two.residents(), residents - 2);  // 2 was sampled in h1
  int64_t listed = 0;
  for (const v1::MissedBuilding& b : two.buildings()) {
    EXPECT_FALSE(b.label().empty());
    for (const v1::MissedResident& r : b.residents()) {
      ++listed;
      EXPECT_NE(r.code(), Code("tc", 1));
      EXPECT_NE(r.code(), Code("tc", 2));
      ASSERT_EQ(r.rounds_size(), 2);
      EXPECT_EQ(r.rounds(0), "rounds/h2");  // newest first
    }
  }
  EXPECT_EQ(listed, two.residents());
  EXPECT_EQ(Missed(3, &status).residents(), 0);  // only two closed rounds

  Missed(0, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("last 0 must be between 1 and 100"));
  v1::ListMissedRequest request;
  request.set_community_id("elsewhere");
  request.set_last(1);
  v1::ListMissedResponse response;
  status = client_->progress().ListMissed(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace swabwave::services
