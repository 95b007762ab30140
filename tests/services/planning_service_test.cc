// PlanningService over a real server on loopback: importing a community as
// a stream, creating, listing, planning, opening and closing rounds, and the
// schedule (assignments, door-to-door list, plan by site). Every refusal is
// checked for its code and for a message that names what to fix.
//
// Why one file past 650 lines: its tests share one fixture (a server with
// a community imported) and follow the planning service's calls in the
// order a command center makes them; the staffing, forecast and bad-input
// cases already live in files of their own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::services::testing::Code;
using ::swabwave::services::testing::CommunitySpec;
using ::swabwave::services::testing::kRoundStart;
using ::swabwave::services::testing::MakeCommunity;
using ::testing::HasSubstr;
using ::testing::Not;

using PlanningServiceTest = testing::ServerTest;

// The default spec: 48 residents; with every 5th mobility-limited and every
// 7th exempt (exemption wins for 35): 6 exempt, 8 door-to-door, 34 due at
// sites.
const CommunitySpec kMixedSpec{.mobility_limited_every = 5, .exempt_every = 7};

bool SameMessage(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

// ------------------------------------------------------------ ImportCommunity

TEST_F(PlanningServiceTest, ImportCountsEveryEntity) {
  v1::ImportCommunityResponse response;
  const grpc::Status status = Import(MakeCommunity(CommunitySpec{}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.community(), "communities/tc");
  EXPECT_EQ(response.compounds(), 2);
  EXPECT_EQ(response.buildings(), 4);
  EXPECT_EQ(response.units(), 8);
  EXPECT_EQ(response.households(), 16);
  EXPECT_EQ(response.residents(), 48);
  EXPECT_EQ(response.sites(), 2);
  EXPECT_EQ(response.desks(), 4);
  EXPECT_EQ(response.staff(), 4);
}

TEST_F(PlanningServiceTest, ImportOfAnEmptyStreamIsInvalid) {
  const grpc::Status status = ImportChunks({});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("no chunks"));
}

TEST_F(PlanningServiceTest, ImportFirstChunkWithoutRequestIdIsInvalid) {
  std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(MakeCommunity(CommunitySpec{}), "imp-1", 7);
  chunks[0].clear_request_id();
  const grpc::Status status = ImportChunks(chunks);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("chunk 0"));
  EXPECT_THAT(status.error_message(), HasSubstr("request_id is required"));
}

TEST_F(PlanningServiceTest, ImportFirstChunkWithoutHeaderIsInvalid) {
  std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(MakeCommunity(CommunitySpec{}), "imp-1", 7);
  chunks[0].clear_community();
  const grpc::Status status = ImportChunks(chunks);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("chunk 0"));
  EXPECT_THAT(status.error_message(), HasSubstr("community header"));
}

TEST_F(PlanningServiceTest, ImportHeaderRepeatedInALaterChunkIsInvalid) {
  std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(MakeCommunity(CommunitySpec{}), "imp-1", 7);
  chunks[2].set_request_id("imp-1");
  const grpc::Status status = ImportChunks(chunks);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("chunk 2"));
  EXPECT_THAT(status.error_message(), HasSubstr("only the first chunk"));
}

TEST_F(PlanningServiceTest, ImportChunkAfterLastIsInvalidAndImportsNothing) {
  std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(MakeCommunity(CommunitySpec{}), "imp-1", 7);
  ASSERT_GT(chunks.size(), 3u);
  chunks[1].set_last(true);
  const grpc::Status status = ImportChunks(chunks);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("chunk 2"));
  EXPECT_THAT(status.error_message(), HasSubstr("after the chunk marked last"));
  EXPECT_EQ(CreateRound("r", "tc").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PlanningServiceTest, ImportStreamWithoutLastImportsNothing) {
  std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(MakeCommunity(CommunitySpec{}), "imp-cut", 7);
  const std::vector<v1::ImportCommunityRequest> cut(chunks.begin(), chunks.end() - 1);
  const grpc::Status status = ImportChunks(cut);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("before a chunk marked last"));
  EXPECT_THAT(status.error_message(), HasSubstr("nothing was imported"));

  const grpc::Status create = CreateRound("r", "tc");
  EXPECT_EQ(create.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(create.error_message(), HasSubstr("community 'tc' is not imported"));

  // The cut stream failed, so its request id is free for the whole stream.
  v1::ImportCommunityResponse response;
  ASSERT_TRUE(ImportChunks(chunks, &response).ok());
  EXPECT_EQ(response.residents(), 48);
}

TEST_F(PlanningServiceTest, ImportOfAnExistingCommunityIdIsAlreadyExists) {
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
  const grpc::Status status = Import(MakeCommunity(CommunitySpec{}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("community 'tc' is already imported"));
}

TEST_F(PlanningServiceTest, ImportOfASiteIdUsedByAnotherCommunityIsAlreadyExists) {
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
  engine::Community clash = MakeCommunity(CommunitySpec{.id = "other"});
  clash.sites[1].id = "tc-s0";
  const grpc::Status status = Import(clash);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("site 'tc-s0' already belongs to community 'tc'"));
  // Nothing of the refused community was kept.
  EXPECT_EQ(CreateRound("r", "other").error_code(), grpc::StatusCode::NOT_FOUND);
}

