// The flags every swabwave client tool shares (the CLI, swabwave-replay):
// where the server is, the bearer token, TLS. Defined once here so the
// tools spell them the same way.
//
// Thread-safety: read the flags after absl::ParseCommandLine, from main.
#ifndef SWABWAVE_SERVICES_SWABWAVE_CLIENT_FLAGS_H_
#define SWABWAVE_SERVICES_SWABWAVE_CLIENT_FLAGS_H_

#include "absl/status/statusor.h"
#include "services/swabwave/client.h"

namespace swabwave::services {

// ClientOptions from --server, --token (or $SWABWAVE_TOKEN), --site_tokens,
// --tls_ca, --tls_cert, --tls_key and --tls_server_name. INVALID_ARGUMENT
// for a --site_tokens file that does not read as "<site id> <token>" lines.
[[nodiscard]] absl::StatusOr<ClientOptions> ClientOptionsFromFlags();

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_SWABWAVE_CLIENT_FLAGS_H_
