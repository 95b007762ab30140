// After the swab through a real server (issue 17): a box packed at its
// site, picked up and received by a lab; results in a batch, each answered
// in its own outcome; the recall list of a positive tube is exactly its
// members; and all of it comes back after a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/services/test_server.h"

namespace swabwave::services::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

class LabServiceTest : public JournaledServerTest {
 protected:
  // Round "r": residents 1-10 fill TUBE-1, 11-12 go into TUBE-2 (sealed by
  // hand); both packed into BOX-1, picked up and received by lab-1.
  void ShipOneBox() {
    ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
    ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-1").ok());
    ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-2").ok());
    for (int n = 1; n <= 12; ++n) ASSERT_TRUE(CheckIn("r", Desk("tc-s0", 1), Code("tc", n)).ok());
    ASSERT_TRUE(SealTube("r", Desk("tc-s0", 1), "TUBE-2").ok());
    v1::PackBoxRequest pack;
    pack.set_round("rounds/r");
    pack.set_desk(Desk("tc-s0", 2));  // any desk of the site packs its tubes
    pack.set_box_barcode("BOX-1");
    pack.add_tube_barcodes("TUBE-1");
    pack.add_tube_barcodes("TUBE-2");
    v1::PackBoxResponse packed;
    grpc::Status status = client_->custody().PackBox(Context().get(), pack, &packed);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(packed.box().state(), v1::BOX_STATE_PACKED);
    EXPECT_EQ(packed.box().tubes(), 2);
    EXPECT_EQ(packed.box().packed().by(), "server without tokens");
    v1::PickUpBoxRequest pick_up;
    pick_up.set_round("rounds/r");
    pick_up.set_box_barcode("BOX-1");
    v1::PickUpBoxResponse picked;
    ASSERT_TRUE(client_->custody().PickUpBox(Context().get(), pick_up, &picked).ok());
    v1::ReceiveBoxRequest receive;
    receive.set_round("rounds/r");
    receive.set_box_barcode("BOX-1");
    receive.set_lab_id("lab-1");
    receive.add_tube_barcodes("TUBE-1");
    receive.add_tube_barcodes("TUBE-2");
    v1::ReceiveBoxResponse received;
    status = client_->custody().ReceiveBox(Context().get(), receive, &received);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(received.box().state(), v1::BOX_STATE_RECEIVED);
    EXPECT_EQ(received.box().age(), v1::BOX_AGE_FRESH);
    EXPECT_EQ(received.box().missing_tubes_size(), 0);
  }

