// The client tools' shared flags as absl flags, for swabwave-replay (the
// CLI declares the same flags per command with CLI11).
#include "services/swabwave/client_absl_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", swabwave::services::kServerHelp);
ABSL_FLAG(std::string, token, "", swabwave::services::kTokenHelp);
ABSL_FLAG(std::string, site_tokens, "", swabwave::services::kSiteTokensHelp);
ABSL_FLAG(std::string, team_tokens, "", swabwave::services::kTeamTokensHelp);
ABSL_FLAG(std::string, tls_ca, "", swabwave::services::kTlsCaHelp);
ABSL_FLAG(std::string, tls_cert, "", swabwave::services::kTlsCertHelp);
ABSL_FLAG(std::string, tls_key, "", swabwave::services::kTlsKeyHelp);
ABSL_FLAG(std::string, tls_server_name, "", swabwave::services::kTlsServerNameHelp);
ABSL_FLAG(bool, insecure, false, swabwave::services::kInsecureHelp);

namespace swabwave::services {

absl::StatusOr<ClientOptions> ClientOptionsFromFlags() {
  return ClientOptionsFrom(ClientFlags{
      .server = absl::GetFlag(FLAGS_server),
      .token = absl::GetFlag(FLAGS_token),
      .site_tokens = absl::GetFlag(FLAGS_site_tokens),
      .team_tokens = absl::GetFlag(FLAGS_team_tokens),
      .tls_ca = absl::GetFlag(FLAGS_tls_ca),
      .tls_cert = absl::GetFlag(FLAGS_tls_cert),
      .tls_key = absl::GetFlag(FLAGS_tls_key),
      .tls_server_name = absl::GetFlag(FLAGS_tls_server_name),
      .insecure = absl::GetFlag(FLAGS_insecure),
  });
}

}  // namespace swabwave::services
