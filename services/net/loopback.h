// Whether an address stays on this host (issue 25 item 6): plaintext, and
// a bearer token in clear, are allowed on loopback only unless the
// operator says --insecure. Shared by the server (its listen addresses)
// and the client tools (the server they call).
//
// Thread-safety: pure function.
#ifndef SWABWAVE_SERVICES_NET_LOOPBACK_H_
#define SWABWAVE_SERVICES_NET_LOOPBACK_H_

#include "absl/strings/string_view.h"

namespace swabwave::services::net {

// True for "host:port" (or "[v6]:port", or a gRPC target "dns:///host:port",
// "ipv4:host:port", "ipv6:[v6]:port", "unix:path") whose host is in
// 127.0.0.0/8, is ::1 or is "localhost", and for unix sockets. A name is
// not resolved: "myhost" is not loopback even where it resolves to
// 127.0.1.1, and an empty host or 0.0.0.0 (every interface) is not.
bool IsLoopbackAddress(absl::string_view address);

}  // namespace swabwave::services::net

#endif  // SWABWAVE_SERVICES_NET_LOOPBACK_H_