  static v1::ResultReport Report(const std::string& request_id, const std::string& tube,
                                 v1::TubeResult result) {
    v1::ResultReport report;
    report.set_request_id(request_id);
    report.set_tube_barcode(tube);
    report.set_result(result);
    report.set_run_id("RUN-1");
    return report;
  }
  grpc::Status Report(const std::vector<v1::ResultReport>& reports,
                      v1::ReportResultsResponse* response) {
    v1::ReportResultsRequest request;
    request.set_round("rounds/r");
    request.set_lab_id("lab-1");
    for (const v1::ResultReport& report : reports) *request.add_results() = report;
    return client_->lab().ReportResults(Context().get(), request, response);
  }
  v1::ListRecallsResponse Recalls() {
    v1::ListRecallsRequest request;
    request.set_round("rounds/r");
    v1::ListRecallsResponse response;
    const grpc::Status status = client_->lab().ListRecalls(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
};

std::vector<std::string> CodesOf(const v1::RecallTube& tube) {
  std::vector<std::string> codes;
  for (const v1::RecalledResident& member : tube.members()) codes.push_back(member.resident_code());
  return codes;
}

// The packing table: a site's sealed tubes in no box, asked from any of
// its desks, paged; a packed tube leaves the list.
TEST_F(LabServiceTest, ATabletListsTheSealedTubesItHasToPack) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-1").ok());
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-2").ok());
  for (int n = 1; n <= 12; ++n) ASSERT_TRUE(CheckIn("r", Desk("tc-s0", 1), Code("tc", n)).ok());
  auto list = [&](const std::string& desk, int page_size, const std::string& token,
                  v1::ListTubesToPackResponse* response) {
    v1::ListTubesToPackRequest request;
    request.set_round("rounds/r");
    request.set_desk(desk);
    request.set_page_size(page_size);
    request.set_page_token(token);
    return client_->custody().ListTubesToPack(Context().get(), request, response);
  };
  v1::ListTubesToPackResponse tubes;
  ASSERT_TRUE(list(Desk("tc-s0", 2), 0, "", &tubes).ok());
  ASSERT_EQ(tubes.tubes_size(), 1) << "TUBE-2 is still open";
  EXPECT_EQ(tubes.tubes(0).barcode(), "TUBE-1");
  EXPECT_EQ(tubes.tubes(0).desk(), Desk("tc-s0", 1));
  EXPECT_EQ(tubes.tubes(0).swabs(), 10);
  EXPECT_FALSE(tubes.tubes(0).follow_up());
  EXPECT_GT(tubes.tubes(0).oldest_swab().seconds(), 0);

  ASSERT_TRUE(SealTube("r", Desk("tc-s0", 1), "TUBE-2").ok());
  v1::ListTubesToPackResponse first;
  ASSERT_TRUE(list(Desk("tc-s0", 1), 1, "", &first).ok());
  ASSERT_EQ(first.tubes_size(), 1);
  ASSERT_FALSE(first.next_page_token().empty());
  v1::ListTubesToPackResponse second;
  ASSERT_TRUE(list(Desk("tc-s0", 1), 1, first.next_page_token(), &second).ok());
  ASSERT_EQ(second.tubes_size(), 1);
  EXPECT_EQ(second.tubes(0).barcode(), "TUBE-2");
  EXPECT_EQ(second.tubes(0).swabs(), 2);
  EXPECT_TRUE(second.next_page_token().empty());

  v1::PackBoxRequest pack;
  pack.set_round("rounds/r");
  pack.set_desk(Desk("tc-s0", 1));
  pack.set_box_barcode("BOX-1");
  pack.add_tube_barcodes("TUBE-1");
  v1::PackBoxResponse packed;
  ASSERT_TRUE(client_->custody().PackBox(Context().get(), pack, &packed).ok());
  v1::ListTubesToPackResponse after;
  ASSERT_TRUE(list(Desk("tc-s0", 1), 0, "", &after).ok());
  ASSERT_EQ(after.tubes_size(), 1);
  EXPECT_EQ(after.tubes(0).barcode(), "TUBE-2");

  // Bad calls: a desk the round lacks, a token of another list.
  v1::ListTubesToPackResponse refused;
  EXPECT_EQ(list(Desk("tc-s0", 99), 0, "", &refused).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(list(Desk("tc-s0", 2), 1, first.next_page_token(), &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(list(Desk("tc-s0", 1), 6000, "", &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(LabServiceTest, ResultsInABatchAndTheRecallListSurviveARestart) {
  ASSERT_NO_FATAL_FAILURE(ShipOneBox());
  v1::ResultReport positive = Report("res-1", "TUBE-1", v1::TUBE_RESULT_POSITIVE);
  positive.set_ct(29.5);
  v1::ReportResultsResponse answered;
  grpc::Status status =
      Report({positive, Report("res-2", "TUBE-2", v1::TUBE_RESULT_NEGATIVE),
              Report("res-3", "TUBE-9", v1::TUBE_RESULT_NEGATIVE),
              Report("res-4", "TUBE-2", v1::TUBE_RESULT_UNSPECIFIED)},
             &answered);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answered.outcomes_size(), 4);
  EXPECT_FALSE(answered.outcomes(0).has_status());
  // Recorded as sent: no echo (the lab has what it sent).
  EXPECT_FALSE(answered.outcomes(0).replayed());
  EXPECT_FALSE(answered.outcomes(0).has_current());
  EXPECT_FALSE(answered.outcomes(1).has_status());
  EXPECT_EQ(answered.outcomes(2).status().code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(answered.outcomes(3).status().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(answered.outcomes(3).status().message(), HasSubstr("TUBE_RESULT_NEGATIVE"));

  // A second, different result carries the first back.
  v1::ReportResultsResponse conflict;
  ASSERT_TRUE(Report({Report("res-5", "TUBE-1", v1::TUBE_RESULT_NEGATIVE)}, &conflict).ok());
  EXPECT_EQ(conflict.outcomes(0).status().code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(conflict.outcomes(0).current().result(), v1::TUBE_RESULT_POSITIVE);
  EXPECT_EQ(conflict.outcomes(0).current().ct(), 29.5);

  std::vector<std::string> tube_one;
  for (int n = 1; n <= 10; ++n) tube_one.push_back(Code("tc", n));
  auto expect_recall = [&](const std::string& when) {
    const v1::ListRecallsResponse recalls = Recalls();
    EXPECT_EQ(recalls.total_tubes(), 1) << when;
    ASSERT_EQ(recalls.tubes_size(), 1) << when;
    EXPECT_EQ(recalls.tubes(0).tube_barcode(), "TUBE-1") << when;
    EXPECT_THAT(CodesOf(recalls.tubes(0)), UnorderedElementsAreArray(tube_one)) << when;
    const v1::RecalledResident& first = recalls.tubes(0).members(0);
    EXPECT_EQ(first.community_id(), "tc") << when;
    EXPECT_THAT(first.household_id(), ::testing::StartsWith(first.unit_id())) << when;
    EXPECT_THAT(first.unit_id(), ::testing::StartsWith(first.building_id())) << when;
  };
  expect_recall("before the restart");

  RestartServer();
  expect_recall("after the restart");
  v1::ReportResultsResponse retry;
  ASSERT_TRUE(Report({positive}, &retry).ok());
  EXPECT_TRUE(retry.outcomes(0).replayed());
  // A replay answers the report that stands, signed by the lab.
  EXPECT_EQ(retry.outcomes(0).current().result(), v1::TUBE_RESULT_POSITIVE);
  EXPECT_EQ(retry.outcomes(0).current().lab_id(), "lab-1");
  EXPECT_EQ(retry.outcomes(0).current().ct(), 29.5);
  EXPECT_EQ(retry.outcomes(0).current().tube_barcode(), "TUBE-1");
  EXPECT_TRUE(retry.outcomes(0).current().has_reported());
  v1::ListBoxesRequest list;
  list.set_round("rounds/r");
  list.set_with_tubes(true);
  v1::ListBoxesResponse boxes;
  ASSERT_TRUE(client_->custody().ListBoxes(Context().get(), list, &boxes).ok());
  EXPECT_EQ(boxes.total(), 1);
  EXPECT_EQ(boxes.breaches(), 0);
  ASSERT_EQ(boxes.boxes_size(), 1);
  EXPECT_EQ(boxes.boxes(0).state(), v1::BOX_STATE_RECEIVED);
  EXPECT_EQ(boxes.boxes(0).lab_id(), "lab-1");
  EXPECT_THAT(boxes.boxes(0).tube_barcodes(), ElementsAre("TUBE-1", "TUBE-2"));

  // The next round over the community is advised from this one's pools:
  // one positive of two, so not 20 per tube.
  v1::CreateRoundResponse next;
  ASSERT_TRUE(CreateRound(RoundRequest("r2", {"tc"}), &next).ok());
  EXPECT_EQ(next.advice().rounds(), 1);
  EXPECT_GT(next.advice().prevalence(), 0.0);
  EXPECT_LE(next.advice().ratio(), 10);
  EXPECT_EQ(next.advice().expected_size(), 4);
  EXPECT_THAT(next.advice().why(), HasSubstr("20 only where no pool was positive"));
}

TEST_F(LabServiceTest, BadCallsSayWhatIsWrong) {
  ASSERT_NO_FATAL_FAILURE(ShipOneBox());
  v1::ReportResultsResponse response;
  grpc::Status status = Report({}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("send 1 to 1000"));
  std::vector<v1::ResultReport> too_many(1001, Report("x", "TUBE-1", v1::TUBE_RESULT_NEGATIVE));
  status = Report(too_many, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // A server without tokens needs to be told which lab receives.
  v1::ReceiveBoxRequest receive;
  receive.set_round("rounds/r");
  receive.set_box_barcode("BOX-1");
  v1::ReceiveBoxResponse received;
  status = client_->custody().ReceiveBox(Context().get(), receive, &received);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("lab_id is required"));

  // Packing: an unsealed tube, a tube already in a box, an unknown box.
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-3").ok());
  ASSERT_TRUE(CheckIn("r", Desk("tc-s0", 1), Code("tc", 13)).ok());
  v1::PackBoxRequest pack;
  pack.set_round("rounds/r");
  pack.set_desk(Desk("tc-s0", 1));
  pack.set_box_barcode("BOX-2");
  pack.add_tube_barcodes("TUBE-3");
  v1::PackBoxResponse packed;
  status = client_->custody().PackBox(Context().get(), pack, &packed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("not sealed"));
  pack.set_tube_barcodes(0, "TUBE-1");
  status = client_->custody().PackBox(Context().get(), pack, &packed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("in box BOX-1"));
  v1::PickUpBoxRequest pick_up;
  pick_up.set_round("rounds/r");
  pick_up.set_box_barcode("BOX-404");
  v1::PickUpBoxResponse picked;
  status = client_->custody().PickUpBox(Context().get(), pick_up, &picked);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  pack.set_tube_barcodes(0, "TUBE-3");
  pack.add_tube_barcodes("TUBE-3");
  ASSERT_TRUE(SealTube("r", Desk("tc-s0", 1), "TUBE-3").ok());
  status = client_->custody().PackBox(Context().get(), pack, &packed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("listed twice"));

  // Custody in its order: the lab receives only what a courier carried,
  // and reports only what it received.
  pack.mutable_tube_barcodes()->RemoveLast();
  ASSERT_TRUE(client_->custody().PackBox(Context().get(), pack, &packed).ok());
  receive.set_box_barcode("BOX-2");
  receive.set_lab_id("lab-1");
  status = client_->custody().ReceiveBox(Context().get(), receive, &received);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("has not been picked up"));
  v1::ReportResultsResponse answered;
  ASSERT_TRUE(Report({Report("early", "TUBE-3", v1::TUBE_RESULT_NEGATIVE)}, &answered).ok());
  EXPECT_EQ(answered.outcomes(0).status().code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(answered.outcomes(0).status().message(), HasSubstr("has not been received"));
}

TEST_F(LabServiceTest, RecalledResidentsGiveOneSwabEachAndProgressCountsThem) {
  ASSERT_NO_FATAL_FAILURE(ShipOneBox());
  v1::ReportResultsResponse answered;
  ASSERT_TRUE(Report({Report("res-1", "TUBE-1", v1::TUBE_RESULT_POSITIVE),
                      Report("res-2", "TUBE-2", v1::TUBE_RESULT_INVALID)},
                     &answered)
                  .ok());
  const v1::ListRecallsResponse recalls = Recalls();
  ASSERT_EQ(recalls.tubes_size(), 1);
  for (const v1::RecalledResident& member : recalls.tubes(0).members()) {
    EXPECT_EQ(member.state(), v1::LAB_STATE_RECALLED);
  }
  v1::ListRecallsRequest resample_request;
  resample_request.set_round("rounds/r");
  resample_request.set_reason(v1::FOLLOW_UP_REASON_RESAMPLE);
  v1::ListRecallsResponse resample;
  ASSERT_TRUE(client_->lab().ListRecalls(Context().get(), resample_request, &resample).ok());
  ASSERT_EQ(resample.tubes_size(), 1);
  EXPECT_EQ(resample.tubes(0).tube_barcode(), "TUBE-2");
  EXPECT_EQ(resample.tubes(0).members_size(), 2);

  // The retest walk: routes over everyone called back and not yet swabbed
  // again, for the round's teams.
  auto walk = [&] {
    v1::ListDoorToDoorRoutesRequest request;
    request.set_round("rounds/r");
    request.set_follow_ups(true);
    v1::ListDoorToDoorRoutesResponse response;
    const grpc::Status status =
        client_->planning().ListDoorToDoorRoutes(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    int residents = 0;
    for (const v1::DoorToDoorRoute& route : response.routes()) {
      EXPECT_THAT(route.desk(), ::testing::StartsWith("communities/tc/teams/"));
      for (const v1::RouteStop& stop : route.stops()) residents += stop.resident_ids_size();
    }
    return residents;
  };
  EXPECT_EQ(walk(), 10 + 2);

  auto follow_up = [&](const std::string& code, const std::string& tube,
                       const std::string& request_id, v1::TakeFollowUpSwabResponse* response) {
    v1::TakeFollowUpSwabRequest request;
    request.set_request_id(request_id);
    request.set_round("rounds/r");
    request.set_desk("communities/tc/teams/1");
    request.set_resident_code(code);
    request.set_tube_barcode(tube);
    return client_->checkin().TakeFollowUpSwab(Context().get(), request, response);
  };
  for (int i = 0; i < recalls.tubes(0).members_size(); ++i) {
    v1::TakeFollowUpSwabResponse taken;
    const grpc::Status status = follow_up(recalls.tubes(0).members(i).resident_code(),
                                          absl::StrCat("RETEST-", i), absl::StrCat("rt-", i),
                                          &taken);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(taken.reason(), v1::FOLLOW_UP_REASON_RECALL);
  }
  EXPECT_EQ(walk(), 2) << "the recalled gave theirs; the invalid pool's two are left";
  v1::TakeFollowUpSwabResponse again;
  grpc::Status status =
      follow_up(recalls.tubes(0).members(0).resident_code(), "RETEST-X", "rt-x", &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("RETEST-0"));
  status = follow_up(Code("tc", 20), "RETEST-Y", "rt-y", &again);  // never sampled
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  auto expect_counts = [&](const std::string& when) {
    const v1::GetProgressResponse progress = Progress("r", v1::PROGRESS_LEVEL_COMMUNITY);
    EXPECT_EQ(progress.lab().retest_pending(), 10) << when;
    EXPECT_EQ(progress.lab().resample_due(), 2) << when;
    EXPECT_EQ(progress.lab().follow_ups(), 10) << when;
    EXPECT_EQ(progress.lab().boxes_received(), 1) << when;
    EXPECT_EQ(Recalls().tubes(0).members(3).state(), v1::LAB_STATE_RETEST_PENDING) << when;
    EXPECT_EQ(Recalls().tubes(0).members(3).follow_up_tube(), "RETEST-3") << when;
  };
  expect_counts("before the restart");
  RestartServer();
  expect_counts("after the restart");
  ASSERT_TRUE(follow_up(recalls.tubes(0).members(0).resident_code(), "RETEST-0", "rt-0", &again)
                  .ok());
  EXPECT_TRUE(again.replayed());
}

// A case found: one command creates a follow-up round over the buildings
// where the round's cases live, one swab a tube.
TEST_F(LabServiceTest, AFollowUpRoundTargetsTheBuildingsOfTheCases) {
  ASSERT_NO_FATAL_FAILURE(ShipOneBox());
  v1::ReportResultsResponse answered;
  ASSERT_TRUE(Report({Report("res-1", "TUBE-1", v1::TUBE_RESULT_POSITIVE)}, &answered).ok());
  v1::CreateRoundRequest follow_up = RoundRequest("f", {}, 1);
  follow_up.set_follow_up_of("rounds/r");
  v1::CreateRoundResponse created;
  grpc::Status status = CreateRound(follow_up, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("has no cases"));

  // Resident 4's follow-up swab is positive: a case, in building b0
  // (12 residents a building).
  v1::TakeFollowUpSwabRequest swab;
  swab.set_request_id("rt-4");
  swab.set_round("rounds/r");
  swab.set_desk("communities/tc/teams/1");
  swab.set_resident_code(Code("tc", 4));
  swab.set_tube_barcode("RETEST-4");
  v1::TakeFollowUpSwabResponse taken;
  ASSERT_TRUE(client_->checkin().TakeFollowUpSwab(Context().get(), swab, &taken).ok());
  v1::PackBoxRequest pack;
  pack.set_round("rounds/r");
  pack.set_desk("communities/tc/teams/1");
  pack.set_box_barcode("BOX-RT");
  pack.add_tube_barcodes("RETEST-4");
  v1::PackBoxResponse packed;
  ASSERT_TRUE(client_->custody().PackBox(Context().get(), pack, &packed).ok());
  v1::PickUpBoxRequest pick_up;
  pick_up.set_round("rounds/r");
  pick_up.set_box_barcode("BOX-RT");
  v1::PickUpBoxResponse picked;
  ASSERT_TRUE(client_->custody().PickUpBox(Context().get(), pick_up, &picked).ok());
  v1::ReceiveBoxRequest receive;
  receive.set_round("rounds/r");
  receive.set_box_barcode("BOX-RT");
  receive.set_lab_id("lab-1");
  receive.add_tube_barcodes("RETEST-4");
  v1::ReceiveBoxResponse received;
  ASSERT_TRUE(client_->custody().ReceiveBox(Context().get(), receive, &received).ok());
  ASSERT_TRUE(Report({Report("res-rt-4", "RETEST-4", v1::TUBE_RESULT_POSITIVE)}, &answered).ok());
  ASSERT_FALSE(answered.outcomes(0).has_status()) << answered.outcomes(0).status().message();

  // Bad follow-up requests: a target given as well, an unknown round, a
  // community list without the case's.
  v1::CreateRoundRequest with_target = follow_up;
  with_target.mutable_target()->add_building_ids("b1");
  status = CreateRound(with_target, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("leave target unset"));
  v1::CreateRoundRequest unknown = follow_up;
  unknown.set_follow_up_of("rounds/none");
  EXPECT_EQ(CreateRound(unknown, &created).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{.id = "other"})).ok());
  v1::CreateRoundRequest elsewhere = RoundRequest("f", {"other"}, 1);
  elsewhere.set_follow_up_of("rounds/r");
  status = CreateRound(elsewhere, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("community tc, which is not listed"));

  ASSERT_TRUE(CreateRound(follow_up, &created).ok());
  EXPECT_THAT(created.round().community_ids(), ElementsAre("tc"));
  EXPECT_THAT(created.round().target().building_ids(), ElementsAre("b0"));
  EXPECT_EQ(created.round().targeted(), 12);
  EXPECT_EQ(created.round().pool_ratio(), 1);
  EXPECT_EQ(created.advice().ratio(), 1) << "a case was found: one swab a tube";
}

}  // namespace
}  // namespace swabwave::services::testing
