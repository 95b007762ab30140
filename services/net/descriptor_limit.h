// The process's open-descriptor limit, and connection caps that fit under
// it. Every connection holds a descriptor; a server that lets connections
// take them all cannot open a journal segment, a snapshot or an epoll set,
// so swabwaved raises its soft RLIMIT_NOFILE to the hard limit at start and,
// unless told otherwise, caps each port's connections to leave a reserve.
//
// Thread-safety: call at start, before threads that open files.
#ifndef SWABWAVE_SERVICES_NET_DESCRIPTOR_LIMIT_H_
#define SWABWAVE_SERVICES_NET_DESCRIPTOR_LIMIT_H_

#include <cstddef>
#include <cstdint>

namespace swabwave::services::net {

// Descriptors kept free of connections: journal segments and snapshots,
// the data directory's lock, gRPC's and Asio's event descriptors, logs.
inline constexpr uint64_t kReservedDescriptors = 64;
// The caps when nothing is set and descriptors are plenty.
inline constexpr size_t kDefaultGrpcConnections = 8192;
inline constexpr size_t kDefaultHttpConnections = 256;

// Raises the soft RLIMIT_NOFILE to the hard one; returns the soft limit in
// force afterwards.
uint64_t RaiseOpenFileLimit();

struct ConnectionCaps {
  size_t grpc = 0;
  size_t http = 0;
  // Whether an explicit cap leaves fewer than kReservedDescriptors free.
  bool past_limit = false;
};

// The caps under `open_files`: an explicit cap (non-zero) as given; a zero
// one the default, lowered so that both ports together leave
// kReservedDescriptors free (gRPC gets seven eighths of the rest, HTTP one
// eighth; each at least 1).
ConnectionCaps FitConnectionCaps(uint64_t open_files, size_t grpc, size_t http);

}  // namespace swabwave::services::net

#endif  // SWABWAVE_SERVICES_NET_DESCRIPTOR_LIMIT_H_
