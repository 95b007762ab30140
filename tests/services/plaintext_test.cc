// No silent plaintext (issue 25 item 6): the server refuses to listen in
// plaintext off loopback, and the client tools refuse to send a token in
// clear to a server off loopback, unless told --insecure. Nothing here
// binds an address off loopback: the refusals come before any bind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "services/api/server.h"
#include "services/net/loopback.h"
#include "services/swabwave/client_absl_flags.h"

ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(std::string, token);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(bool, insecure);

namespace swabwave::services {
namespace {

using ::testing::HasSubstr;

TEST(LoopbackTest, KnowsWhichAddressesStayOnTheHost) {
  for (const char* address :
       {"127.0.0.1:50051", "127.8.9.10:1", "[::1]:50051", "localhost:9090", "LOCALHOST:1",
        "dns:///localhost:50051", "ipv4:127.0.0.1:5", "ipv6:[::1]:5", "unix:/run/swabwave.sock",
        "::1"}) {
    EXPECT_TRUE(net::IsLoopbackAddress(address)) << address;
  }
  for (const char* address :
       {"0.0.0.0:50051", "[::]:50051", ":50051", "10.0.0.5:50051", "192.0.2.7:1",
        "[2001:db8::1]:50051", "myhost:50051", "localhost.example.com:1", "128.0.0.1:1",
        "dns:///swabwave.example.org:443", "[::1:50051", "::ffff:127.0.0.1"}) {
    EXPECT_FALSE(net::IsLoopbackAddress(address)) << address;
  }
}

ServerOptions OffLoopback() {
  return ServerOptions{.listen = "0.0.0.0:0", .http_listen = "127.0.0.1:0"};
}

TEST(PlaintextTest, AServerOffLoopbackWithoutTlsRefusesToStart) {
  const absl::StatusOr<std::unique_ptr<SwabwaveServer>> server = SwabwaveServer::Start(OffLoopback());
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(server.status().message(), HasSubstr("gRPC on 0.0.0.0:0"));
  EXPECT_THAT(server.status().message(), HasSubstr("--insecure"));
  EXPECT_THAT(server.status().message(), HasSubstr("--tls_cert"));
}

TEST(PlaintextTest, TheHttpPortHasTheSameRule) {
  ServerOptions options{.listen = "127.0.0.1:0", .http_listen = "[::]:9090"};
  const absl::Status refused = CheckPlaintext(options);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("HTTP on [::]:9090"));
  EXPECT_THAT(refused.message(), ::testing::Not(HasSubstr("gRPC on")));
  // TLS on gRPC does not cover the HTTP port, which has none.
  options.tls_cert_file = "server.pem";
  options.tls_key_file = "server.key";
  EXPECT_EQ(CheckPlaintext(options).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(PlaintextTest, LoopbackTlsOrInsecureAreAllowed) {
  EXPECT_TRUE(CheckPlaintext(ServerOptions{.listen = "127.0.0.1:0", .http_listen = "[::1]:0"})
                  .ok());
  EXPECT_TRUE(CheckPlaintext(ServerOptions{.listen = "localhost:0", .http_listen = ""}).ok());
  ServerOptions tls = OffLoopback();
  tls.tls_cert_file = "server.pem";
  tls.tls_key_file = "server.key";
  EXPECT_TRUE(CheckPlaintext(tls).ok());
  ServerOptions insecure = OffLoopback();
  insecure.http_listen = "0.0.0.0:9090";
  insecure.insecure = true;
  EXPECT_TRUE(CheckPlaintext(insecure).ok());
}

// Sets the client flags for one case and puts them back after it.
class ClientFlagsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    absl::SetFlag(&FLAGS_server, "127.0.0.1:50051");
    absl::SetFlag(&FLAGS_token, "");
    absl::SetFlag(&FLAGS_tls_ca, "");
    absl::SetFlag(&FLAGS_insecure, false);
  }
};

TEST_F(ClientFlagsTest, ATokenIsNotSentInClearOffLoopback) {
  absl::SetFlag(&FLAGS_server, "192.0.2.7:50051");
  absl::SetFlag(&FLAGS_token, "swbw_secret");
  const absl::StatusOr<ClientOptions> refused = ClientOptionsFromFlags();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("192.0.2.7:50051"));
  EXPECT_THAT(refused.status().message(), HasSubstr("--tls_ca"));
  EXPECT_THAT(refused.status().message(), ::testing::Not(HasSubstr("swbw_secret")));

  absl::SetFlag(&FLAGS_tls_ca, "ca.pem");  // TLS: allowed (the file is read on connect)
  EXPECT_TRUE(ClientOptionsFromFlags().ok());
  absl::SetFlag(&FLAGS_tls_ca, "");
  absl::SetFlag(&FLAGS_insecure, true);  // said out loud: allowed
  EXPECT_TRUE(ClientOptionsFromFlags().ok());
}

TEST_F(ClientFlagsTest, LoopbackOrNoTokenNeedsNoTls) {
  absl::SetFlag(&FLAGS_server, "localhost:50051");
  absl::SetFlag(&FLAGS_token, "swbw_secret");
  EXPECT_TRUE(ClientOptionsFromFlags().ok());
  absl::SetFlag(&FLAGS_server, "192.0.2.7:50051");
  absl::SetFlag(&FLAGS_token, "");
  EXPECT_TRUE(ClientOptionsFromFlags().ok());  // nothing secret to send
}

}  // namespace
}  // namespace swabwave::services