// Resident.code is "unique on the server": a community with a code another
// community holds is refused, naming the row and never the code, and
// nothing of it is kept.
TEST_F(PlanningServiceTest, ImportOfAResidentCodeAnotherCommunityHoldsIsAlreadyExists) {
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
  std::vector<v1::ImportCommunityRequest> chunks = CommunityToChunks(
      MakeCommunity(CommunitySpec{.id = "other"}), Client::NewRequestId("import"), 7);
  int row = 0;
  for (v1::ImportCommunityRequest& chunk : chunks) {
    for (v1::Resident& resident : *chunk.mutable_residents()) {
      if (++row == 9) resident.set_code(Code("tc", 4));
    }
  }
  const grpc::Status status = ImportChunks(chunks);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(status.error_message(),
            "resident #9 of community 'other': its code was already imported with another "
            "community; a resident code names one person on the server, so this community is "
            "not imported");
  EXPECT_EQ(CreateRound("r", "other").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PlanningServiceTest, ImportDanglingReferenceNamesTheChunkAndEntity) {
  std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(MakeCommunity(CommunitySpec{}), "imp-1", 7);
  ASSERT_GT(chunks.size(), 4u);
  v1::Household* household = chunks[3].add_households();
  household->set_household_id("h-dangling");
  household->set_unit_id("no-such-unit");
  const grpc::Status status = ImportChunks(chunks);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("chunk 3"));
  EXPECT_THAT(status.error_message(), HasSubstr("household 'h-dangling'"));
  EXPECT_THAT(status.error_message(), HasSubstr("unit_id 'no-such-unit'"));
  EXPECT_EQ(CreateRound("r", "tc").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PlanningServiceTest, ImportInvalidResidentCodeIsNamedWithoutTheCode) {
  std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(MakeCommunity(CommunitySpec{}), "imp-1", 1000);
  ASSERT_EQ(chunks.size(), 1u);
  chunks[0].mutable_residents(4)->set_code("BAD CODE");
  const grpc::Status status = ImportChunks(chunks);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("resident #5"));
  // Codes are personal data: never echoed back.
  EXPECT_THAT(status.error_message(), Not(HasSubstr("BAD CODE")));
}

TEST_F(PlanningServiceTest, ImportReplayedWithTheSameRequestIdGetsTheSameResponse) {
  const std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(MakeCommunity(CommunitySpec{}), "imp-same", 7);
  v1::ImportCommunityResponse first, second;
  ASSERT_TRUE(ImportChunks(chunks, &first).ok());
  const grpc::Status status = ImportChunks(chunks, &second);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(SameMessage(first, second)) << second.DebugString();
}

TEST_F(PlanningServiceTest, ImportRequestIdReusedForAnotherCommunityIsInvalid) {
  ASSERT_TRUE(ImportChunks(CommunityToChunks(MakeCommunity(CommunitySpec{}), "imp-same", 7)).ok());
  const grpc::Status status =
      ImportChunks(CommunityToChunks(MakeCommunity(CommunitySpec{.id = "other"}), "imp-same", 7));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("request_id 'imp-same' was already used"));
}

// The whole stream is the request: the same header with different rows under
// the same request id is another request, not a retry to be answered with
// the first one's OK (which left the second stream's rows silently dropped).
// Re-sent unchanged it is a retry and gets the original answer. (Cut into
// other chunks it counts as another stream.)
TEST_F(PlanningServiceTest, ImportRequestIdReusedForAnotherStreamIsInvalid) {
  const engine::Community community = MakeCommunity(CommunitySpec{});
  v1::ImportCommunityResponse first, again;
  ASSERT_TRUE(ImportChunks(CommunityToChunks(community, "imp-same", 7), &first).ok());
  ASSERT_TRUE(ImportChunks(CommunityToChunks(community, "imp-same", 7), &again).ok());
  EXPECT_EQ(again.residents(), first.residents());
  std::vector<v1::ImportCommunityRequest> changed = CommunityToChunks(community, "imp-same", 7);
  for (v1::ImportCommunityRequest& chunk : changed) {
    for (v1::Resident& resident : *chunk.mutable_residents()) {
      resident.set_mobility_limited(!resident.mobility_limited());
    }
  }
  const grpc::Status status = ImportChunks(changed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("request_id 'imp-same' was already used for a different ImportCommunity "
                        "request"));
}

// ---------------------------------------------------------------- CreateRound

class CreateRoundTest : public PlanningServiceTest {
 protected:
  void SetUp() override {
    PlanningServiceTest::SetUp();
    ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
  }
};

