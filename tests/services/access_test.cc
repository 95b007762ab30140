// Access control (issue 6): every role against every RPC through a real
// server with a tokens file, scopes (a command token's communities, a
// tablet token's site), the per-token rate limit, reloading the tokens
// file, and the log lines refusals leave (a fingerprint, never a token).
#include <gmock/gmock.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "services/api/tokens.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using testing::Code;
using testing::CommunitySpec;
using testing::Desk;

// A token and its line in the tokens file.
struct TestToken {
  std::string token;
  std::string line;
};

TestToken MakeToken(const std::string& role_and_scope) {
  absl::StatusOr<std::string> token = NewToken();
  EXPECT_TRUE(token.ok());
  return {*token, absl::StrCat(Sha256Hex(*token), " ", role_and_scope)};
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          absl::StrCat("swabwave-access-", getpid(), "-", name))
      .string();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

enum class Want { kAdmitted, kUnauthenticated, kPermissionDenied };

const char* WantName(Want want) {
  switch (want) {
    case Want::kAdmitted:
      return "admitted";
    case Want::kUnauthenticated:
      return "UNAUTHENTICATED";
    case Want::kPermissionDenied:
      return "PERMISSION_DENIED";
  }
  return "?";
}

class AccessTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    tokens_file_ = TempPath(::testing::UnitTest::GetInstance()->current_test_info()->name());
    admin_ = MakeToken("command communities=*");
    command_ = MakeToken("command communities=tc");
    other_command_ = MakeToken("command communities=elsewhere");
    tablet_ = MakeToken("tablet site=tc-s0");
    other_tablet_ = MakeToken("tablet site=tc-s1");
    lab_ = MakeToken("lab lab=lab-1");
    courier_ = MakeToken("courier");
    slow_ = MakeToken("command communities=tc rate=1");
    team_ = MakeToken("team team=tc/1");
    other_team_ = MakeToken("team team=tc/2");
    WriteTokens({admin_, command_, other_command_, tablet_, other_tablet_, lab_, slow_, team_,
                 other_team_, courier_});
    token_ = admin_.token;  // the fixture's helpers set the round up as an all-communities token
    StartServer(ServerOptions{.listen = "127.0.0.1:0",
                              .http_listen = "127.0.0.1:0",
                              .tokens_file = tokens_file_,
                              .default_token_rate = 0});
  }
  void TearDown() override {
    testing::ServerTest::TearDown();
    std::filesystem::remove(tokens_file_);
  }

  void WriteTokens(const std::vector<TestToken>& tokens) {
    std::string text = "# test tokens\n";
    for (const TestToken& t : tokens) absl::StrAppend(&text, t.line, "\n");
    WriteFile(tokens_file_, text);
  }

  // Makes the fixture's helpers call as `token`'s holder.
  void UseToken(const std::string& token) {
    token_ = token;
    client_ = ClientWith(token);
  }

  std::unique_ptr<Client> ClientWith(const std::string& token, bool retries = true) {
    return std::make_unique<Client>(ClientOptions{
        .address = absl::StrCat("127.0.0.1:", server_->port()), .token = token,
        .retries = retries});
  }

  // swabwave_access_refused_total{reason="<reason>"} from /metrics.
  int64_t Refused(const std::string& reason) {
    const std::string metrics = testing::HttpGet(server_->http_port(), "/metrics").body;
    const std::string key = absl::StrCat("swabwave_access_refused_total{reason=\"", reason, "\"} ");
    const size_t at = metrics.find(key);
    if (at == std::string::npos) return -1;
    return std::stoll(metrics.substr(at + key.size()));
  }

  // One call of each RPC with a request that is valid for round "r" over
  // community "tc" at desk tc-s0/1; a stream's status is that of its first
  // answer when the stream itself succeeds.
  using RpcCall = std::function<grpc::Status(Client&)>;
  static std::map<std::string, RpcCall> EveryRpc(const engine::Community& community);

  std::string tokens_file_;
  TestToken admin_, command_, other_command_, tablet_, other_tablet_, lab_, slow_, team_,
      other_team_, courier_;
};

