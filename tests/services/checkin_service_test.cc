// CheckInService over a real server on loopback: check-ins one at a time
// and on streams, tubes racked, filled, rotated and sealed. Pins DESIGN.md
// §4 invariants 1 (sampled at most once, under retries, double scans and
// late offline batches; ALREADY_EXISTS carries the first check-in), 2 (a
// tube holds at most pool_ratio swabs, a sealed tube takes no more) and 6
// (bad input gets a clear status and changes nothing).
//
// Why one file past 650 lines: every test here runs against the same open
// round and its tubes, and the unary and stream forms of each invariant
// sit side by side so that a change to one form is checked against the
// other.
#include <gmock/gmock.h>
#include <google/protobuf/any.pb.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "swabwave/v1/common.pb.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::services::testing::ById;
using ::swabwave::services::testing::Code;
using ::swabwave::services::testing::CommunitySpec;
using ::swabwave::services::testing::Desk;
using ::swabwave::services::testing::ExistingCheckInOf;
using ::swabwave::services::testing::kRoundStart;
using ::swabwave::services::testing::MakeCommunity;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kDesk1 = Desk("tc-s0", 1);     // TUBE-A1 open
const std::string kDesk2 = Desk("tc-s0", 2);     // TUBE-B1 open
const std::string kBareDesk = Desk("tc-s1", 1);  // no tube scanned

constexpr auto kOk = grpc::StatusCode::OK;
constexpr auto kAlreadyExists = grpc::StatusCode::ALREADY_EXISTS;
constexpr auto kNotFound = grpc::StatusCode::NOT_FOUND;
constexpr auto kInvalid = grpc::StatusCode::INVALID_ARGUMENT;
constexpr auto kFailedPrecondition = grpc::StatusCode::FAILED_PRECONDITION;

// Round "r" over the default community (48 residents, sites tc-s0 and
// tc-s1 with two desks each), 10 swabs a tube, open, one tube at each desk
// of tc-s0.
class CheckInServiceTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
    ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A1").ok());
    ASSERT_TRUE(OpenTube("r", kDesk2, "TUBE-B1").ok());
  }

  int64_t Sampled() { return Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(); }
};

// ------------------------------------------------------------- unary CheckIn

TEST_F(CheckInServiceTest, SamplesIntoTheOpenTubeAtItsPosition) {
  const absl::Time before = absl::Now();
  v1::CheckInResponse first, second;
  const grpc::Status status = CheckIn("r", kDesk1, Code("tc", 1), &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.resident_id(), 0);
  EXPECT_EQ(first.tube_barcode(), "TUBE-A1");
  EXPECT_EQ(first.position(), 1);  // "1/10"
  EXPECT_EQ(first.capacity(), 10);
  EXPECT_FALSE(first.tube_full());
  EXPECT_FALSE(first.replayed());
  // Stamped with the server's clock (whole seconds).
  EXPECT_GE(FromProto(first.scan_time()), absl::FromUnixSeconds(absl::ToUnixSeconds(before)));
  EXPECT_LE(FromProto(first.scan_time()), absl::Now());

  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 2), &second).ok());
  EXPECT_EQ(second.resident_id(), 1);
  EXPECT_EQ(second.tube_barcode(), "TUBE-A1");
  EXPECT_EQ(second.position(), 2);
  EXPECT_EQ(Sampled(), 2);
}

TEST_F(CheckInServiceTest, UnknownResidentIsNotFoundWithoutEchoingTheCode) {
  const grpc::Status status = CheckIn("r", kDesk1, "NOBODY-999");
  EXPECT_EQ(status.error_code(), kNotFound);
  EXPECT_THAT(status.error_message(), HasSubstr("not registered in round r"));
  EXPECT_THAT(status.error_message(), HasSubstr("registration desk"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("NOBODY-999")));
}

TEST_F(CheckInServiceTest, DeskBeyondTheSitesDesksIsNotFound) {
  const grpc::Status status = CheckIn("r", Desk("tc-s0", 3), Code("tc", 1));
  EXPECT_EQ(status.error_code(), kNotFound);
  EXPECT_THAT(status.error_message(), HasSubstr("site 'tc-s0' has desks 1..2; there is no desk 3"));
  EXPECT_EQ(Sampled(), 0);
}

TEST_F(CheckInServiceTest, DeskAtAnUnknownSiteIsNotFound) {
  const grpc::Status status = CheckIn("r", Desk("nowhere", 1), Code("tc", 1));
  EXPECT_EQ(status.error_code(), kNotFound);
  EXPECT_THAT(status.error_message(), HasSubstr("site 'nowhere' is not in round r"));
}

TEST_F(CheckInServiceTest, MalformedDeskNameIsInvalid) {
  for (const char* desk : {"desk-1", "sites/tc-s0/desks/0", "sites/tc-s0/desk/1", "tc-s0/1"}) {
    const grpc::Status status = CheckIn("r", desk, Code("tc", 1));
    EXPECT_EQ(status.error_code(), kInvalid) << desk;
    EXPECT_THAT(status.error_message(), HasSubstr("sites/{site_id}/desks/{n}")) << desk;
  }
  const grpc::Status empty = CheckIn("r", "", Code("tc", 1));
  EXPECT_EQ(empty.error_code(), kInvalid);
  EXPECT_THAT(empty.error_message(), HasSubstr("desk is required"));
}

