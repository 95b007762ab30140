// Rosters that change through the server (issue 18). Re-importing: the
// preview counts and lists the changes and stores nothing, the new version
// is stored and answered with its diff, rounds keep their versions across a
// restart, and each refusal names what to do. Walk-ins: registered and
// sampled at a desk, counted, refused a second swab, kept across a
// restart, and on the next round's roster.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "tests/engine/test_community.h"
#include "tests/services/test_server.h"

namespace swabwave::services::testing {
namespace {

using ::swabwave::engine::testing::Rebuilt;
using ::swabwave::engine::testing::RosterEdits;
using ::testing::HasSubstr;

class RosterImportTest : public JournaledServerTest {
 protected:
  grpc::Status ImportAs(const engine::Community& community, v1::ImportMode mode,
                        int base_version, v1::ImportCommunityResponse* response) {
    std::vector<v1::ImportCommunityRequest> chunks =
        CommunityToChunks(community, absl::StrCat("reimport-", ++request_counter_), 7);
    chunks[0].set_mode(mode);
    chunks[0].set_base_version(base_version);
    return ImportChunks(chunks, response);
  }

  int request_counter_ = 0;
};

// 48 residents; the edit removes rows 2 and 48, moves row 4 to another
// household, makes row 6 mobility-limited and adds one.
engine::Community Edited() {
  RosterEdits edits;
  edits.remove_rows = {2, 48};
  edits.move_rows = {{4, "b3-u1-h1"}};
  edits.mobility_limited_rows = {6};
  edits.add = {{"tc-new-1", "b0-u0-h0"}};
  return Rebuilt(MakeCommunity(CommunitySpec{}), edits);
}

TEST_F(RosterImportTest, APreviewListsTheChangesAndStoresNothing) {
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
  v1::ImportCommunityResponse preview;
  grpc::Status status = ImportAs(Edited(), v1::IMPORT_MODE_PREVIEW, 0, &preview);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(preview.version(), 0);
  EXPECT_EQ(preview.residents(), 47);
  const v1::RosterDiff& diff = preview.diff();
  EXPECT_EQ(diff.base_version(), 1);
  EXPECT_EQ(diff.added(), 1);
  EXPECT_EQ(diff.removed(), 2);
  EXPECT_EQ(diff.moved(), 1);
  EXPECT_EQ(diff.flags_changed(), 1);
  EXPECT_EQ(diff.unchanged(), 48 - 2 - 2);
  EXPECT_EQ(diff.blocked(), "");
  ASSERT_EQ(diff.changes_size(), 5);
  // Row 4 is the import's 3rd resident (row 2 is gone).
  EXPECT_EQ(diff.changes(0).code(), Code("tc", 4));
  EXPECT_TRUE(diff.changes(0).moved());
  EXPECT_EQ(diff.changes(0).row(), 3);
  EXPECT_EQ(diff.changes(0).base_row(), 4);
  EXPECT_EQ(diff.changes(0).household_id(), "b3-u1-h1");
  EXPECT_EQ(diff.changes(0).base_household_id(), "b0-u0-h1");
  EXPECT_TRUE(diff.changes(1).flags_changed());
  EXPECT_TRUE(diff.changes(1).mobility_limited());
  EXPECT_FALSE(diff.changes(1).base_mobility_limited());
  EXPECT_TRUE(diff.changes(2).added());
  EXPECT_EQ(diff.changes(2).code(), "tc-new-1");
  EXPECT_EQ(diff.changes(2).row(), 47);
  EXPECT_TRUE(diff.changes(3).removed());
  EXPECT_EQ(diff.changes(3).code(), Code("tc", 2));
  EXPECT_EQ(diff.changes(3).row(), 0);
  EXPECT_EQ(diff.changes(3).base_row(), 2);

  // Nothing stored: a round made now has the first version.
  ASSERT_TRUE(CreateRound("r", "tc").ok());
  v1::GetRoundResponse round;
  ASSERT_TRUE(GetRound("rounds/r", &round).ok());
  EXPECT_EQ(round.round().residents(), 48);
  EXPECT_THAT(round.round().community_versions(), ::testing::ElementsAre(1));
}

TEST_F(RosterImportTest, ANewVersionIsStoredAndRoundsKeepTheirsAcrossARestart) {
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
  ASSERT_TRUE(CreateRound("before", "tc").ok());
  v1::ImportCommunityResponse stored;
  grpc::Status status = ImportAs(Edited(), v1::IMPORT_MODE_NEW_VERSION, 1, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stored.version(), 2);
  EXPECT_EQ(stored.diff().base_version(), 1);
  EXPECT_EQ(stored.diff().removed(), 2);
  ASSERT_TRUE(CreateRound("after", "tc").ok());

  RestartServer();
  v1::GetRoundResponse round;
  ASSERT_TRUE(GetRound("rounds/before", &round).ok());
  EXPECT_EQ(round.round().residents(), 48);
  EXPECT_THAT(round.round().community_versions(), ::testing::ElementsAre(1));
  ASSERT_TRUE(GetRound("rounds/after", &round).ok());
  EXPECT_EQ(round.round().residents(), 47);
  EXPECT_THAT(round.round().community_versions(), ::testing::ElementsAre(2));

  // The next version counts on from the recovered one.
  status = ImportAs(MakeCommunity(CommunitySpec{}), v1::IMPORT_MODE_NEW_VERSION, 2, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stored.version(), 3);
  EXPECT_EQ(stored.diff().added(), 2);  // rows 2 and 48 are back
}

TEST_F(RosterImportTest, RefusalsSayWhatToDo) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  // A plain import of a community the server has.
  grpc::Status status = Import(MakeCommunity(CommunitySpec{}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("new version"));

  // Removing someone sampled in the open round.
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-1").ok());
  ASSERT_TRUE(CheckIn("r", Desk("tc-s0", 1), Code("tc", 2)).ok());
  v1::ImportCommunityResponse response;
  ASSERT_TRUE(ImportAs(Edited(), v1::IMPORT_MODE_PREVIEW, 0, &response).ok());
  EXPECT_THAT(response.diff().blocked(), HasSubstr("sampled in round r"));
  status = ImportAs(Edited(), v1::IMPORT_MODE_NEW_VERSION, 1, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("resident #2 of version 1"));
  EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr(Code("tc", 2))));