std::map<std::string, AccessTest::RpcCall> AccessTest::EveryRpc(
    const engine::Community& community) {
  using Ctx = std::unique_ptr<grpc::ClientContext>;
  std::map<std::string, RpcCall> calls;
  calls["ImportCommunity"] = [=](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ImportCommunityResponse response;
    auto writer = c.planning().ImportCommunity(context.get(), &response);
    for (const v1::ImportCommunityRequest& chunk :
         CommunityToChunks(community, Client::NewRequestId("import"), 1000)) {
      if (!writer->Write(chunk)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  };
  calls["CreateRound"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::CreateRoundResponse response;
    v1::CreateRoundRequest request = RoundRequest("r-new", {"tc"});
    return c.planning().CreateRound(context.get(), request, &response);
  };
  calls["GetRound"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::GetRoundRequest request;
    request.set_round("rounds/r");
    v1::GetRoundResponse response;
    return c.planning().GetRound(context.get(), request, &response);
  };
  calls["ListRounds"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ListRoundsResponse response;
    return c.planning().ListRounds(context.get(), v1::ListRoundsRequest(), &response);
  };
  calls["PlanRound"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::PlanRoundRequest request;
    request.set_round("rounds/r");
    request.set_request_id(Client::NewRequestId("plan"));
    v1::PlanRoundResponse response;
    return c.planning().PlanRound(context.get(), request, &response);
  };
  calls["ReplanRound"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ReplanRoundRequest request;
    request.set_round("rounds/r");
    request.set_request_id(Client::NewRequestId("replan"));
    v1::SiteChange* change = request.add_changes();
    change->set_site_id("tc-s0");
    change->set_desks(2);
    v1::ReplanRoundResponse response;
    return c.planning().ReplanRound(context.get(), request, &response);
  };
  calls["ForecastRound"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ForecastRoundRequest request;
    request.set_round("rounds/r");
    request.mutable_options()->set_replications(2);
    v1::ForecastRoundResponse response;
    return c.planning().ForecastRound(context.get(), request, &response);
  };
  calls["GetRoster"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::GetRosterRequest request;
    request.set_round("rounds/r");
    v1::GetRosterResponse response;
    return c.planning().GetRoster(context.get(), request, &response);
  };
  calls["ListDoorToDoorRoutes"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ListDoorToDoorRoutesRequest request;
    request.set_round("rounds/r");
    v1::ListDoorToDoorRoutesResponse response;
    return c.planning().ListDoorToDoorRoutes(context.get(), request, &response);
  };
  calls["AdviseFinish"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::AdviseFinishRequest request;
    request.set_round("rounds/r");
    ToProto(absl::Now() + absl::Hours(4), request.mutable_finish_by());
    v1::AdviseFinishResponse response;
    return c.planning().AdviseFinish(context.get(), request, &response);
  };
  calls["GetResidentHistory"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::GetResidentHistoryRequest request;
    request.set_resident_code(testing::Code("tc", 1));
    v1::GetResidentHistoryResponse response;
    return c.progress().GetResidentHistory(context.get(), request, &response);
  };
  calls["ListMissed"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ListMissedRequest request;
    request.set_community_id("tc");
    request.set_last(1);
    v1::ListMissedResponse response;
    return c.progress().ListMissed(context.get(), request, &response);
  };
  calls["GetPlan"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::GetPlanRequest request;
    request.set_round("rounds/r");
    v1::GetPlanResponse response;
    return c.planning().GetPlan(context.get(), request, &response);
  };
  calls["ListAssignments"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ListAssignmentsRequest request;
    request.set_round("rounds/r");
    v1::ListAssignmentsResponse response;
    return c.planning().ListAssignments(context.get(), request, &response);
  };
  calls["ListDoorToDoor"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ListDoorToDoorRequest request;
    request.set_round("rounds/r");
    v1::ListDoorToDoorResponse response;
    return c.planning().ListDoorToDoor(context.get(), request, &response);
  };
  calls["OpenRound"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::OpenRoundRequest request;
    request.set_round("rounds/r");
    request.set_request_id(Client::NewRequestId("open"));
    v1::OpenRoundResponse response;
    return c.planning().OpenRound(context.get(), request, &response);
  };
  calls["CloseRound"] = [](Client& c) {
    // A round of its own, so closing it leaves "r" open for check-ins.
    Ctx context = Context(absl::Seconds(10));
    v1::CloseRoundRequest request;
    request.set_round("rounds/r-closing");
    request.set_request_id(Client::NewRequestId("close"));
    v1::CloseRoundResponse response;
    return c.planning().CloseRound(context.get(), request, &response);
  };
  calls["OpenTube"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::OpenTubeRequest request;
    request.set_request_id(Client::NewRequestId("open-tube"));
    request.set_round("rounds/r");
    request.set_desk(Desk("tc-s0", 1));
    request.set_tube_barcode(Client::NewRequestId("T"));
    v1::OpenTubeResponse response;
    return c.checkin().OpenTube(context.get(), request, &response);
  };
  calls["CheckIn"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::CheckInResponse response;
    return c.checkin().CheckIn(
        context.get(), CheckInRequest("r", Desk("tc-s0", 1), Code("tc", 1)),
        &response);
  };
  calls["CheckInStream"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    auto stream = c.checkin().CheckInStream(context.get());
    v1::CheckInStreamRequest message;
    *message.add_check_ins() =
        CheckInRequest("r", Desk("tc-s0", 1), Code("tc", 2));
    stream->Write(message);
    stream->WritesDone();
    v1::CheckInStreamResponse answers;
    grpc::Status first = grpc::Status::OK;
    bool got = false;
    while (stream->Read(&answers)) {
      for (const v1::CheckInOutcome& outcome : answers.outcomes()) {
        if (got) continue;
        got = true;
        if (outcome.has_status()) {
          first = grpc::Status(static_cast<grpc::StatusCode>(outcome.status().code()),
                               outcome.status().message());
        }
      }
    }
    const grpc::Status status = stream->Finish();
    return status.ok() ? first : status;
  };
  calls["SealTube"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::SealTubeRequest request;
    request.set_request_id(Client::NewRequestId("seal"));
    request.set_round("rounds/r");
    request.set_desk(Desk("tc-s0", 1));
    request.set_tube_barcode("NO-SUCH-TUBE");
    v1::SealTubeResponse response;
    return c.checkin().SealTube(context.get(), request, &response);
  };
  calls["RecordVisit"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::RecordVisitRequest request;
    request.set_request_id(Client::NewRequestId("visit"));
    request.set_round("rounds/r");
    request.set_desk("communities/tc/teams/1");
    request.set_resident_code(Code("tc", 4));
    request.set_outcome(v1::VISIT_OUTCOME_NOT_HOME);
    v1::RecordVisitResponse response;
    return c.checkin().RecordVisit(context.get(), request, &response);
  };
  calls["RegisterWalkIn"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::RegisterWalkInRequest request;
    request.set_request_id(Client::NewRequestId("walk-in"));
    request.set_round("rounds/r");
    request.set_desk(Desk("tc-s0", 1));
    request.set_community_id("tc");
    request.set_unit_id("b0-u0");
    v1::RegisterWalkInResponse response;
    return c.checkin().RegisterWalkIn(context.get(), request, &response);
  };
  // The sample's journey (lab.proto): requests naming a box or tube the
  // round does not have, so an admitted call answers NOT_FOUND.
  calls["PackBox"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::PackBoxRequest request;
    request.set_round("rounds/r");
    request.set_desk(Desk("tc-s0", 1));
    request.set_box_barcode("BOX-NONE");
    request.add_tube_barcodes("NO-SUCH-TUBE");
    v1::PackBoxResponse response;
    return c.custody().PackBox(context.get(), request, &response);
  };
  calls["ListTubesToPack"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ListTubesToPackRequest request;
    request.set_round("rounds/r");
    request.set_desk(Desk("tc-s0", 1));
    v1::ListTubesToPackResponse response;
    return c.custody().ListTubesToPack(context.get(), request, &response);
  };
  calls["PickUpBox"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::PickUpBoxRequest request;
    request.set_round("rounds/r");
    request.set_box_barcode("BOX-NONE");
    v1::PickUpBoxResponse response;
    return c.custody().PickUpBox(context.get(), request, &response);
  };
  calls["ReceiveBox"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ReceiveBoxRequest request;
    request.set_round("rounds/r");
    request.set_box_barcode("BOX-NONE");
    request.set_lab_id("lab-1");
    v1::ReceiveBoxResponse response;
    return c.custody().ReceiveBox(context.get(), request, &response);
  };
  calls["ListBoxes"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ListBoxesRequest request;
    request.set_round("rounds/r");
    v1::ListBoxesResponse response;
    return c.custody().ListBoxes(context.get(), request, &response);
  };
  calls["ReportResults"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ReportResultsRequest request;
    request.set_round("rounds/r");
    request.set_lab_id("lab-1");
    v1::ResultReport* report = request.add_results();
    report->set_request_id(Client::NewRequestId("result"));
    report->set_tube_barcode("NO-SUCH-TUBE");
    report->set_result(v1::TUBE_RESULT_NEGATIVE);
    v1::ReportResultsResponse response;
    return c.lab().ReportResults(context.get(), request, &response);
  };
  calls["TakeFollowUpSwab"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::TakeFollowUpSwabRequest request;
    request.set_request_id(Client::NewRequestId("follow-up"));
    request.set_round("rounds/r");
    request.set_desk(Desk("tc-s0", 1));
    request.set_resident_code(Code("tc", 2));
    request.set_tube_barcode("RETEST-0001");
    v1::TakeFollowUpSwabResponse response;
    return c.checkin().TakeFollowUpSwab(context.get(), request, &response);
  };
  calls["ListRecalls"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ListRecallsRequest request;
    request.set_round("rounds/r");
    v1::ListRecallsResponse response;
    return c.lab().ListRecalls(context.get(), request, &response);
  };
  calls["GetProgress"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::GetProgressRequest request;
    request.set_round("rounds/r");
    request.set_level(v1::PROGRESS_LEVEL_SITE);
    v1::GetProgressResponse response;
    return c.progress().GetProgress(context.get(), request, &response);
  };
  calls["ListUntested"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::ListUntestedRequest request;
    request.set_round("rounds/r");
    v1::ListUntestedResponse response;
    return c.progress().ListUntested(context.get(), request, &response);
  };
  calls["WatchProgress"] = [](Client& c) {
    Ctx context = Context(absl::Seconds(10));
    v1::WatchProgressRequest request;
    request.set_round("rounds/r");
    auto reader = c.progress().WatchProgress(context.get(), request);
    v1::WatchProgressResponse update;
    if (reader->Read(&update)) {
      context->TryCancel();  // one update shows the call was admitted
      while (reader->Read(&update)) {
      }
      reader->Finish();
      return grpc::Status::OK;
    }
    return reader->Finish();
  };
  return calls;
}

bool IsCheckInRpc(const std::string& rpc) {
  return rpc == "OpenTube" || rpc == "CheckIn" || rpc == "CheckInStream" || rpc == "SealTube" ||
         rpc == "RecordVisit" || rpc == "RegisterWalkIn" || rpc == "TakeFollowUpSwab";
}
// What a site's or team's token may do with boxes, a courier's and a lab's.
bool IsCustodyRpc(const std::string& rpc) {
  return rpc == "PackBox" || rpc == "ListTubesToPack" || rpc == "PickUpBox" ||
         rpc == "ReceiveBox" || rpc == "ReportResults";
}

// Every role (and no token, and an unknown token) against every RPC.
TEST_F(AccessTest, EveryRoleAgainstEveryRpc) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  ASSERT_TRUE(CreateRound("r-closing", "tc").ok());
  UseToken(tablet_.token);  // tubes are the tablets' business
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-SETUP").ok());
  const std::map<std::string, RpcCall> calls = EveryRpc(testing::MakeCommunity(CommunitySpec{}));
  ASSERT_EQ(calls.size(), static_cast<size_t>(Rpc::kCount));

  struct Who {
    std::string name;
    std::string token;
    std::function<Want(const std::string& rpc)> want;
  };
  const std::vector<Who> everyone = {
      {"no token", "", [](const std::string&) { return Want::kUnauthenticated; }},
      {"unknown token", "swbw_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
       [](const std::string&) { return Want::kUnauthenticated; }},
      {"command for tc", command_.token,
       [](const std::string& rpc) {
         return IsCheckInRpc(rpc) || IsCustodyRpc(rpc) ? Want::kPermissionDenied
                                                       : Want::kAdmitted;
       }},
      {"command for another community", other_command_.token,
       [](const std::string& rpc) {
         // It may list rounds (it sees none of tc's) and ask for a
         // resident's history (NOT_FOUND: tc's rounds are not its, and
         // PERMISSION_DENIED would say the code is someone's); everything
         // else here is about tc.
         return rpc == "ListRounds" || rpc == "GetResidentHistory" ? Want::kAdmitted
                                                                   : Want::kPermissionDenied;
       }},
      {"tablet at tc-s0", tablet_.token,
       [](const std::string& rpc) {
         // Visits are the teams' (the call names team 1's desk).
         return (IsCheckInRpc(rpc) && rpc != "RecordVisit") || rpc == "PackBox" ||
                        rpc == "ListTubesToPack"
                    ? Want::kAdmitted
                    : Want::kPermissionDenied;
       }},
      {"team tc/1", team_.token,
       [](const std::string& rpc) {
         // Every check-in call here names tc-s0's desk: not the team's.
         return rpc == "RecordVisit" ? Want::kAdmitted : Want::kPermissionDenied;
       }},
      {"team tc/2", other_team_.token, [](const std::string&) { return Want::kPermissionDenied; }},
      {"tablet at tc-s1", other_tablet_.token,
       [](const std::string&) { return Want::kPermissionDenied; }},
      {"lab lab-1", lab_.token,
       [](const std::string& rpc) {
         return rpc == "ReceiveBox" || rpc == "ReportResults" ? Want::kAdmitted
                                                              : Want::kPermissionDenied;
       }},
      {"courier", courier_.token,
       [](const std::string& rpc) {
         return rpc == "PickUpBox" ? Want::kAdmitted : Want::kPermissionDenied;
       }},
  };
  for (const Who& who : everyone) {
    std::unique_ptr<Client> client = ClientWith(who.token);
    for (const auto& [rpc, call] : calls) {
      const grpc::Status status = call(*client);
      const Want want = who.want(rpc);
      SCOPED_TRACE(absl::StrCat(who.name, " calling ", rpc, ": got ", status.error_code(), " ",
                                status.error_message()));
      switch (want) {
        case Want::kAdmitted:
          EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << WantName(want);
          EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << WantName(want);
          break;
        case Want::kUnauthenticated:
          EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
          EXPECT_NE(status.error_message().find("token"), std::string::npos);
          break;
        case Want::kPermissionDenied:
          EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
          EXPECT_FALSE(status.error_message().empty());
          break;
      }
    }
  }
}

TEST_F(AccessTest, AdmittedCallsReallyWork) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  std::unique_ptr<Client> tablet = ClientWith(tablet_.token);
  std::unique_ptr<Client> command = ClientWith(command_.token);
  const std::map<std::string, RpcCall> calls = EveryRpc(testing::MakeCommunity(CommunitySpec{}));
  EXPECT_TRUE(calls.at("OpenTube")(*tablet).ok());
  EXPECT_TRUE(calls.at("CheckIn")(*tablet).ok());
  EXPECT_TRUE(calls.at("CheckInStream")(*tablet).ok());
  EXPECT_TRUE(calls.at("GetProgress")(*command).ok());
  EXPECT_TRUE(calls.at("ListUntested")(*command).ok());
  EXPECT_TRUE(calls.at("GetRound")(*command).ok());
}