TEST_F(CheckInServiceTest, MalformedOrUnknownRoundIsRefused) {
  v1::CheckInRequest request = CheckInRequest("r", kDesk1, Code("tc", 1));
  request.set_round("round-r");
  grpc::Status status = CheckIn(request);
  EXPECT_EQ(status.error_code(), kInvalid);
  EXPECT_THAT(status.error_message(), HasSubstr("rounds/{round_id}"));
  request.set_round("rounds/nope");
  status = CheckIn(request);
  EXPECT_EQ(status.error_code(), kNotFound);
  EXPECT_THAT(status.error_message(), HasSubstr("round 'nope' does not exist"));
}

TEST_F(CheckInServiceTest, ClosedRoundIsFailedPrecondition) {
  ASSERT_TRUE(Close("r").ok());
  const grpc::Status status = CheckIn("r", kDesk1, Code("tc", 1));
  EXPECT_EQ(status.error_code(), kFailedPrecondition);
  EXPECT_THAT(status.error_message(), HasSubstr("round r is closed"));
  EXPECT_THAT(status.error_message(), HasSubstr("only while it is open"));
}

TEST_F(CheckInServiceTest, RoundNotYetOpenIsFailedPrecondition) {
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{.id = "other"})).ok());
  ASSERT_TRUE(CreateRound("later", "other").ok());
  ASSERT_TRUE(Plan("later").ok());
  const grpc::Status status = CheckIn("later", Desk("other-s0", 1), Code("other", 1));
  EXPECT_EQ(status.error_code(), kFailedPrecondition);
  EXPECT_THAT(status.error_message(), HasSubstr("round later is planned"));
}

TEST_F(CheckInServiceTest, DeskWithoutAnOpenTubeIsFailedPrecondition) {
  const grpc::Status status = CheckIn("r", kBareDesk, Code("tc", 1));
  EXPECT_EQ(status.error_code(), kFailedPrecondition);
  EXPECT_THAT(status.error_message(), HasSubstr(kBareDesk + " has no open tube"));
  EXPECT_THAT(status.error_message(), HasSubstr("OpenTube"));
  EXPECT_EQ(Sampled(), 0);
}

TEST_F(CheckInServiceTest, MissingOrOverlongRequestIdIsInvalid) {
  v1::CheckInRequest request = CheckInRequest("r", kDesk1, Code("tc", 1));
  request.clear_request_id();
  grpc::Status status = CheckIn(request);
  EXPECT_EQ(status.error_code(), kInvalid);
  EXPECT_THAT(status.error_message(), HasSubstr("request_id is required"));
  request.set_request_id(std::string(129, 'x'));
  status = CheckIn(request);
  EXPECT_EQ(status.error_code(), kInvalid);
  EXPECT_THAT(status.error_message(), HasSubstr("at most 128"));
  EXPECT_EQ(Sampled(), 0);
}

TEST_F(CheckInServiceTest, EmptyResidentCodeIsInvalid) {
  const grpc::Status status = CheckIn("r", kDesk1, "");
  EXPECT_EQ(status.error_code(), kInvalid);
  EXPECT_THAT(status.error_message(), HasSubstr("resident_code is required"));
}

TEST_F(CheckInServiceTest, MalformedResidentCodeIsInvalidWithoutEchoingIt) {
  for (const std::string& code :
       std::vector<std::string>{"AB CD", "abc", std::string(65, 'x'), "a,b,c,d"}) {
    const grpc::Status status = CheckIn("r", kDesk1, code);
    EXPECT_EQ(status.error_code(), kInvalid) << code;
    EXPECT_THAT(status.error_message(), HasSubstr("resident_code is not a valid code")) << code;
    EXPECT_THAT(status.error_message(), Not(HasSubstr(code))) << code;
  }
}

TEST_F(CheckInServiceTest, ScanTimeMoreThanAnHourBeforeTheStartIsInvalid) {
  v1::CheckInRequest request = CheckInRequest("r", kDesk1, Code("tc", 1));
  ToProto(kRoundStart - absl::Minutes(61), request.mutable_scan_time());
  const grpc::Status status = CheckIn(request);
  EXPECT_EQ(status.error_code(), kInvalid);
  EXPECT_THAT(status.error_message(), HasSubstr("more than 1 h before round r starts"));
  EXPECT_THAT(status.error_message(), HasSubstr("check the tablet's clock"));
  EXPECT_EQ(Sampled(), 0);

  // Within the hour of clock drift allowed before the start.
  ToProto(kRoundStart - absl::Minutes(59), request.mutable_scan_time());
  request.set_request_id("drift-ok");
  v1::CheckInResponse response;
  ASSERT_TRUE(CheckIn(request, &response).ok());
  EXPECT_EQ(FromProto(response.scan_time()), kRoundStart - absl::Minutes(59));
}

TEST_F(CheckInServiceTest, ScanTimeInTheFutureIsInvalid) {
  v1::CheckInRequest request = CheckInRequest("r", kDesk1, Code("tc", 1));
  ToProto(absl::Now() + absl::Minutes(11), request.mutable_scan_time());
  const grpc::Status status = CheckIn(request);
  EXPECT_EQ(status.error_code(), kInvalid);
  EXPECT_THAT(status.error_message(), HasSubstr("in the future"));
  EXPECT_THAT(status.error_message(), HasSubstr("check the tablet's clock"));
  EXPECT_EQ(Sampled(), 0);
}

