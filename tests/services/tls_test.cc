// TLS and mutual TLS (issue 6): a server given a certificate serves only
// TLS; a client needs the CA that signed it; with a client CA the server
// also needs the client's certificate. The certificates are made fresh by
// the openssl command line for each run (a short-lived test CA).
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "services/api/server.h"
#include "services/api/tokens.h"
#include "services/swabwave/client.h"

namespace swabwave::services {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string((std::filesystem::temp_directory_path() /
                            absl::StrCat("swabwave-tls-", getpid()))
                               .string());
    std::filesystem::create_directories(*dir_);
    const std::string d = *dir_;
    std::ofstream(d + "/server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    const std::string script = absl::StrCat(
        "set -e; cd ", d, "; exec > openssl.log 2>&1;",
        // A CA, and a second one the server does not use.
        "openssl req -x509 ", key, " -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca;",
        "openssl req -x509 ", key, " -keyout other.key -out other.pem -days 2 -subj /CN=other;",
        // The server's and a client's certificates, signed by the CA.
        "openssl req ", key, " -keyout server.key -out server.csr -subj /CN=localhost;",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial ",
        "-out server.pem -days 2 -extfile server.ext;",
        "openssl req ", key, " -keyout client.key -out client.csr -subj /CN=tablet;",
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial ",
        "-out client.pem -days 2;");
    made_ = std::system(script.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override { ASSERT_TRUE(made_) << "openssl failed; see " << *dir_ << "/openssl.log"; }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
  }

  static std::string File(const std::string& name) { return *dir_ + "/" + name; }

  void Start(bool require_client_certificate, const std::string& tokens_file = "",
             int max_message_bytes = 64 << 20) {
    ServerOptions options{.listen = "127.0.0.1:0", .http_listen = "", .tokens_file = tokens_file};
    options.max_message_bytes = max_message_bytes;
    options.tls_cert_file = File("server.pem");
    options.tls_key_file = File("server.key");
    if (require_client_certificate) options.tls_client_ca_file = File("ca.pem");
    absl::StatusOr<std::unique_ptr<SwabwaveServer>> server = SwabwaveServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // ListRounds through a client with `options` (address filled in).
  grpc::Status Call(ClientOptions options) {
    options.address = absl::StrCat("127.0.0.1:", server_->port());
    Client client(options);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::ListRoundsResponse response;
    return client.planning().ListRounds(&context, {}, &response);
  }

  static inline std::string* dir_ = nullptr;
  static inline bool made_ = false;
  std::unique_ptr<SwabwaveServer> server_;
};

TEST_F(TlsTest, ServesTlsToClientsThatTrustItsCa) {
  ASSERT_NO_FATAL_FAILURE(Start(false));
  EXPECT_TRUE(Call({.tls_ca_file = File("ca.pem")}).ok());
  EXPECT_TRUE(Call({.tls_ca_file = File("ca.pem"), .tls_server_name = "localhost"}).ok());
}

TEST_F(TlsTest, RefusesPlaintextAndUntrustedClients) {
  ASSERT_NO_FATAL_FAILURE(Start(false));
  EXPECT_EQ(Call({}).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call({.tls_ca_file = File("other.pem")}).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A CA file that cannot be read gives no connection, never a plaintext one.
  EXPECT_EQ(Call({.tls_ca_file = File("missing.pem")}).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsNeedsTheClientsCertificate) {
  ASSERT_NO_FATAL_FAILURE(Start(true));
  EXPECT_EQ(Call({.tls_ca_file = File("ca.pem")}).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Call({.tls_ca_file = File("ca.pem"),
                    .tls_cert_file = File("client.pem"),
                    .tls_key_file = File("client.key")})
                  .ok());
  // A certificate from another CA is refused.
  EXPECT_EQ(Call({.tls_ca_file = File("ca.pem"),
                  .tls_cert_file = File("other.pem"),
                  .tls_key_file = File("other.key")})
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// Issue 25 item 7: on TLS a call without a valid token is refused from its
// initial metadata, before gRPC reads its message. A 2 MiB request is past
// this server's 1 MiB limit: read first, it would be RESOURCE_EXHAUSTED;
// refused first, it is UNAUTHENTICATED. Health checks stay open.
TEST_F(TlsTest, ACallWithoutAValidTokenIsRefusedBeforeItsMessageIsRead) {
  const std::string tokens = File("tokens");
  absl::StatusOr<std::string> token = NewToken();
  ASSERT_TRUE(token.ok());
  std::ofstream(tokens) << Sha256Hex(*token) << " command communities=*\n";
  ASSERT_NO_FATAL_FAILURE(Start(false, tokens, 1 << 20));

  const auto get_round = [&](const std::string& with_token, size_t bytes) {
    Client client(ClientOptions{.address = absl::StrCat("127.0.0.1:", server_->port()),
                                .token = with_token,
                                .tls_ca_file = File("ca.pem")});
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    v1::GetRoundRequest request;
    request.set_round(std::string(bytes, 'r'));
    v1::GetRoundResponse response;
    return client.planning().GetRound(&context, request, &response);
  };
  constexpr size_t kPastTheLimit = size_t{2} << 20;
  for (const std::string& bad : {std::string(), std::string("swbw_unknown")}) {
    const grpc::Status small = get_round(bad, 10);
    EXPECT_EQ(small.error_code(), grpc::StatusCode::UNAUTHENTICATED) << small.error_message();
    const grpc::Status large = get_round(bad, kPastTheLimit);
    EXPECT_EQ(large.error_code(), grpc::StatusCode::UNAUTHENTICATED) << large.error_message();
  }
  // With the token the same request is read, and refused for its size.
  EXPECT_EQ(get_round(*token, kPastTheLimit).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(get_round(*token, 10).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Health checks need no token.
  Client anonymous(ClientOptions{.address = absl::StrCat("127.0.0.1:", server_->port()),
                                 .tls_ca_file = File("ca.pem")});
  grpc::GenericStub health(anonymous.channel());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::Slice nothing("", 0);
  grpc::ByteBuffer empty(&nothing, 1), reply;  // an empty HealthCheckRequest: the whole server
  grpc::Status checked;
  absl::Notification done;
  health.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &empty, &reply,
                   [&](grpc::Status status) {
                     checked = std::move(status);
                     done.Notify();
                   });
  done.WaitForNotification();
  EXPECT_TRUE(checked.ok()) << checked.error_message();
}

TEST_F(TlsTest, BadServerConfigurationIsAClearError) {
  ServerOptions options{.listen = "127.0.0.1:0", .http_listen = ""};
  options.tls_cert_file = File("server.pem");
  absl::StatusOr<std::unique_ptr<SwabwaveServer>> server = SwabwaveServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("--tls_key"), std::string::npos);

  options.tls_key_file = File("missing.key");
  server = SwabwaveServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(server.status().message().find("missing.key"), std::string::npos);

  options = ServerOptions{.listen = "127.0.0.1:0", .http_listen = ""};
  options.tls_client_ca_file = File("ca.pem");
  server = SwabwaveServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace swabwave::services