TEST_F(CreateRoundTest, CreatesADraftRound) {
  v1::CreateRoundRequest request = RoundRequest("r1", {"tc"});
  ToProto(absl::Minutes(20), request.mutable_wave_length());
  v1::CreateRoundResponse response;
  const grpc::Status status = CreateRound(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::Round& round = response.round();
  EXPECT_EQ(round.name(), "rounds/r1");
  EXPECT_THAT(round.community_ids(), ::testing::ElementsAre("tc"));
  EXPECT_EQ(FromProto(round.start_time()), kRoundStart);
  EXPECT_EQ(round.pool_ratio(), 10);
  EXPECT_EQ(FromProto(round.wave_length()), absl::Minutes(20));
  EXPECT_EQ(FromProto(round.duration()), absl::Hours(24));  // the default
  EXPECT_EQ(round.state(), v1::ROUND_STATE_DRAFT);
  EXPECT_EQ(round.residents(), 48);
}

TEST_F(CreateRoundTest, PoolRatioSevenIsInvalid) {
  const grpc::Status status = CreateRound("r1", "tc", 7);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("pool_ratio 7"));
  EXPECT_THAT(status.error_message(), HasSubstr("1, 5, 10 or 20"));
}

TEST_F(CreateRoundTest, MissingStartTimeIsInvalid) {
  v1::CreateRoundRequest request = RoundRequest("r1", {"tc"});
  request.clear_start_time();
  const grpc::Status status = CreateRound(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("start_time is required"));
}

TEST_F(CreateRoundTest, MissingRequestIdIsInvalid) {
  v1::CreateRoundRequest request = RoundRequest("r1", {"tc"});
  request.clear_request_id();
  const grpc::Status status = CreateRound(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("request_id is required"));
}

TEST_F(CreateRoundTest, BadWaveLengthIsInvalid) {
  v1::CreateRoundRequest request = RoundRequest("r1", {"tc"});
  ToProto(absl::Seconds(90), request.mutable_wave_length());
  const grpc::Status status = CreateRound(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("wave_length"));
}

TEST_F(CreateRoundTest, NoCommunityIsInvalid) {
  const grpc::Status status = CreateRound(RoundRequest("r1", {}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("community_ids"));
}

TEST_F(CreateRoundTest, UnknownCommunityIsNotFound) {
  const grpc::Status status = CreateRound("r1", "nowhere");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("community 'nowhere' is not imported"));
}

TEST_F(CreateRoundTest, DuplicateRoundIdIsAlreadyExists) {
  ASSERT_TRUE(CreateRound("r1", "tc").ok());
  const grpc::Status status = CreateRound("r1", "tc");  // a new request id
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("round 'r1' already exists"));
}

TEST_F(CreateRoundTest, RetryWithTheSameRequestIdGetsTheOriginalAnswer) {
  const v1::CreateRoundRequest request = RoundRequest("r1", {"tc"});
  v1::CreateRoundResponse first, retry;
  ASSERT_TRUE(CreateRound(request, &first).ok());
  const grpc::Status status = CreateRound(request, &retry);
  ASSERT_TRUE(status.ok()) << "a retry must not be ALREADY_EXISTS: " << status.error_message();
  EXPECT_TRUE(SameMessage(first, retry)) << retry.DebugString();

  v1::ListRoundsResponse rounds;
  ASSERT_TRUE(client_->planning().ListRounds(Context().get(), {}, &rounds).ok());
  EXPECT_EQ(rounds.rounds_size(), 1);
}