// A door-to-door team through the real server with its own token: it
// racks a tube at its desk and samples at the door, records a visit (a
// retry answers the same), the command center's progress and untested
// list see it, and the team is refused at a site's desk and another
// team's, a tablet at the team's.
// The sample's journey with real tokens: the site's tablet packs, a
// courier signs for the box, the lab its token names receives it and
// reports; another lab's token may not, and a lab token acts for its own
// lab only. Each hand-over is signed with the token's description.
TEST_F(AccessTest, EachHandOverIsSignedByItsOwnRoleAndALabActsForItsLabOnly) {
  const TestToken other_lab = MakeToken("lab lab=lab-2");
  WriteTokens({admin_, command_, other_command_, tablet_, other_tablet_, lab_, slow_, team_,
               other_team_, courier_, other_lab});
  ASSERT_TRUE(server_->ReloadTokens().ok());
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  UseToken(tablet_.token);
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-1").ok());
  ASSERT_TRUE(CheckIn("r", Desk("tc-s0", 1), Code("tc", 1)).ok());
  ASSERT_TRUE(SealTube("r", Desk("tc-s0", 1), "TUBE-1").ok());

  v1::PackBoxRequest pack;
  pack.set_round("rounds/r");
  pack.set_desk(Desk("tc-s0", 1));
  pack.set_box_barcode("BOX-1");
  pack.add_tube_barcodes("TUBE-1");
  v1::PackBoxResponse packed;
  grpc::Status status = ClientWith(tablet_.token)->custody().PackBox(Context().get(), pack, &packed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(packed.box().packed().by(), ::testing::StartsWith("tablet token "));
  v1::PickUpBoxRequest pick_up;
  pick_up.set_round("rounds/r");
  pick_up.set_box_barcode("BOX-1");
  v1::PickUpBoxResponse picked;
  ASSERT_TRUE(
      ClientWith(courier_.token)->custody().PickUpBox(Context().get(), pick_up, &picked).ok());
  EXPECT_THAT(picked.box().picked_up().by(), ::testing::StartsWith("courier token "));

  v1::ReceiveBoxRequest receive;
  receive.set_round("rounds/r");
  receive.set_box_barcode("BOX-1");
  receive.add_tube_barcodes("TUBE-1");
  receive.set_lab_id("lab-2");  // not the token's lab
  v1::ReceiveBoxResponse received;
  status = ClientWith(lab_.token)->custody().ReceiveBox(Context().get(), receive, &received);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("acts for lab lab-1 only"));
  receive.clear_lab_id();
  status = ClientWith(lab_.token)->custody().ReceiveBox(Context().get(), receive, &received);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(received.box().lab_id(), "lab-1");
  EXPECT_THAT(received.box().received().by(), ::testing::HasSubstr("(lab lab-1)"));

  v1::ReportResultsRequest report;
  report.set_round("rounds/r");
  v1::ResultReport* result = report.add_results();
  result->set_request_id("result-1");
  result->set_tube_barcode("TUBE-1");
  result->set_result(v1::TUBE_RESULT_NEGATIVE);
  v1::ReportResultsResponse reported;
  ASSERT_TRUE(
      ClientWith(other_lab.token)->lab().ReportResults(Context().get(), report, &reported).ok());
  EXPECT_EQ(reported.outcomes(0).status().code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(reported.outcomes(0).status().message(),
              ::testing::HasSubstr("received by lab lab-1"));
  ASSERT_TRUE(ClientWith(lab_.token)->lab().ReportResults(Context().get(), report, &reported).ok());
  EXPECT_FALSE(reported.outcomes(0).has_status());
  // A lab token checks nobody in; a tablet reports no result.
  status = ClientWith(lab_.token)->checkin().CheckIn(
      Context().get(), CheckInRequest("r", Desk("tc-s0", 1), Code("tc", 2)), nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = ClientWith(tablet_.token)->lab().ReportResults(Context().get(), report, &reported);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AccessTest, ATeamSamplesAndRecordsVisitsAtItsOwnDeskOnly) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const std::string desk = "communities/tc/teams/1";
  UseToken(team_.token);
  ASSERT_TRUE(OpenTube("r", desk, "TEAM-TUBE-1").ok());
  v1::CheckInResponse sampled;
  ASSERT_TRUE(CheckIn("r", desk, Code("tc", 2), &sampled).ok());
  EXPECT_EQ(sampled.tube_barcode(), "TEAM-TUBE-1");

  std::unique_ptr<Client> team = ClientWith(team_.token);
  v1::RecordVisitRequest visit;
  visit.set_request_id("visit-7");
  visit.set_round("rounds/r");
  visit.set_desk(desk);
  visit.set_resident_code(Code("tc", 7));
  visit.set_outcome(v1::VISIT_OUTCOME_MOVED_AWAY);
  visit.set_reason("flat sold in October");
  v1::RecordVisitResponse first, again;
  {
    auto context = Context();
    ASSERT_TRUE(team->checkin().RecordVisit(context.get(), visit, &first).ok());
  }
  {
    auto context = Context();
    ASSERT_TRUE(team->checkin().RecordVisit(context.get(), visit, &again).ok());
  }
  EXPECT_FALSE(first.replayed());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(first.outcome(), v1::VISIT_OUTCOME_MOVED_AWAY);
  EXPECT_EQ(again.visits(), 1);
  // The sampled resident cannot be visited; a reasonless refusal is refused.
  visit.set_request_id("visit-8");
  visit.set_resident_code(Code("tc", 2));
  v1::RecordVisitResponse refused;
  {
    auto context = Context();
    EXPECT_EQ(team->checkin().RecordVisit(context.get(), visit, &refused).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  visit.set_request_id("visit-9");
  visit.set_resident_code(Code("tc", 9));
  visit.set_outcome(v1::VISIT_OUTCOME_REFUSED);
  visit.clear_reason();
  {
    auto context = Context();
    const grpc::Status status = team->checkin().RecordVisit(context.get(), visit, &refused);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("needs a reason"), std::string::npos);
  }

  UseToken(command_.token);
  const v1::GetProgressResponse progress = Progress("r", v1::PROGRESS_LEVEL_COMMUNITY);
  EXPECT_EQ(progress.total().moved_away(), 1);
  EXPECT_EQ(progress.total().sampled(), 1);
  EXPECT_EQ(progress.total().due(), CommunitySpec{}.residents() - 1);

  // Refusals: the team at a site's desk and at another team's, a tablet
  // at the team's.
  UseToken(team_.token);
  EXPECT_EQ(CheckIn("r", Desk("tc-s0", 1), Code("tc", 3)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const grpc::Status other_team = CheckIn("r", "communities/tc/teams/2", Code("tc", 3));
  EXPECT_EQ(other_team.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(other_team.error_message().find("bound to team tc/1"), std::string::npos);
  UseToken(tablet_.token);
  const grpc::Status tablet = CheckIn("r", desk, Code("tc", 3));
  EXPECT_EQ(tablet.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(tablet.error_message().find("may not act as a door-to-door team"), std::string::npos);
}

TEST_F(AccessTest, MessagesSayWhatIsAllowed) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const std::map<std::string, RpcCall> calls = EveryRpc(testing::MakeCommunity(CommunitySpec{}));
  std::unique_ptr<Client> none = ClientWith("");
  EXPECT_NE(calls.at("GetRound")(*none).error_message().find("authorization: Bearer"),
            std::string::npos);
  std::unique_ptr<Client> tablet = ClientWith(tablet_.token);
  EXPECT_NE(calls.at("GetRound")(*tablet).error_message().find("may call CheckInService"),
            std::string::npos);
  std::unique_ptr<Client> other_tablet = ClientWith(other_tablet_.token);
  EXPECT_NE(calls.at("CheckIn")(*other_tablet).error_message().find("bound to site tc-s1"),
            std::string::npos);
  std::unique_ptr<Client> other_command = ClientWith(other_command_.token);
  EXPECT_NE(calls.at("GetProgress")(*other_command).error_message().find("community tc"),
            std::string::npos);
}

TEST_F(AccessTest, ListRoundsShowsOnlyTheTokensCommunities) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  ASSERT_TRUE(Import(testing::MakeCommunity(CommunitySpec{.id = "elsewhere"})).ok());
  ASSERT_TRUE(CreateRound("r-elsewhere", "elsewhere").ok());
  const auto rounds_seen_by = [&](const std::string& token) {
    std::unique_ptr<Client> client = ClientWith(token);
    auto context = Context();
    v1::ListRoundsResponse response;
    EXPECT_TRUE(client->planning().ListRounds(context.get(), {}, &response).ok());
    std::vector<std::string> names;
    for (const v1::Round& round : response.rounds()) names.push_back(round.name());
    return names;
  };
  EXPECT_EQ(rounds_seen_by(command_.token), std::vector<std::string>{"rounds/r"});
  EXPECT_EQ(rounds_seen_by(other_command_.token), std::vector<std::string>{"rounds/r-elsewhere"});
  EXPECT_EQ(rounds_seen_by(admin_.token).size(), 2u);
}

TEST_F(AccessTest, StreamRefusesOnlyTheOtherSitesCheckIns) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  UseToken(other_tablet_.token);
  ASSERT_TRUE(OpenTube("r", Desk("tc-s1", 1), "TUBE-S1").ok());
  UseToken(tablet_.token);
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-S0").ok());
  v1::CheckInStreamRequest message;
  *message.add_check_ins() = CheckInRequest("r", Desk("tc-s0", 1), Code("tc", 1), "here");
  *message.add_check_ins() = CheckInRequest("r", Desk("tc-s1", 1), Code("tc", 2), "there");
  std::vector<v1::CheckInOutcome> outcomes;
  ASSERT_TRUE(Stream({message}, &outcomes).ok());
  const auto by_id = testing::ById(outcomes);
  EXPECT_TRUE(by_id.at("here").has_result());
  EXPECT_EQ(by_id.at("there").status().code(), grpc::StatusCode::PERMISSION_DENIED);
  // The refused one touched nothing: resident 2 is still untested.
  UseToken(admin_.token);
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(), 1);
}

TEST_F(AccessTest, ACommandTokenCannotImportOrCreateForAnotherCommunity) {
  std::unique_ptr<Client> command = ClientWith(command_.token);
  const std::map<std::string, RpcCall> calls =
      EveryRpc(testing::MakeCommunity(CommunitySpec{.id = "elsewhere"}));
  const grpc::Status imported = calls.at("ImportCommunity")(*command);
  EXPECT_EQ(imported.error_code(), grpc::StatusCode::PERMISSION_DENIED) << imported.error_message();
  EXPECT_NE(imported.error_message().find("community elsewhere"), std::string::npos);
  auto context = Context();
  v1::CreateRoundResponse response;
  const grpc::Status created = command->planning().CreateRound(
      context.get(), RoundRequest("r-mixed", {"tc", "elsewhere"}), &response);
  EXPECT_EQ(created.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AccessTest, RateLimitRefusesWithARetryHint) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  // rate=1: bursts of 2. A channel that does not retry sees each refusal.
  std::unique_ptr<Client> slow = ClientWith(slow_.token, /*retries=*/false);
  const std::map<std::string, RpcCall> calls = EveryRpc(testing::MakeCommunity(CommunitySpec{}));
  int ok = 0, refused = 0;
  for (int i = 0; i < 6; ++i) {
    const grpc::Status status = calls.at("GetRound")(*slow);
    if (status.ok()) {
      ++ok;
    } else {
      ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
      EXPECT_NE(status.error_message().find("retry in"), std::string::npos);
      ++refused;
    }
  }
  // Six calls inside a second or two: at most the burst and a refill got in.
  EXPECT_GE(refused, 1);
  EXPECT_GE(ok, 1);
  // Another token is not affected.
  std::unique_ptr<Client> command = ClientWith(command_.token);
  EXPECT_TRUE(calls.at("GetRound")(*command).ok());
}

// Issue 26: the tools retry through gRPC's retry policy, which waits as
// long as the server's grpc-retry-pushback-ms says, not a loop of their own.
TEST_F(AccessTest, TheClientsRetryPolicyWaitsOutTheRateLimitsPushback) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const std::map<std::string, RpcCall> calls = EveryRpc(testing::MakeCommunity(CommunitySpec{}));
  // Without retries the refusal carries the pushback in its trailers.
  std::unique_ptr<Client> plain = ClientWith(slow_.token, /*retries=*/false);
  std::multimap<grpc::string_ref, grpc::string_ref> trailers;
  grpc::Status status;
  std::string pushback;
  for (int i = 0; i < 4 && status.ok(); ++i) {
    grpc::ClientContext context;
    v1::GetRoundRequest request;
    request.set_round("rounds/r");
    v1::GetRoundResponse response;
    status = plain->planning().GetRound(&context, request, &response);
    const auto it = context.GetServerTrailingMetadata().find("grpc-retry-pushback-ms");
    if (it != context.GetServerTrailingMetadata().end()) {
      pushback = std::string(it->second.data(), it->second.size());
    }
  }
  ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_FALSE(pushback.empty());
  EXPECT_GT(std::stoi(pushback), 0);
  EXPECT_LE(std::stoi(pushback), 1001);

  // With the tools' channel every call gets in: the refused ones are
  // retried after the pushback, the refusals counted on the server.
  std::unique_ptr<Client> slow = ClientWith(slow_.token);
  const int64_t refused_before = Refused("rate_limited");
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(calls.at("GetRound")(*slow).ok()) << "call " << i;
  }
  EXPECT_GT(Refused("rate_limited"), refused_before);

  // A cap is not retried: waiting does not close the streams that hold it.
  EXPECT_EQ(RetryPushback(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                       "this token already holds 2 open imports")),
            "-1");
}

