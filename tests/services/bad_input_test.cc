// Bad input against a real server on loopback (DESIGN.md §4.6, issue 6):
// every RPC of swabwave.v1 gets malformed, oversized, unknown and
// out-of-state input, and must answer with the exact status code and a
// message a person can act on, never crash, and stay healthy for the next
// call. docs/bad-input.md lists every row and the test that pins it;
// BadInputDoc checks that the document and this binary agree.
//
// Most rows are one request each and live in the tables below (one gtest
// per row: "BadInput/UnaryRequestTest.Refuses/<Row>"). Rows that need a
// stream cut short, a restarted server or a walk over every RPC are tests
// of their own.
//
// Why one file past 650 lines: the rows are one table per RPC that
// docs/bad-input.md mirrors line by line, and BadInputDoc checks the two
// agree; split over files, a row could be added to a binary the document
// check does not read.
#include <gmock/gmock.h>
#include <grpcpp/impl/client_unary_call.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/api/paging.h"
#include "services/api/proto_convert.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::services::testing::ById;
using ::swabwave::services::testing::Code;
using ::swabwave::services::testing::CommunitySpec;
using ::swabwave::services::testing::Desk;
using ::swabwave::services::testing::kCallTimeout;
using ::swabwave::services::testing::kRoundStart;
using ::swabwave::services::testing::MakeCommunity;
using ::testing::HasSubstr;

constexpr auto kInvalid = grpc::StatusCode::INVALID_ARGUMENT;
constexpr auto kNotFound = grpc::StatusCode::NOT_FOUND;
constexpr auto kAlreadyExists = grpc::StatusCode::ALREADY_EXISTS;
constexpr auto kFailedPrecondition = grpc::StatusCode::FAILED_PRECONDITION;
constexpr auto kResourceExhausted = grpc::StatusCode::RESOURCE_EXHAUSTED;

const std::string kDesk1 = Desk("tc-s0", 1);     // TUBE-A1 open, empty
const std::string kBareDesk = Desk("tc-s1", 1);  // no tube scanned

// Longest message a person should have to read; an error that echoes a
// megabyte of input is as useless as no message (and may not fit in the
// trailers at all).
constexpr size_t kMaxMessageBytes = 1000;

std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout = kCallTimeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

std::string Fresh(const std::string& prefix) { return Client::NewRequestId(prefix); }

// ------------------------------------------------ one call per request type