TEST_F(CheckInServiceTest, AbsurdScanTimesAreInvalid) {
  for (const int64_t seconds : {int64_t{-62135596800}, int64_t{0}, int64_t{253402300799}}) {
    v1::CheckInRequest request = CheckInRequest("r", kDesk1, Code("tc", 1));
    request.mutable_scan_time()->set_seconds(seconds);
    request.mutable_scan_time()->set_nanos(999999999);
    const grpc::Status status = CheckIn(request);
    EXPECT_EQ(status.error_code(), kInvalid) << seconds;
    EXPECT_THAT(status.error_message(), HasSubstr("check the tablet's clock")) << seconds;
  }
  EXPECT_EQ(Sampled(), 0);
}

// checkin.proto: scan times are recorded to the whole second, rounded down,
// and every answer says the second recorded.
TEST_F(CheckInServiceTest, ScanTimeIsRecordedToTheWholeSecondRoundedDown) {
  const absl::Time whole = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) - 30);
  v1::CheckInRequest request = CheckInRequest("r", kDesk1, Code("tc", 5));
  ToProto(whole + absl::Milliseconds(999), request.mutable_scan_time());
  v1::CheckInResponse response;
  ASSERT_TRUE(CheckIn(request, &response).ok());
  EXPECT_EQ(FromProto(response.scan_time()), whole);
  EXPECT_EQ(response.scan_time().nanos(), 0);

  // A second attempt for the same resident is told the same recorded second.
  v1::CheckInRequest again = CheckInRequest("r", kDesk1, Code("tc", 5));
  again.set_request_id("another-attempt");
  const grpc::Status status = CheckIn(again);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();
  v1::ErrorStatus details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  ASSERT_EQ(details.details_size(), 1);
  v1::ExistingCheckIn existing;
  ASSERT_TRUE(details.details(0).UnpackTo(&existing));
  EXPECT_EQ(FromProto(existing.scan_time()), whole);
}

TEST_F(CheckInServiceTest, RetryWithTheSameRequestIdIsReplayed) {
  v1::CheckInResponse original, retry;
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 3), &original, "req-3").ok());
  const grpc::Status status = CheckIn("r", kDesk1, Code("tc", 3), &retry, "req-3");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(original.replayed());
  EXPECT_TRUE(retry.replayed());
  EXPECT_EQ(retry.resident_id(), original.resident_id());
  EXPECT_EQ(retry.tube_barcode(), original.tube_barcode());
  EXPECT_EQ(retry.position(), original.position());
  EXPECT_EQ(FromProto(retry.scan_time()), FromProto(original.scan_time()));
  EXPECT_EQ(Sampled(), 1);
  // The tube did not move on: the next resident takes position 2.
  v1::CheckInResponse next;
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 4), &next).ok());
  EXPECT_EQ(next.position(), 2);
}

TEST_F(CheckInServiceTest, SecondAttemptAtAnotherDeskIsAlreadyExistsWithTheFirst) {
  v1::CheckInResponse first;
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 4), &first).ok());
  const grpc::Status second = CheckIn("r", kDesk2, Code("tc", 4));
  ASSERT_EQ(second.error_code(), kAlreadyExists) << second.error_message();
  EXPECT_THAT(second.error_message(), HasSubstr("already sampled in round r"));
  EXPECT_THAT(second.error_message(), HasSubstr(kDesk1));
  EXPECT_THAT(second.error_message(), HasSubstr("TUBE-A1, 1/10"));
  EXPECT_THAT(second.error_message(), HasSubstr("do not swab again"));
  EXPECT_THAT(second.error_message(), Not(HasSubstr(Code("tc", 4))));

  v1::ErrorStatus details;
  ASSERT_TRUE(details.ParseFromString(second.error_details()));
  EXPECT_EQ(details.code(), static_cast<int>(kAlreadyExists));
  EXPECT_EQ(details.message(), second.error_message());
  ASSERT_EQ(details.details_size(), 1);
  v1::ExistingCheckIn existing;
  ASSERT_TRUE(details.details(0).UnpackTo(&existing));
  EXPECT_EQ(existing.resident_id(), first.resident_id());
  EXPECT_EQ(existing.desk(), kDesk1);
  EXPECT_EQ(existing.tube_barcode(), "TUBE-A1");
  EXPECT_EQ(existing.position(), first.position());
  EXPECT_EQ(FromProto(existing.scan_time()), FromProto(first.scan_time()));
  EXPECT_EQ(Sampled(), 1);
  // The second desk's tube took no swab.
  v1::CheckInResponse at_desk2;
  ASSERT_TRUE(CheckIn("r", kDesk2, Code("tc", 5), &at_desk2).ok());
  EXPECT_EQ(at_desk2.tube_barcode(), "TUBE-B1");
  EXPECT_EQ(at_desk2.position(), 1);
}

TEST_F(CheckInServiceTest, LateOfflineCheckInKeepsItsScanTime) {
  const absl::Time scanned = kRoundStart + absl::Minutes(17);
  v1::CheckInRequest request = CheckInRequest("r", kDesk1, Code("tc", 5), "offline-1");
  ToProto(scanned, request.mutable_scan_time());
  v1::CheckInResponse response;
  ASSERT_TRUE(CheckIn(request, &response).ok());
  EXPECT_EQ(FromProto(response.scan_time()), scanned);
  // A later attempt learns the original scan time, not the upload time.
  const grpc::Status again = CheckIn("r", kDesk2, Code("tc", 5));
  ASSERT_EQ(again.error_code(), kAlreadyExists);
  const std::optional<v1::ExistingCheckIn> existing = ExistingCheckInOf(again);
  ASSERT_TRUE(existing.has_value());
  EXPECT_EQ(FromProto(existing->scan_time()), scanned);
}

