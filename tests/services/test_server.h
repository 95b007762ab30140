// A real swabwave server on a loopback port the OS picks, a client for it,
// and helpers to set up a small round over the hand-shaped test community
// (tests/engine/test_community.h), so every test talks gRPC for real.
#ifndef SWABWAVE_TESTS_SERVICES_TEST_SERVER_H_
#define SWABWAVE_TESTS_SERVICES_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "services/api/server.h"
#include "services/swabwave/client.h"
#include "tests/engine/test_community.h"

namespace swabwave::services::testing {

// Test rounds start half an hour before the test runs (on a whole minute),
// so check-ins stamped with the server's clock fall inside them; the test
// communities' sites are open all day.
inline const absl::Time kRoundStart =
    absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) / 60 * 60) - absl::Minutes(30);

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Every call gets a deadline: no test can hang on the server.
  static std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(20));

  grpc::Status Import(const engine::Community& community, v1::ImportCommunityResponse* response);
  grpc::Status CreateRound(const std::string& round_id, const std::string& community,
                           int pool_ratio = 10, v1::CreateRoundResponse* response = nullptr);
  grpc::Status Plan(const std::string& round_id, v1::PlanRoundResponse* response = nullptr);
  grpc::Status Open(const std::string& round_id);
  grpc::Status Close(const std::string& round_id, const std::string& request_id = "");
  grpc::Status OpenTube(const std::string& round_id, const std::string& desk,
                        const std::string& barcode, v1::OpenTubeResponse* response = nullptr);
  grpc::Status CheckIn(const std::string& round_id, const std::string& desk,
                       const std::string& code, v1::CheckInResponse* response = nullptr,
                       const std::string& request_id = "");

  // Imports the shape, creates, plans and opens round `round_id` over it.
  void OpenRound(const engine::testing::Shape& shape, const std::string& round_id,
                 int pool_ratio = 10);

  std::unique_ptr<SwabwaveServer> server_;
  std::unique_ptr<Client> client_;
};

}  // namespace swabwave::services::testing

#endif  // SWABWAVE_TESTS_SERVICES_TEST_SERVER_H_