TEST_F(AccessTest, ReloadSwapsTokensAndKeepsThemOnABadFile) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const std::map<std::string, RpcCall> calls = EveryRpc(testing::MakeCommunity(CommunitySpec{}));
  const TestToken fresh = MakeToken("command communities=tc");
  WriteTokens({admin_, fresh});  // command_ revoked
  ASSERT_TRUE(server_->ReloadTokens().ok());
  std::unique_ptr<Client> revoked = ClientWith(command_.token);
  EXPECT_EQ(calls.at("GetRound")(*revoked).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::unique_ptr<Client> added = ClientWith(fresh.token);
  EXPECT_TRUE(calls.at("GetRound")(*added).ok());

  const auto stale = [&] {
    const std::string metrics = testing::HttpGet(server_->http_port(), "/metrics").body;
    if (metrics.find("swabwave_tokens_file_stale 1\n") != std::string::npos) return 1;
    if (metrics.find("swabwave_tokens_file_stale 0\n") != std::string::npos) return 0;
    return -1;
  };
  EXPECT_EQ(stale(), 0);
  WriteFile(tokens_file_, "not a tokens file\n");
  const absl::Status bad = server_->ReloadTokens();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find(":1:"), std::string::npos) << bad.message();
  EXPECT_TRUE(calls.at("GetRound")(*added).ok());  // the old set stays
  // ...and /metrics says so until a reload succeeds (issue 25 item 9).
  EXPECT_EQ(stale(), 1);
  EXPECT_NE(testing::HttpGet(server_->http_port(), "/metrics")
                .body.find("swabwave_tokens_reload_failures_total 1\n"),
            std::string::npos);
  WriteTokens({admin_, fresh});
  ASSERT_TRUE(server_->ReloadTokens().ok());
  EXPECT_EQ(stale(), 0);
}