TEST_F(CheckInServiceTest, ExemptAndDoorToDoorResidentsAreAcceptedAtADesk) {
  ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{
                         .id = "mix", .mobility_limited_every = 2, .exempt_every = 3}))
                  .ok());
  ASSERT_TRUE(CreateRound("mixed", "mix").ok());
  ASSERT_TRUE(Plan("mixed").ok());
  ASSERT_TRUE(Open("mixed").ok());
  ASSERT_TRUE(OpenTube("mixed", Desk("mix-s0", 1), "TUBE-M1").ok());
  // mix-R2 is door-to-door, mix-R3 exempt: turning them away is worse.
  EXPECT_TRUE(CheckIn("mixed", Desk("mix-s0", 1), Code("mix", 2)).ok());
  EXPECT_TRUE(CheckIn("mixed", Desk("mix-s0", 1), Code("mix", 3)).ok());
  const v1::GetProgressResponse progress = Progress("mixed", v1::PROGRESS_LEVEL_COMMUNITY);
  EXPECT_EQ(progress.total().sampled(), 2);
  // 48 residents, 16 exempt; the exempt one who came counts as due.
  EXPECT_EQ(progress.total().due(), 48 - 16 + 1);
  EXPECT_EQ(progress.total().exempt(), 15);
}

// ---------------------------------------------------------------------- tubes

TEST_F(CheckInServiceTest, OpenTubeDescribesTheTube) {
  v1::OpenTubeResponse open, racked;
  ASSERT_TRUE(OpenTube("r", kBareDesk, "TUBE-C1", &open).ok());
  EXPECT_EQ(open.tube().name(), "rounds/r/tubes/TUBE-C1");
  EXPECT_EQ(open.tube().barcode(), "TUBE-C1");
  EXPECT_EQ(open.tube().desk(), kBareDesk);
  EXPECT_EQ(open.tube().capacity(), 10);
  EXPECT_EQ(open.tube().swabs(), 0);
  EXPECT_EQ(open.tube().state(), v1::TUBE_STATE_OPEN);  // the desk had none open
  ASSERT_TRUE(OpenTube("r", kBareDesk, "TUBE-C2", &racked).ok());
  EXPECT_EQ(racked.tube().state(), v1::TUBE_STATE_RACKED);
}

TEST_F(CheckInServiceTest, OpenTubeWithAUsedBarcodeIsAlreadyExists) {
  v1::OpenTubeResponse first, retry;
  ASSERT_TRUE(OpenTube("r", kBareDesk, "TUBE-C1", &first, "tube-c1").ok());
  // The same request id is a retry: the original answer.
  ASSERT_TRUE(OpenTube("r", kBareDesk, "TUBE-C1", &retry, "tube-c1").ok());
  EXPECT_EQ(retry.SerializeAsString(), first.SerializeAsString());
  // A new attempt with the barcode, at this desk or another.
  for (const std::string& desk : {kBareDesk, kDesk2}) {
    const grpc::Status status = OpenTube("r", desk, "TUBE-C1");
    EXPECT_EQ(status.error_code(), kAlreadyExists) << desk;
    EXPECT_THAT(status.error_message(), HasSubstr("tube TUBE-C1 was already scanned")) << desk;
    EXPECT_THAT(status.error_message(), HasSubstr("use a new tube")) << desk;
  }
}

TEST_F(CheckInServiceTest, OpenTubeWithAnInvalidBarcodeIsInvalid) {
  for (const char* barcode : {"a b", "abc", "", "x,yz1"}) {
    const grpc::Status status = OpenTube("r", kBareDesk, barcode);
    EXPECT_EQ(status.error_code(), kInvalid) << barcode;
    EXPECT_THAT(status.error_message(), HasSubstr("tube_barcode")) << barcode;
  }
}

TEST_F(CheckInServiceTest, OpenTubeAtAnUnknownDeskIsNotFound) {
  const grpc::Status status = OpenTube("r", Desk("tc-s1", 5), "TUBE-X1");
  EXPECT_EQ(status.error_code(), kNotFound);
  EXPECT_THAT(status.error_message(), HasSubstr("there is no desk 5"));
}

TEST_F(CheckInServiceTest, OpenTubeInARoundNotOpenIsFailedPrecondition) {
  ASSERT_TRUE(Close("r").ok());
  const grpc::Status status = OpenTube("r", kBareDesk, "TUBE-X1");
  EXPECT_EQ(status.error_code(), kFailedPrecondition);
  EXPECT_THAT(status.error_message(), HasSubstr("round r is closed"));
}

TEST_F(CheckInServiceTest, TenthSwabFillsTheTubeAndTheNextGoesToTheRackedTube) {
  ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A2").ok());  // racked behind TUBE-A1
  v1::CheckInResponse response;
  for (int n = 1; n <= 10; ++n) {
    ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", n), &response).ok()) << n;
    EXPECT_EQ(response.tube_barcode(), "TUBE-A1");
    EXPECT_EQ(response.position(), n);
    EXPECT_EQ(response.tube_full(), n == 10) << n;
  }
  v1::CheckInResponse next;
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 11), &next).ok());
  EXPECT_EQ(next.tube_barcode(), "TUBE-A2");
  EXPECT_EQ(next.position(), 1);
  EXPECT_FALSE(next.tube_full());
  // The full tube sealed itself.
  const grpc::Status seal = SealTube("r", kDesk1, "TUBE-A1");
  EXPECT_EQ(seal.error_code(), kFailedPrecondition);
  EXPECT_THAT(seal.error_message(), HasSubstr("tube TUBE-A1 is already sealed"));
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_SITE).tubes_sealed(), 1);
}

