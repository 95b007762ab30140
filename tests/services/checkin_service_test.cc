// CheckInService over a real server on loopback: every bad input named in
// the issue gets the right code and an actionable message; retries replay;
// double scans get ALREADY_EXISTS with where and when; tubes rotate.
#include <gmock/gmock.h>
#include <google/protobuf/any.pb.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "swabwave/v1/common.pb.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::Shape;
using ::swabwave::services::testing::kRoundStart;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDesk1[] = "sites/tc-s0/desks/1";
constexpr char kDesk2[] = "sites/tc-s0/desks/2";

class CheckInServiceTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    OpenRound(Shape{}, "r");  // 24 residents, one site with two desks, 10 a tube
    ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A1").ok());
    ASSERT_TRUE(OpenTube("r", kDesk2, "TUBE-B1").ok());
  }
};

TEST_F(CheckInServiceTest, SamplesIntoTheOpenTubeWithItsPosition) {
  v1::CheckInResponse first, second;
  const grpc::Status s1 = CheckIn("r", kDesk1, ResidentCode("tc", 1), &first);
  ASSERT_TRUE(s1.ok()) << s1.error_message();
  EXPECT_EQ(first.tube_barcode(), "TUBE-A1");
  EXPECT_EQ(first.position(), 1);
  EXPECT_EQ(first.capacity(), 10);
  EXPECT_FALSE(first.tube_full());
  EXPECT_FALSE(first.replayed());
  ASSERT_TRUE(CheckIn("r", kDesk1, ResidentCode("tc", 2), &second).ok());
  EXPECT_EQ(second.position(), 2);
}

TEST_F(CheckInServiceTest, RetryWithSameRequestIdGetsTheOriginalAnswer) {
  v1::CheckInResponse original, retry;
  ASSERT_TRUE(CheckIn("r", kDesk1, ResidentCode("tc", 3), &original, "req-3").ok());
  ASSERT_TRUE(CheckIn("r", kDesk1, ResidentCode("tc", 3), &retry, "req-3").ok());
  EXPECT_TRUE(retry.replayed());
  EXPECT_EQ(retry.tube_barcode(), original.tube_barcode());
  EXPECT_EQ(retry.position(), original.position());
  EXPECT_EQ(retry.scan_time().seconds(), original.scan_time().seconds());
}

TEST_F(CheckInServiceTest, SecondAttemptIsAlreadyExistsWithWhereAndWhen) {
  v1::CheckInResponse first;
  ASSERT_TRUE(CheckIn("r", kDesk1, ResidentCode("tc", 4), &first).ok());
  const grpc::Status second = CheckIn("r", kDesk2, ResidentCode("tc", 4));
  ASSERT_EQ(second.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(second.error_message(), HasSubstr(kDesk1));
  EXPECT_THAT(second.error_message(), HasSubstr("TUBE-A1"));
  EXPECT_THAT(second.error_message(), HasSubstr("do not swab again"));
  EXPECT_THAT(second.error_message(), Not(HasSubstr(ResidentCode("tc", 4))));
  v1::ErrorStatus details;
  ASSERT_TRUE(details.ParseFromString(second.error_details()));
  EXPECT_EQ(details.code(), grpc::StatusCode::ALREADY_EXISTS);
  ASSERT_EQ(details.details_size(), 1);
  v1::ExistingCheckIn existing;
  ASSERT_TRUE(details.details(0).UnpackTo(&existing));
  EXPECT_EQ(existing.desk(), kDesk1);
  EXPECT_EQ(existing.tube_barcode(), "TUBE-A1");
  EXPECT_EQ(existing.position(), first.position());
  EXPECT_EQ(existing.scan_time().seconds(), first.scan_time().seconds());
  EXPECT_EQ(existing.resident_id(), first.resident_id());
}

TEST_F(CheckInServiceTest, LateOfflineBatchKeepsTheRealScanTime) {
  v1::CheckInRequest request;
  request.set_request_id("offline-1");
  request.set_round("rounds/r");
  request.set_desk(kDesk1);
  request.set_resident_code(ResidentCode("tc", 5));
  ToProto(kRoundStart + absl::Minutes(17), request.mutable_scan_time());
  v1::CheckInResponse response;
  ASSERT_TRUE(client_->checkin().CheckIn(Context().get(), request, &response).ok());
  EXPECT_EQ(FromProto(response.scan_time()), kRoundStart + absl::Minutes(17));
}

TEST_F(CheckInServiceTest, BadInputGetsTheRightCodeAndAClearMessage) {
  struct Case {
    std::string name, round, desk, code, request_id;
    grpc::StatusCode expected;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"unknown resident", "r", kDesk1, "NOBODY-999", "a", grpc::StatusCode::NOT_FOUND,
       "not registered"},
      {"unknown desk", "r", "sites/tc-s0/desks/3", ResidentCode("tc", 6), "b",
       grpc::StatusCode::NOT_FOUND, "desks 1..2"},
      {"unknown site", "r", "sites/nowhere/desks/1", ResidentCode("tc", 6), "c",
       grpc::StatusCode::NOT_FOUND, "nowhere"},
      {"malformed desk", "r", "desk-1", ResidentCode("tc", 6), "d",
       grpc::StatusCode::INVALID_ARGUMENT, "sites/{site_id}/desks/{n}"},
      {"malformed round", "round-r", "r", ResidentCode("tc", 6), "e",
       grpc::StatusCode::INVALID_ARGUMENT, "rounds/{round_id}"},
      {"unknown round", "nope", kDesk1, ResidentCode("tc", 6), "f", grpc::StatusCode::NOT_FOUND,
       "does not exist"},
      {"missing request id", "r", kDesk1, ResidentCode("tc", 6), "",
       grpc::StatusCode::INVALID_ARGUMENT, "request_id is required"},
      {"empty code", "r", kDesk1, "", "g", grpc::StatusCode::INVALID_ARGUMENT,
       "resident_code is required"},
      {"code with a space", "r", kDesk1, "AB CD", "h", grpc::StatusCode::INVALID_ARGUMENT,
       "not a valid code"},
  };
  for (const Case& c : cases) {
    v1::CheckInRequest request;
    request.set_request_id(c.request_id);
    request.set_round(c.round.rfind("round-", 0) == 0 ? c.round : absl::StrCat("rounds/", c.round));
    request.set_desk(c.desk);
    request.set_resident_code(c.code);
    v1::CheckInResponse response;
    const grpc::Status status = client_->checkin().CheckIn(Context().get(), request, &response);
    EXPECT_EQ(status.error_code(), c.expected) << c.name << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.message)) << c.name;
  }
}