  // A base that is not the latest.
  RosterEdits keep_2;
  keep_2.remove_rows = {48};
  ASSERT_TRUE(ImportAs(Rebuilt(MakeCommunity(CommunitySpec{}), keep_2),
                       v1::IMPORT_MODE_NEW_VERSION, 1, &response)
                  .ok());
  status = ImportAs(MakeCommunity(CommunitySpec{}), v1::IMPORT_MODE_NEW_VERSION, 1, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(status.error_message(), HasSubstr("preview the changes again"));

  // A mode the server does not know, and a base without a new version.
  status = ImportAs(MakeCommunity(CommunitySpec{}), static_cast<v1::ImportMode>(7), 0, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("IMPORT_MODE_NEW_VERSION"));
  status = ImportAs(MakeCommunity(CommunitySpec{}), v1::IMPORT_MODE_PREVIEW, 2, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("base_version 2"));
}

using WalkInServerTest = RosterImportTest;

v1::RegisterWalkInRequest WalkIn(const std::string& request_id, const std::string& unit) {
  v1::RegisterWalkInRequest request;
  request.set_request_id(request_id);
  request.set_round("rounds/r");
  request.set_desk(Desk("tc-s0", 1));
  request.set_community_id("tc");
  request.set_unit_id(unit);
  return request;
}

TEST_F(WalkInServerTest, AWalkInIsSampledCountedAndOnTheNextRoster) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-1").ok());
  ASSERT_TRUE(CheckIn("r", Desk("tc-s0", 1), Code("tc", 1)).ok());
  v1::RegisterWalkInResponse registered;
  grpc::Status status = client_->checkin().RegisterWalkIn(
      Context().get(), WalkIn("walk-1", "b2-u1"), &registered);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(registered.code(), ::testing::StartsWith("SW"));
  EXPECT_EQ(registered.household_id(), "b2-u1-w1");
  EXPECT_TRUE(registered.new_household());
  EXPECT_EQ(registered.tube_barcode(), "TUBE-1");
  EXPECT_EQ(registered.position(), 2);
  EXPECT_FALSE(registered.replayed());

