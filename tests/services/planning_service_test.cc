// PlanningService over a real server on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;
using ::swabwave::services::testing::kRoundStart;
using ::testing::HasSubstr;

using PlanningServiceTest = testing::ServerTest;

TEST_F(PlanningServiceTest, ImportCountsEveryEntity) {
  v1::ImportCommunityResponse response;
  const grpc::Status status = Import(MakeCommunity(Shape{.mobility_limited_every = 5}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.community(), "communities/tc");
  EXPECT_EQ(response.residents(), 24);
  EXPECT_EQ(response.households(), 12);
  EXPECT_EQ(response.units(), 4);
  EXPECT_EQ(response.buildings(), 2);
  EXPECT_EQ(response.sites(), 1);
  EXPECT_EQ(response.desks(), 2);
}

TEST_F(PlanningServiceTest, ImportRejectsBadStreams) {
  auto send = [&](const std::vector<v1::ImportCommunityRequest>& chunks) {
    v1::ImportCommunityResponse response;
    auto context = Context();
    auto writer = client_->planning().ImportCommunity(context.get(), &response);
    for (const auto& chunk : chunks) writer->Write(chunk);
    writer->WritesDone();
    return writer->Finish();
  };
  const std::vector<v1::ImportCommunityRequest> good =
      CommunityToChunks(MakeCommunity(Shape{}), "imp-1", 5);

  grpc::Status status = send({});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("no chunks"));

  std::vector<v1::ImportCommunityRequest> no_header = good;
  no_header[0].clear_community();
  status = send(no_header);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("community header"));

  std::vector<v1::ImportCommunityRequest> cut(good.begin(), good.end() - 1);  // no `last`
  status = send(cut);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("nothing was imported"));
  EXPECT_EQ(CreateRound("r", "tc").error_code(), grpc::StatusCode::NOT_FOUND);

  std::vector<v1::ImportCommunityRequest> dangling = good;
  dangling[1].add_units()->set_unit_id("u-x");
  dangling[1].mutable_units(dangling[1].units_size() - 1)->set_building_id("no-such-building");
  status = send(dangling);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("chunk 1"));
  EXPECT_THAT(status.error_message(), HasSubstr("no-such-building"));

  ASSERT_TRUE(send(good).ok());
  // Same request id, same stream: the original answer.
  EXPECT_TRUE(send(good).ok());
  // A new request for a community that exists.
  status = send(CommunityToChunks(MakeCommunity(Shape{}), "imp-2", 5));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  // Another community reusing the first one's site id.
  engine::Community clash = MakeCommunity(Shape{.id = "other"});
  clash.sites[0].id = "tc-s0";
  status = send(CommunityToChunks(clash, "imp-3", 5));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("tc-s0"));
}

