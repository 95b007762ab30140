// The server with its journal (--data_dir): a graceful restart mid-round
// continues the same round with nothing lost, a snapshot at shutdown makes
// the restart replay no segment records, and a full journal queue refuses
// check-ins with RESOURCE_EXHAUSTED before they touch the round. A
// household's early seal is journaled like a seal by hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "tests/services/test_server.h"

namespace swabwave::services::testing {
namespace {

using ::testing::HasSubstr;

class DurableServerTest : public ServerTest {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = (std::filesystem::path(::testing::TempDir()) /
            absl::StrCat("swabwave-durable-", test->name(), "-", getpid()))
               .string();
    std::filesystem::remove_all(dir_);
    StartServer(ServerOptions{.listen = "127.0.0.1:0", .http_listen = "127.0.0.1:0",
                              .data_dir = dir_});
  }
  void TearDown() override {
    ServerTest::TearDown();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
};

TEST_F(DurableServerTest, ARestartMidRoundContinuesTheSameRoundWithNothingLost) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const std::string desk = Desk("tc-s0", 1);
  ASSERT_TRUE(OpenTube("r", desk, "TUBE-1").ok());
  ASSERT_TRUE(OpenTube("r", desk, "TUBE-2").ok());
  std::vector<v1::CheckInOutcome> outcomes;
  v1::CheckInStreamRequest message;
  for (int n = 1; n <= 13; ++n) {
    *message.add_check_ins() = CheckInRequest("r", desk, Code("tc", n), absl::StrCat("ci-", n));
  }
  ASSERT_TRUE(Stream({message}, &outcomes).ok());
  for (const v1::CheckInOutcome& outcome : outcomes) ASSERT_EQ(outcome.status().code(), 0);

  RestartServer();
  EXPECT_EQ(server_->recovery().last_sequence, server_->store().last_appended());
  v1::GetRoundResponse round;
  ASSERT_TRUE(GetRound("rounds/r", &round).ok());
  EXPECT_EQ(round.round().state(), v1::ROUND_STATE_OPEN);
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(), 13);

