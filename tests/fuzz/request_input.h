// The input format of request_handler_fuzzer, shared with make_seeds (which
// writes its seed corpus), and the names of the state the target's server
// starts with, so seeds can address it.
//
//   input    := selector message*
//   selector := 1 byte: RPC = selector % 17 (the Rpc order below),
//               variant = selector / 17 (how a call is made: cut short,
//               cancelled, ...; see request_handler_fuzzer.cc)
//   message  := length (2 bytes, big-endian) + that many bytes of a
//               protobuf-encoded request of the selected RPC; a length past
//               the end of the input takes what is left
//
// Example: EncodeRequestInput(Rpc::kGetRound, 0, {request.SerializeAsString()}).
#ifndef SWABWAVE_TESTS_FUZZ_REQUEST_INPUT_H_
#define SWABWAVE_TESTS_FUZZ_REQUEST_INPUT_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/api/metrics.h"

namespace swabwave::fuzz {

// Every RPC of PlanningService, CheckInService and ProgressService, in the
// server's own order (services/api/metrics.h): ImportCommunity is a client
// stream, CheckInStream bidirectional, WatchProgress a server stream.
using Rpc = services::Rpc;
inline constexpr int kRpcCount = static_cast<int>(Rpc::kCount);

// The names are string literals, so the view is NUL-terminated.
inline const char* RpcName(Rpc rpc) { return services::RpcName(rpc).data(); }

struct RequestInput {
  Rpc rpc = Rpc::kImportCommunity;
  int variant = 0;                          // 0..15
  std::vector<absl::string_view> messages;  // views into the input
};

// Never fails: every byte string is some input (an empty one is no call).
inline RequestInput DecodeRequestInput(absl::string_view data) {
  RequestInput input;
  if (data.empty()) return input;
  const auto selector = static_cast<uint8_t>(data[0]);
  input.rpc = static_cast<Rpc>(selector % kRpcCount);
  input.variant = selector / kRpcCount;
  data.remove_prefix(1);
  while (data.size() >= 2) {
    const size_t length =
        static_cast<size_t>(static_cast<uint8_t>(data[0])) << 8 | static_cast<uint8_t>(data[1]);
    data.remove_prefix(2);
    input.messages.push_back(data.substr(0, length));
    data.remove_prefix(std::min(length, data.size()));
  }
  return input;
}

// REQUIRES: variant < 15 and every message under 64 KiB.
inline std::string EncodeRequestInput(Rpc rpc, int variant,
                                      const std::vector<std::string>& messages) {
  std::string out(1, static_cast<char>(variant * kRpcCount + static_cast<int>(rpc)));
  for (const std::string& message : messages) {
    out.push_back(static_cast<char>(message.size() >> 8));
    out.push_back(static_cast<char>(message.size() & 0xff));
    out += message;
  }
  return out;
}

// The state request_handler_fuzzer's server starts with (and returns to
// when an input closed the open round or state grew past its bounds).
// Community kCommunity: engine::testing::MakeCommunity with
// mobility_limited_every = 5 and exempt_every = 7 (24 residents
// "tc-R1".."tc-R24", site "tc-s0" with desks 1 and 2).
inline constexpr const char* kCommunity = "tc";
inline constexpr const char* kOpenRound = "r";     // planned and open, a tube open at each desk
inline constexpr const char* kPlannedRound = "p";  // planned, not open
inline constexpr const char* kDraftRound = "d";    // created only
inline constexpr const char* kDesk1 = "sites/tc-s0/desks/1";
inline constexpr const char* kDesk2 = "sites/tc-s0/desks/2";
inline constexpr const char* kTube1 = "TUBE-A-0001";  // open at kDesk1 in kOpenRound
inline constexpr const char* kTube2 = "TUBE-B-0001";  // open at kDesk2 in kOpenRound
inline constexpr int kPoolRatio = 5;

}  // namespace swabwave::fuzz

#endif  // SWABWAVE_TESTS_FUZZ_REQUEST_INPUT_H_