TEST_F(CheckInServiceTest, FullTubeWithAnEmptyRackWaitsForANewTube) {
  for (int n = 1; n <= 10; ++n) ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", n)).ok()) << n;
  const grpc::Status none = CheckIn("r", kDesk1, Code("tc", 11), nullptr, "req-11");
  EXPECT_EQ(none.error_code(), kFailedPrecondition);
  EXPECT_THAT(none.error_message(), HasSubstr("has no open tube"));
  ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A2").ok());
  // The same request id, retried once a tube is scanned, goes through.
  v1::CheckInResponse response;
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 11), &response, "req-11").ok());
  EXPECT_FALSE(response.replayed());
  EXPECT_EQ(response.tube_barcode(), "TUBE-A2");
  EXPECT_EQ(response.position(), 1);
}

TEST_F(CheckInServiceTest, SealingAnEmptyOpenTubeIsFailedPrecondition) {
  const grpc::Status status = SealTube("r", kDesk1, "TUBE-A1");
  EXPECT_EQ(status.error_code(), kFailedPrecondition);
  EXPECT_THAT(status.error_message(), HasSubstr("tube TUBE-A1 is empty"));
}

TEST_F(CheckInServiceTest, SealingARackedTubeIsFailedPrecondition) {
  ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A2").ok());
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 1)).ok());
  const grpc::Status status = SealTube("r", kDesk1, "TUBE-A2");
  EXPECT_EQ(status.error_code(), kFailedPrecondition);
  EXPECT_THAT(status.error_message(), HasSubstr("tube TUBE-A2 is racked behind the open tube"));
}

TEST_F(CheckInServiceTest, SealingAnUnknownTubeIsNotFound) {
  const grpc::Status status = SealTube("r", kDesk1, "NO-SUCH-TUBE");
  EXPECT_EQ(status.error_code(), kNotFound);
  EXPECT_THAT(status.error_message(), HasSubstr("tube NO-SUCH-TUBE was never scanned"));
}

TEST_F(CheckInServiceTest, SealingAtAnotherDeskIsFailedPrecondition) {
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 1)).ok());
  const grpc::Status status = SealTube("r", kDesk2, "TUBE-A1");
  EXPECT_EQ(status.error_code(), kFailedPrecondition);
  EXPECT_THAT(status.error_message(), HasSubstr("belongs to another desk"));
}

TEST_F(CheckInServiceTest, SealingTwiceIsFailedPreconditionUnlessRetried) {
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 1)).ok());
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 2)).ok());
  v1::SealTubeResponse sealed, retry;
  ASSERT_TRUE(SealTube("r", kDesk1, "TUBE-A1", &sealed, "seal-a1").ok());
  EXPECT_EQ(sealed.tube().swabs(), 2);
  EXPECT_EQ(sealed.tube().state(), v1::TUBE_STATE_SEALED);
  ASSERT_TRUE(SealTube("r", kDesk1, "TUBE-A1", &retry, "seal-a1").ok());
  EXPECT_EQ(retry.SerializeAsString(), sealed.SerializeAsString());
  const grpc::Status twice = SealTube("r", kDesk1, "TUBE-A1");
  EXPECT_EQ(twice.error_code(), kFailedPrecondition);
  EXPECT_THAT(twice.error_message(), HasSubstr("tube TUBE-A1 is already sealed"));
}

TEST_F(CheckInServiceTest, SealedTubeTakesNoMoreSwabs) {
  ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A2").ok());
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 1)).ok());
  v1::SealTubeResponse sealed;
  ASSERT_TRUE(SealTube("r", kDesk1, "TUBE-A1", &sealed).ok());
  EXPECT_EQ(sealed.tube().swabs(), 1);
  v1::CheckInResponse next;
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 2), &next).ok());
  EXPECT_EQ(next.tube_barcode(), "TUBE-A2");
  EXPECT_EQ(next.position(), 1);
  // With TUBE-A2 sealed too and nothing racked, the desk waits for a tube.
  ASSERT_TRUE(SealTube("r", kDesk1, "TUBE-A2").ok());
  const grpc::Status none = CheckIn("r", kDesk1, Code("tc", 3));
  EXPECT_EQ(none.error_code(), kFailedPrecondition);
  EXPECT_THAT(none.error_message(), HasSubstr("has no open tube"));
  EXPECT_EQ(Progress("r", v1::PROGRESS_LEVEL_SITE).tubes_sealed(), 2);
}

TEST_F(CheckInServiceTest, SealTubeWithoutRequestIdIsInvalid) {
  v1::SealTubeRequest request;
  request.set_round("rounds/r");
  request.set_desk(kDesk1);
  request.set_tube_barcode("TUBE-A1");
  v1::SealTubeResponse response;
  const grpc::Status refused = client_->checkin().SealTube(Context().get(), request, &response);
  EXPECT_EQ(refused.error_code(), kInvalid);
  EXPECT_THAT(refused.error_message(), HasSubstr("request_id is required"));
}

// ------------------------------------------------------------- CheckInStream

v1::CheckInStreamRequest Message(std::vector<v1::CheckInRequest> check_ins) {
  v1::CheckInStreamRequest message;
  for (v1::CheckInRequest& c : check_ins) *message.add_check_ins() = std::move(c);
  return message;
}