  // A tablet retrying after the restart gets its original answer.
  v1::CheckInResponse replayed;
  ASSERT_TRUE(CheckIn("r", desk, Code("tc", 12), &replayed, "ci-12").ok());
  EXPECT_TRUE(replayed.replayed());
  EXPECT_EQ(replayed.tube_barcode(), "TUBE-2");
  EXPECT_EQ(replayed.position(), 2);
  // The desk goes on in TUBE-2 at position 4; a double scan is refused.
  v1::CheckInResponse next;
  ASSERT_TRUE(CheckIn("r", desk, Code("tc", 14), &next).ok());
  EXPECT_EQ(next.tube_barcode(), "TUBE-2");
  EXPECT_EQ(next.position(), 4);
  EXPECT_EQ(CheckIn("r", Desk("tc-s0", 2), Code("tc", 3)).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

// A household scanned together (CheckInRequest.group) goes into one tube:
// the desk seals its open tube early rather than split it, journals that
// seal like a seal by hand, and a restart keeps the tube closed even when
// the seal was the desk's last event.
TEST_F(DurableServerTest, AHouseholdStartsAFreshTubeAndItsEarlySealSurvivesARestart) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r", 5));
  const std::string desk = Desk("tc-s0", 1);
  ASSERT_TRUE(OpenTube("r", desk, "HOME-1").ok());
  ASSERT_TRUE(OpenTube("r", desk, "HOME-2").ok());
  const auto household = [&](const std::string& group, int first_resident, int size) {
    v1::CheckInStreamRequest message;
    for (int n = first_resident; n < first_resident + size; ++n) {
      v1::CheckInRequest* check_in = message.add_check_ins();
      *check_in = CheckInRequest("r", desk, Code("tc", n), absl::StrCat("hh-", n));
      check_in->set_group(group);
    }
    return message;
  };
  // Three people alone, then a household of three: two positions are left
  // in HOME-1, so HOME-1 is sealed with three and the household starts HOME-2.
  v1::CheckInStreamRequest first = household("", 1, 3);
  first.MergeFrom(household("h1", 4, 3));
  std::vector<v1::CheckInOutcome> outcomes;
  ASSERT_TRUE(Stream({first}, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(outcomes[i].status().code(), 0) << outcomes[i].status().message();
    EXPECT_EQ(outcomes[i].result().tube_barcode(), i < 3 ? "HOME-1" : "HOME-2") << i;
    EXPECT_EQ(outcomes[i].result().position(), i % 3 + 1) << i;
  }
  v1::SealTubeResponse sealed;
  grpc::Status seal = SealTube("r", desk, "HOME-1", &sealed);
  EXPECT_EQ(seal.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(seal.error_message(), HasSubstr("already sealed"));

  // The next household does not fit in HOME-2 either, and no tube is racked
  // behind it: HOME-2 is sealed with three and the whole household waits.
  outcomes.clear();
  ASSERT_TRUE(Stream({household("h2", 7, 3)}, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 3u);
  for (const v1::CheckInOutcome& outcome : outcomes) {
    EXPECT_EQ(outcome.status().code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(outcome.status().message(), HasSubstr("has no open tube"));
  }

  // The early seal was the desk's last event; after a restart the desk
  // still has no open tube (HOME-2 is not reopened at position 4).
  RestartServer();
  EXPECT_EQ(CheckIn("r", desk, Code("tc", 10)).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  seal = SealTube("r", desk, "HOME-2");
  EXPECT_EQ(seal.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(seal.error_message(), HasSubstr("already sealed"));
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(), 6);

  // The tablet racks a tube and sends the household again: it starts HOME-3.
  ASSERT_TRUE(OpenTube("r", desk, "HOME-3").ok());
  outcomes.clear();
  ASSERT_TRUE(Stream({household("h2", 7, 3)}, &outcomes).ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(outcomes[i].status().code(), 0) << outcomes[i].status().message();
    EXPECT_EQ(outcomes[i].result().tube_barcode(), "HOME-3");
    EXPECT_EQ(outcomes[i].result().position(), i + 1);
  }

  // A household label longer than 64 bytes is refused, naming the limit.
  v1::CheckInStreamRequest long_label = household(std::string(65, 'h'), 11, 1);
  outcomes.clear();
  ASSERT_TRUE(Stream({long_label}, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].status().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(outcomes[0].status().message(), HasSubstr("at most 64"));
}

TEST_F(DurableServerTest, AGracefulShutdownSnapshotsSoTheRestartReplaysNoSegments) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-1").ok());
  ASSERT_TRUE(CheckIn("r", Desk("tc-s0", 1), Code("tc", 1)).ok());
  const uint64_t appended = server_->store().last_appended();
  RestartServer();
  EXPECT_EQ(server_->recovery().snapshot_sequence, appended);
  EXPECT_GT(server_->recovery().snapshot_records, 0u);
  EXPECT_EQ(server_->recovery().records, 0u);
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(), 1);
}

TEST_F(DurableServerTest, AFullJournalQueueRefusesAStreamMessageWhole) {
  // A queue of one record: a message of two check-ins can never be admitted.
  ServerOptions options = options_;
  options.max_pending_records = 1;
  client_.reset();
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  StartServer(options);
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const std::string desk = Desk("tc-s0", 1);
  ASSERT_TRUE(OpenTube("r", desk, "TUBE-1").ok());
  std::vector<v1::CheckInOutcome> outcomes;
  v1::CheckInStreamRequest message;
  *message.add_check_ins() = CheckInRequest("r", desk, Code("tc", 1), "a");
  *message.add_check_ins() = CheckInRequest("r", desk, Code("tc", 2), "b");
  ASSERT_TRUE(Stream({message}, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 2u);
  for (const v1::CheckInOutcome& outcome : outcomes) {
    EXPECT_EQ(outcome.status().code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(outcome.status().message(), HasSubstr("retry"));
    EXPECT_FALSE(outcome.has_result());
  }
  // Nothing reached the round; one at a time still gets through.
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(), 0);
  EXPECT_TRUE(CheckIn("r", desk, Code("tc", 1), nullptr, "a").ok());
}

// A plan made within the staff on hand keeps, across a restart, the desks
// each wave may open and the gear rules its roster keeps: the same summary,
// the same per-wave desks and the same roster.
TEST_F(DurableServerTest, AStaffedPlanAndItsRosterSurviveARestart) {
  CommunitySpec spec;
  spec.buildings = 20;
  spec.desks_per_site = 4;
  ASSERT_TRUE(Import(MakeCommunity(spec)).ok());
  ASSERT_TRUE(CreateRound("r", "tc").ok());
  v1::PlanRoundRequest plan;
  plan.set_request_id("staffed");
  plan.set_round("rounds/r");
  plan.mutable_options()->mutable_staffing()->mutable_max_in_gear()->set_seconds(3 * 3600);
  v1::PlanRoundResponse planned;
  const grpc::Status status = client_->planning().PlanRound(Context().get(), plan, &planned);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(planned.summary().within_staff());
  ASSERT_GT(planned.summary().desk_waves_closed_for_staff(), 0);

  const auto snapshot = [&](v1::GetPlanResponse* plan_out, v1::GetRosterResponse* roster_out) {
    v1::GetPlanRequest get_plan;
    get_plan.set_round("rounds/r");
    ASSERT_TRUE(client_->planning().GetPlan(Context().get(), get_plan, plan_out).ok());
    v1::GetRosterRequest get_roster;
    get_roster.set_round("rounds/r");
    ASSERT_TRUE(client_->planning().GetRoster(Context().get(), get_roster, roster_out).ok());
  };
  v1::GetPlanResponse plan_before, plan_after;
  v1::GetRosterResponse roster_before, roster_after;
  ASSERT_NO_FATAL_FAILURE(snapshot(&plan_before, &roster_before));
  ASSERT_NO_FATAL_FAILURE(RestartServer());
  ASSERT_NO_FATAL_FAILURE(snapshot(&plan_after, &roster_after));
  EXPECT_EQ(plan_after.SerializeAsString(), plan_before.SerializeAsString());
  EXPECT_EQ(roster_after.SerializeAsString(), roster_before.SerializeAsString());
  EXPECT_EQ(FromProto(roster_after.max_in_gear()), absl::Hours(3));
  EXPECT_EQ(roster_after.shortfalls_total(), 0);
}

}  // namespace
}  // namespace swabwave::services::testing