TEST_F(PlanningServiceTest, CreateRoundValidatesAndIsIdempotent) {
  v1::ImportCommunityResponse imported;
  ASSERT_TRUE(Import(MakeCommunity(Shape{}), &imported).ok());
  v1::CreateRoundRequest request;
  request.set_request_id("create-1");
  request.set_round_id("r1");
  request.add_community_ids("tc");
  ToProto(kRoundStart, request.mutable_start_time());
  request.set_pool_ratio(7);
  v1::CreateRoundResponse response;
  grpc::Status status = client_->planning().CreateRound(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("pool_ratio 7"));

  request.set_request_id("create-2");
  request.set_pool_ratio(10);
  request.clear_start_time();
  status = client_->planning().CreateRound(Context().get(), request, &response);
  EXPECT_THAT(status.error_message(), HasSubstr("start_time is required"));

  ToProto(kRoundStart, request.mutable_start_time());
  request.set_request_id("");
  status = client_->planning().CreateRound(Context().get(), request, &response);
  EXPECT_THAT(status.error_message(), HasSubstr("request_id is required"));

  request.set_request_id("create-3");
  request.set_community_ids(0, "nowhere");
  status = client_->planning().CreateRound(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  request.set_request_id("create-4");
  request.set_community_ids(0, "tc");
  ASSERT_TRUE(client_->planning().CreateRound(Context().get(), request, &response).ok());
  EXPECT_EQ(response.round().name(), "rounds/r1");
  EXPECT_EQ(response.round().state(), v1::ROUND_STATE_DRAFT);
  EXPECT_EQ(response.round().residents(), 24);
  // The retry gets the original answer, not ALREADY_EXISTS.
  v1::CreateRoundResponse retry;
  ASSERT_TRUE(client_->planning().CreateRound(Context().get(), request, &retry).ok());
  EXPECT_EQ(retry.round().name(), "rounds/r1");
  // A new attempt for the same id is refused.
  request.set_request_id("create-5");
  EXPECT_EQ(client_->planning().CreateRound(Context().get(), request, &response).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  // The first request id reused for something else.
  request.set_request_id("create-4");
  request.set_round_id("r2");
  status = client_->planning().CreateRound(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("already used"));
}

TEST_F(PlanningServiceTest, RoundsAreListedAndNamesChecked) {
  v1::ImportCommunityResponse imported;
  ASSERT_TRUE(Import(MakeCommunity(Shape{}), &imported).ok());
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(CreateRound(id, "tc").ok());
  v1::ListRoundsRequest list;
  list.set_page_size(1);
  std::vector<std::string> names;
  for (int pages = 0; pages < 10; ++pages) {
    v1::ListRoundsResponse page;
    ASSERT_TRUE(client_->planning().ListRounds(Context().get(), list, &page).ok());
    for (const v1::Round& r : page.rounds()) names.push_back(r.name());
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"rounds/a", "rounds/b", "rounds/c"}));
  list.set_page_token("garbage");
  v1::ListRoundsResponse page;
  EXPECT_EQ(client_->planning().ListRounds(Context().get(), list, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  for (const char* name : {"round1", "rounds/", "rounds/a/b"}) {
    v1::GetRoundRequest get;
    get.set_round(name);
    v1::GetRoundResponse got;
    EXPECT_EQ(client_->planning().GetRound(Context().get(), get, &got).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << name;
  }
  v1::GetRoundRequest get;
  get.set_round("rounds/zz");
  v1::GetRoundResponse got;
  EXPECT_EQ(client_->planning().GetRound(Context().get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PlanningServiceTest, PlanCoversEveryoneAndListsTheSchedule) {
  v1::ImportCommunityResponse imported;
  ASSERT_TRUE(
      Import(MakeCommunity(Shape{.mobility_limited_every = 5, .exempt_every = 7}), &imported).ok());
  ASSERT_TRUE(CreateRound("r", "tc").ok());
  v1::PlanRoundResponse planned;
  ASSERT_TRUE(Plan("r", &planned).ok());
  const v1::PlanSummary& s = planned.summary();
  EXPECT_EQ(s.overloaded_cells(), 0);
  EXPECT_GE(s.waves_used(), s.waves_lower_bound());
  EXPECT_EQ(s.due_at_sites() + s.door_to_door() + s.exempt(), s.residents());
  EXPECT_EQ(s.door_to_door(), 4);

  v1::ListAssignmentsRequest list;
  list.set_round("rounds/r");
  list.set_page_size(1);
  int64_t residents = 0;
  int pages = 0;
  for (; pages < 20; ++pages) {
    v1::ListAssignmentsResponse page;
    ASSERT_TRUE(client_->planning().ListAssignments(Context().get(), list, &page).ok());
    for (const v1::Assignment& a : page.assignments()) {
      residents += a.residents();
      EXPECT_EQ(a.site_id(), "tc-s0");
      EXPECT_EQ(FromProto(a.window_end()) - FromProto(a.window_start()), absl::Minutes(30));
    }
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(residents, s.due_at_sites());
  EXPECT_EQ(pages + 1, 4);  // one row per unit

  list.clear_page_token();
  list.set_building_id("b1");
  v1::ListAssignmentsResponse filtered;
  EXPECT_EQ(client_->planning().ListAssignments(Context().get(), list, &filtered).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  list.set_community_id("tc");
  list.set_page_size(100);
  ASSERT_TRUE(client_->planning().ListAssignments(Context().get(), list, &filtered).ok());
  EXPECT_EQ(filtered.assignments_size(), 2);
  for (const v1::Assignment& a : filtered.assignments()) EXPECT_EQ(a.building_id(), "b1");
  list.set_building_id("b9");
  EXPECT_EQ(client_->planning().ListAssignments(Context().get(), list, &filtered).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::ListDoorToDoorRequest d2d;
  d2d.set_round("rounds/r");
  v1::ListDoorToDoorResponse visits;
  ASSERT_TRUE(client_->planning().ListDoorToDoor(Context().get(), d2d, &visits).ok());
  int total = 0;
  for (const v1::DoorToDoorBuilding& b : visits.buildings()) total += b.visits_size();
  EXPECT_EQ(total, 4);

  v1::GetPlanRequest get;
  get.set_round("rounds/r");
  v1::GetPlanResponse plan;
  ASSERT_TRUE(client_->planning().GetPlan(Context().get(), get, &plan).ok());
  ASSERT_EQ(plan.sites_size(), 1);
  int64_t load = 0;
  for (const v1::WaveLoad& w : plan.sites(0).waves()) {
    EXPECT_LE(w.load(), w.capacity());
    load += w.load();
  }
  EXPECT_EQ(load, s.due_at_sites());
}

TEST_F(PlanningServiceTest, NotEnoughCapacityIsResourceExhausted) {
  v1::ImportCommunityResponse imported;
  ASSERT_TRUE(
      Import(MakeCommunity(Shape{.residents_per_household = 20, .desks_per_site = 1}), &imported)
          .ok());
  v1::CreateRoundRequest request;
  request.set_request_id("tiny");
  request.set_round_id("tiny");
  request.add_community_ids("tc");
  ToProto(kRoundStart, request.mutable_start_time());
  request.set_pool_ratio(10);
  ToProto(absl::Minutes(30), request.mutable_duration());
  v1::CreateRoundResponse created;
  ASSERT_TRUE(client_->planning().CreateRound(Context().get(), request, &created).ok());
  v1::PlanRoundResponse planned;
  const grpc::Status status = Plan("tiny", &planned);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("add desks or sites"));
}

TEST_F(PlanningServiceTest, RoundStateMachineIsEnforced) {
  v1::ImportCommunityResponse imported;
  ASSERT_TRUE(Import(MakeCommunity(Shape{}), &imported).ok());
  ASSERT_TRUE(CreateRound("r", "tc").ok());
  grpc::Status status = Open("r");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("plan it"));
  ASSERT_TRUE(Plan("r").ok());
  ASSERT_TRUE(Open("r").ok());
  EXPECT_EQ(Plan("r").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Close("r", "close-1").ok());
  EXPECT_TRUE(Close("r", "close-1").ok());  // the retry: the original answer
  status = Close("r", "close-2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("closed"));
}

}  // namespace
}  // namespace swabwave::services