TEST_F(CheckInServiceTest, StreamAnswersEveryCheckInByRequestId) {
  ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A2").ok());
  v1::CheckInResponse before;
  ASSERT_TRUE(CheckIn("r", kDesk2, Code("tc", 1), &before).ok());  // sampled already

  std::vector<v1::CheckInRequest> first;
  first.push_back(CheckInRequest("r", kDesk1, Code("tc", 1), "dup"));
  first.push_back(CheckInRequest("r", kDesk1, Code("tc", 2), "ok-2"));
  first.push_back(CheckInRequest("r", kDesk1, "NOBODY-1", "unknown"));
  first.push_back(CheckInRequest("r", Desk("tc-s0", 9), Code("tc", 3), "bad-desk"));
  first.push_back(CheckInRequest("r", kDesk1, "", "no-code"));
  v1::CheckInRequest no_id = CheckInRequest("r", kDesk1, Code("tc", 30));
  no_id.clear_request_id();
  first.push_back(no_id);
  v1::CheckInRequest late = CheckInRequest("r", kDesk1, Code("tc", 3), "late");
  ToProto(kRoundStart + absl::Minutes(5), late.mutable_scan_time());
  first.push_back(late);
  std::vector<v1::CheckInRequest> second;
  second.push_back(CheckInRequest("r", kDesk1, Code("tc", 2), "ok-2"));  // a retry
  for (int n = 4; n <= 14; ++n) {
    second.push_back(CheckInRequest("r", kDesk1, Code("tc", n), absl::StrCat("ok-", n)));
  }

  std::vector<v1::CheckInOutcome> outcomes;
  const grpc::Status status = Stream({Message(first), Message(second)}, &outcomes);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(outcomes.size(), first.size() + second.size());  // one answer per check-in
  const std::map<std::string, v1::CheckInOutcome> by_id = ById(outcomes);

  const std::map<std::string, grpc::StatusCode> expected = {
      {"dup", kAlreadyExists}, {"unknown", kNotFound}, {"bad-desk", kNotFound},
      {"no-code", kInvalid},   {"late", kOk},          {"ok-2", kOk},
      {"", kInvalid}};
  for (const auto& [id, code] : expected) {
    ASSERT_TRUE(by_id.contains(id)) << id;
    EXPECT_EQ(by_id.at(id).status().code(), static_cast<int>(code)) << id;
  }
  for (int n = 4; n <= 14; ++n) {
    EXPECT_EQ(by_id.at(absl::StrCat("ok-", n)).status().code(), 0) << n;
  }

  const v1::CheckInOutcome& dup = by_id.at("dup");
  EXPECT_FALSE(dup.has_result());
  EXPECT_EQ(dup.existing().desk(), kDesk2);
  EXPECT_EQ(dup.existing().tube_barcode(), "TUBE-B1");
  EXPECT_EQ(dup.existing().position(), 1);
  EXPECT_EQ(dup.existing().scan_time().seconds(), before.scan_time().seconds());
  EXPECT_THAT(dup.status().message(), HasSubstr("do not swab again"));
  ASSERT_EQ(dup.status().details_size(), 1);
  v1::ExistingCheckIn detail;
  ASSERT_TRUE(dup.status().details(0).UnpackTo(&detail));
  EXPECT_EQ(detail.SerializeAsString(), dup.existing().SerializeAsString());

  EXPECT_THAT(by_id.at("unknown").status().message(), HasSubstr("not registered"));
  EXPECT_THAT(by_id.at("unknown").status().message(), Not(HasSubstr("NOBODY-1")));
  EXPECT_THAT(by_id.at("bad-desk").status().message(), HasSubstr("there is no desk 9"));
  EXPECT_THAT(by_id.at("no-code").status().message(), HasSubstr("resident_code is required"));
  EXPECT_THAT(by_id.at("").status().message(), HasSubstr("request_id is required"));
  for (const char* id : {"unknown", "bad-desk", "no-code", ""}) {
    EXPECT_FALSE(by_id.at(id).has_result()) << id;
    EXPECT_FALSE(by_id.at(id).has_existing()) << id;
  }
  EXPECT_EQ(FromProto(by_id.at("late").result().scan_time()), kRoundStart + absl::Minutes(5));

  // "ok-2" came twice: first sampled, then the retry replayed.
  std::vector<v1::CheckInResponse> ok2;
  for (const v1::CheckInOutcome& o : outcomes) {
    if (o.request_id() == "ok-2") ok2.push_back(o.result());
  }
  ASSERT_EQ(ok2.size(), 2u);
  EXPECT_FALSE(ok2[0].replayed());
  EXPECT_TRUE(ok2[1].replayed());
  EXPECT_EQ(ok2[1].tube_barcode(), ok2[0].tube_barcode());
  EXPECT_EQ(ok2[1].position(), ok2[0].position());

  // 13 swabs at desk 1 (tc-R2..R14): TUBE-A1 full with 10, TUBE-A2 holds 3.
  std::map<std::string, std::set<int>> positions;
  for (const v1::CheckInOutcome& o : outcomes) {
    if (o.status().code() == 0 && !o.result().replayed()) {
      EXPECT_TRUE(positions[o.result().tube_barcode()].insert(o.result().position()).second);
    }
  }
  EXPECT_EQ(positions["TUBE-A1"].size(), 10u);
  EXPECT_EQ(positions["TUBE-A2"].size(), 3u);
  EXPECT_EQ(Sampled(), 14);
}

