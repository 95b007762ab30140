// The fixture every service test uses: a real SwabwaveServer started
// in-process on a loopback port the OS picks (gRPC and the HTTP side port),
// a Client for it, a small hand-built community whose ids and resident
// codes the tests know exactly, and helpers that drive the real RPCs.
//
// Every call the helpers make carries a deadline, so no test can hang on the
// server; a stuck server fails the test with DEADLINE_EXCEEDED instead.
//
// Example:
//   using CheckInTest = testing::ServerTest;
//   TEST_F(CheckInTest, Samples) {
//     OpenRound(testing::CommunitySpec{}, "r");
//     ASSERT_TRUE(OpenTube("r", testing::Desk("tc-s0", 1), "TUBE-1").ok());
//     v1::CheckInResponse response;
//     ASSERT_TRUE(CheckIn("r", testing::Desk("tc-s0", 1), testing::Code("tc", 1), &response).ok());
//   }
//
// Thread-safety: the helpers may be called from several threads at once
// (the client's stubs are thread-safe); SetUp and TearDown are gtest's.
#ifndef SWABWAVE_TESTS_SERVICES_TEST_SERVER_H_
#define SWABWAVE_TESTS_SERVICES_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/model/community.h"
#include "services/api/server.h"
#include "services/swabwave/client.h"
#include "swabwave/v1/checkin.pb.h"
#include "swabwave/v1/planning.pb.h"
#include "swabwave/v1/progress.pb.h"

namespace swabwave::services::testing {

// Test rounds start half an hour before the test binary started, on a whole
// minute: check-ins stamped with the server's clock fall inside them, and a
// scan time "more than 1 h before the start" is still in the past.
inline const absl::Time kRoundStart =
    absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) / 60 * 60) - absl::Minutes(30);

// The deadline of every unary call and stream the helpers make.
inline constexpr absl::Duration kCallTimeout = absl::Seconds(20);

// A hand-shaped community; every count is a parameter. Ids:
//   compounds   c0, c1, ...         (building b goes to compound b % compounds)
//   buildings   b0, b1, ...         at (100 m × b, 0)
//   units       b0-u0, b0-u1, ...
//   households  b0-u0-h0, ...
//   residents   coded "<id>-R<n>", n = 1, 2, ... in building, unit,
//               household order (round-wide dense id = n - 1 for the first
//               community of a round)
//   sites       <id>-s0, <id>-s1, ...  at (150 m × s, 50 m), open all day
//   staff       <id>-st0, ...
struct CommunitySpec {
  std::string id = "tc";
  int compounds = 2;
  int buildings = 4;
  int units_per_building = 2;
  int households_per_unit = 2;
  int residents_per_household = 3;
  int sites = 2;
  int desks_per_site = 2;
  int staff = 4;
  // Every n-th resident (by n in the code) is mobility-limited / exempt;
  // 0: none. Exemption wins when both apply.
  int mobility_limited_every = 0;
  int exempt_every = 0;

  int residents() const {
    return buildings * units_per_building * households_per_unit * residents_per_household;
  }
};

// Builds the community; a spec the builder rejects fails the test (it is
// the test's own input) and yields an empty community.
engine::Community MakeCommunity(const CommunitySpec& spec);

// "<community>-R<n>": the code of the community's n-th resident (1-based).
std::string Code(const std::string& community, int n);
// "sites/<site>/desks/<n>".
std::string Desk(const std::string& site, int n);

// The ExistingCheckIn packed into an ALREADY_EXISTS status's
// error_details() (a swabwave.v1.ErrorStatus); nullopt when it is missing
// or does not parse.
std::optional<v1::ExistingCheckIn> ExistingCheckInOf(const grpc::Status& status);

// Outcomes keyed by request id (a repeated id keeps its last outcome).
std::map<std::string, v1::CheckInOutcome> ById(const std::vector<v1::CheckInOutcome>& outcomes);

// An HTTP reply as read off the socket.
struct HttpReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// One HTTP/1.1 request on loopback with Connection: close (and an
// Authorization header when given); every socket operation times out
// after 10 s. A status of 0: no answer.
HttpReply HttpRequest(int port, const std::string& method, const std::string& path,
                      const std::string& authorization = "");