TEST_F(CreateRoundTest, RequestIdReusedWithDifferentContentIsInvalid) {
  v1::CreateRoundRequest request = RoundRequest("r1", {"tc"});
  ASSERT_TRUE(CreateRound(request).ok());
  request.set_round_id("r2");
  const grpc::Status status = CreateRound(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr(request.request_id()));
  EXPECT_THAT(status.error_message(), HasSubstr("already used for a different CreateRound"));
  EXPECT_EQ(GetRound("rounds/r2").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CreateRoundTest, ResidentCodeSharedByTwoCommunitiesIsRefused) {
  // Resident codes are unique on the server, so two communities sharing one
  // never get as far as a round: the second import is refused (a journal
  // from before that check may still hold such a pair; the registry tests
  // cover CreateRound's own check for it).
  // A one-resident community whose resident carries a code of "tc".
  engine::CommunityBuilder builder("clash", "clash", 0);
  ASSERT_TRUE(builder.AddCompound("c0", "c0", engine::CompoundKind::kResidential).ok());
  ASSERT_TRUE(builder.AddBuilding("b0", "c0", "b0", {0, 0}).ok());
  ASSERT_TRUE(builder.AddUnit("u0", "b0", "u0").ok());
  ASSERT_TRUE(builder.AddHousehold("h0", "u0").ok());
  ASSERT_TRUE(builder.AddResident(Code("tc", 3), "h0", false, engine::ExemptionReason::kNone).ok());
  engine::Site site;
  site.id = "clash-s0";
  site.desks = 1;
  site.closes_at_minute = engine::kMinutesPerDay;
  ASSERT_TRUE(builder.AddSite(site).ok());
  absl::StatusOr<engine::Community> built = std::move(builder).Finish();
  ASSERT_TRUE(built.ok()) << built.status();
  const grpc::Status imported = Import(*built);
  EXPECT_EQ(imported.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(imported.error_message(), HasSubstr("resident #1 of community 'clash'"));
  EXPECT_THAT(imported.error_message(), Not(HasSubstr(Code("tc", 3))));
  const grpc::Status status = CreateRound(RoundRequest("both", {"tc", "clash"}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetRound("rounds/both").error_code(), grpc::StatusCode::NOT_FOUND);
}

// ----------------------------------------------------- GetRound / ListRounds

TEST_F(CreateRoundTest, GetRoundReturnsTheRound) {
  ASSERT_TRUE(CreateRound("r1", "tc", 5).ok());
  v1::GetRoundResponse response;
  const grpc::Status status = GetRound("rounds/r1", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.round().name(), "rounds/r1");
  EXPECT_EQ(response.round().pool_ratio(), 5);
  EXPECT_EQ(response.round().state(), v1::ROUND_STATE_DRAFT);
}

// A community's IANA zone travels through the import to every round over
// it: GetRound names it, and people's times (wave labels) are read in it.
TEST_F(CreateRoundTest, ARoundCarriesItsCommunitysTimeZone) {
  engine::Community shanghai = MakeCommunity(CommunitySpec{.id = "sh"});
  shanghai.time_zone = "Asia/Shanghai";
  ASSERT_TRUE(Import(shanghai).ok());
  v1::CreateRoundRequest request = RoundRequest("east", {"sh"});
  ToProto(absl::FromUnixSeconds(1795762800), request.mutable_start_time());  // 07:00 UTC
  ASSERT_TRUE(CreateRound(request).ok());
  ASSERT_TRUE(CreateRound("west", "tc").ok());
  v1::GetRoundResponse east, west;
  ASSERT_TRUE(GetRound("rounds/east", &east).ok());
  ASSERT_TRUE(GetRound("rounds/west", &west).ok());
  EXPECT_EQ(east.round().time_zone(), "Asia/Shanghai");
  EXPECT_EQ(west.round().time_zone(), "UTC+00:00");  // given only an offset
  ASSERT_TRUE(Plan("east").ok());
  const v1::GetProgressResponse waves = Progress("east", v1::PROGRESS_LEVEL_WAVE);
  ASSERT_GT(waves.rows_size(), 0);
  EXPECT_EQ(waves.rows(0).label(), "15:00-15:30");
}

TEST_F(CreateRoundTest, ListRoundsWithPageSizeOneWalksEveryRoundInCreationOrder) {
  for (const char* id : {"b", "a", "c"}) ASSERT_TRUE(CreateRound(id, "tc").ok());
  v1::ListRoundsRequest request;
  request.set_page_size(1);
  std::vector<std::string> names;
  int pages = 0;
  for (; pages < 10; ++pages) {
    v1::ListRoundsResponse page;
    const grpc::Status status = client_->planning().ListRounds(Context().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_LE(page.rounds_size(), 1);
    for (const v1::Round& round : page.rounds()) names.push_back(round.name());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"rounds/b", "rounds/a", "rounds/c"}));
  EXPECT_EQ(pages, 2);  // three pages, the last without a token
}

TEST_F(CreateRoundTest, MalformedRoundNamesAreInvalid) {
  for (const char* name : {"round1", "rounds/", "rounds/a/b", "r1", "rounds/a b"}) {
    const grpc::Status status = GetRound(name);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
    EXPECT_THAT(status.error_message(), HasSubstr("rounds/{round_id}")) << name;
  }
  const grpc::Status empty = GetRound("");
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), HasSubstr("round is required"));
}

TEST_F(CreateRoundTest, UnknownRoundIsNotFound) {
  const grpc::Status status = GetRound("rounds/zz");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("round 'zz' does not exist"));
}