TEST_F(CheckInServiceTest, StreamKeepsAnOfflineBatchsScanTimes) {
  std::vector<v1::CheckInRequest> batch;
  for (int n = 1; n <= 5; ++n) {
    v1::CheckInRequest c = CheckInRequest("r", kDesk1, Code("tc", n), absl::StrCat("off-", n));
    ToProto(kRoundStart + absl::Minutes(n), c.mutable_scan_time());
    batch.push_back(std::move(c));
  }
  std::vector<v1::CheckInOutcome> outcomes;
  ASSERT_TRUE(Stream({Message(batch)}, &outcomes).ok());
  const std::map<std::string, v1::CheckInOutcome> by_id = ById(outcomes);
  for (int n = 1; n <= 5; ++n) {
    const v1::CheckInOutcome& o = by_id.at(absl::StrCat("off-", n));
    ASSERT_EQ(o.status().code(), 0) << o.status().message();
    EXPECT_EQ(FromProto(o.result().scan_time()), kRoundStart + absl::Minutes(n));
  }
}

TEST_F(CheckInServiceTest, StreamMessageOfAThousandCheckInsIsAnswered) {
  std::vector<v1::CheckInRequest> batch;
  for (int i = 0; i < 1000; ++i) {
    batch.push_back(CheckInRequest("r", kDesk1, absl::StrCat("NOBODY-", i), absl::StrCat("k", i)));
  }
  std::vector<v1::CheckInOutcome> outcomes;
  const grpc::Status status = Stream({Message(batch)}, &outcomes);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(outcomes.size(), 1000u);
  EXPECT_EQ(ById(outcomes).size(), 1000u);
}

TEST_F(CheckInServiceTest, StreamMessageOverTheLimitEndsTheStream) {
  std::vector<v1::CheckInRequest> batch;
  for (int i = 0; i < 1001; ++i) {
    batch.push_back(CheckInRequest("r", kDesk1, Code("tc", i % 48 + 1), absl::StrCat("big-", i)));
  }
  std::vector<v1::CheckInOutcome> outcomes;
  const grpc::Status status = Stream({Message(batch)}, &outcomes);
  EXPECT_EQ(status.error_code(), kInvalid);
  EXPECT_THAT(status.error_message(), HasSubstr("1001 check-ins; at most 1000"));
  EXPECT_THAT(status.error_message(), HasSubstr("split the batch"));
  EXPECT_TRUE(outcomes.empty());
  EXPECT_EQ(Sampled(), 0);  // nothing of the refused message was applied
}

TEST_F(CheckInServiceTest, StreamOnAClosedRoundAnswersEachCheckIn) {
  ASSERT_TRUE(Close("r").ok());
  std::vector<v1::CheckInOutcome> outcomes;
  const grpc::Status status = Stream({Message({CheckInRequest("r", kDesk1, Code("tc", 1), "c1"),
                                               CheckInRequest("r", kDesk1, Code("tc", 2), "c2")})},
                                     &outcomes);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(outcomes.size(), 2u);
  for (const v1::CheckInOutcome& o : outcomes) {
    EXPECT_EQ(o.status().code(), static_cast<int>(kFailedPrecondition));
    EXPECT_THAT(o.status().message(), HasSubstr("round r is closed"));
  }
}

// Eight tablets at two desks scan the same 48 residents at once, each in its
// own order and in several messages: every resident is sampled by exactly
// one check-in, every other attempt learns of that one, and no tube
// position is handed out twice.
TEST_F(CheckInServiceTest, ConcurrentStreamsDoubleScanningSampleEachResidentOnce) {
  constexpr int kStreams = 8;
  constexpr int kResidents = 48;
  constexpr int kPerMessage = 16;
  // Either desk may win every race: rack enough tubes for all 48 at each.
  for (int t = 2; t <= 5; ++t) {
    ASSERT_TRUE(OpenTube("r", kDesk1, absl::StrCat("TUBE-A", t)).ok());
    ASSERT_TRUE(OpenTube("r", kDesk2, absl::StrCat("TUBE-B", t)).ok());
  }
  std::vector<std::vector<v1::CheckInOutcome>> outcomes(kStreams);
  std::vector<grpc::Status> statuses(kStreams);
  // resident n of stream s is sent as request "s<s>-<n>".
  std::vector<std::thread> threads;
  for (int s = 0; s < kStreams; ++s) {
    threads.emplace_back([&, s] {
      std::vector<v1::CheckInStreamRequest> messages;
      for (int i = 0; i < kResidents; ++i) {
        if (i % kPerMessage == 0) messages.emplace_back();
        const int n = (i + 7 * s) % kResidents + 1;
        *messages.back().add_check_ins() = CheckInRequest(
            "r", s % 2 == 0 ? kDesk1 : kDesk2, Code("tc", n), absl::StrCat("s", s, "-", n));
      }
      statuses[s] = Stream(messages, &outcomes[s]);
    });
  }
  for (std::thread& t : threads) t.join();

  std::map<int, v1::CheckInOutcome> winner;               // resident n -> the OK
  std::map<int, std::vector<v1::CheckInOutcome>> losers;  // resident n -> ALREADY_EXISTS
  for (int s = 0; s < kStreams; ++s) {
    ASSERT_TRUE(statuses[s].ok()) << "stream " << s << ": " << statuses[s].error_message();
    ASSERT_EQ(outcomes[s].size(), static_cast<size_t>(kResidents)) << "stream " << s;
    for (const v1::CheckInOutcome& o : outcomes[s]) {
      const int n = std::stoi(o.request_id().substr(o.request_id().find('-') + 1));
      if (o.status().code() == 0) {
        EXPECT_FALSE(winner.contains(n)) << "resident " << n << " sampled twice";
        winner[n] = o;
      } else {
        ASSERT_EQ(o.status().code(), static_cast<int>(kAlreadyExists)) << o.status().message();
        losers[n].push_back(o);
      }
    }
  }
  ASSERT_EQ(winner.size(), static_cast<size_t>(kResidents));
  std::map<std::string, std::set<int>> positions;
  for (const auto& [n, ok] : winner) {
    EXPECT_EQ(losers[n].size(), static_cast<size_t>(kStreams - 1)) << "resident " << n;
    const v1::CheckInResponse& r = ok.result();
    EXPECT_TRUE(positions[r.tube_barcode()].insert(r.position()).second)
        << r.tube_barcode() << " position " << r.position() << " handed out twice";
    EXPECT_GE(r.position(), 1);
    EXPECT_LE(r.position(), 10);
    for (const v1::CheckInOutcome& lost : losers[n]) {
      EXPECT_EQ(lost.existing().tube_barcode(), r.tube_barcode()) << "resident " << n;
      EXPECT_EQ(lost.existing().position(), r.position()) << "resident " << n;
      EXPECT_EQ(lost.existing().resident_id(), r.resident_id()) << "resident " << n;
    }
  }
  for (const auto& [tube, used] : positions) EXPECT_LE(used.size(), 10u) << tube;

  const v1::GetProgressResponse progress = Progress("r", v1::PROGRESS_LEVEL_SITE);
  EXPECT_EQ(progress.total().sampled(), kResidents);
  EXPECT_EQ(progress.total().remaining(), 0);
  ASSERT_GE(progress.rows_size(), 1);
  EXPECT_EQ(progress.rows(0).key(), "sites/tc-s0");
  EXPECT_EQ(progress.rows(0).check_ins_here(), kResidents);
}