HttpReply HttpGet(int port, const std::string& path, const std::string& authorization = "");

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts server_ and client_ with `options` (SetUp: loopback ports the OS
  // picks, no data directory).
  void StartServer(const ServerOptions& options);
  // Stops the server gracefully and starts it again with the same options
  // (on new ports); a journaled server recovers its state.
  void RestartServer();

  static std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = kCallTimeout);

  // ImportCommunity with the chunks exactly as given (possibly malformed).
  grpc::Status ImportChunks(const std::vector<v1::ImportCommunityRequest>& chunks,
                            v1::ImportCommunityResponse* response = nullptr);
  // The community as chunks of at most `entities_per_chunk` entities.
  grpc::Status Import(const engine::Community& community,
                      v1::ImportCommunityResponse* response = nullptr,
                      size_t entities_per_chunk = 7);

  // A valid CreateRoundRequest with a fresh request id.
  static v1::CreateRoundRequest RoundRequest(const std::string& round_id,
                                             const std::vector<std::string>& community_ids,
                                             int pool_ratio = 10);
  grpc::Status CreateRound(const v1::CreateRoundRequest& request,
                           v1::CreateRoundResponse* response = nullptr);
  grpc::Status CreateRound(const std::string& round_id, const std::string& community,
                           int pool_ratio = 10, v1::CreateRoundResponse* response = nullptr);
  // Empty request ids are replaced by fresh ones.
  grpc::Status Plan(const std::string& round_id, v1::PlanRoundResponse* response = nullptr,
                    const std::string& request_id = "");
  grpc::Status Open(const std::string& round_id, const std::string& request_id = "");
  grpc::Status Close(const std::string& round_id, const std::string& request_id = "",
                     v1::CloseRoundResponse* response = nullptr);
  grpc::Status GetRound(const std::string& name, v1::GetRoundResponse* response = nullptr);

  grpc::Status OpenTube(const std::string& round_id, const std::string& desk,
                        const std::string& barcode, v1::OpenTubeResponse* response = nullptr,
                        const std::string& request_id = "");
  grpc::Status SealTube(const std::string& round_id, const std::string& desk,
                        const std::string& barcode, v1::SealTubeResponse* response = nullptr,
                        const std::string& request_id = "");

  // A CheckInRequest; an empty request id is replaced by a fresh one.
  static v1::CheckInRequest CheckInRequest(const std::string& round_id, const std::string& desk,
                                           const std::string& code,
                                           const std::string& request_id = "");
  grpc::Status CheckIn(const v1::CheckInRequest& request, v1::CheckInResponse* response = nullptr);
  grpc::Status CheckIn(const std::string& round_id, const std::string& desk,
                       const std::string& code, v1::CheckInResponse* response = nullptr,
                       const std::string& request_id = "");

  // One CheckInStream: writes `messages` (from a second thread, so a server
  // that answers while it reads is never blocked by this client), appends
  // every outcome to `outcomes` in the order they came, and returns the
  // stream's final status.
  grpc::Status Stream(const std::vector<v1::CheckInStreamRequest>& messages,
                      std::vector<v1::CheckInOutcome>* outcomes);

  // GetProgress for the whole level (one page of up to 5000 rows); fails the
  // test on an error.
  v1::GetProgressResponse Progress(const std::string& round_id, v1::ProgressLevel level);

  // Imports the community, creates round `round_id` over it, plans and
  // opens it. Fails the test (fatally, check with ASSERT_NO_FATAL_FAILURE)
  // on any error.
  void OpenRound(const CommunitySpec& spec, const std::string& round_id, int pool_ratio = 10);

  ServerOptions options_;
  // The bearer token client_ sends (set before StartServer); empty: none.
  std::string token_;
  std::unique_ptr<SwabwaveServer> server_;
  std::unique_ptr<Client> client_;
};

// A server journaling into a data directory of its own (removed after the
// test), for tests that restart it and check what came back.
class JournaledServerTest : public ServerTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string dir_;
};

}  // namespace swabwave::services::testing

#endif  // SWABWAVE_TESTS_SERVICES_TEST_SERVER_H_