TEST_F(CreateRoundTest, ListRoundsWithABadPageTokenIsInvalid) {
  v1::ListRoundsRequest request;
  request.set_page_token("garbage");
  v1::ListRoundsResponse response;
  const grpc::Status status = client_->planning().ListRounds(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
}

TEST_F(CreateRoundTest, ListRoundsWithATooLargePageSizeIsInvalid) {
  v1::ListRoundsRequest request;
  request.set_page_size(1001);
  v1::ListRoundsResponse response;
  const grpc::Status status = client_->planning().ListRounds(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_size 1001"));
}

// ------------------------------------------------------------------ PlanRound

class PlanRoundTest : public PlanningServiceTest {
 protected:
  void SetUp() override {
    PlanningServiceTest::SetUp();
    ASSERT_TRUE(Import(MakeCommunity(spec_)).ok());
    ASSERT_TRUE(CreateRound("r", "tc").ok());
  }

  // Plans round "r" and keeps the summary.
  void PlanIt() {
    v1::PlanRoundResponse response;
    const grpc::Status status = Plan("r", &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    summary_ = response.summary();
  }

  CommunitySpec spec_ = kMixedSpec;
  v1::PlanSummary summary_;
};

TEST_F(PlanRoundTest, SummaryIsSane) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  const v1::PlanSummary& s = summary_;
  EXPECT_EQ(s.overloaded_cells(), 0);
  EXPECT_GE(s.waves_lower_bound(), 1);
  EXPECT_GE(s.waves_used(), s.waves_lower_bound());
  EXPECT_LE(s.waves_used(), s.waves_available());
  EXPECT_EQ(s.waves_available(), 48);  // 24 h of 30-minute waves
  EXPECT_EQ(s.residents(), 48);
  EXPECT_EQ(s.exempt(), 6);
  EXPECT_EQ(s.door_to_door(), 8);
  EXPECT_EQ(s.due_at_sites(), 34);
  EXPECT_EQ(s.due_at_sites() + s.door_to_door() + s.exempt(), s.residents());
  EXPECT_EQ(s.units(), 8);
  EXPECT_GE(s.total_walking_m(), 0);
  EXPECT_FALSE(s.planner().empty());

  v1::GetRoundResponse round;
  ASSERT_TRUE(GetRound("rounds/r", &round).ok());
  EXPECT_EQ(round.round().state(), v1::ROUND_STATE_PLANNED);
}

TEST_F(PlanRoundTest, TooLittleCapacityIsResourceExhausted) {
  // One site with one desk serves about 46 people in a 30-minute wave.
  ASSERT_TRUE(
      Import(MakeCommunity(CommunitySpec{
                 .id = "big", .residents_per_household = 6, .sites = 1, .desks_per_site = 1}))
          .ok());
  v1::CreateRoundRequest request = RoundRequest("tiny", {"big"});
  ToProto(absl::Minutes(30), request.mutable_duration());
  ASSERT_TRUE(CreateRound(request).ok());
  const grpc::Status status = Plan("tiny");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("residents of community 'big' have no place"));
  EXPECT_THAT(status.error_message(), HasSubstr("add desks or sites"));
  v1::GetRoundResponse round;
  ASSERT_TRUE(GetRound("rounds/tiny", &round).ok());
  EXPECT_EQ(round.round().state(), v1::ROUND_STATE_DRAFT);
}

TEST_F(PlanRoundTest, PlanningAnOpenRoundIsFailedPrecondition) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  ASSERT_TRUE(Open("r").ok());
  const grpc::Status status = Plan("r");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("round r is open"));
  EXPECT_THAT(status.error_message(), HasSubstr("only a draft or planned round can be planned"));
}

TEST_F(PlanRoundTest, PlannedRoundMayBeReplanned) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  v1::PlanRoundResponse again;
  ASSERT_TRUE(Plan("r", &again).ok());
  EXPECT_EQ(again.summary().due_at_sites(), summary_.due_at_sites());
}

TEST_F(PlanRoundTest, BadPlanOptionsAreInvalid) {
  v1::PlanRoundRequest request;
  request.set_request_id("plan-bad");
  request.set_round("rounds/r");
  request.mutable_options()->set_utilization(1.5);
  v1::PlanRoundResponse response;
  const grpc::Status status = client_->planning().PlanRound(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("utilization 1.5"));
}

TEST_F(PlanRoundTest, PlanWithoutRequestIdIsInvalid) {
  v1::PlanRoundRequest request;
  request.set_round("rounds/r");
  v1::PlanRoundResponse response;
  const grpc::Status status = client_->planning().PlanRound(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("request_id is required"));
}

TEST_F(PlanRoundTest, PlanOfAnUnknownRoundIsNotFound) {
  const grpc::Status status = Plan("nope");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("round 'nope' does not exist"));
}

TEST_F(PlanRoundTest, GetPlanBeforePlanningIsFailedPrecondition) {
  v1::GetPlanRequest request;
  request.set_round("rounds/r");
  v1::GetPlanResponse response;
  const grpc::Status status = client_->planning().GetPlan(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("has no plan yet; call PlanRound first"));
}

class ThreeSitePlanTest : public PlanRoundTest {
 protected:
  ThreeSitePlanTest() { spec_.sites = 3; }
};