  // A retry answers the same; a second swab of them is refused.
  v1::RegisterWalkInResponse again;
  ASSERT_TRUE(client_->checkin()
                  .RegisterWalkIn(Context().get(), WalkIn("walk-1", "b2-u1"), &again)
                  .ok());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.code(), registered.code());
  status = CheckIn("r", Desk("tc-s0", 1), registered.code());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("registered as a walk-in"));
  ASSERT_TRUE(ExistingCheckInOf(status).has_value());
  EXPECT_EQ(ExistingCheckInOf(status)->tube_barcode(), "TUBE-1");

  const v1::Counts totals = Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total();
  EXPECT_EQ(totals.walk_ins(), 1);
  EXPECT_EQ(totals.sampled(), 2);
  EXPECT_EQ(totals.due(), 49);

  // Across a restart, and on the roster of the next round.
  RestartServer();
  status = CheckIn("r", Desk("tc-s0", 1), registered.code());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().walk_ins(), 1);
  ASSERT_TRUE(Close("r").ok());
  ASSERT_TRUE(CreateRound("next", "tc").ok());
  v1::GetRoundResponse next;
  ASSERT_TRUE(GetRound("rounds/next", &next).ok());
  EXPECT_EQ(next.round().residents(), 49);
  EXPECT_THAT(next.round().community_versions(), ::testing::ElementsAre(2));

  v1::GetResidentHistoryRequest history_request;
  history_request.set_resident_code(registered.code());
  v1::GetResidentHistoryResponse history;
  ASSERT_TRUE(
      client_->progress().GetResidentHistory(Context().get(), history_request, &history).ok());
  ASSERT_EQ(history.rounds_size(), 2);
  EXPECT_EQ(history.rounds(0).outcome(), v1::ROUND_OUTCOME_SAMPLED);
  EXPECT_EQ(history.rounds(0).desk(), Desk("tc-s0", 1));
  EXPECT_EQ(history.rounds(1).round(), "rounds/next");
}

TEST_F(WalkInServerTest, ABadRegistrationSaysWhatIsWrong) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  v1::RegisterWalkInResponse response;
  grpc::Status status =
      client_->checkin().RegisterWalkIn(Context().get(), WalkIn("w-1", "b2-u1"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("no open tube"));
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-1").ok());

  status = client_->checkin().RegisterWalkIn(Context().get(), WalkIn("w-2", "b9-u9"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("unit 'b9-u9' is not a unit of community 'tc'"));

  status = client_->checkin().RegisterWalkIn(Context().get(), WalkIn("w-3", ""), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("unit_id are required"));

  v1::RegisterWalkInRequest taken = WalkIn("w-4", "b2-u1");
  taken.set_code(Code("tc", 5));
  status = client_->checkin().RegisterWalkIn(Context().get(), taken, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr(Code("tc", 5))));

  v1::RegisterWalkInRequest elsewhere = WalkIn("w-5", "b2-u1");
  elsewhere.set_household_id("b0-u0-h0");
  status = client_->checkin().RegisterWalkIn(Context().get(), elsewhere, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("is in unit 'b0-u0'"));
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().walk_ins(), 0);
}

}  // namespace
}  // namespace swabwave::services::testing
