// The client tools' shared flags (client_flags.h) as absl flags:
// --server, --token, --site_tokens, --team_tokens, --tls_ca, --tls_cert,
// --tls_key, --tls_server_name, --insecure. swabwave-replay parses them
// with absl::ParseCommandLine; the CLI has its own per-command parser.
//
// Thread-safety: read the flags after absl::ParseCommandLine, from main.
#ifndef SWABWAVE_SERVICES_SWABWAVE_CLIENT_ABSL_FLAGS_H_
#define SWABWAVE_SERVICES_SWABWAVE_CLIENT_ABSL_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "services/swabwave/client_flags.h"

ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(std::string, token);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(bool, insecure);

namespace swabwave::services {

// ClientOptionsFrom the absl flags.
[[nodiscard]] absl::StatusOr<ClientOptions> ClientOptionsFromFlags();

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_SWABWAVE_CLIENT_ABSL_FLAGS_H_