TEST_F(CheckInServiceTest, ScanTimesOutsideTheRoundAreRejected) {
  for (absl::Time scan : {kRoundStart - absl::Hours(2), absl::Now() + absl::Hours(1)}) {
    v1::CheckInRequest request;
    request.set_request_id(absl::StrCat("t", absl::ToUnixSeconds(scan)));
    request.set_round("rounds/r");
    request.set_desk(kDesk1);
    request.set_resident_code(ResidentCode("tc", 7));
    ToProto(scan, request.mutable_scan_time());
    v1::CheckInResponse response;
    const grpc::Status status = client_->checkin().CheckIn(Context().get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("check the tablet's clock"));
  }
}

TEST_F(CheckInServiceTest, ClosedRoundTakesNoCheckIn) {
  ASSERT_TRUE(Close("r").ok());
  const grpc::Status status = CheckIn("r", kDesk1, ResidentCode("tc", 8));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("closed"));
}

TEST_F(CheckInServiceTest, RoundNotYetOpenTakesNoCheckIn) {
  v1::ImportCommunityResponse imported;
  ASSERT_TRUE(Import(engine::testing::MakeCommunity(Shape{.id = "other"}), &imported).ok());
  ASSERT_TRUE(CreateRound("later", "other").ok());
  ASSERT_TRUE(Plan("later").ok());
  const grpc::Status status = CheckIn("later", "sites/other-s0/desks/1", ResidentCode("other", 1));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("planned"));
}