TEST_F(CheckInServiceTest, ClientCancellingMidStreamLeavesTheServerServing) {
  auto context = Context();
  auto stream = client_->checkin().CheckInStream(context.get());
  std::thread writer([&] {
    // Far more than the server answers before the cancel; Write fails once
    // the call is cancelled, which ends the loop early.
    for (int m = 0; m < 200; ++m) {
      std::vector<v1::CheckInRequest> batch;
      for (int i = 0; i < 50; ++i) {
        batch.push_back(CheckInRequest("r", kDesk1, absl::StrCat("NOBODY-", m, "-", i),
                                       absl::StrCat(m, "-", i)));
      }
      if (!stream->Write(Message(batch))) return;
    }
    stream->WritesDone();
  });
  v1::CheckInStreamResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_GT(response.outcomes_size(), 0);
  context->TryCancel();
  while (stream->Read(&response)) {
  }
  writer.join();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // The server is unharmed: unary and stream check-ins still work.
  v1::CheckInResponse ok;
  ASSERT_TRUE(CheckIn("r", kDesk2, Code("tc", 21), &ok).ok());
  std::vector<v1::CheckInOutcome> outcomes;
  ASSERT_TRUE(
      Stream({Message({CheckInRequest("r", kDesk2, Code("tc", 22), "after")})}, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].status().code(), 0);
  EXPECT_EQ(Sampled(), 2);
}

// ------------------------------------------------------- the rehearsal clock

// A capacity team rehearses tomorrow's 07:00 round today: with the clock
// shifted, the server stamps and checks check-ins by the rehearsal's time;
// without it, the same check-in is refused as before the round's start.
class RehearsalClockTest : public testing::ServerTest {
 protected:
  // A round starting `ahead` from now, open, with a tube at kDesk1.
  void OpenRoundAhead(absl::Duration ahead) {
    ASSERT_TRUE(Import(MakeCommunity(CommunitySpec{})).ok());
    v1::CreateRoundRequest request = RoundRequest("r", {"tc"});
    ToProto(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now() + ahead) / 60 * 60),
            request.mutable_start_time());
    ASSERT_TRUE(CreateRound(request).ok());
    ASSERT_TRUE(Plan("r").ok());
    ASSERT_TRUE(Open("r").ok());
    ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A1").ok());
  }
};

TEST_F(RehearsalClockTest, ARoundThatStartsTomorrowTakesCheckInsOnTheShiftedClock) {
  ASSERT_NO_FATAL_FAILURE(OpenRoundAhead(absl::Hours(10)));
  grpc::Status status = CheckIn("r", kDesk1, Code("tc", 1));
  EXPECT_EQ(status.error_code(), kInvalid);
  EXPECT_THAT(status.error_message(), HasSubstr("more than 1 h before round r starts"));

  ServerOptions rehearsal = options_;
  rehearsal.rehearsal_clock_shift = absl::Hours(10);
  ASSERT_NO_FATAL_FAILURE(StartServer(rehearsal));  // a fresh, empty server
  ASSERT_NO_FATAL_FAILURE(OpenRoundAhead(absl::Hours(10)));
  const absl::Time before = absl::Now();
  v1::CheckInResponse response;
  status = CheckIn("r", kDesk1, Code("tc", 1), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const absl::Time stamped = FromProto(response.scan_time());
  EXPECT_GE(stamped, absl::FromUnixSeconds(absl::ToUnixSeconds(before + absl::Hours(10))));
  EXPECT_LE(stamped, absl::Now() + absl::Hours(10));
}

}  // namespace
}  // namespace swabwave::services
