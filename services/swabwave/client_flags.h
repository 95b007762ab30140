// The flags every swabwave client tool shares (the CLI, swabwave-replay):
// where the server is, the bearer token, TLS; and the ClientOptions they
// make. The flags' names and help are defined once here so the tools spell
// them the same way (client_absl_flags.h declares them as absl flags).
//
// Thread-safety: pure functions (ClientOptionsFrom reads the token files).
#ifndef SWABWAVE_SERVICES_SWABWAVE_CLIENT_FLAGS_H_
#define SWABWAVE_SERVICES_SWABWAVE_CLIENT_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "services/swabwave/client.h"

namespace swabwave::services {

// What the client tools' flags say, before it is checked and files read.
struct ClientFlags {
  std::string server = "127.0.0.1:50051";
  std::string token;  // empty: $SWABWAVE_TOKEN
  std::string site_tokens;
  std::string team_tokens;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;
  bool insecure = false;
};

// Each flag's help, so the CLI (CLI11) and swabwave-replay (absl flags)
// describe them alike.
inline constexpr char kServerHelp[] = "swabwaved's gRPC address";
inline constexpr char kTokenHelp[] =
    "bearer token for every call (default: $SWABWAVE_TOKEN); prefer the environment, command "
    "lines are visible to other users";
inline constexpr char kSiteTokensHelp[] =
    "file of \"<site id> <tablet token>\" lines: calls at a site's desks use its token";
inline constexpr char kTeamTokensHelp[] =
    "file of \"<community id>/<team number> <team token>\" lines: calls at a door-to-door "
    "team's desk use its token";
inline constexpr char kTlsCaHelp[] = "PEM CA that signed the server's certificate: use TLS";
inline constexpr char kTlsCertHelp[] = "PEM client certificate, for servers that require one";
inline constexpr char kTlsKeyHelp[] = "PEM private key of --tls_cert";
inline constexpr char kTlsServerNameHelp[] =
    "name the server's certificate must carry, if not the host in --server";
inline constexpr char kInsecureHelp[] =
    "send tokens without TLS to a server off loopback (its traffic, tokens included, crosses "
    "the network in clear); without it such a call is refused";

// ClientOptions from `flags` (and $SWABWAVE_TOKEN). INVALID_ARGUMENT for a
// --site_tokens file that does not read as "<site id> <token>" lines, or
// TLS files that do not go together; FAILED_PRECONDITION for a token that
// would cross the network in clear.
[[nodiscard]] absl::StatusOr<ClientOptions> ClientOptionsFrom(const ClientFlags& flags);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_SWABWAVE_CLIENT_FLAGS_H_