TEST_F(CheckInServiceTest, FullTubeRotatesAndAnEmptyRackIsFailedPrecondition) {
  v1::CheckInResponse response;
  for (int r = 1; r <= 10; ++r) {
    ASSERT_TRUE(CheckIn("r", kDesk1, ResidentCode("tc", r), &response).ok());
  }
  EXPECT_TRUE(response.tube_full());
  EXPECT_EQ(response.position(), 10);
  // No tube racked behind TUBE-A1: the desk has none open.
  const grpc::Status none = CheckIn("r", kDesk1, ResidentCode("tc", 11), nullptr, "req-11");
  EXPECT_EQ(none.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(none.error_message(), HasSubstr("scan a new tube"));
  ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A2").ok());
  // The same request id, retried after scanning a tube, now goes through.
  ASSERT_TRUE(CheckIn("r", kDesk1, ResidentCode("tc", 11), &response, "req-11").ok());
  EXPECT_EQ(response.tube_barcode(), "TUBE-A2");
  EXPECT_EQ(response.position(), 1);
}

TEST_F(CheckInServiceTest, TubeRulesAreEnforced) {
  auto seal = [&](const std::string& desk, const std::string& barcode) {
    v1::SealTubeRequest request;
    request.set_request_id(Client::NewRequestId("seal"));
    request.set_round("rounds/r");
    request.set_desk(desk);
    request.set_tube_barcode(barcode);
    v1::SealTubeResponse response;
    return client_->checkin().SealTube(Context().get(), request, &response);
  };
  const grpc::Status duplicate = OpenTube("r", kDesk2, "TUBE-A1");
  EXPECT_EQ(duplicate.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(duplicate.error_message(), HasSubstr("TUBE-A1"));
  EXPECT_EQ(OpenTube("r", kDesk1, "a b").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(seal(kDesk1, "TUBE-A1").error_code(), grpc::StatusCode::FAILED_PRECONDITION);  // empty
  EXPECT_EQ(seal(kDesk1, "NO-SUCH").error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A2").ok());
  const grpc::Status racked = seal(kDesk1, "TUBE-A2");
  EXPECT_EQ(racked.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(racked.error_message(), HasSubstr("racked"));

  ASSERT_TRUE(CheckIn("r", kDesk1, ResidentCode("tc", 1)).ok());
  ASSERT_TRUE(CheckIn("r", kDesk1, ResidentCode("tc", 2)).ok());
  v1::SealTubeRequest request;
  request.set_request_id("seal-a1");
  request.set_round("rounds/r");
  request.set_desk(kDesk1);
  request.set_tube_barcode("TUBE-A1");
  v1::SealTubeResponse sealed;
  ASSERT_TRUE(client_->checkin().SealTube(Context().get(), request, &sealed).ok());
  EXPECT_EQ(sealed.tube().swabs(), 2);
  EXPECT_EQ(sealed.tube().state(), v1::TUBE_STATE_SEALED);
  // A sealed tube takes no more swabs: the next goes into TUBE-A2.
  const grpc::Status twice = seal(kDesk1, "TUBE-A1");
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(twice.error_message(), HasSubstr("already sealed"));
  v1::CheckInResponse next;
  ASSERT_TRUE(CheckIn("r", kDesk1, ResidentCode("tc", 3), &next).ok());
  EXPECT_EQ(next.tube_barcode(), "TUBE-A2");
  // Sealing again with the original request id repeats the original answer.
  v1::SealTubeResponse repeated;
  ASSERT_TRUE(client_->checkin().SealTube(Context().get(), request, &repeated).ok());
  EXPECT_EQ(repeated.tube().swabs(), 2);
}

TEST_F(CheckInServiceTest, StreamAnswersEveryCheckInByRequestId) {
  ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A2").ok());
  ASSERT_TRUE(CheckIn("r", kDesk2, ResidentCode("tc", 1)).ok());  // sampled before
  auto context = Context();
  auto stream = client_->checkin().CheckInStream(context.get());
  v1::CheckInStreamRequest message;
  std::map<std::string, grpc::StatusCode> expected;
  auto add = [&](const std::string& id, const std::string& code, grpc::StatusCode code_expected) {
    v1::CheckInRequest* c = message.add_check_ins();
    c->set_request_id(id);
    c->set_round("rounds/r");
    c->set_desk(kDesk1);
    c->set_resident_code(code);
    expected[id] = code_expected;
  };
  add("s1", ResidentCode("tc", 1), grpc::StatusCode::ALREADY_EXISTS);
  add("s2", ResidentCode("tc", 2), grpc::StatusCode::OK);
  add("s3", "NOBODY-1", grpc::StatusCode::NOT_FOUND);
  for (int r = 3; r <= 14; ++r)
    add(absl::StrCat("s", r + 1), ResidentCode("tc", r), grpc::StatusCode::OK);
  ASSERT_TRUE(stream->Write(message));
  stream->WritesDone();
  std::map<std::string, v1::CheckInOutcome> outcomes;
  v1::CheckInStreamResponse response;
  while (stream->Read(&response)) {
    for (const v1::CheckInOutcome& o : response.outcomes()) outcomes[o.request_id()] = o;
  }
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(outcomes.size(), expected.size());
  for (const auto& [id, code] : expected) {
    EXPECT_EQ(outcomes[id].status().code(), static_cast<int>(code)) << id;
  }
  const v1::CheckInOutcome& duplicate = outcomes["s1"];
  EXPECT_EQ(duplicate.existing().desk(), kDesk2);
  ASSERT_EQ(duplicate.status().details_size(), 1);
  v1::ExistingCheckIn existing;
  EXPECT_TRUE(duplicate.status().details(0).UnpackTo(&existing));
  EXPECT_EQ(outcomes["s2"].result().position(), 1);
  // 13 swabs at desk 1: TUBE-A1 filled with 10, TUBE-A2 holds 3.
  std::set<std::string> tubes;
  for (const auto& [id, o] : outcomes) {
    if (o.status().code() == 0) tubes.insert(o.result().tube_barcode());
  }
  EXPECT_EQ(tubes, (std::set<std::string>{"TUBE-A1", "TUBE-A2"}));
}

TEST_F(CheckInServiceTest, StreamMessageOverTheLimitEndsTheStream) {
  auto context = Context();
  auto stream = client_->checkin().CheckInStream(context.get());
  v1::CheckInStreamRequest message;
  for (int i = 0; i < 1001; ++i) {
    v1::CheckInRequest* c = message.add_check_ins();
    c->set_request_id(absl::StrCat("big-", i));
    c->set_round("rounds/r");
    c->set_desk(kDesk1);
    c->set_resident_code(ResidentCode("tc", 1));
  }
  stream->Write(message);
  stream->WritesDone();
  v1::CheckInStreamResponse response;
  while (stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("at most 1000"));
}

// Tablets at both desks scan the same residents at once, on many streams:
// each resident is sampled by exactly one check-in; the rest learn of it.
TEST_F(CheckInServiceTest, ConcurrentStreamsDoubleScanningSampleEachResidentOnce) {
  for (int t = 2; t <= 4; ++t) {
    ASSERT_TRUE(OpenTube("r", kDesk1, absl::StrCat("TUBE-A", t)).ok());
    ASSERT_TRUE(OpenTube("r", kDesk2, absl::StrCat("TUBE-B", t)).ok());
  }
  constexpr int kStreams = 8;
  std::vector<std::map<int, int>> codes_by_stream(kStreams);  // resident -> status code
  std::vector<std::thread> threads;
  for (int s = 0; s < kStreams; ++s) {
    threads.emplace_back([&, s] {
      auto context = Context();
      auto stream = client_->checkin().CheckInStream(context.get());
      v1::CheckInStreamRequest message;
      for (int r = 1; r <= 24; ++r) {
        v1::CheckInRequest* c = message.add_check_ins();
        c->set_request_id(absl::StrCat("stream", s, "-", r));
        c->set_round("rounds/r");
        c->set_desk(s % 2 == 0 ? kDesk1 : kDesk2);
        c->set_resident_code(ResidentCode("tc", (r + 5 * s) % 24 + 1));
      }
      stream->Write(message);
      stream->WritesDone();
      v1::CheckInStreamResponse response;
      while (stream->Read(&response)) {
        for (const v1::CheckInOutcome& o : response.outcomes()) {
          const std::string& id = o.request_id();
          const int r = std::stoi(id.substr(id.find('-') + 1));
          codes_by_stream[s][(r + 5 * s) % 24 + 1] = o.status().code();
        }
      }
      EXPECT_TRUE(stream->Finish().ok());
    });
  }
  for (std::thread& t : threads) t.join();
  for (int r = 1; r <= 24; ++r) {
    int ok = 0, already = 0;
    for (const auto& stream : codes_by_stream) {
      const int code = stream.at(r);
      if (code == 0) ++ok;
      if (code == static_cast<int>(grpc::StatusCode::ALREADY_EXISTS)) ++already;
    }
    EXPECT_EQ(ok, 1) << "resident " << r;
    EXPECT_EQ(already, kStreams - 1) << "resident " << r;
  }
  v1::GetProgressRequest request;
  request.set_round("rounds/r");
  request.set_level(v1::PROGRESS_LEVEL_COMMUNITY);
  v1::GetProgressResponse progress;
  ASSERT_TRUE(client_->progress().GetProgress(Context().get(), request, &progress).ok());
  EXPECT_EQ(progress.total().sampled(), 24);
  EXPECT_EQ(progress.total().remaining(), 0);
}

TEST_F(CheckInServiceTest, ClientVanishingMidStreamLeavesTheServerServing) {
  {
    auto context = Context();
    auto stream = client_->checkin().CheckInStream(context.get());
    v1::CheckInStreamRequest message;
    v1::CheckInRequest* c = message.add_check_ins();
    c->set_request_id("vanish");
    c->set_round("rounds/r");
    c->set_desk(kDesk1);
    c->set_resident_code(ResidentCode("tc", 20));
    stream->Write(message);
    context->TryCancel();
  }
  ASSERT_TRUE(CheckIn("r", kDesk2, ResidentCode("tc", 21)).ok());
}

}  // namespace
}  // namespace swabwave::services
