// Re-importing a community through the server (issue 18): the preview
// counts and lists the changes and stores nothing, the new version is
// stored and answered with its diff, rounds keep their versions across a
// restart, and each refusal names what to do.
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

class RosterImportTest : public ServerTest {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = (std::filesystem::path(::testing::TempDir()) /
            absl::StrCat("swabwave-roster-", test->name(), "-", getpid()))
               .string();
    std::filesystem::remove_all(dir_);
    StartServer(ServerOptions{.listen = "127.0.0.1:0", .http_listen = "127.0.0.1:0",
                              .data_dir = dir_});
  }
  void TearDown() override {
    ServerTest::TearDown();
    std::filesystem::remove_all(dir_);
  }

  grpc::Status ImportAs(const engine::Community& community, v1::ImportMode mode,
                        int base_version, v1::ImportCommunityResponse* response) {
    std::vector<v1::ImportCommunityRequest> chunks =
        CommunityToChunks(community, absl::StrCat("reimport-", ++request_counter_), 7);
    chunks[0].set_mode(mode);
    chunks[0].set_base_version(base_version);
    return ImportChunks(chunks, response);
  }

  std::string dir_;
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

}  // namespace
}  // namespace swabwave::services::testing