// Issue 25 item 9: /metrics shows round and site ids only to a token that
// may see the round; anyone else gets totals.
TEST_F(AccessTest, MetricsShowIdsOnlyToTokensThatMaySeeTheRound) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  UseToken(tablet_.token);
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-S0").ok());
  ASSERT_TRUE(CheckIn("r", Desk("tc-s0", 1), Code("tc", 1)).ok());
  const auto metrics_for = [&](const std::string& token) {
    const testing::HttpReply reply = testing::HttpGet(
        server_->http_port(), "/metrics", token.empty() ? "" : absl::StrCat("Bearer ", token));
    EXPECT_EQ(reply.status, 200);
    return reply.body;
  };
  for (const std::string& token :
       {std::string(), other_command_.token, tablet_.token, std::string("swbw_unknown")}) {
    const std::string metrics = metrics_for(token);
    EXPECT_EQ(metrics.find("round=\""), std::string::npos) << "token " << token;
    EXPECT_EQ(metrics.find("tc-s0"), std::string::npos) << "token " << token;
    EXPECT_NE(metrics.find("swabwave_rounds_open 1\n"), std::string::npos);
    EXPECT_NE(metrics.find("swabwave_residents_sampled 1\n"), std::string::npos);
  }
  for (const std::string& token : {admin_.token, command_.token}) {
    const std::string metrics = metrics_for(token);
    EXPECT_NE(metrics.find("swabwave_round_sampled{round=\"r\"} 1\n"), std::string::npos);
    EXPECT_NE(metrics.find("swabwave_site_check_ins_total{round=\"r\",site=\"tc-s0\"} 1\n"),
              std::string::npos);
  }
  // /healthz names nothing.
  EXPECT_EQ(testing::HttpGet(server_->http_port(), "/healthz").body, "ok\n");
}