TEST_F(ThreeSitePlanTest, GetPlanWithPageSizeOneWalksEverySite) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  v1::GetPlanRequest request;
  request.set_round("rounds/r");
  request.set_page_size(1);
  std::vector<std::string> sites;
  int64_t load = 0;
  for (int pages = 0; pages < 10; ++pages) {
    v1::GetPlanResponse page;
    const grpc::Status status = client_->planning().GetPlan(Context().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(SameMessage(page.summary(), summary_));
    ASSERT_LE(page.sites_size(), 1);
    for (const v1::SitePlan& site : page.sites()) {
      sites.push_back(site.site_id());
      EXPECT_EQ(site.community_id(), "tc");
      EXPECT_EQ(site.desks(), 2);
      for (const v1::WaveLoad& wave : site.waves()) {
        EXPECT_GT(wave.load(), 0);  // only waves with a load are listed
        EXPECT_LE(wave.load(), wave.capacity()) << site.site_id() << " wave " << wave.wave();
        EXPECT_LT(wave.wave(), summary_.waves_used());
        load += wave.load();
      }
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(sites, (std::vector<std::string>{"tc-s0", "tc-s1", "tc-s2"}));
  EXPECT_EQ(load, summary_.due_at_sites());
}

TEST_F(PlanRoundTest, EveryDueResidentIsInExactlyOneAssignment) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  v1::ListAssignmentsRequest request;
  request.set_round("rounds/r");
  request.set_page_size(1);
  int64_t residents = 0;
  std::vector<v1::Assignment> rows;
  for (int pages = 0; pages < 100; ++pages) {
    v1::ListAssignmentsResponse page;
    const grpc::Status status =
        client_->planning().ListAssignments(Context().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const v1::Assignment& a : page.assignments()) rows.push_back(a);
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  // Each unit (or each household of a split unit) is in one row only.
  std::set<std::string> covered;
  for (const v1::Assignment& a : rows) {
    residents += a.residents();
    EXPECT_GT(a.residents(), 0);
    EXPECT_EQ(a.community_id(), "tc");
    EXPECT_THAT(a.unit_id(), ::testing::StartsWith(a.building_id() + "-u"));
    EXPECT_THAT(a.site_id(), ::testing::StartsWith("tc-s"));
    EXPECT_EQ(FromProto(a.window_start()), kRoundStart + absl::Minutes(30) * a.wave());
    EXPECT_EQ(FromProto(a.window_end()) - FromProto(a.window_start()), absl::Minutes(30));
    if (a.household_ids().empty()) {
      EXPECT_TRUE(covered.insert(a.unit_id()).second) << "unit " << a.unit_id() << " twice";
    } else {
      for (const std::string& h : a.household_ids()) {
        EXPECT_TRUE(covered.insert(h).second) << "household " << h << " twice";
      }
    }
  }
  EXPECT_EQ(residents, summary_.due_at_sites());
  // Every unit here has someone due; unsplit, each is one row.
  if (summary_.split_units() == 0) {
    EXPECT_EQ(static_cast<int64_t>(rows.size()), summary_.units());
  }
}

TEST_F(PlanRoundTest, AssignmentsFilteredByBuilding) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  v1::ListAssignmentsRequest request;
  request.set_round("rounds/r");
  request.set_community_id("tc");
  request.set_building_id("b1");
  v1::ListAssignmentsResponse response;
  const grpc::Status status =
      client_->planning().ListAssignments(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::set<std::string> units;
  int64_t residents = 0;
  for (const v1::Assignment& a : response.assignments()) {
    EXPECT_EQ(a.building_id(), "b1");
    units.insert(a.unit_id());
    residents += a.residents();
  }
  EXPECT_EQ(units, (std::set<std::string>{"b1-u0", "b1-u1"}));
  // b1 holds residents 13..24: 14 and 21 exempt, 15 and 20 door-to-door.
  EXPECT_EQ(residents, 8);

  request.clear_building_id();
  ASSERT_TRUE(client_->planning().ListAssignments(Context().get(), request, &response).ok());
  int64_t all = 0;
  for (const v1::Assignment& a : response.assignments()) all += a.residents();
  EXPECT_EQ(all, summary_.due_at_sites());
}

TEST_F(PlanRoundTest, AssignmentsBuildingFilterWithoutCommunityIsInvalid) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  v1::ListAssignmentsRequest request;
  request.set_round("rounds/r");
  request.set_building_id("b1");
  v1::ListAssignmentsResponse response;
  const grpc::Status status =
      client_->planning().ListAssignments(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("building_id needs community_id"));
}

TEST_F(PlanRoundTest, AssignmentsOfAnUnknownBuildingAreNotFound) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  v1::ListAssignmentsRequest request;
  request.set_round("rounds/r");
  request.set_community_id("tc");
  request.set_building_id("b9");
  v1::ListAssignmentsResponse response;
  grpc::Status status = client_->planning().ListAssignments(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("building 'b9' is not in community 'tc'"));

  request.set_community_id("zz");
  status = client_->planning().ListAssignments(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("community 'zz' is not in round r"));
}