grpc::Status Send(Client& c, const v1::CreateRoundRequest& r) {
  v1::CreateRoundResponse out;
  return c.planning().CreateRound(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::GetRoundRequest& r) {
  v1::GetRoundResponse out;
  return c.planning().GetRound(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::PlanRoundRequest& r) {
  v1::PlanRoundResponse out;
  return c.planning().PlanRound(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::ReplanRoundRequest& r) {
  v1::ReplanRoundResponse out;
  return c.planning().ReplanRound(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::GetRosterRequest& r) {
  v1::GetRosterResponse out;
  return c.planning().GetRoster(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::ListDoorToDoorRoutesRequest& r) {
  v1::ListDoorToDoorRoutesResponse out;
  return c.planning().ListDoorToDoorRoutes(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::ForecastRoundRequest& r) {
  v1::ForecastRoundResponse out;
  return c.planning().ForecastRound(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::GetPlanRequest& r) {
  v1::GetPlanResponse out;
  return c.planning().GetPlan(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::ListAssignmentsRequest& r) {
  v1::ListAssignmentsResponse out;
  return c.planning().ListAssignments(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::ListDoorToDoorRequest& r) {
  v1::ListDoorToDoorResponse out;
  return c.planning().ListDoorToDoor(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::OpenRoundRequest& r) {
  v1::OpenRoundResponse out;
  return c.planning().OpenRound(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::CloseRoundRequest& r) {
  v1::CloseRoundResponse out;
  return c.planning().CloseRound(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::OpenTubeRequest& r) {
  v1::OpenTubeResponse out;
  return c.checkin().OpenTube(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::CheckInRequest& r) {
  v1::CheckInResponse out;
  return c.checkin().CheckIn(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::SealTubeRequest& r) {
  v1::SealTubeResponse out;
  return c.checkin().SealTube(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::RecordVisitRequest& r) {
  v1::RecordVisitResponse out;
  return c.checkin().RecordVisit(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::GetProgressRequest& r) {
  v1::GetProgressResponse out;
  return c.progress().GetProgress(Ctx().get(), r, &out);
}
grpc::Status Send(Client& c, const v1::ListUntestedRequest& r) {
  v1::ListUntestedResponse out;
  return c.progress().ListUntested(Ctx().get(), r, &out);
}
// A watch that sends an update is accepted: OK after the first update.
grpc::Status Send(Client& c, const v1::WatchProgressRequest& r) {
  auto context = Ctx();
  auto reader = c.progress().WatchProgress(context.get(), r);
  v1::WatchProgressResponse update;
  const bool accepted = reader->Read(&update);
  if (accepted) context->TryCancel();
  while (reader->Read(&update)) {
  }
  const grpc::Status status = reader->Finish();
  return accepted ? grpc::Status::OK : status;
}
// One check-in on its own stream: the stream's status when it failed, else
// the check-in's outcome as a status.
grpc::Status SendOnStream(Client& c, const v1::CheckInRequest& r) {
  auto context = Ctx();
  auto stream = c.checkin().CheckInStream(context.get());
  v1::CheckInStreamRequest message;
  *message.add_check_ins() = r;
  stream->Write(message);
  stream->WritesDone();
  std::vector<v1::CheckInOutcome> outcomes;
  v1::CheckInStreamResponse response;
  while (stream->Read(&response)) {
    for (const v1::CheckInOutcome& o : response.outcomes()) outcomes.push_back(o);
  }
  const grpc::Status status = stream->Finish();
  if (!status.ok()) return status;
  if (outcomes.size() != 1) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("expected 1 outcome, got ", outcomes.size()));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(outcomes[0].status().code()),
                      outcomes[0].status().message());
}

// ----------------------------------------- valid requests, given the fixture

void Fill(v1::CreateRoundRequest* r) {
  r->set_request_id(Fresh("create"));
  r->set_round_id("fresh");
  r->add_community_ids("tc");
  ToProto(kRoundStart, r->mutable_start_time());
  r->set_pool_ratio(10);
}
void Fill(v1::PlanRoundRequest* r) {
  r->set_request_id(Fresh("plan"));
  r->set_round("rounds/draft");
}
// The open round keeps tc-s1's two desks: valid, and nobody moves.
void Fill(v1::ReplanRoundRequest* r) {
  r->set_request_id(Fresh("replan"));
  r->set_round("rounds/r");
  r->set_from_wave(1);
  v1::SiteChange* change = r->add_changes();
  change->set_site_id("tc-s1");
  change->set_desks(2);
}
void Fill(v1::ForecastRoundRequest* r) {
  r->set_round("rounds/r");
  r->mutable_options()->set_replications(2);
}
void Fill(v1::GetRosterRequest* r) { r->set_round("rounds/r"); }
void Fill(v1::ListDoorToDoorRoutesRequest* r) { r->set_round("rounds/r"); }
void Fill(v1::GetRoundRequest* r) { r->set_round("rounds/r"); }
void Fill(v1::ListRoundsRequest*) {}
void Fill(v1::GetPlanRequest* r) { r->set_round("rounds/r"); }
void Fill(v1::ListAssignmentsRequest* r) { r->set_round("rounds/r"); }
void Fill(v1::ListDoorToDoorRequest* r) { r->set_round("rounds/r"); }
void Fill(v1::OpenRoundRequest* r) {
  r->set_request_id(Fresh("open"));
  r->set_round("rounds/planned");
}
void Fill(v1::CloseRoundRequest* r) {
  r->set_request_id(Fresh("close"));
  r->set_round("rounds/r");
}
void Fill(v1::OpenTubeRequest* r) {
  r->set_request_id(Fresh("tube"));
  r->set_round("rounds/r");
  r->set_desk(kBareDesk);
  r->set_tube_barcode("TUBE-N1");
}
void Fill(v1::CheckInRequest* r) {
  r->set_request_id(Fresh("checkin"));
  r->set_round("rounds/r");
  r->set_desk(kDesk1);
  r->set_resident_code(Code("tc", 1));
}
void Fill(v1::SealTubeRequest* r) {
  r->set_request_id(Fresh("seal"));
  r->set_round("rounds/r");
  r->set_desk(kDesk1);
  r->set_tube_barcode("TUBE-A1");
}
void Fill(v1::RecordVisitRequest* r) {
  r->set_request_id(Fresh("visit"));
  r->set_round("rounds/r");
  r->set_desk("communities/tc/teams/1");
  r->set_resident_code(Code("tc", 30));
  r->set_outcome(v1::VISIT_OUTCOME_REFUSED);
  r->set_reason("not today");
}
void Fill(v1::GetProgressRequest* r) {
  r->set_round("rounds/r");
  r->set_level(v1::PROGRESS_LEVEL_COMMUNITY);
}
void Fill(v1::ListUntestedRequest* r) { r->set_round("rounds/r"); }
void Fill(v1::WatchProgressRequest* r) {
  r->set_round("rounds/r");
  ToProto(absl::Milliseconds(100), r->mutable_interval());
}

using Call = std::function<grpc::Status(Client&)>;

// The valid request of its type with `mutate` applied.
template <typename Request, typename Mutate>
Call Bad(Mutate mutate) {
  return [mutate](Client& c) {
    Request r;
    Fill(&r);
    mutate(r);
    return Send(c, r);
  };
}

// A request id reused for a different request: the valid request with id
// "reused" first (it must succeed), then `mutate`d under the same id.
template <typename Request, typename Mutate>
Call Reused(Mutate mutate) {
  return [mutate](Client& c) {
    Request r;
    Fill(&r);
    r.set_request_id("reused");
    if (grpc::Status first = Send(c, r); !first.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          absl::StrCat("the first request failed: ", first.error_message()));
    }
    mutate(r);
    return Send(c, r);
  };
}

struct Row {
  std::string name;  // the gtest parameter name
  Call call;
  grpc::StatusCode code;
  std::string message;  // a substring the message must hold
};

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

std::string Repeat(char c, size_t n) { return std::string(n, c); }

void AddRequestIdRows(std::vector<Row>& rows, const std::string& rpc, auto bad_call) {
  rows.push_back({rpc + "EmptyRequestId", bad_call([](auto& r) { r.clear_request_id(); }), kInvalid,
                  "request_id is required"});
  rows.push_back({rpc + "OverlongRequestId",
                  bad_call([](auto& r) { r.set_request_id(Repeat('x', 129)); }), kInvalid,
                  "request_id is 129 bytes; at most 128"});
}

// A check-in row runs twice: unary CheckIn, and as the only check-in of a
// CheckInStream, where the same status comes back in the outcome.
void AddCheckInRow(std::vector<Row>& rows, const std::string& name,
                   std::function<void(v1::CheckInRequest&)> mutate, grpc::StatusCode code,
                   const std::string& message) {
  rows.push_back({"CheckIn" + name, Bad<v1::CheckInRequest>(mutate), code, message});
  rows.push_back({"CheckInStream" + name,
                  [mutate](Client& c) {
                    v1::CheckInRequest r;
                    Fill(&r);
                    mutate(r);
                    return SendOnStream(c, r);
                  },
                  code, message});
}

void SetTime(google::protobuf::Timestamp* t, int64_t seconds, int32_t nanos = 0) {
  t->set_seconds(seconds);
  t->set_nanos(nanos);
}

std::vector<Row> UnaryRows() {
  std::vector<Row> rows;

  // ------------------------------------------------------------ CreateRound
  using Create = v1::CreateRoundRequest;
  AddRequestIdRows(rows, "CreateRound", [](auto m) { return Bad<Create>(m); });
  rows.push_back({"CreateRoundEmptyRoundId", Bad<Create>([](auto& r) { r.clear_round_id(); }),
                  kInvalid, "round_id is required"});
  rows.push_back({"CreateRoundOverlongRoundId",
                  Bad<Create>([](auto& r) { r.set_round_id(Repeat('r', 65)); }), kInvalid,
                  "is not a valid id: use 1-64 of the characters"});
  rows.push_back({"CreateRoundRoundIdWithASlash",
                  Bad<Create>([](auto& r) { r.set_round_id("a/b"); }), kInvalid,
                  "round_id 'a/b' is not a valid id"});
  rows.push_back({"CreateRoundNoCommunity", Bad<Create>([](auto& r) { r.clear_community_ids(); }),
                  kInvalid, "a round needs at least one community"});
  rows.push_back({"CreateRoundCommunityListedTwice",
                  Bad<Create>([](auto& r) { r.add_community_ids("tc"); }), kInvalid,
                  "'tc' is listed twice"});
  rows.push_back({"CreateRoundUnknownCommunity",
                  Bad<Create>([](auto& r) { r.set_community_ids(0, "nowhere"); }), kNotFound,
                  "community 'nowhere' is not imported; import it first"});
  for (const int ratio : {0, 2, 15, 21, -10}) {
    rows.push_back({absl::StrCat("CreateRoundPoolRatio", ratio < 0 ? "Minus" : "", std::abs(ratio)),
                    Bad<Create>([ratio](auto& r) { r.set_pool_ratio(ratio); }), kInvalid,
                    absl::StrCat("pool_ratio ", ratio, " is not one of 1, 5, 10 or 20")});
  }
  rows.push_back({"CreateRoundMissingStartTime", Bad<Create>([](auto& r) { r.clear_start_time(); }),
                  kInvalid, "start_time is required"});
  rows.push_back({"CreateRoundStartTimeBefore1970",
                  Bad<Create>([](auto& r) { SetTime(r.mutable_start_time(), -86400); }), kInvalid,
                  "must be after 1970"});
  rows.push_back({"CreateRoundStartTimeAfterYear9999",
                  Bad<Create>([](auto& r) { SetTime(r.mutable_start_time(), 253402300800); }),
                  kInvalid, "is not a valid timestamp: seconds from 0001-01-01 to 9999-12-31"});
  rows.push_back({"CreateRoundStartTimeAtInt64Max", Bad<Create>([](auto& r) {
                    SetTime(r.mutable_start_time(), std::numeric_limits<int64_t>::max(), 999999999);
                  }),
                  kInvalid, "is not a valid timestamp: seconds from 0001-01-01 to 9999-12-31"});
  rows.push_back({"CreateRoundStartTimeNanosOutOfRange",
                  Bad<Create>([](auto& r) { r.mutable_start_time()->set_nanos(-1); }), kInvalid,
                  "start_time {seconds: "});
  rows.push_back({"CreateRoundWaveLengthNanosOutOfRange", Bad<Create>([](auto& r) {
                    r.mutable_wave_length()->set_seconds(1800);
                    r.mutable_wave_length()->set_nanos(1000000000);
                  }),
                  kInvalid,
                  "wave_length {seconds: 1800, nanos: 1000000000} is not a valid duration"});
  rows.push_back({"CreateRoundDurationSignsDisagree", Bad<Create>([](auto& r) {
                    r.mutable_duration()->set_seconds(3600);
                    r.mutable_duration()->set_nanos(-1);
                  }),
                  kInvalid, "duration {seconds: 3600, nanos: -1} is not a valid duration"});
  const auto wave = [](absl::Duration d) {
    return Bad<Create>([d](auto& r) { ToProto(d, r.mutable_wave_length()); });
  };
  rows.push_back({"CreateRoundWaveLengthOf4Minutes", wave(absl::Minutes(4)), kInvalid,
                  "wave_length 4m must be whole minutes between 5m and 4h"});
  rows.push_back({"CreateRoundWaveLengthOver4Hours", wave(absl::Minutes(241)), kInvalid,
                  "wave_length 4h1m must be whole minutes between 5m and 4h"});
  rows.push_back({"CreateRoundWaveLengthNotWholeMinutes", wave(absl::Seconds(630)), kInvalid,
                  "wave_length 10m30s must be whole minutes"});
  rows.push_back({"CreateRoundWaveLengthNegative", wave(-absl::Minutes(30)), kInvalid,
                  "wave_length -30m must be whole minutes"});
  const auto duration = [](absl::Duration d) {
    return Bad<Create>([d](auto& r) { ToProto(d, r.mutable_duration()); });
  };
  rows.push_back({"CreateRoundDurationOverSevenDays", duration(absl::Hours(24 * 7 + 1)), kInvalid,
                  "duration 169h must be at least one wave and at most 7 days"});
  rows.push_back({"CreateRoundDurationShorterThanAWave", duration(absl::Minutes(10)), kInvalid,
                  "duration 10m must be at least one wave"});
  rows.push_back({"CreateRoundExistingRoundId", Bad<Create>([](auto& r) { r.set_round_id("r"); }),
                  kAlreadyExists, "round 'r' already exists; pick another round_id"});
  rows.push_back({"CreateRoundRequestIdReused",
                  Reused<Create>([](auto& r) { r.set_round_id("fresh2"); }), kInvalid,
                  "request_id 'reused' was already used for a different CreateRound request"});

  // -------------------------------------------------------------- PlanRound
  using Plan = v1::PlanRoundRequest;
  AddRequestIdRows(rows, "PlanRound", [](auto m) { return Bad<Plan>(m); });
  rows.push_back({"PlanRoundUtilizationAboveOne",
                  Bad<Plan>([](auto& r) { r.mutable_options()->set_utilization(1.5); }), kInvalid,
                  "utilization 1.5 must be in (0, 1]"});
  rows.push_back({"PlanRoundUtilizationNegative",
                  Bad<Plan>([](auto& r) { r.mutable_options()->set_utilization(-0.5); }), kInvalid,
                  "utilization -0.5 must be in (0, 1]"});
  rows.push_back({"PlanRoundUtilizationNaN", Bad<Plan>([](auto& r) {
                    r.mutable_options()->set_utilization(std::numeric_limits<double>::quiet_NaN());
                  }),
                  kInvalid, "must be in (0, 1]"});
  rows.push_back({"PlanRoundRateNegative",
                  Bad<Plan>([](auto& r) { r.mutable_options()->set_per_desk_rate_per_hour(-5); }),
                  kInvalid, "per_desk_rate_per_hour -5 must be between 1 and 1000"});
  rows.push_back({"PlanRoundRateInfinite", Bad<Plan>([](auto& r) {
                    r.mutable_options()->set_per_desk_rate_per_hour(
                        std::numeric_limits<double>::infinity());
                  }),
                  kInvalid, "must be between 1 and 1000"});
  rows.push_back({"PlanRoundUnknownPlanner", Bad<Plan>([](auto& r) {
                    r.mutable_options()->set_planner(static_cast<v1::Planner>(7));
                  }),
                  kInvalid, "options.planner 7 is not a planner"});
  rows.push_back({"PlanRoundNearestSitesOutOfRange",
                  Bad<Plan>([](auto& r) { r.mutable_options()->set_nearest_sites(65); }), kInvalid,
                  "nearest_sites 65 must be between 1 and 64"});
  rows.push_back({"PlanRoundNegativeWalkingWeight",
                  Bad<Plan>([](auto& r) { r.mutable_options()->set_walking_m_per_wave(-1); }),
                  kInvalid, "walking_m_per_wave -1 must be between 0"});
  rows.push_back({"PlanRoundUnknownStaffingMode", Bad<Plan>([](auto& r) {
                    r.mutable_options()->mutable_staffing()->set_mode(
                        static_cast<v1::StaffingMode>(9));
                  }),
                  kInvalid, "staffing.mode 9 is not a mode"});
  rows.push_back({"PlanRoundGearCapOverFourHours", Bad<Plan>([](auto& r) {
                    r.mutable_options()->mutable_staffing()->mutable_max_in_gear()->set_seconds(
                        5 * 3600);
                  }),
                  kInvalid, "staffing: max_in_gear 5h"});
  rows.push_back({"PlanRoundNegativeRest", Bad<Plan>([](auto& r) {
                    r.mutable_options()->mutable_staffing()->mutable_rest()->set_seconds(-60);
                  }),
                  kInvalid, "staffing: rest"});
  rows.push_back({"PlanRoundGearCapNanosOutOfRange", Bad<Plan>([](auto& r) {
                    r.mutable_options()->mutable_staffing()->mutable_max_in_gear()->set_nanos(
                        2000000000);
                  }),
                  kInvalid, "staffing.max_in_gear {seconds: 0, nanos: 2000000000} is not a valid"});
  rows.push_back({"PlanRoundAvailabilityNanosOutOfRange", Bad<Plan>([](auto& r) {
                    v1::StaffAvailability* a =
                        r.mutable_options()->mutable_staffing()->add_availability();
                    a->set_community_id("tc");
                    a->set_staff_id("tc-st0");
                    ToProto(kRoundStart, a->mutable_available_from());
                    a->mutable_available_from()->set_nanos(-5);
                  }),
                  kInvalid, "staffing.availability.available_from {seconds: "});
  rows.push_back({"PlanRoundAvailabilityOfUnknownMember", Bad<Plan>([](auto& r) {
                    v1::StaffAvailability* a =
                        r.mutable_options()->mutable_staffing()->add_availability();
                    a->set_community_id("tc");
                    a->set_staff_id("nobody");
                  }),
                  kInvalid, "community tc has no staff member 'nobody'"});
  rows.push_back({"PlanRoundAvailabilityOfAnotherCommunity", Bad<Plan>([](auto& r) {
                    v1::StaffAvailability* a =
                        r.mutable_options()->mutable_staffing()->add_availability();
                    a->set_community_id("elsewhere");
                    a->set_staff_id("tc-st0");
                  }),
                  kInvalid, "community 'elsewhere' is not in this round"});
  rows.push_back({"PlanRoundAvailabilityTwice", Bad<Plan>([](auto& r) {
                    for (int i = 0; i < 2; ++i) {
                      v1::StaffAvailability* a =
                          r.mutable_options()->mutable_staffing()->add_availability();
                      a->set_community_id("tc");
                      a->set_staff_id("tc-st1");
                    }
                  }),
                  kInvalid, "lists staff member 'tc-st1' of tc twice"});
  rows.push_back({"PlanRoundAvailabilityEndsBeforeItStarts", Bad<Plan>([](auto& r) {
                    v1::StaffAvailability* a =
                        r.mutable_options()->mutable_staffing()->add_availability();
                    a->set_community_id("tc");
                    a->set_staff_id("tc-st0");
                    ToProto(kRoundStart + absl::Hours(3), a->mutable_available_from());
                    ToProto(kRoundStart + absl::Hours(1), a->mutable_available_until());
                  }),
                  kInvalid, "ends before it starts"});
  rows.push_back({"PlanRoundOpenRound", Bad<Plan>([](auto& r) { r.set_round("rounds/r"); }),
                  kFailedPrecondition, "round r is open; only a draft or planned round"});
  rows.push_back({"PlanRoundClosedRound", Bad<Plan>([](auto& r) { r.set_round("rounds/closed"); }),
                  kFailedPrecondition, "round closed is closed; only a draft or planned round"});
  rows.push_back({"PlanRoundRequestIdReused",
                  Reused<Plan>([](auto& r) { r.mutable_options()->set_utilization(0.5); }),
                  kInvalid,
                  "request_id 'reused' was already used for a different PlanRound request"});

  // ------------------------------------------------------------ ReplanRound
  using Replan = v1::ReplanRoundRequest;
  AddRequestIdRows(rows, "ReplanRound", [](auto m) { return Bad<Replan>(m); });
  rows.push_back({"ReplanRoundNegativeWave", Bad<Replan>([](auto& r) { r.set_from_wave(-1); }),
                  kInvalid, "from_wave -1 is outside the round's waves 0.."});
  rows.push_back({"ReplanRoundWavePastTheRound",
                  Bad<Replan>([](auto& r) { r.set_from_wave(100000); }), kInvalid,
                  "from_wave 100000 is outside the round's waves 0.."});
  rows.push_back({"ReplanRoundNoChange", Bad<Replan>([](auto& r) { r.clear_changes(); }), kInvalid,
                  "a re-plan needs at least one site change"});
  rows.push_back({"ReplanRoundUnknownSite",
                  Bad<Replan>([](auto& r) { r.mutable_changes(0)->set_site_id("nope"); }),
                  kNotFound, "site 'nope' is not in round r"});
  rows.push_back(
      {"ReplanRoundOversizedSiteId",
       Bad<Replan>([](auto& r) { r.mutable_changes(0)->set_site_id(Repeat('s', 100000)); }),
       kNotFound, "site 'ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss' is"});
  rows.push_back({"ReplanRoundSiteTwice",
                  Bad<Replan>([](auto& r) { *r.add_changes() = r.changes(0); }), kInvalid,
                  "site 'tc-s1' is changed twice; give it once"});
  rows.push_back({"ReplanRoundNegativeDesks",
                  Bad<Replan>([](auto& r) { r.mutable_changes(0)->set_desks(-1); }), kInvalid,
                  "desks -1 for site 'tc-s1' must be between 0 (closed) and 1000"});
  rows.push_back({"ReplanRoundTooManyDesks",
                  Bad<Replan>([](auto& r) { r.mutable_changes(0)->set_desks(1001); }), kInvalid,
                  "desks 1001 for site 'tc-s1' must be between 0 (closed) and 1000"});
  rows.push_back({"ReplanRoundUnknownPlacement",
                  Bad<Replan>([](auto& r) { r.set_placement(static_cast<v1::ReplanPlacement>(7)); }),
                  kInvalid, "placement 7 is not a placement: use REPLAN_PLACEMENT_EARLIEST_WAVE"});
  rows.push_back({"ReplanRoundUtilizationAboveOne",
                  Bad<Replan>([](auto& r) { r.mutable_options()->set_utilization(1.5); }), kInvalid,
                  "utilization 1.5 must be in (0, 1]"});
  rows.push_back({"ReplanRoundDraftRound",
                  Bad<Replan>([](auto& r) { r.set_round("rounds/draft"); }), kFailedPrecondition,
                  "round draft is draft; plan it first"});
  rows.push_back({"ReplanRoundClosedRound",
                  Bad<Replan>([](auto& r) { r.set_round("rounds/closed"); }), kFailedPrecondition,
                  "round closed is closed; a closed round cannot be re-planned"});
  rows.push_back({"ReplanRoundRequestIdReused", Reused<Replan>([](auto& r) { r.set_from_wave(2); }),
                  kInvalid,
                  "request_id 'reused' was already used for a different ReplanRound request"});

  // ---------------------------------------------------------- ForecastRound
  using Forecast = v1::ForecastRoundRequest;
  rows.push_back({"ForecastRoundOfADraftRound",
                  Bad<Forecast>([](auto& r) { r.set_round("rounds/draft"); }), kFailedPrecondition,
                  "round draft has no plan yet; call PlanRound first"});
  rows.push_back({"ForecastRoundTooManyReplications",
                  Bad<Forecast>([](auto& r) { r.mutable_options()->set_replications(1001); }),
                  kInvalid, "replications 1001 must be between 1 and 1000"});
  rows.push_back({"ForecastRoundLatenessNanosOutOfRange", Bad<Forecast>([](auto& r) {
                    r.mutable_options()->mutable_lateness()->set_nanos(1000000000);
                  }),
                  kInvalid, "lateness {seconds: 0, nanos: 1000000000} is not a valid duration"});
  rows.push_back({"ForecastRoundNegativeReplications",
                  Bad<Forecast>([](auto& r) { r.mutable_options()->set_replications(-1); }),
                  kInvalid, "replications -1 must be between 1 and 1000"});
  rows.push_back({"ForecastRoundNoShowRateAboveOne",
                  Bad<Forecast>([](auto& r) { r.mutable_options()->set_no_show_rate(1.5); }),
                  kInvalid, "no_show_rate"});
  rows.push_back({"ForecastRoundNegativeCrowdingLimit",
                  Bad<Forecast>([](auto& r) { r.mutable_options()->set_crowding_limit(-3); }),
                  kInvalid, "crowding_limit"});
  rows.push_back({"ForecastRoundTinyBucket", Bad<Forecast>([](auto& r) {
                    r.mutable_options()->mutable_bucket()->set_seconds(1);
                  }),
                  kInvalid, "bucket"});
  rows.push_back({"ForecastRoundRateNegative", Bad<Forecast>([](auto& r) {
                    r.mutable_options()->set_per_desk_rate_per_hour(-5);
                  }),
                  kInvalid, "per_desk_rate_per_hour"});

  // -------------------------------------------- GetRoster, ListDoorToDoorRoutes
  rows.push_back({"GetRosterOfADraftRound",
                  Bad<v1::GetRosterRequest>([](auto& r) { r.set_round("rounds/draft"); }),
                  kFailedPrecondition, "round draft has no plan yet; call PlanRound first"});
  using Routes = v1::ListDoorToDoorRoutesRequest;
  rows.push_back({"ListDoorToDoorRoutesOfADraftRound",
                  Bad<Routes>([](auto& r) { r.set_round("rounds/draft"); }), kFailedPrecondition,
                  "round draft has no plan yet; call PlanRound first"});
  rows.push_back({"ListDoorToDoorRoutesTooManyTeams",
                  Bad<Routes>([](auto& r) { r.mutable_options()->set_teams_per_community(1001); }),
                  kInvalid, "options.teams_per_community 1001 must be between 1 and 1000"});
  rows.push_back({"ListDoorToDoorRoutesNegativeVisit", Bad<Routes>([](auto& r) {
                    r.mutable_options()->mutable_per_visit()->set_seconds(-60);
                  }),
                  kInvalid, "options.per_visit -1m must be more than 0"});
  rows.push_back({"ListDoorToDoorRoutesVisitNanosOutOfRange", Bad<Routes>([](auto& r) {
                    r.mutable_options()->mutable_per_visit()->set_seconds(60);
                    r.mutable_options()->mutable_per_visit()->set_nanos(-1);
                  }),
                  kInvalid, "options.per_visit {seconds: 60, nanos: -1} is not a valid duration"});
  rows.push_back({"ListDoorToDoorRoutesWalkingTooFast",
                  Bad<Routes>([](auto& r) { r.mutable_options()->set_walking_m_per_minute(5000); }),
                  kInvalid, "options.walking_m_per_minute 5000 must be between 1 and 1000"});

  // ------------------------------------------- GetPlan, ListAssignments, ...
  rows.push_back({"GetPlanOfADraftRound",
                  Bad<v1::GetPlanRequest>([](auto& r) { r.set_round("rounds/draft"); }),
                  kFailedPrecondition, "round draft has no plan yet; call PlanRound first"});
  using Assignments = v1::ListAssignmentsRequest;
  rows.push_back({"ListAssignmentsOfADraftRound",
                  Bad<Assignments>([](auto& r) { r.set_round("rounds/draft"); }),
                  kFailedPrecondition, "round draft has no plan yet"});
  rows.push_back({"ListAssignmentsBuildingWithoutCommunity",
                  Bad<Assignments>([](auto& r) { r.set_building_id("b0"); }), kInvalid,
                  "building_id needs community_id"});
  rows.push_back({"ListAssignmentsUnknownCommunity",
                  Bad<Assignments>([](auto& r) { r.set_community_id("zz"); }), kNotFound,
                  "community 'zz' is not in round r"});
  rows.push_back({"ListAssignmentsUnknownBuilding", Bad<Assignments>([](auto& r) {
                    r.set_community_id("tc");
                    r.set_building_id("b99");
                  }),
                  kNotFound, "building 'b99' is not in community 'tc'"});
  rows.push_back({"ListAssignmentsOversizedCommunityId",
                  Bad<Assignments>([](auto& r) { r.set_community_id(Repeat('c', 100000)); }),
                  kInvalid, "community_id 'ccc"});
  rows.push_back({"ListDoorToDoorOfADraftRound",
                  Bad<v1::ListDoorToDoorRequest>([](auto& r) { r.set_round("rounds/draft"); }),
                  kFailedPrecondition, "round draft has no plan yet"});

  // ------------------------------------------------- OpenRound, CloseRound
  using Open = v1::OpenRoundRequest;
  AddRequestIdRows(rows, "OpenRound", [](auto m) { return Bad<Open>(m); });
  rows.push_back({"OpenRoundDraftRound", Bad<Open>([](auto& r) { r.set_round("rounds/draft"); }),
                  kFailedPrecondition, "round draft is draft; plan it before opening it"});
  rows.push_back({"OpenRoundAlreadyOpen", Bad<Open>([](auto& r) { r.set_round("rounds/r"); }),
                  kFailedPrecondition, "round r is open; only a planned round can be opened"});
  rows.push_back({"OpenRoundClosedRound", Bad<Open>([](auto& r) { r.set_round("rounds/closed"); }),
                  kFailedPrecondition,
                  "round closed is closed; only a planned round can be opened"});
  rows.push_back({"OpenRoundRequestIdReused",
                  Reused<Open>([](auto& r) { r.set_round("rounds/draft"); }), kInvalid,
                  "request_id 'reused' was already used for a different OpenRound request"});
  using Close = v1::CloseRoundRequest;
  AddRequestIdRows(rows, "CloseRound", [](auto m) { return Bad<Close>(m); });
  rows.push_back({"CloseRoundDraftRound", Bad<Close>([](auto& r) { r.set_round("rounds/draft"); }),
                  kFailedPrecondition, "round draft is draft; only an open round can be closed"});
  rows.push_back({"CloseRoundClosedRound",
                  Bad<Close>([](auto& r) { r.set_round("rounds/closed"); }), kFailedPrecondition,
                  "round closed is closed; only an open round can be closed"});
  rows.push_back({"CloseRoundRequestIdReused",
                  Reused<Close>([](auto& r) { r.set_round("rounds/closed"); }), kInvalid,
                  "request_id 'reused' was already used for a different CloseRound request"});

  // --------------------------------------------------------------- OpenTube
  using Tube = v1::OpenTubeRequest;
  AddRequestIdRows(rows, "OpenTube", [](auto m) { return Bad<Tube>(m); });
  rows.push_back({"OpenTubeEmptyDesk", Bad<Tube>([](auto& r) { r.clear_desk(); }), kInvalid,
                  "desk is required, as \"sites/{site_id}/desks/{n}\""});
  rows.push_back({"OpenTubeMalformedDesk",
                  Bad<Tube>([](auto& r) { r.set_desk("sites/tc-s1/desks/0"); }), kInvalid,
                  "is not a desk name; expected \"sites/{site_id}/desks/{n}\" or a door-to-door "
                  "team's \"communities/{community_id}/teams/{n}\", with n >= 1"});
  rows.push_back({"OpenTubeOversizedDesk",
                  Bad<Tube>([](auto& r) { r.set_desk(Desk(Repeat('s', 100000), 1)); }), kInvalid,
                  "is not a desk name"});
  rows.push_back({"OpenTubeUnknownSite", Bad<Tube>([](auto& r) { r.set_desk(Desk("nowhere", 1)); }),
                  kNotFound, "site 'nowhere' is not in round r"});
  rows.push_back({"OpenTubeDeskBeyondTheSite",
                  Bad<Tube>([](auto& r) { r.set_desk(Desk("tc-s1", 3)); }), kNotFound,
                  "site 'tc-s1' has desks 1..2; there is no desk 3"});
  for (const auto& [name, barcode] : std::vector<std::pair<std::string, std::string>>{
           {"Empty", ""}, {"Short", "abc"}, {"Overlong", Repeat('T', 65)}, {"Spaced", "TU BE"}}) {
    // A copy, not [barcode]: clang 14 cannot capture a structured binding.
    rows.push_back({"OpenTube" + name + "Barcode",
                    Bad<Tube>([code = barcode](auto& r) { r.set_tube_barcode(code); }), kInvalid,
                    "is not a barcode: use 4-64 printable ASCII characters"});
  }
  rows.push_back({"OpenTubeBarcodeInUse", Bad<Tube>([](auto& r) { r.set_tube_barcode("TUBE-A1"); }),
                  kAlreadyExists, "tube TUBE-A1 was already scanned"});
  rows.push_back({"OpenTubeDraftRound", Bad<Tube>([](auto& r) { r.set_round("rounds/draft"); }),
                  kFailedPrecondition, "round draft is draft; tubes can be scanned in only while"});
  rows.push_back({"OpenTubeClosedRound", Bad<Tube>([](auto& r) { r.set_round("rounds/closed"); }),
                  kFailedPrecondition,
                  "round closed is closed; tubes can be scanned in only while it is open"});
  rows.push_back({"OpenTubeRequestIdReused",
                  Reused<Tube>([](auto& r) { r.set_tube_barcode("TUBE-N2"); }), kInvalid,
                  "request_id 'reused' was already used for a different OpenTube request"});

  // ------------------------------------------------- CheckIn, CheckInStream
  AddCheckInRow(
      rows, "EmptyRequestId", [](auto& r) { r.clear_request_id(); }, kInvalid,
      "request_id is required");
  AddCheckInRow(
      rows, "OverlongRequestId", [](auto& r) { r.set_request_id(Repeat('x', 129)); }, kInvalid,
      "request_id is 129 bytes; at most 128");
  AddCheckInRow(
      rows, "EmptyDesk", [](auto& r) { r.clear_desk(); }, kInvalid, "desk is required");
  AddCheckInRow(
      rows, "MalformedDesk", [](auto& r) { r.set_desk("tc-s0/1"); }, kInvalid,
      "is not a desk name");
  AddCheckInRow(
      rows, "UnknownSite", [](auto& r) { r.set_desk(Desk("nowhere", 1)); }, kNotFound,
      "site 'nowhere' is not in round r");
  AddCheckInRow(
      rows, "DeskBeyondTheSite", [](auto& r) { r.set_desk(Desk("tc-s0", 9)); }, kNotFound,
      "there is no desk 9");
  AddCheckInRow(
      rows, "EmptyResidentCode", [](auto& r) { r.clear_resident_code(); }, kInvalid,
      "resident_code is required");
  AddCheckInRow(
      rows, "OverlongResidentCode", [](auto& r) { r.set_resident_code(Repeat('R', 65)); }, kInvalid,
      "resident_code is not a valid code (65 characters)");
  AddCheckInRow(
      rows, "UnknownResidentCode", [](auto& r) { r.set_resident_code("NOBODY-1"); }, kNotFound,
      "the resident code is not registered in round r");
  AddCheckInRow(
      rows, "DeskWithoutATube", [](auto& r) { r.set_desk(kBareDesk); }, kFailedPrecondition,
      "sites/tc-s1/desks/1 has no open tube; scan a new tube");
  AddCheckInRow(
      rows, "DraftRound", [](auto& r) { r.set_round("rounds/draft"); }, kFailedPrecondition,
      "round draft is draft; check-ins are taken only while");
  AddCheckInRow(
      rows, "ClosedRound", [](auto& r) { r.set_round("rounds/closed"); }, kFailedPrecondition,
      "round closed is closed; check-ins are taken only while");
  AddCheckInRow(
      rows, "ScanTimeOverAnHourBeforeTheStart",
      [](auto& r) { ToProto(kRoundStart - absl::Minutes(61), r.mutable_scan_time()); }, kInvalid,
      "is more than 1 h before round r starts");
  AddCheckInRow(
      rows, "ScanTimeInTheFuture",
      [](auto& r) { ToProto(absl::Now() + absl::Minutes(11), r.mutable_scan_time()); }, kInvalid,
      "is in the future by the server's clock");
  AddCheckInRow(
      rows, "ScanTimeAtInt64Min",
      [](auto& r) { SetTime(r.mutable_scan_time(), std::numeric_limits<int64_t>::min()); },
      kInvalid, "is not a valid timestamp");
  AddCheckInRow(
      rows, "ScanTimeAtInt64Max",
      [](auto& r) {
        SetTime(r.mutable_scan_time(), std::numeric_limits<int64_t>::max(), 999999999);
      },
      kInvalid, "is not a valid timestamp");

  // --------------------------------------------------------------- SealTube
  using Seal = v1::SealTubeRequest;
  AddRequestIdRows(rows, "SealTube", [](auto m) { return Bad<Seal>(m); });
  // A scan time with nanos past a second used to be recorded up to 2 s off.
  AddCheckInRow(
      rows, "ScanTimeNanosOverASecond",
      [](auto& r) {
        ToProto(absl::Now() - absl::Minutes(1), r.mutable_scan_time());
        r.mutable_scan_time()->set_nanos(1999999999);
      },
      kInvalid, "} is not a valid timestamp: seconds from 0001-01-01 to 9999-12-31, nanos");
  AddCheckInRow(
      rows, "ScanTimeNegativeNanos",
      [](auto& r) {
        ToProto(absl::Now() - absl::Minutes(1), r.mutable_scan_time());
        r.mutable_scan_time()->set_nanos(-1);
      },
      kInvalid, "scan_time {seconds: ");
  rows.push_back({"SealTubeMalformedDesk", Bad<Seal>([](auto& r) { r.set_desk("desk-1"); }),
                  kInvalid, "is not a desk name"});
  rows.push_back({"SealTubeInvalidBarcode",
                  Bad<Seal>([](auto& r) { r.set_tube_barcode("a,b,c,d"); }), kInvalid,
                  "is not a barcode"});
  rows.push_back({"SealTubeUnknownTube",
                  Bad<Seal>([](auto& r) { r.set_tube_barcode("NO-SUCH-TUBE"); }), kNotFound,
                  "tube NO-SUCH-TUBE was never scanned"});
  rows.push_back(
      {"SealTubeEmptyTube", Bad<Seal>([](auto&) {}), kFailedPrecondition, "tube TUBE-A1 is empty"});
  rows.push_back({"SealTubeClosedRound", Bad<Seal>([](auto& r) { r.set_round("rounds/closed"); }),
                  kFailedPrecondition,
                  "round closed is closed; tubes can be sealed only while it is open"});
  rows.push_back({"SealTubeRequestIdReused",
                  [](Client& c) {
                    v1::CheckInRequest check_in;
                    Fill(&check_in);
                    if (grpc::Status s = Send(c, check_in); !s.ok()) return s;
                    return Reused<Seal>([](auto& r) { r.set_tube_barcode("TUBE-A2"); })(c);
                  },
                  kInvalid,
                  "request_id 'reused' was already used for a different SealTube request"});

  // ------------------------------------------------------------ RecordVisit
  using Visit = v1::RecordVisitRequest;
  AddRequestIdRows(rows, "RecordVisit", [](auto m) { return Bad<Visit>(m); });
  rows.push_back({"RecordVisitSiteDesk", Bad<Visit>([](auto& r) { r.set_desk(kDesk1); }), kInvalid,
                  "desk names a site's desk; visits are recorded at a door-to-door team's desk"});
  rows.push_back({"RecordVisitUnknownTeam",
                  Bad<Visit>([](auto& r) { r.set_desk("communities/tc/teams/3"); }), kNotFound,
                  "round r has door-to-door teams 1..2 in community 'tc'; there is no team 3"});
  rows.push_back({"RecordVisitTeamOfAnotherCommunity",
                  Bad<Visit>([](auto& r) { r.set_desk("communities/nowhere/teams/1"); }),
                  kNotFound, "community 'nowhere' is not in round r"});
  rows.push_back({"RecordVisitUnknownResident",
                  Bad<Visit>([](auto& r) { r.set_resident_code("NOBODY-1"); }), kNotFound,
                  "resident_code is not in round r"});
  rows.push_back({"RecordVisitNoOutcome", Bad<Visit>([](auto& r) { r.clear_outcome(); }), kInvalid,
                  "outcome 0 is not a visit outcome"});
  rows.push_back({"RecordVisitUnknownOutcome",
                  Bad<Visit>([](auto& r) { r.set_outcome(static_cast<v1::VisitOutcome>(9)); }),
                  kInvalid, "outcome 9 is not a visit outcome"});
  rows.push_back({"RecordVisitNoReason", Bad<Visit>([](auto& r) { r.clear_reason(); }), kInvalid,
                  "a visit with outcome refused needs a reason"});
  rows.push_back({"RecordVisitNotHomeWithAReason",
                  Bad<Visit>([](auto& r) { r.set_outcome(v1::VISIT_OUTCOME_NOT_HOME); }), kInvalid,
                  "a visit with outcome not home takes no reason"});
  rows.push_back({"RecordVisitOverlongReason",
                  Bad<Visit>([](auto& r) { r.set_reason(Repeat('x', 201)); }), kInvalid,
                  "reason is 201 bytes; at most 200"});
  rows.push_back({"RecordVisitReasonOnTwoLines",
                  Bad<Visit>([](auto& r) { r.set_reason("no\nthanks"); }), kInvalid,
                  "reason has a control character"});
  rows.push_back({"RecordVisitInTheFuture",
                  Bad<Visit>([](auto& r) {
                    ToProto(absl::Now() + absl::Hours(2), r.mutable_visit_time());
                  }),
                  kInvalid, "is in the future by the server's clock"});
  rows.push_back({"RecordVisitClosedRound",
                  Bad<Visit>([](auto& r) { r.set_round("rounds/closed"); }), kFailedPrecondition,
                  "round closed is closed; visits can be recorded only while it is open"});
  rows.push_back({"RecordVisitRequestIdReused",
                  Reused<Visit>([](auto& r) { r.set_resident_code(Code("tc", 31)); }), kInvalid,
                  "request_id was already used for the visit of resident"});

  // ------------------------------------------------------------ GetProgress
  using Progress = v1::GetProgressRequest;
  rows.push_back({"GetProgressLevelUnspecified", Bad<Progress>([](auto& r) { r.clear_level(); }),
                  kInvalid, "level is required: COMMUNITY, COMPOUND, BUILDING, SITE, WAVE or TEAM"});
  rows.push_back({"GetProgressLevelOutOfRange",
                  Bad<Progress>([](auto& r) { r.set_level(static_cast<v1::ProgressLevel>(99)); }),
                  kInvalid, "level is required"});
  rows.push_back({"GetProgressOfADraftRound",
                  Bad<Progress>([](auto& r) { r.set_round("rounds/draft"); }), kFailedPrecondition,
                  "round draft has no plan yet"});

  // ----------------------------------------------------------- ListUntested
  using Untested = v1::ListUntestedRequest;
  rows.push_back({"ListUntestedOfADraftRound",
                  Bad<Untested>([](auto& r) { r.set_round("rounds/draft"); }), kFailedPrecondition,
                  "round draft has no plan yet"});
  rows.push_back({"ListUntestedBuildingWithoutCommunity",
                  Bad<Untested>([](auto& r) { r.set_building_id("b0"); }), kInvalid,
                  "building_id needs community_id"});
  rows.push_back({"ListUntestedUnknownCommunity",
                  Bad<Untested>([](auto& r) { r.set_community_id("zz"); }), kNotFound,
                  "community 'zz' is not in round r"});
  rows.push_back({"ListUntestedUnknownBuilding", Bad<Untested>([](auto& r) {
                    r.set_community_id("tc");
                    r.set_building_id("b99");
                  }),
                  kNotFound, "building 'b99' is not in community 'tc'"});
  rows.push_back({"ListUntestedOversizedBuildingId", Bad<Untested>([](auto& r) {
                    r.set_community_id("tc");
                    r.set_building_id(Repeat('b', 100000));
                  }),
                  kInvalid, "building_id 'bbb"});

  // ---------------------------------------------------------- WatchProgress
  using Watch = v1::WatchProgressRequest;
  rows.push_back({"WatchProgressIntervalOf10Milliseconds", Bad<Watch>([](auto& r) {
                    ToProto(absl::Milliseconds(10), r.mutable_interval());
                  }),
                  kInvalid, "interval 10ms is shorter than the 100ms minimum"});
  rows.push_back({"WatchProgressNegativeInterval",
                  Bad<Watch>([](auto& r) { ToProto(-absl::Seconds(1), r.mutable_interval()); }),
                  kInvalid, "interval -1s is shorter than the 100ms minimum"});
  rows.push_back({"WatchProgressIntervalNanosOutOfRange", Bad<Watch>([](auto& r) {
                    r.mutable_interval()->set_seconds(1);
                    r.mutable_interval()->set_nanos(1000000000);
                  }),
                  kInvalid, "interval {seconds: 1, nanos: 1000000000} is not a valid duration"});
  rows.push_back({"WatchProgressOfADraftRound",
                  Bad<Watch>([](auto& r) { r.set_round("rounds/draft"); }), kFailedPrecondition,
                  "round draft has no plan yet"});
  return rows;
}

// ------------------------------------------------------------------ fixture

// Community "tc" (48 residents; sites tc-s0 and tc-s1, two desks each) and
// four rounds over it: "r" open with TUBE-A1 open (empty) at tc-s0 desk 1,
// "draft" created, "planned" planned, "closed" opened and closed.
class BadInputTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{}, "r"));
    ASSERT_TRUE(OpenTube("r", kDesk1, "TUBE-A1").ok());
    ASSERT_TRUE(CreateRound("draft", "tc").ok());
    ASSERT_TRUE(CreateRound("planned", "tc").ok());
    ASSERT_TRUE(Plan("planned").ok());
    ASSERT_TRUE(CreateRound("closed", "tc").ok());
    ASSERT_TRUE(Plan("closed").ok());
    ASSERT_TRUE(Open("closed").ok());
    ASSERT_TRUE(Close("closed").ok());
  }

  int64_t Sampled() { return Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled(); }

  // The server still answers every service after the bad input.
  void ExpectHealthy() {
    const grpc::Status get = GetRound("rounds/r");
    EXPECT_TRUE(get.ok()) << get.error_message();
    v1::ListRoundsResponse rounds;
    const grpc::Status list = client_->planning().ListRounds(Ctx().get(), {}, &rounds);
    EXPECT_TRUE(list.ok()) << list.error_message();
    EXPECT_GE(rounds.rounds_size(), 4);
    Progress("r", v1::PROGRESS_LEVEL_SITE);
  }
};

void ExpectStatus(const grpc::Status& status, grpc::StatusCode code, const std::string& message) {
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr(message));
  EXPECT_LE(status.error_message().size(), kMaxMessageBytes);
}

class UnaryRequestTest : public BadInputTest, public ::testing::WithParamInterface<Row> {};

TEST_P(UnaryRequestTest, Refuses) {
  const Row& row = GetParam();
  ExpectStatus(row.call(*client_), row.code, row.message);
  ExpectHealthy();
}

INSTANTIATE_TEST_SUITE_P(BadInput, UnaryRequestTest, ::testing::ValuesIn(UnaryRows()),
                         [](const ::testing::TestParamInfo<Row>& row) { return row.param.name; });

// ------------------------------------------ round names, for every such RPC

// Every RPC that names a round, sending `round` in an otherwise valid request.
std::vector<std::pair<std::string, std::function<grpc::Status(Client&, const std::string&)>>>
RoundRpcs() {
  const auto with_round = [](auto request) {
    return [request](Client& c, const std::string& round) mutable {
      Fill(&request);
      request.set_round(round);
      return Send(c, request);
    };
  };
  return {
      {"GetRound", with_round(v1::GetRoundRequest())},
      {"PlanRound", with_round(v1::PlanRoundRequest())},
      {"ReplanRound", with_round(v1::ReplanRoundRequest())},
      {"ForecastRound", with_round(v1::ForecastRoundRequest())},
      {"GetRoster", with_round(v1::GetRosterRequest())},
      {"ListDoorToDoorRoutes", with_round(v1::ListDoorToDoorRoutesRequest())},
      {"GetPlan", with_round(v1::GetPlanRequest())},
      {"ListAssignments", with_round(v1::ListAssignmentsRequest())},
      {"ListDoorToDoor", with_round(v1::ListDoorToDoorRequest())},
      {"OpenRound", with_round(v1::OpenRoundRequest())},
      {"CloseRound", with_round(v1::CloseRoundRequest())},
      {"OpenTube", with_round(v1::OpenTubeRequest())},
      {"CheckIn", with_round(v1::CheckInRequest())},
      {"CheckInStream",
       [](Client& c, const std::string& round) {
         v1::CheckInRequest request;
         Fill(&request);
         request.set_round(round);
         return SendOnStream(c, request);
       }},
      {"SealTube", with_round(v1::SealTubeRequest())},
      {"GetProgress", with_round(v1::GetProgressRequest())},
      {"ListUntested", with_round(v1::ListUntestedRequest())},
      {"WatchProgress", with_round(v1::WatchProgressRequest())},
  };
}

using BadInputRoundNameTest = BadInputTest;

TEST_F(BadInputRoundNameTest, EmptyRoundIsInvalidForEveryRpc) {
  for (const auto& [rpc, call] : RoundRpcs()) {
    SCOPED_TRACE(rpc);
    ExpectStatus(call(*client_, ""), kInvalid, "round is required, as \"rounds/{round_id}\"");
  }
  ExpectHealthy();
}

TEST_F(BadInputRoundNameTest, MalformedRoundIsInvalidForEveryRpc) {
  for (const auto& [rpc, call] : RoundRpcs()) {
    for (const char* round : {"r", "round/r", "rounds/", "rounds/a/b", "rounds/r r"}) {
      SCOPED_TRACE(absl::StrCat(rpc, " ", round));
      ExpectStatus(call(*client_, round), kInvalid, "expected \"rounds/{round_id}\"");
    }
  }
  ExpectHealthy();
}

TEST_F(BadInputRoundNameTest, OversizedRoundIsInvalidForEveryRpc) {
  const std::string huge = "rounds/" + Repeat('r', 1 << 20);
  for (const auto& [rpc, call] : RoundRpcs()) {
    SCOPED_TRACE(rpc);
    ExpectStatus(call(*client_, huge), kInvalid, "is not a round name");
  }
  ExpectHealthy();
}

TEST_F(BadInputRoundNameTest, UnknownRoundIsNotFoundForEveryRpc) {
  for (const auto& [rpc, call] : RoundRpcs()) {
    SCOPED_TRACE(rpc);
    ExpectStatus(call(*client_, "rounds/nope"), kNotFound, "round 'nope' does not exist");
  }
  ExpectHealthy();
}

// ------------------------------------------------ paging, for every list RPC

struct ListRpc {
  std::string rpc;
  int32_t max_page_size;
  // Sends page_size and page_token; sets *rows and *next from the answer.
  std::function<grpc::Status(Client&, int32_t, const std::string&, int* rows, std::string* next)>
      call;
  // The token the server would hand out for `position` of this list, as
  // `call` asks for it.
  std::function<std::string(uint64_t position)> token_at;
};

template <typename Request, typename Response, typename Method, typename Rows>
auto Lister(Method method, Rows rows_of) {
  return [method, rows_of](Client& c, int32_t size, const std::string& token, int* rows,
                           std::string* next) {
    Request request;
    Fill(&request);
    request.set_page_size(size);
    request.set_page_token(token);
    Response response;
    const grpc::Status status = method(c, request, &response);
    *rows = rows_of(response);
    *next = response.next_page_token();
    return status;
  };
}

template <typename Request>
std::function<std::string(uint64_t)> TokenAt(const std::string& rpc) {
  return [rpc](uint64_t position) {
    Request unpaged;
    Fill(&unpaged);
    return EncodePageToken(position, PageListKey(rpc, unpaged));
  };
}

std::vector<ListRpc> ListRpcs() {
  return {
      {"ListRounds", 1000,
       Lister<v1::ListRoundsRequest, v1::ListRoundsResponse>(
           [](Client& c, const auto& r, auto* out) {
             return c.planning().ListRounds(Ctx().get(), r, out);
           },
           [](const auto& out) { return out.rounds_size(); }),
       TokenAt<v1::ListRoundsRequest>("ListRounds")},
      {"GetPlan", 1000,
       Lister<v1::GetPlanRequest, v1::GetPlanResponse>(
           [](Client& c, const auto& r, auto* out) {
             return c.planning().GetPlan(Ctx().get(), r, out);
           },
           [](const auto& out) { return out.sites_size(); }),
       TokenAt<v1::GetPlanRequest>("GetPlan")},
      {"ForecastRound", 1000,
       Lister<v1::ForecastRoundRequest, v1::ForecastRoundResponse>(
           [](Client& c, const auto& r, auto* out) {
             return c.planning().ForecastRound(Ctx().get(), r, out);
           },
           [](const auto& out) { return out.sites_size(); }),
       TokenAt<v1::ForecastRoundRequest>("ForecastRound")},
      {"GetRoster", 1000,
       Lister<v1::GetRosterRequest, v1::GetRosterResponse>(
           [](Client& c, const auto& r, auto* out) {
             return c.planning().GetRoster(Ctx().get(), r, out);
           },
           [](const auto& out) { return out.shifts_size(); }),
       TokenAt<v1::GetRosterRequest>("GetRoster")},
      {"ListDoorToDoorRoutes", 1000,
       Lister<v1::ListDoorToDoorRoutesRequest, v1::ListDoorToDoorRoutesResponse>(
           [](Client& c, const auto& r, auto* out) {
             return c.planning().ListDoorToDoorRoutes(Ctx().get(), r, out);
           },
           [](const auto& out) { return out.routes_size(); }),
       TokenAt<v1::ListDoorToDoorRoutesRequest>("ListDoorToDoorRoutes")},
      {"ListAssignments", 5000,
       Lister<v1::ListAssignmentsRequest, v1::ListAssignmentsResponse>(
           [](Client& c, const auto& r, auto* out) {
             return c.planning().ListAssignments(Ctx().get(), r, out);
           },
           [](const auto& out) { return out.assignments_size(); }),
       TokenAt<v1::ListAssignmentsRequest>("ListAssignments")},
      {"ListDoorToDoor", 5000,
       Lister<v1::ListDoorToDoorRequest, v1::ListDoorToDoorResponse>(
           [](Client& c, const auto& r, auto* out) {
             return c.planning().ListDoorToDoor(Ctx().get(), r, out);
           },
           [](const auto& out) { return out.buildings_size(); }),
       TokenAt<v1::ListDoorToDoorRequest>("ListDoorToDoor")},
      {"GetProgress", 5000,
       Lister<v1::GetProgressRequest, v1::GetProgressResponse>(
           [](Client& c, const auto& r, auto* out) {
             return c.progress().GetProgress(Ctx().get(), r, out);
           },
           [](const auto& out) { return out.rows_size(); }),
       TokenAt<v1::GetProgressRequest>("GetProgress")},
      {"ListUntested", 5000,
       Lister<v1::ListUntestedRequest, v1::ListUntestedResponse>(
           [](Client& c, const auto& r, auto* out) {
             return c.progress().ListUntested(Ctx().get(), r, out);
           },
           [](const auto& out) { return out.residents_size(); }),
       TokenAt<v1::ListUntestedRequest>("ListUntested")},
  };
}

using BadInputPagingTest = BadInputTest;

TEST_F(BadInputPagingTest, NegativePageSizeIsInvalidForEveryList) {
  for (const ListRpc& list : ListRpcs()) {
    SCOPED_TRACE(list.rpc);
    int rows = 0;
    std::string next;
    ExpectStatus(list.call(*client_, -1, "", &rows, &next), kInvalid,
                 absl::StrCat("page_size -1 must be between 1 and ", list.max_page_size));
  }
  ExpectHealthy();
}

TEST_F(BadInputPagingTest, PageSizeOverTheMaximumIsInvalidForEveryList) {
  for (const ListRpc& list : ListRpcs()) {
    for (const int32_t size : {list.max_page_size + 1, std::numeric_limits<int32_t>::max()}) {
      SCOPED_TRACE(absl::StrCat(list.rpc, " ", size));
      int rows = 0;
      std::string next;
      ExpectStatus(list.call(*client_, size, "", &rows, &next), kInvalid,
                   absl::StrCat("page_size ", size, " must be between 1 and ", list.max_page_size));
    }
  }
  ExpectHealthy();
}

TEST_F(BadInputPagingTest, ForeignPageTokenIsInvalidForEveryList) {
  for (const ListRpc& list : ListRpcs()) {
    for (const std::string& token :
         {std::string("garbage"), std::string("p-1"), std::string("p"), std::string("p1x"),
          std::string("p99999999999999999999999"), "p" + Repeat('9', 100000)}) {
      SCOPED_TRACE(absl::StrCat(list.rpc, " ", token.substr(0, 30)));
      int rows = 0;
      std::string next;
      ExpectStatus(list.call(*client_, 0, token, &rows, &next), kInvalid,
                   "page_token was not issued by this server; pass next_page_token unchanged");
    }
  }
  ExpectHealthy();
}

// A token past the end (as if the list had shrunk) is an empty last page,
// never the first page again: a client paging on would loop forever. With
// a page size of 1, offset + size used to wrap to 0 for the largest token,
// and lists of a row or more answered next_page_token "p0".
TEST_F(BadInputPagingTest, PageTokenPastTheEndIsAnEmptyLastPageForEveryList) {
  for (const ListRpc& list : ListRpcs()) {
    for (const int32_t size : {0, 1}) {
      for (const uint64_t position : {uint64_t{1000000}, uint64_t{4294967296},
                                      uint64_t{4294967297}, ~uint64_t{0}}) {
        const std::string token = list.token_at(position);
        SCOPED_TRACE(absl::StrCat(list.rpc, " ", token, " page_size ", size));
        int rows = -1;
        std::string next = "unset";
        const grpc::Status status = list.call(*client_, size, token, &rows, &next);
        EXPECT_TRUE(status.ok()) << status.error_message();
        EXPECT_EQ(rows, 0);
        EXPECT_EQ(next, "");
      }
    }
  }
  ExpectHealthy();
}

// A page token is bound to its list (paging.h): one handed back with
// another list is refused, never read as a position in it.
TEST_F(BadInputPagingTest, PageTokenOfAnotherListIsInvalidForEveryList) {
  const std::vector<ListRpc> lists = ListRpcs();
  for (size_t i = 0; i < lists.size(); ++i) {
    const ListRpc& other = lists[(i + 1) % lists.size()];
    SCOPED_TRACE(absl::StrCat(lists[i].rpc, " with a token of ", other.rpc));
    int rows = 0;
    std::string next;
    ExpectStatus(lists[i].call(*client_, 0, other.token_at(0), &rows, &next), kInvalid,
                 "page_token belongs to another list (another RPC, round, filter or option)");
  }
  ExpectHealthy();
}

// ------------------------------------------------------------ ImportCommunity

struct ImportRow {
  std::string name;
  // Breaks the chunks of community "imp" (7 entities a chunk).
  std::function<void(std::vector<v1::ImportCommunityRequest>&)> mutate;
  grpc::StatusCode code;
  std::string message;
};

void PrintTo(const ImportRow& row, std::ostream* os) { *os << row.name; }

std::vector<ImportRow> ImportRows() {
  using Chunks = std::vector<v1::ImportCommunityRequest>;
  return {
      {"OverlongRequestId", [](Chunks& c) { c[0].set_request_id(Repeat('x', 129)); }, kInvalid,
       "chunk 0: request_id is 129 bytes; at most 128"},
      {"EmptyCommunityId", [](Chunks& c) { c[0].mutable_community()->clear_community_id(); },
       kInvalid, "community_id is required"},
      {"OverlongCommunityId",
       [](Chunks& c) { c[0].mutable_community()->set_community_id(Repeat('c', 100000)); }, kInvalid,
       "is not a valid id: use 1-64 of the characters"},
      {"UtcOffsetOutOfRange",
       [](Chunks& c) { c[0].mutable_community()->set_utc_offset_minutes(15 * 60); }, kInvalid,
       "utc_offset_minutes 900 is outside -840..840"},
      {"UnknownTimeZone",
       [](Chunks& c) { c[0].mutable_community()->set_time_zone("Asia/Atlantis"); }, kInvalid,
       "chunk 0: community 'imp': time zone 'Asia/Atlantis' is not one tzdata knows"},
      {"TimeZoneThatIsAPath",
       [](Chunks& c) { c[0].mutable_community()->set_time_zone("/etc/passwd"); }, kInvalid,
       "time zone '/etc/passwd' is not one tzdata knows"},
      {"OversizedUnknownParentId",
       [](Chunks& c) {
         for (v1::ImportCommunityRequest& chunk : c) {
           for (v1::Building& b : *chunk.mutable_buildings()) {
             b.set_compound_id(Repeat('p', 100000));
           }
         }
       },
       kInvalid, "is not a known compound of this community"},
      {"DuplicateEntityId",
       [](Chunks& c) {
         v1::ImportCommunityRequest extra;
         *extra.add_compounds() = c[0].compounds(0);
         c.insert(c.begin() + 1, extra);
       },
       kInvalid, "compound id 'c0' appears twice in this community"},
      {"SiteWithoutDesks",
       [](Chunks& c) {
         for (v1::ImportCommunityRequest& chunk : c) {
           for (v1::Site& s : *chunk.mutable_sites()) s.set_desks(0);
         }
       },
       kInvalid, "desks is 0; it must be 1..64"},
      {"SiteWith65Desks",
       [](Chunks& c) {
         for (v1::ImportCommunityRequest& chunk : c) {
           for (v1::Site& s : *chunk.mutable_sites()) s.set_desks(65);
         }
       },
       kInvalid, "desks is 65; it must be 1..64"},
      {"SiteHoursOutOfRange",
       [](Chunks& c) {
         for (v1::ImportCommunityRequest& chunk : c) {
           for (v1::Site& s : *chunk.mutable_sites()) s.set_opens_at_minute(-60);
         }
       },
       kInvalid, "must open in 0..1439 and close after opening"},
      {"NonFiniteLocation",
       [](Chunks& c) {
         for (v1::ImportCommunityRequest& chunk : c) {
           for (v1::Building& b : *chunk.mutable_buildings()) {
             b.mutable_location()->set_x_m(std::numeric_limits<double>::quiet_NaN());
           }
         }
       },
       kInvalid, "location must be finite metres"},
      {"UnknownExemption",
       [](Chunks& c) {
         for (v1::ImportCommunityRequest& chunk : c) {
           for (v1::Resident& r : *chunk.mutable_residents()) {
             r.set_exemption(static_cast<v1::ExemptionReason>(99));
           }
         }
       },
       kInvalid, "exemption 99 is not a known reason"},
      {"UnknownStaffRole",
       [](Chunks& c) {
         for (v1::ImportCommunityRequest& chunk : c) {
           for (v1::StaffMember& s : *chunk.mutable_staff()) {
             s.add_roles(static_cast<v1::StaffRole>(99));
           }
         }
       },
       kInvalid, "role 99 is not a known role"},
      {"OverlongCompoundName",
       [](Chunks& c) {
         for (v1::ImportCommunityRequest& chunk : c) {
           for (v1::Compound& x : *chunk.mutable_compounds()) x.set_name(Repeat('n', 257));
         }
       },
       kInvalid, "compound 'c0': name is 257 bytes long; at most 256 bytes of UTF-8 are kept"},
      {"OverlongCommunityName",
       [](Chunks& c) { c[0].mutable_community()->set_name(Repeat('n', 100000)); }, kInvalid,
       "community 'imp': name is 100000 bytes long; at most 256"},
      {"SiteNameWithATerminalEscape",
       [](Chunks& c) {
         for (v1::ImportCommunityRequest& chunk : c) {
           for (v1::Site& x : *chunk.mutable_sites()) x.set_name("Site \x1b[2J\x1b[31mB");
         }
       },
       kInvalid, "site 'imp-s0': name holds a control character other than a line break"},
      {"NoResidents",
       [](Chunks& c) {
         for (v1::ImportCommunityRequest& chunk : c) chunk.clear_residents();
       },
       kInvalid, "community 'imp' has no residents"},
      {"ChunkOverTheEntityLimit",
       [](Chunks& c) {
         v1::ImportCommunityRequest big;
         for (int i = 0; i < 100001; ++i)
           big.add_compounds()->set_compound_id(absl::StrCat("x", i));
         c.insert(c.begin() + 1, std::move(big));
       },
       kInvalid, "chunk 1 holds 100001 entities; at most 100000 per chunk"},
  };
}

class BadInputImportTest : public BadInputTest {
 protected:
  static std::vector<v1::ImportCommunityRequest> Chunks(const std::string& request_id) {
    return CommunityToChunks(MakeCommunity(CommunitySpec{.id = "imp"}), request_id, 7);
  }
  // Nothing of community "imp" was stored, and the whole import still works.
  void ExpectNothingImportedAndRetryWorks(const std::string& request_id) {
    const grpc::Status create = CreateRound("imp-round", "imp");
    EXPECT_EQ(create.error_code(), kNotFound) << create.error_message();
    v1::ImportCommunityResponse response;
    const grpc::Status retry = ImportChunks(Chunks(request_id), &response);
    ASSERT_TRUE(retry.ok()) << retry.error_message();
    EXPECT_EQ(response.residents(), 48);
    ExpectHealthy();
  }
};

class ImportRowTest : public BadInputImportTest, public ::testing::WithParamInterface<ImportRow> {};

TEST_P(ImportRowTest, Refuses) {
  const ImportRow& row = GetParam();
  std::vector<v1::ImportCommunityRequest> chunks = Chunks(Fresh("import"));
  row.mutate(chunks);
  ExpectStatus(ImportChunks(chunks), row.code, row.message);
  ExpectNothingImportedAndRetryWorks(Fresh("import"));
}

INSTANTIATE_TEST_SUITE_P(BadInput, ImportRowTest, ::testing::ValuesIn(ImportRows()),
                         [](const ::testing::TestParamInfo<ImportRow>& row) {
                           return row.param.name;
                         });

TEST_F(BadInputImportTest, OverTheServersEntityLimitIsResourceExhausted) {
  client_.reset();
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  ServerOptions options = options_;
  options.max_import_entities = 50;
  ASSERT_NO_FATAL_FAILURE(StartServer(options));
  ExpectStatus(ImportChunks(Chunks(Fresh("import"))), kResourceExhausted,
               "the import passed 50 entities at chunk");
  EXPECT_EQ(CreateRound("imp-round", "imp").error_code(), kNotFound);
  const std::vector<v1::ImportCommunityRequest> small =
      CommunityToChunks(MakeCommunity(CommunitySpec{.id = "small",
                                                    .compounds = 1,
                                                    .buildings = 1,
                                                    .units_per_building = 1,
                                                    .households_per_unit = 1,
                                                    .residents_per_household = 2,
                                                    .sites = 1,
                                                    .desks_per_site = 1,
                                                    .staff = 2}),
                        Fresh("import"), 7);
  const grpc::Status after = ImportChunks(small);
  EXPECT_TRUE(after.ok()) << after.error_message();
}

// The client cancels an import half-way: nothing is imported, the server
// answers the next call, and the same request id imports the whole stream.
TEST_F(BadInputImportTest, ClientCancellingMidImportImportsNothing) {
  const std::vector<v1::ImportCommunityRequest> chunks = Chunks("imp-cancelled");
  ASSERT_GT(chunks.size(), 4u);
  {
    auto context = Ctx();
    v1::ImportCommunityResponse response;
    auto writer = client_->planning().ImportCommunity(context.get(), &response);
    for (size_t i = 0; i < chunks.size() / 2; ++i) ASSERT_TRUE(writer->Write(chunks[i]));
    context->TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  ExpectNothingImportedAndRetryWorks("imp-cancelled");
}

// An import that never sends its last chunk: the client's deadline ends it,
// nothing is imported.
TEST_F(BadInputImportTest, ImportThatNeverEndsImportsNothing) {
  const std::vector<v1::ImportCommunityRequest> chunks = Chunks("imp-forever");
  {
    auto context = Ctx(absl::Seconds(2));  // room for the writes on a loaded machine
    v1::ImportCommunityResponse response;
    auto writer = client_->planning().ImportCommunity(context.get(), &response);
    for (size_t i = 0; i + 1 < chunks.size(); ++i) ASSERT_TRUE(writer->Write(chunks[i]));
    // Neither the last chunk nor WritesDone: the stream stays open.
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  ExpectNothingImportedAndRetryWorks("imp-forever");
}

// ------------------------------------------------------------- CheckInStream

v1::CheckInStreamRequest Message(const std::vector<v1::CheckInRequest>& check_ins) {
  v1::CheckInStreamRequest message;
  for (const v1::CheckInRequest& c : check_ins) *message.add_check_ins() = c;
  return message;
}

class BadInputStreamTest : public BadInputTest {
 protected:
  void SetUp() override {
    BadInputTest::SetUp();
    // Room for 40 swabs at desk 1.
    for (int t = 2; t <= 4; ++t) ASSERT_TRUE(OpenTube("r", kDesk1, absl::StrCat("TUBE-A", t)).ok());
  }

  // Residents 1..n, one check-in per message, request ids "k<n>".
  static std::vector<v1::CheckInStreamRequest> Messages(int n) {
    std::vector<v1::CheckInStreamRequest> messages;
    for (int i = 1; i <= n; ++i) {
      messages.push_back(
          Message({CheckInRequest("r", kDesk1, Code("tc", i), absl::StrCat("k", i))}));
    }
    return messages;
  }

  // Every check-in answered OK before the cut is kept: its retry on a new
  // stream is replayed with the same tube position, and nobody else was
  // sampled twice. Then the server samples the rest.
  void ExpectAnsweredKept(const std::vector<v1::CheckInOutcome>& answered) {
    std::vector<v1::CheckInRequest> retries;
    for (const v1::CheckInOutcome& o : answered) {
      ASSERT_EQ(o.status().code(), 0) << o.status().message();
      const int n = std::stoi(o.request_id().substr(1));
      retries.push_back(CheckInRequest("r", kDesk1, Code("tc", n), o.request_id()));
    }
    EXPECT_GE(Sampled(), static_cast<int64_t>(answered.size()));
    std::vector<v1::CheckInOutcome> replayed;
    ASSERT_TRUE(Stream({Message(retries)}, &replayed).ok());
    ASSERT_EQ(replayed.size(), answered.size());
    const auto by_id = ById(replayed);
    for (const v1::CheckInOutcome& o : answered) {
      const v1::CheckInOutcome& again = by_id.at(o.request_id());
      EXPECT_EQ(again.status().code(), 0) << again.status().message();
      EXPECT_TRUE(again.result().replayed()) << o.request_id();
      EXPECT_EQ(again.result().tube_barcode(), o.result().tube_barcode());
      EXPECT_EQ(again.result().position(), o.result().position());
    }
    // A later stream works, and whoever was cut off can check in (or is
    // told they were sampled already, if the server got to them).
    std::vector<v1::CheckInOutcome> later;
    ASSERT_TRUE(Stream(Messages(30), &later).ok());
    ASSERT_EQ(later.size(), 30u);
    for (const v1::CheckInOutcome& o : later) EXPECT_EQ(o.status().code(), 0) << o.request_id();
    EXPECT_EQ(Sampled(), 30);
    ExpectHealthy();
  }
};

TEST_F(BadInputStreamTest, ClientCancellingMidStreamKeepsWhatWasAnswered) {
  std::vector<v1::CheckInOutcome> answered;
  {
    auto context = Ctx();
    auto stream = client_->checkin().CheckInStream(context.get());
    const std::vector<v1::CheckInStreamRequest> messages = Messages(30);
    // Ten check-ins, each answered before the next is sent; then ten more
    // sent without waiting, and the call is cancelled.
    v1::CheckInStreamResponse response;
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(stream->Write(messages[i]));
      ASSERT_TRUE(stream->Read(&response));
      for (const v1::CheckInOutcome& o : response.outcomes()) answered.push_back(o);
    }
    for (int i = 10; i < 20; ++i) {
      if (!stream->Write(messages[i])) break;
    }
    context->TryCancel();
    while (stream->Read(&response)) {
      for (const v1::CheckInOutcome& o : response.outcomes()) answered.push_back(o);
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  ASSERT_GE(answered.size(), 10u);
  ExpectAnsweredKept(answered);
}

// ------------------------------------------- requests that do not parse

grpc::ByteBuffer Bytes(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// gRPC answered a unary request that does not parse UNIMPLEMENTED with an
// empty message ("method missing"); every unary method parses its own now.
TEST_F(BadInputTest, RequestThatDoesNotParseIsInvalidForEveryUnaryRpc) {
  const std::vector<std::pair<std::string, std::string>> rpcs = {
      {"PlanningService", "CreateRound"},
      {"PlanningService", "GetRound"},
      {"PlanningService", "ListRounds"},
      {"PlanningService", "PlanRound"},
      {"PlanningService", "GetPlan"},
      {"PlanningService", "ListAssignments"},
      {"PlanningService", "ListDoorToDoor"},
      {"PlanningService", "OpenRound"},
      {"PlanningService", "CloseRound"},
      {"PlanningService", "ReplanRound"},
      {"PlanningService", "ForecastRound"},
      {"PlanningService", "GetRoster"},
      {"PlanningService", "ListDoorToDoorRoutes"},
      {"CheckInService", "OpenTube"},
      {"CheckInService", "CheckIn"},
      {"CheckInService", "SealTube"},
      {"ProgressService", "GetProgress"},
      {"ProgressService", "ListUntested"},
  };
  // A field tag followed by a length that runs past the end of the message.
  const std::string garbage("\x0A\x7F\x01\x02", 4);
  for (const auto& [service, rpc] : rpcs) {
    auto context = Ctx();
    const std::string name = absl::StrCat("/swabwave.v1.", service, "/", rpc);
    const grpc::internal::RpcMethod method(name.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
    grpc::ByteBuffer response;
    const grpc::Status status =
        grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
            client_->channel().get(), method, context.get(), Bytes(garbage), &response);
    SCOPED_TRACE(rpc);
    ExpectStatus(
        status, kInvalid,
        absl::StrCat("the ", rpc, " request does not parse as a swabwave.v1.", rpc, "Request"));
  }
  ExpectHealthy();
}

// The streaming RPCs parse their own messages too.
TEST_F(BadInputTest, RequestThatDoesNotParseIsInvalidForWatchProgress) {
  auto context = Ctx();
  const grpc::internal::RpcMethod method("/swabwave.v1.ProgressService/WatchProgress",
                                         grpc::internal::RpcMethod::SERVER_STREAMING);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
          client_->channel().get(), method, context.get(),
          Bytes(std::string("\x0A\x7F\x01\x02", 4))));
  grpc::ByteBuffer update;
  EXPECT_FALSE(reader->Read(&update));
  ExpectStatus(reader->Finish(), kInvalid,
               "the WatchProgress request does not parse as a swabwave.v1.WatchProgressRequest");
  ExpectHealthy();
}

TEST_F(BadInputTest, ImportChunkThatDoesNotParseIsInvalidAndImportsNothing) {
  v1::ImportCommunityRequest first;
  first.set_request_id("imp-unparsed");
  first.mutable_community()->set_community_id("unparsed");
  auto context = Ctx();
  const grpc::internal::RpcMethod method("/swabwave.v1.PlanningService/ImportCommunity",
                                         grpc::internal::RpcMethod::CLIENT_STREAMING);
  grpc::ByteBuffer response;
  std::unique_ptr<grpc::ClientWriter<grpc::ByteBuffer>> writer(
      grpc::internal::ClientWriterFactory<grpc::ByteBuffer>::Create(
          client_->channel().get(), method, context.get(), &response));
  writer->Write(Bytes(first.SerializeAsString()));
  writer->Write(Bytes(std::string("\x0A\x7F\x01\x02", 4)));
  writer->WritesDone();
  ExpectStatus(writer->Finish(), kInvalid,
               "import chunk 1 (counting from 0) does not parse as an ImportCommunityRequest");
  ExpectHealthy();
}

// A check-in whose resident_code is not UTF-8 (a raw QR read) is refused by
// name, and nobody is sampled.
TEST_F(BadInputTest, CheckInWithInvalidUtf8IsInvalidNotUnimplemented) {
  std::string request = CheckInRequest("r", kDesk1, Code("tc", 9), "k9").SerializeAsString();
  request += std::string("\x22\x02\xC3\x28", 4);  // field 4 (resident_code), 2 bytes
  auto context = Ctx();
  const grpc::internal::RpcMethod method("/swabwave.v1.CheckInService/CheckIn",
                                         grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::ByteBuffer response;
  ExpectStatus(grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
                   client_->channel().get(), method, context.get(), Bytes(request), &response),
               kInvalid, "the CheckIn request does not parse as a swabwave.v1.CheckInRequest");
  EXPECT_EQ(Sampled(), 0);
  ExpectHealthy();
}

// Raw bytes of a CheckInStreamRequest carrying one check-in whose
// resident_code is not UTF-8 (what a raw QR read can produce): the
// protobuf library refuses to serialize that, so the field is appended by
// hand (the last occurrence of a field wins when parsing).
std::string MessageWithInvalidUtf8(const v1::CheckInRequest& check_in) {
  std::string request = check_in.SerializeAsString();
  request += std::string("\x22\x02\xC3\x28", 4);  // field 4 (resident_code), 2 bytes
  std::string message = "\x0A";                   // field 1 (check_ins)
  message += static_cast<char>(request.size());   // one-byte length: under 128
  return message + request;
}

// gRPC reports a message that does not parse like the client's half-close;
// the stream used to end OK with the check-ins after it never answered.
TEST_F(BadInputStreamTest, MessageThatDoesNotParseFailsTheStreamNamingIt) {
  const std::vector<v1::CheckInStreamRequest> messages = Messages(3);
  const std::string bad = MessageWithInvalidUtf8(CheckInRequest("r", kDesk1, Code("tc", 9), "k9"));
  ASSERT_LT(bad.size(), 130u);
  auto context = Ctx();
  const grpc::internal::RpcMethod method("/swabwave.v1.CheckInService/CheckInStream",
                                         grpc::internal::RpcMethod::BIDI_STREAMING);
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          client_->channel().get(), method, context.get()));
  ASSERT_TRUE(stream->Write(Bytes(messages[0].SerializeAsString())));
  ASSERT_TRUE(stream->Write(Bytes(bad)));
  stream->Write(Bytes(messages[2].SerializeAsString()));  // may fail: the server stopped reading
  stream->WritesDone();
  std::vector<v1::CheckInOutcome> answered;
  grpc::ByteBuffer raw;
  while (stream->Read(&raw)) {
    v1::CheckInStreamResponse response;
    ASSERT_TRUE(
        grpc::SerializationTraits<v1::CheckInStreamResponse>::Deserialize(&raw, &response).ok());
    for (const v1::CheckInOutcome& o : response.outcomes()) answered.push_back(o);
  }
  ExpectStatus(stream->Finish(), kInvalid,
               "stream message 2 (counting from 1) does not parse as a CheckInStreamRequest");
  // The message before it was answered and kept; the one after was not read.
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0].request_id(), "k1");
  EXPECT_EQ(answered[0].status().code(), 0) << answered[0].status().message();
  EXPECT_EQ(Sampled(), 1);
  ExpectHealthy();
}

// The tablet goes away without a word: its channel is destroyed mid-stream.
TEST_F(BadInputStreamTest, ClientVanishingMidStreamKeepsWhatWasAnswered) {
  std::vector<v1::CheckInOutcome> answered;
  {
    Client tablet(absl::StrCat("127.0.0.1:", server_->port()));
    auto context = Ctx();
    auto stream = tablet.checkin().CheckInStream(context.get());
    const std::vector<v1::CheckInStreamRequest> messages = Messages(30);
    v1::CheckInStreamResponse response;
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(stream->Write(messages[i]));
      ASSERT_TRUE(stream->Read(&response));
      for (const v1::CheckInOutcome& o : response.outcomes()) answered.push_back(o);
    }
    for (int i = 10; i < 20; ++i) ASSERT_TRUE(stream->Write(messages[i]));
    // No WritesDone, no Finish: the stream, context and channel just go.
  }
  ASSERT_EQ(answered.size(), 10u);
  ExpectAnsweredKept(answered);
}

// A stream that never ends (no WritesDone): answers still come as the
// check-ins arrive, the client's deadline ends the call, and what was
// answered is kept.
TEST_F(BadInputStreamTest, StreamThatNeverEndsKeepsWhatWasAnswered) {
  std::vector<v1::CheckInOutcome> answered;
  {
    auto context = Ctx(absl::Seconds(1));
    auto stream = client_->checkin().CheckInStream(context.get());
    const std::vector<v1::CheckInStreamRequest> messages = Messages(5);
    v1::CheckInStreamResponse response;
    for (const v1::CheckInStreamRequest& m : messages) {
      ASSERT_TRUE(stream->Write(m));
      ASSERT_TRUE(stream->Read(&response));
      for (const v1::CheckInOutcome& o : response.outcomes()) answered.push_back(o);
    }
    while (stream->Read(&response)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  ASSERT_EQ(answered.size(), 5u);
  ExpectAnsweredKept(answered);
}

TEST_F(BadInputStreamTest, EmptyMessageIsAnsweredWithNothing) {
  std::vector<v1::CheckInOutcome> outcomes;
  const grpc::Status status =
      Stream({v1::CheckInStreamRequest(), Messages(1)[0], v1::CheckInStreamRequest()}, &outcomes);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].request_id(), "k1");
  EXPECT_EQ(outcomes[0].status().code(), 0) << outcomes[0].status().message();
  EXPECT_EQ(Sampled(), 1);
}

// The same request id twice in one message (a tablet's retry queued behind
// the original): one swab, the second answer is the first one replayed.
TEST_F(BadInputStreamTest, SameCheckInTwiceInOneMessageIsSampledOnce) {
  const v1::CheckInRequest check_in = CheckInRequest("r", kDesk1, Code("tc", 1), "twice");
  std::vector<v1::CheckInOutcome> outcomes;
  ASSERT_TRUE(Stream({Message({check_in, check_in})}, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].status().code(), 0) << outcomes[0].status().message();
  EXPECT_EQ(outcomes[1].status().code(), 0) << outcomes[1].status().message();
  EXPECT_FALSE(outcomes[0].result().replayed());
  EXPECT_TRUE(outcomes[1].result().replayed());
  EXPECT_EQ(outcomes[1].result().position(), outcomes[0].result().position());
  EXPECT_EQ(Sampled(), 1);
}

// A check-in's request id names one attempt (checkin.proto). Sent again
// for another resident it is refused, naming the resident it sampled, and
// nothing is recorded: the tablet sends that check-in again with a new id.
// Sent again for the same resident, at any desk, it is a retry: the
// original answer.
TEST_F(BadInputStreamTest, CheckInRequestIdReusedForAnotherResidentIsRefused) {
  v1::CheckInResponse first, other, retry, renewed;
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 1), &first, "same-id").ok());
  ASSERT_TRUE(OpenTube("r", Desk("tc-s0", 2), "TUBE-B1").ok());
  const grpc::Status reused = CheckIn("r", kDesk1, Code("tc", 2), &other, "same-id");
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(reused.error_message(),
            absl::StrCat("request_id was already used for the check-in of resident ",
                         first.resident_id(),
                         " in round r; a request_id names one attempt: send this check-in with a "
                         "new one (nothing was recorded)"));
  EXPECT_EQ(Sampled(), 1);
  ASSERT_TRUE(CheckIn("r", Desk("tc-s0", 2), Code("tc", 1), &retry, "same-id").ok());
  EXPECT_TRUE(retry.replayed());
  EXPECT_EQ(retry.tube_barcode(), first.tube_barcode());
  EXPECT_EQ(retry.position(), first.position());
  // With a new id the second resident is sampled, into the next position.
  ASSERT_TRUE(CheckIn("r", kDesk1, Code("tc", 2), &renewed, "new-id").ok());
  EXPECT_EQ(renewed.position(), first.position() + 1);
  EXPECT_EQ(Sampled(), 2);
}

// The same on the stream, within one message: the reused id's outcome is
// INVALID_ARGUMENT and the others are answered as usual.
TEST_F(BadInputStreamTest, StreamRequestIdReusedForAnotherResidentIsRefused) {
  std::vector<v1::CheckInOutcome> outcomes;
  ASSERT_TRUE(Stream({Message({CheckInRequest("r", kDesk1, Code("tc", 1), "dup"),
                               CheckInRequest("r", kDesk1, Code("tc", 2), "dup"),
                               CheckInRequest("r", kDesk1, Code("tc", 3), "own")})},
                     &outcomes)
                  .ok());
  ASSERT_EQ(outcomes.size(), 3u);
  int refused = 0;
  for (const v1::CheckInOutcome& outcome : outcomes) {
    if (outcome.status().code() == grpc::StatusCode::INVALID_ARGUMENT) {
      ++refused;
      EXPECT_EQ(outcome.request_id(), "dup");
      EXPECT_NE(outcome.status().message().find("was already used for the check-in of resident"),
                std::string::npos)
          << outcome.status().message();
    } else {
      EXPECT_EQ(outcome.status().code(), 0) << outcome.status().message();
    }
  }
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(Sampled(), 2);
}

// --------------------------------------------------- the document agrees

// Test names in the last column of docs/bad-input.md's tables, in order.
std::vector<std::string> DocumentedTests(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view row = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&row, "|") || !absl::ConsumeSuffix(&row, "|")) continue;
    const std::vector<std::string> cells = absl::StrSplit(row, '|');
    const std::string last(absl::StripAsciiWhitespace(cells.back()));
    if (last.empty() || absl::StartsWith(last, "---") || last == "test") continue;
    for (absl::string_view name : absl::StrSplit(last, absl::ByAnyChar(", "), absl::SkipEmpty())) {
      absl::ConsumePrefix(&name, "`");
      absl::ConsumeSuffix(&name, "`");
      if (!name.empty()) names.emplace_back(name);
    }
  }
  return names;
}