// Issue 25 item 4: a reload ends the open streams of tokens it drops or
// whose rights it changes, with UNAUTHENTICATED, and leaves the others
// streaming. The revoked watch asks for updates a minute apart and the
// check-in stream is idle, so only the revocation can end them before the
// ten-second deadline.
TEST_F(AccessTest, ARevokedTokensOpenStreamsEndAndOthersGoOn) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  UseToken(tablet_.token);
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 1), "TUBE-S0").ok());
  UseToken(other_tablet_.token);
  ASSERT_TRUE(OpenTube("r", Desk("tc-s1", 1), "TUBE-S1").ok());

  const auto watch = [](Client& client, grpc::ClientContext* context, absl::Duration interval) {
    v1::WatchProgressRequest request;
    request.set_round("rounds/r");
    ToProto(interval, request.mutable_interval());
    return client.progress().WatchProgress(context, request);
  };
  const auto one_check_in = [](const std::string& desk, int resident) {
    v1::CheckInStreamRequest message;
    *message.add_check_ins() = CheckInRequest("r", desk, Code("tc", resident));
    return message;
  };
  std::unique_ptr<Client> command = ClientWith(command_.token);
  std::unique_ptr<Client> admin = ClientWith(admin_.token);
  std::unique_ptr<Client> tablet = ClientWith(tablet_.token);
  std::unique_ptr<Client> kept_tablet = ClientWith(other_tablet_.token);
  auto command_context = Context(absl::Seconds(10));
  auto admin_context = Context(absl::Seconds(10));
  auto tablet_context = Context(absl::Seconds(10));
  auto kept_context = Context(absl::Seconds(10));
  auto command_watch = watch(*command, command_context.get(), absl::Minutes(1));
  auto admin_watch = watch(*admin, admin_context.get(), absl::Milliseconds(100));
  auto tablet_stream = tablet->checkin().CheckInStream(tablet_context.get());
  auto kept_stream = kept_tablet->checkin().CheckInStream(kept_context.get());
  v1::WatchProgressResponse update;
  ASSERT_TRUE(command_watch->Read(&update));
  ASSERT_TRUE(admin_watch->Read(&update));
  v1::CheckInStreamResponse answer;
  ASSERT_TRUE(tablet_stream->Write(one_check_in(Desk("tc-s0", 1), 1)));
  ASSERT_TRUE(tablet_stream->Read(&answer));
  ASSERT_TRUE(answer.outcomes(0).has_result()) << answer.outcomes(0).status().message();
  ASSERT_TRUE(kept_stream->Write(one_check_in(Desk("tc-s1", 1), 2)));
  ASSERT_TRUE(kept_stream->Read(&answer));

  // tablet_ is dropped, command_ keeps its token but loses community tc.
  TestToken narrowed = command_;
  narrowed.line = absl::StrCat(Sha256Hex(command_.token), " command communities=elsewhere");
  WriteTokens({admin_, narrowed, other_tablet_, lab_});
  ASSERT_TRUE(server_->ReloadTokens().ok());

  while (command_watch->Read(&update)) {
  }
  const grpc::Status command_end = command_watch->Finish();
  EXPECT_EQ(command_end.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << command_end.error_message();
  EXPECT_NE(command_end.error_message().find("revoked"), std::string::npos);
  EXPECT_FALSE(tablet_stream->Read(&answer));
  const grpc::Status tablet_end = tablet_stream->Finish();
  EXPECT_EQ(tablet_end.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << tablet_end.error_message();

  // The tokens the reload kept as they were stream on.
  ASSERT_TRUE(admin_watch->Read(&update));
  ASSERT_TRUE(admin_watch->Read(&update));
  admin_context->TryCancel();
  while (admin_watch->Read(&update)) {
  }
  (void)admin_watch->Finish();
  ASSERT_TRUE(kept_stream->Write(one_check_in(Desk("tc-s1", 1), 3)));
  ASSERT_TRUE(kept_stream->Read(&answer));
  EXPECT_TRUE(answer.outcomes(0).has_result()) << answer.outcomes(0).status().message();
  kept_stream->WritesDone();
  EXPECT_TRUE(kept_stream->Finish().ok());

  // Residents 1, 2 and 3 were checked in; nothing else.
  UseToken(admin_.token);
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(), 3);
}