TEST_F(PlanRoundTest, DoorToDoorListMatchesThePlan) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  v1::ListDoorToDoorRequest request;
  request.set_round("rounds/r");
  request.set_page_size(1);  // one building a page
  std::set<std::string> codes;
  std::set<std::string> buildings;
  for (int pages = 0; pages < 20; ++pages) {
    v1::ListDoorToDoorResponse page;
    const grpc::Status status = client_->planning().ListDoorToDoor(Context().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_LE(page.buildings_size(), 1);
    for (const v1::DoorToDoorBuilding& b : page.buildings()) {
      EXPECT_TRUE(buildings.insert(b.building_id()).second) << b.building_id() << " twice";
      for (const v1::DoorToDoorVisit& visit : b.visits()) {
        EXPECT_TRUE(codes.insert(visit.code()).second);
        EXPECT_THAT(visit.unit_id(), ::testing::StartsWith(b.building_id() + "-u"));
        EXPECT_THAT(visit.household_id(), ::testing::StartsWith(visit.unit_id() + "-h"));
        // Round-wide dense ids follow the codes' order in the one community.
        EXPECT_EQ(Code("tc", static_cast<int>(visit.resident_id()) + 1), visit.code());
      }
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(static_cast<int64_t>(codes.size()), summary_.door_to_door());
  std::set<std::string> expected;
  for (int n : {5, 10, 15, 20, 25, 30, 40, 45}) expected.insert(Code("tc", n));
  EXPECT_EQ(codes, expected);
  EXPECT_EQ(buildings, (std::set<std::string>{"b0", "b1", "b2", "b3"}));
}

// ---------------------------------------------------------------- ReplanRound

class ReplanRoundTest : public PlanningServiceTest {
 protected:
  // 48 residents in households of three; sites tc-s0 and tc-s1, two desks
  // each; round "r" planned and open.
  void SetUp() override {
    PlanningServiceTest::SetUp();
    ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
    ASSERT_TRUE(CreateRound("r", "tc").ok());
    ASSERT_TRUE(Plan("r").ok());
    ASSERT_TRUE(Open("r").ok());
  }

  static v1::ReplanRoundRequest Request(int from_wave,
                                        std::vector<std::pair<std::string, int>> changes) {
    v1::ReplanRoundRequest request;
    request.set_request_id(Client::NewRequestId("replan"));
    request.set_round("rounds/r");
    request.set_from_wave(from_wave);
    for (const auto& [site, desks] : changes) {
      v1::SiteChange* change = request.add_changes();
      change->set_site_id(site);
      change->set_desks(desks);
    }
    return request;
  }

  grpc::Status Replan(const v1::ReplanRoundRequest& request, v1::ReplanRoundResponse* response) {
    return client_->planning().ReplanRound(Context().get(), request, response);
  }

  // Every assignment of round "r", as "site/wave:residents" per unit part.
  std::vector<v1::Assignment> Assignments() {
    v1::ListAssignmentsRequest request;
    request.set_round("rounds/r");
    request.set_page_size(5000);
    v1::ListAssignmentsResponse response;
    EXPECT_TRUE(
        client_->planning().ListAssignments(Context().get(), request, &response).ok());
    return {response.assignments().begin(), response.assignments().end()};
  }
};

TEST_F(ReplanRoundTest, ClosingASiteMovesItsUntestedAndKeepsEveryCheckIn) {
  ASSERT_TRUE(OpenTube("r", testing::Desk("tc-s0", 1), "TUBE-1").ok());
  ASSERT_TRUE(CheckIn("r", testing::Desk("tc-s0", 1), testing::Code("tc", 1)).ok());
  int64_t at_s1 = 0;
  for (const v1::Assignment& a : Assignments()) at_s1 += a.site_id() == "tc-s1" ? a.residents() : 0;
  ASSERT_GT(at_s1, 0) << "the plan must use tc-s1 for the test to mean something";

  const v1::ReplanRoundRequest request = Request(0, {{"tc-s1", 0}});
  v1::ReplanRoundResponse response;
  const grpc::Status status = Replan(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(response.moved_households(), 0);
  EXPECT_EQ(response.summary().overloaded_cells(), 0);
  EXPECT_EQ(response.summary().due_at_sites(), 48);
  int64_t untested_moved = 0;
  for (const v1::MovedResident& m : response.moved()) {
    EXPECT_EQ(m.from_site_id(), "tc-s1");
    EXPECT_EQ(m.to_site_id(), "tc-s0");
    EXPECT_NE(m.resident_code(), testing::Code("tc", 1)) << "a sampled resident is not notified";
    EXPECT_EQ(m.resident_code(), testing::Code("tc", m.resident() + 1));
    ++untested_moved;
  }
  // Everyone at tc-s1 moved (tc-1's household, if there, moves whole).
  const bool tc1_moved = untested_moved + 1 == at_s1;
  EXPECT_TRUE(untested_moved == at_s1 || tc1_moved) << untested_moved << " of " << at_s1;
  for (const v1::Assignment& a : Assignments()) EXPECT_EQ(a.site_id(), "tc-s0");

  // The check-in stands, and the moved can check in at their new site.
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(), 1);
  ASSERT_FALSE(response.moved().empty());
  EXPECT_TRUE(
      CheckIn("r", testing::Desk("tc-s0", 1), response.moved(0).resident_code()).ok());

  // A retry gets the same answer and changes nothing more.
  v1::ReplanRoundResponse retry;
  ASSERT_TRUE(Replan(request, &retry).ok());
  EXPECT_TRUE(SameMessage(response, retry)) << retry.DebugString();
}

TEST_F(ReplanRoundTest, NoRoomLeftIsResourceExhaustedAndChangesNothing) {
  const std::vector<v1::Assignment> before = Assignments();
  v1::ReplanRoundResponse response;
  const grpc::Status status = Replan(Request(0, {{"tc-s0", 0}, {"tc-s1", 0}}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("residents have no place from wave 0 on"));
  EXPECT_THAT(status.error_message(), HasSubstr("keep more desks open"));
  const std::vector<v1::Assignment> after = Assignments();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(SameMessage(after[i], before[i])) << i;
}

// -------------------------------------------------------------- ForecastRound

TEST_F(PlanRoundTest, ForecastOfThePlanIsDeterministicPagedAndAddsUp) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  v1::ForecastRoundRequest request;
  request.set_round("rounds/r");
  request.mutable_options()->set_replications(20);
  request.mutable_options()->set_seed(7);
  request.set_page_size(1);
  v1::ForecastRoundResponse first;
  grpc::Status status = client_->planning().ForecastRound(Context().get(), request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.replications(), 20);
  EXPECT_EQ(first.seed(), 7u);
  EXPECT_EQ(first.planned(), summary_.due_at_sites());
  EXPECT_NEAR(first.mean_served() + first.mean_no_shows(), first.planned(), 1e-6);
  EXPECT_GE(FromProto(first.completion_p95()), FromProto(first.completion_p50()));
  EXPECT_GT(FromProto(first.completion_p50()), absl::ZeroDuration());
  ASSERT_EQ(first.sites_size(), 1);
  EXPECT_EQ(first.total_sites(), 2);
  ASSERT_FALSE(first.next_page_token().empty());

  // The second page comes from the same simulation: the sites add up.
  request.set_page_token(first.next_page_token());
  v1::ForecastRoundResponse second;
  ASSERT_TRUE(client_->planning().ForecastRound(Context().get(), request, &second).ok());
  ASSERT_EQ(second.sites_size(), 1);
  EXPECT_TRUE(second.next_page_token().empty());
  EXPECT_EQ(first.sites(0).planned() + second.sites(0).planned(), first.planned());
  EXPECT_EQ(FromProto(second.completion_p50()), FromProto(first.completion_p50()));
  for (const v1::SiteForecast& site : {first.sites(0), second.sites(0)}) {
    EXPECT_GE(site.peak_queue_p95(), site.peak_queue_p50());
    EXPECT_FALSE(site.queue_p95().empty());
  }

  // Same seed, same forecast; an impossible crowding limit flags no wave,
  // a limit of one person flags some.
  request.clear_page_token();
  v1::ForecastRoundResponse again;
  ASSERT_TRUE(client_->planning().ForecastRound(Context().get(), request, &again).ok());
  EXPECT_TRUE(SameMessage(first, again));
  request.mutable_options()->set_crowding_limit(1000000);
  v1::ForecastRoundResponse calm;
  ASSERT_TRUE(client_->planning().ForecastRound(Context().get(), request, &calm).ok());
  EXPECT_EQ(calm.crowded_waves_size(), 0);
  request.mutable_options()->set_crowding_limit(1);
  request.mutable_options()->set_per_desk_rate_per_hour(5);
  v1::ForecastRoundResponse crowded;
  ASSERT_TRUE(client_->planning().ForecastRound(Context().get(), request, &crowded).ok());
  ASSERT_GT(crowded.crowded_waves_size(), 0);
  EXPECT_GT(crowded.crowded_waves(0).over_limit_by(), 0);
}

// ------------------------------------------------- OpenRound / CloseRound

TEST_F(PlanRoundTest, OpenBeforePlanIsFailedPrecondition) {
  const grpc::Status status = Open("r");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("round r is draft; plan it before opening it"));
}

TEST_F(PlanRoundTest, OpenTwiceIsFailedPreconditionUnlessRetried) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  ASSERT_TRUE(Open("r", "open-1").ok());
  EXPECT_TRUE(Open("r", "open-1").ok());  // the retry: the original answer
  const grpc::Status status = Open("r", "open-2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("round r is open"));
}

TEST_F(PlanRoundTest, CloseBeforeOpenIsFailedPrecondition) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  const grpc::Status status = Close("r");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("only an open round can be closed"));
}