TEST(BadInputDocTest, EveryTestTheDocumentNamesIsInThisBinaryAndViceVersa) {
  const std::vector<std::string> documented =
      DocumentedTests(absl::StrCat(SWABWAVE_SOURCE_DIR, "/docs/bad-input.md"));
  ASSERT_GT(documented.size(), 100u) << "docs/bad-input.md lists too few tests";
  std::set<std::string> in_binary;
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  for (int s = 0; s < unit.total_test_suite_count(); ++s) {
    const ::testing::TestSuite& suite = *unit.GetTestSuite(s);
    for (int t = 0; t < suite.total_test_count(); ++t) {
      in_binary.insert(absl::StrCat(suite.name(), ".", suite.GetTestInfo(t)->name()));
    }
  }
  const std::set<std::string> named(documented.begin(), documented.end());
  for (const std::string& name : named) {
    EXPECT_TRUE(in_binary.contains(name))
        << "docs/bad-input.md names " << name << ", which is not a test of services_test";
  }
  // Every test of this file is a row of the document.
  for (const std::string& name : in_binary) {
    const bool ours =
        absl::StartsWith(name, "BadInput") && !absl::StartsWith(name, "BadInputDocTest.");
    if (ours) {
      EXPECT_TRUE(named.contains(name)) << name << " is missing from docs/bad-input.md";
    }
  }
}

}  // namespace
}  // namespace swabwave::services