TEST_F(AccessTest, RefusalsAreLoggedByFingerprintNeverByToken) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);
  const std::map<std::string, RpcCall> calls = EveryRpc(testing::MakeCommunity(CommunitySpec{}));
  std::unique_ptr<Client> lab = ClientWith(lab_.token);
  EXPECT_EQ(calls.at("ListUntested")(*lab).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const std::string unknown = "swbw_not-a-token-this-server-knows";
  std::unique_ptr<Client> stranger = ClientWith(unknown);
  EXPECT_EQ(calls.at("CheckIn")(*stranger).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  spdlog::default_logger()->sinks().pop_back();

  const std::string text = log.str();
  EXPECT_NE(text.find(Sha256Hex(lab_.token).substr(0, 8)), std::string::npos) << text;
  EXPECT_NE(text.find(Sha256Hex(unknown).substr(0, 8)), std::string::npos) << text;
  EXPECT_EQ(text.find(lab_.token), std::string::npos) << text;
  EXPECT_EQ(text.find(unknown), std::string::npos) << text;
  EXPECT_EQ(text.find(Code("tc", 1)), std::string::npos) << "a resident code in the log";
}

// Issue 25 item 7: one token holds at most its cap of watches and of
// imports at once; another token is not affected, and a stream that ends
// gives its place back.
TEST_F(AccessTest, ATokenHoldsAtMostItsCapOfWatchesAndImports) {
  options_.max_watches_per_token = 2;
  options_.max_imports_per_token = 1;
  ASSERT_NO_FATAL_FAILURE(RestartServer());
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  std::unique_ptr<Client> command = ClientWith(command_.token);
  std::unique_ptr<Client> admin = ClientWith(admin_.token);
  struct Watch {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<v1::WatchProgressResponse>> reader;
  };
  const auto watch = [](Client& client) {
    Watch w{Context(absl::Seconds(20)), nullptr};
    v1::WatchProgressRequest request;
    request.set_round("rounds/r");
    ToProto(absl::Milliseconds(100), request.mutable_interval());
    w.reader = client.progress().WatchProgress(w.context.get(), request);
    return w;
  };
  const auto end = [](Watch& w) {
    w.context->TryCancel();
    v1::WatchProgressResponse update;
    while (w.reader->Read(&update)) {
    }
    return w.reader->Finish();
  };
  v1::WatchProgressResponse update;
  Watch first = watch(*command), second = watch(*command);
  ASSERT_TRUE(first.reader->Read(&update));
  ASSERT_TRUE(second.reader->Read(&update));
  Watch third = watch(*command);
  EXPECT_FALSE(third.reader->Read(&update));
  const grpc::Status refused = third.reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("--max_watches_per_token"), std::string::npos);
  Watch other = watch(*admin);  // another token's watch
  EXPECT_TRUE(other.reader->Read(&update));
  (void)end(other);
  // One ends: its place comes back once the server has let it go.
  (void)end(first);
  bool watched_again = false;
  for (int attempt = 0; attempt < 50 && !watched_again; ++attempt) {
    Watch again = watch(*command);
    watched_again = again.reader->Read(&update);
    (void)end(again);
    if (!watched_again) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(watched_again);
  (void)end(second);

  // Imports (of a new community, by the all-communities token): a first
  // stream is open, a chunk sent and not finished, and a second is refused.
  // The first takes its place when the server sees it, which may be after
  // a second one started (they are separate calls), and a client cannot
  // see when that was: a second that the server took first is refused as
  // an empty import (INVALID_ARGUMENT, it changes nothing), and the first,
  // if it came meanwhile, is refused at its end. Each try is the whole
  // scene with a community of its own, until one shows the cap.
  bool capped = false;
  for (int attempt = 0; attempt < 20 && !capped; ++attempt) {
    const engine::Community community =
        testing::MakeCommunity(CommunitySpec{.id = absl::StrCat("imp", attempt)});
    const std::vector<v1::ImportCommunityRequest> chunks =
        CommunityToChunks(community, Client::NewRequestId("import"), 1000);
    auto open_context = Context(absl::Seconds(20));
    v1::ImportCommunityResponse open_response;
    auto open_import = admin->planning().ImportCommunity(open_context.get(), &open_response);
    ASSERT_TRUE(open_import->Write(chunks.front()));
    absl::SleepFor(absl::Milliseconds(50 * (attempt + 1)));  // time for the server to see it
    auto context = Context(absl::Seconds(20));
    v1::ImportCommunityResponse response;
    auto writer = admin->planning().ImportCommunity(context.get(), &response);
    v1::ImportCommunityRequest header_only;
    header_only.set_request_id(Client::NewRequestId("second"));
    header_only.mutable_community()->set_community_id(absl::StrCat("second-", attempt));
    header_only.mutable_community()->set_name("second");
    writer->Write(header_only);
    writer->WritesDone();
    const grpc::Status second_import = writer->Finish();
    for (size_t i = 1; i < chunks.size(); ++i) open_import->Write(chunks[i]);
    open_import->WritesDone();
    const grpc::Status first_import = open_import->Finish();
    if (second_import.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) {
      // The second came first: it is refused as empty, and changes nothing.
      EXPECT_EQ(second_import.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << second_import.error_message();
      continue;
    }
    capped = true;
    EXPECT_NE(second_import.error_message().find("--max_imports_per_token"), std::string::npos);
    // The stream that held the place imports whole.
    EXPECT_TRUE(first_import.ok()) << first_import.error_message();
  }
  EXPECT_TRUE(capped) << "no second import was ever refused while the first was open";
}

// Issue 25 item 7: every import chunk after the first is one request of the
// token's rate. A token of 2 requests a second (bursts of 4) imports 12
// chunks whole, paced rather than refused, and its bucket is empty after
// it. (Before, an import cost one request whatever its size.)
TEST_F(AccessTest, ImportChunksArePacedByTheTokensRate) {
  const TestToken paced = MakeToken("command communities=* rate=2");
  WriteTokens({admin_, paced});
  ASSERT_TRUE(server_->ReloadTokens().ok());
  // A channel that does not retry: the calls after the import see refusals.
  std::unique_ptr<Client> client = ClientWith(paced.token, /*retries=*/false);
  const engine::Community community = testing::MakeCommunity(CommunitySpec{.id = "paced"});
  const std::vector<v1::ImportCommunityRequest> chunks =
      CommunityToChunks(community, Client::NewRequestId("import"), 7);
  ASSERT_GE(chunks.size(), 12u);
  auto context = Context(absl::Seconds(60));
  v1::ImportCommunityResponse response;
  auto writer = client->planning().ImportCommunity(context.get(), &response);
  for (const v1::ImportCommunityRequest& chunk : chunks) ASSERT_TRUE(writer->Write(chunk));
  writer->WritesDone();
  const grpc::Status imported = writer->Finish();
  ASSERT_TRUE(imported.ok()) << imported.error_message();
  EXPECT_EQ(response.residents(), static_cast<int64_t>(community.residents.size()));
  // Eight calls at once: a token that had paid one request for the import
  // would still have three of its burst of four; one that paid per chunk
  // has none, and at most two come back in the 1.5 s a loaded machine may
  // take between the import's last chunk and these calls.
  int admitted = 0;
  for (int call = 0; call < 8; ++call) {
    auto after = Context();
    v1::ListRoundsResponse rounds;
    const grpc::Status status = client->planning().ListRounds(after.get(), {}, &rounds);
    if (status.ok()) {
      ++admitted;
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
    }
  }
  EXPECT_LE(admitted, 2);
}

// Issue 25 item 8: whatever a scoped token sends, an answer's message is
// at most 1,000 bytes of printable text and the log gets no line the
// caller wrote. A 60 KB id ending in a forged log line used to reach the
// log whole and make the answer pass gRPC's metadata limit.
TEST_F(AccessTest, EchoedInputsAreCutAndEscapedForScopedTokensToo) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
  const std::string forged = "2026-12-05 10:00:00.000 [error] forged line";
  const std::string evil = std::string(60'000, 'c') + "\n" + forged;
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);

  std::map<std::string, grpc::Status> answers;
  std::unique_ptr<Client> command = ClientWith(command_.token);
  {
    auto context = Context();
    v1::CreateRoundResponse response;
    answers["CreateRound"] = command->planning().CreateRound(
        context.get(), RoundRequest("r2", {evil}), &response);
  }
  {
    auto context = Context();
    v1::ImportCommunityResponse response;
    auto writer = command->planning().ImportCommunity(context.get(), &response);
    v1::ImportCommunityRequest chunk;
    chunk.set_request_id(Client::NewRequestId("import"));
    chunk.mutable_community()->set_community_id(evil);
    writer->Write(chunk);
    writer->WritesDone();
    answers["ImportCommunity"] = writer->Finish();
  }
  {
    auto context = Context();
    v1::GetRoundRequest request;
    request.set_round("rounds/" + evil);
    v1::GetRoundResponse response;
    answers["GetRound"] = command->planning().GetRound(context.get(), request, &response);
  }
  {
    auto context = Context();
    v1::PlanRoundRequest request;
    request.set_round("rounds/r");
    request.set_request_id(Client::NewRequestId("plan"));
    request.mutable_options()->mutable_staffing()->add_availability()->set_staff_id(evil);
    v1::PlanRoundResponse response;
    answers["PlanRound"] = command->planning().PlanRound(context.get(), request, &response);
  }
  std::unique_ptr<Client> tablet = ClientWith(tablet_.token);
  {
    auto context = Context();
    v1::CheckInResponse response;
    answers["CheckIn"] = tablet->checkin().CheckIn(
        context.get(), CheckInRequest("r", Desk(evil, 1), Code("tc", 1)), &response);
  }
  spdlog::default_logger()->sinks().pop_back();

  for (const auto& [rpc, status] : answers) {
    EXPECT_FALSE(status.ok()) << rpc;
    // Refused for what was sent, not by gRPC for what came back.
    EXPECT_TRUE(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                status.error_code() == grpc::StatusCode::NOT_FOUND ||
                status.error_code() == grpc::StatusCode::PERMISSION_DENIED)
        << rpc << ": " << status.error_code() << " " << status.error_message().substr(0, 300);
    EXPECT_LE(status.error_message().size(), 1000u) << rpc;
    EXPECT_EQ(status.error_message().find('\n'), std::string::npos) << rpc;
  }
  EXPECT_EQ(answers["CreateRound"].error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(answers["ImportCommunity"].error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const std::string text = log.str();
  EXPECT_EQ(text.find("\n" + forged), std::string::npos) << "a forged line reached the log";
  EXPECT_EQ(text.find(std::string(1'001, 'c')), std::string::npos) << "an id reached the log whole";
}

}  // namespace
}  // namespace swabwave::services