TEST_F(PlanRoundTest, CloseTwiceIsFailedPreconditionWithANewRequestId) {
  ASSERT_NO_FATAL_FAILURE(PlanIt());
  ASSERT_TRUE(Open("r").ok());
  v1::CloseRoundResponse first, retry;
  ASSERT_TRUE(Close("r", "close-1", &first).ok());
  EXPECT_EQ(first.round().state(), v1::ROUND_STATE_CLOSED);
  // The same request id is a retry of the first close: its original OK.
  const grpc::Status retried = Close("r", "close-1", &retry);
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_TRUE(SameMessage(first, retry));
  const grpc::Status second = Close("r", "close-2");
  EXPECT_EQ(second.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(second.error_message(), HasSubstr("round r is closed"));
}

TEST_F(PlanRoundTest, OpenOrCloseWithoutRequestIdIsInvalid) {
  v1::OpenRoundRequest open;
  open.set_round("rounds/r");
  v1::OpenRoundResponse opened;
  grpc::Status status = client_->planning().OpenRound(Context().get(), open, &opened);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("request_id is required"));
  v1::CloseRoundRequest close;
  close.set_round("rounds/r");
  v1::CloseRoundResponse closed;
  status = client_->planning().CloseRound(Context().get(), close, &closed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("request_id is required"));
}

}  // namespace
}  // namespace swabwave::services
