// Targeted rounds through the server (issue 18): CreateRound with a target
// answers whom it covers, plans and counts only them, refuses the others at
// the desk, and names what it cannot find.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/services/test_server.h"

namespace swabwave::services::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using TargetedRoundTest = ServerTest;

// The default community: 48 residents, 4 buildings of 12 (b0..b3), two
// units each.
TEST_F(TargetedRoundTest, ARoundOverOneBuildingAndOnePersonCoversThemOnly) {
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
  v1::CreateRoundRequest request = RoundRequest("sealed", {"tc"});
  request.mutable_target()->add_building_ids("b2");
  request.mutable_target()->add_resident_codes(Code("tc", 1));
  v1::CreateRoundResponse created;
  grpc::Status status = CreateRound(request, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.round().residents(), 48);
  EXPECT_EQ(created.round().targeted(), 13);
  EXPECT_THAT(created.round().target().building_ids(), ::testing::ElementsAre("b2"));
  ASSERT_TRUE(Plan("sealed").ok());
  ASSERT_TRUE(Open("sealed").ok());
  EXPECT_EQ(Progress("sealed", v1::PROGRESS_LEVEL_COMMUNITY).total().due(), 13);

  ASSERT_TRUE(OpenTube("sealed", Desk("tc-s0", 1), "TUBE-1").ok());
  EXPECT_TRUE(CheckIn("sealed", Desk("tc-s0", 1), Code("tc", 1)).ok());
  EXPECT_TRUE(CheckIn("sealed", Desk("tc-s0", 1), Code("tc", 25)).ok());  // b2's first
  status = CheckIn("sealed", Desk("tc-s0", 1), Code("tc", 2));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("round sealed is targeted"));
  EXPECT_EQ(Progress("sealed", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(), 2);

  // A round made without a target covers everyone, as before.
  ASSERT_TRUE(CreateRound("whole", "tc").ok());
  v1::GetRoundResponse whole;
  ASSERT_TRUE(GetRound("rounds/whole", &whole).ok());
  EXPECT_FALSE(whole.round().has_target());
  EXPECT_EQ(whole.round().targeted(), 48);
}

TEST_F(TargetedRoundTest, ATargetThatNamesNothingIsRefused) {
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
  v1::CreateRoundRequest request = RoundRequest("r", {"tc"});
  request.mutable_target()->add_unit_ids("b9-u0");
  grpc::Status status = CreateRound(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("unit 'b9-u0' is in none of the round's"));

  request = RoundRequest("r", {"tc"});
  request.mutable_target()->add_resident_codes("SOMEONE-ELSE");
  status = CreateRound(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("target.resident_codes[0]"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("SOMEONE-ELSE")));
}

}  // namespace
}  // namespace swabwave::services::testing
