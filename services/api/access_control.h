// AccessControl: who may call what (issue 6, DESIGN.md §6). Every handler
// first calls Admit with its RPC: it reads the bearer token from the
// call's metadata, finds its principal, checks that the role may call the
// RPC at all and charges the token's rate limit. Handlers then check the
// scope once they know the resource: a command token acts only for its
// communities (CheckRound, CheckCommunity), a tablet only at its site
// (CheckSite).
//
//   role      may call
//   command   PlanningService.*, ProgressService.*   (its communities)
//   tablet    CheckInService.* but RecordVisit        (its site)
//   team      CheckInService.*                       (its own team's desk)
//   lab       nothing yet (results come with the lab service)
//
// Health checks and reflection stay open: they carry no round data. Every
// refusal is counted (by reason) and logged by token fingerprint and RPC,
// never with a token, a name or a resident code; logging is rate-limited
// so a flood of bad calls cannot flood the log.
//
// Without a tokens file (in-process tests, `swabwaved --auth=none`) every
// caller is unrestricted.
//
// Thread-safety: every member function is thread-safe; Reload swaps the
// token set atomically, and calls already admitted keep their principal.
#ifndef SWABWAVE_SERVICES_API_ACCESS_CONTROL_H_
#define SWABWAVE_SERVICES_API_ACCESS_CONTROL_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "engine/round/round.h"
#include "services/api/metrics.h"
#include "services/api/open_streams.h"
#include "services/api/resource_names.h"
#include "services/api/tokens.h"

namespace swabwave::services {

// The principal a call was admitted as.
using Caller = std::shared_ptr<const Principal>;

// The roles that may call `rpc`, as bits 1 << Role (an allow-list per RPC;
// kUnrestricted is not among them: it may call everything).
uint32_t RolesThatMayCall(Rpc rpc);

// One of a token's open imports or watches, held while the stream lives:
// released when destroyed (AccessControl::HoldStream).
class StreamHold {
 public:
  StreamHold() = default;
  StreamHold(std::shared_ptr<PrincipalState> state, std::atomic<int>* count)
      : state_(std::move(state)), count_(count) {}
  StreamHold(StreamHold&& other) noexcept
      : state_(std::move(other.state_)), count_(std::exchange(other.count_, nullptr)) {}
  StreamHold& operator=(StreamHold&& other) noexcept {
    if (this != &other) {
      Release();
      state_ = std::move(other.state_);
      count_ = std::exchange(other.count_, nullptr);
    }
    return *this;
  }
  ~StreamHold() { Release(); }

 private:
  void Release() {
    if (count_ != nullptr) count_->fetch_sub(1, std::memory_order_relaxed);
    count_ = nullptr;
  }
  std::shared_ptr<PrincipalState> state_;  // keeps the counter alive
  std::atomic<int>* count_ = nullptr;
};

class AccessControl {
 public:
  // Everyone may do everything.
  AccessControl();
  // Tokens from `tokens_file`; `default_rate` requests per second per token
  // where a line gives none (0: unlimited).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AccessControl>> Load(
      const std::string& tokens_file, double default_rate);

  bool enabled() const { return !tokens_file_.empty(); }
  // Re-reads the tokens file (SIGHUP). On an error the old tokens stay.
  // Tokens the new file drops, or lists with other rights, are revoked:
  // their calls are refused from then on and their open streams end
  // (UNAUTHENTICATED) before Reload returns.
  absl::Status Reload();
  // How many imports and watches one token may hold open at once (issue
  // 25 item 7): one token cannot hold the server's memory with streams.
  // Set before the server serves; 0: no cap.
  void set_stream_caps(int imports, int watches) {
    max_imports_ = imports;
    max_watches_ = watches;
  }
  // Holds one of the caller's imports (`rpc` kImportCommunity) or watches
  // (kWatchProgress) until the hold is destroyed; RESOURCE_EXHAUSTED when
  // the token holds its cap already. The unrestricted caller (no tokens
  // file) is one for everyone and is not capped.
  absl::StatusOr<StreamHold> HoldStream(const Caller& caller, Rpc rpc) const;

  // Where streams register so that revoking their token ends them.
  OpenStreams& streams() const { return streams_; }

  // The caller of `rpc`, or UNAUTHENTICATED (no, malformed or unknown
  // token), PERMISSION_DENIED (role may not call it) or RESOURCE_EXHAUSTED
  // (over its rate; the message says when to retry).
  absl::StatusOr<Caller> Admit(const grpc::CallbackServerContext& ctx, Rpc rpc) const;
  // Charges one more request (a stream message) to the caller's rate;
  // UNAUTHENTICATED once the caller's token is revoked.
  absl::Status Charge(const Caller& caller, Rpc rpc) const;

  // PERMISSION_DENIED unless the caller may act for every community of
  // the round / for the community / at the desk (a tablet at its site's
  // desks only, a team at its own team's desk only).
  absl::Status CheckRound(const Principal& caller, Rpc rpc, const engine::Round& round) const;
  absl::Status CheckCommunity(const Principal& caller, Rpc rpc,
                              absl::string_view community_id) const;
  absl::Status CheckDesk(const Principal& caller, Rpc rpc, const DeskName& desk) const;
  // Whether ListRounds shows the round to the caller.
  static bool MaySee(const Principal& caller, const engine::Round& round);

  // The caller of an HTTP request by its Authorization header ("Bearer
  // <token>"): the unrestricted caller without a tokens file; null for no
  // header, a malformed one, or an unknown or revoked token. /metrics shows
  // per-round series only to callers who may see the round.
  Caller FindBearer(absl::string_view authorization) const;

  // Appends the refusal counters and the tokens file's state in the
  // Prometheus text format.
  void RenderMetrics(std::string& out) const;

 private:
  enum Refusal { kUnauthenticated, kPermissionDenied, kRateLimited, kRefusals };
  absl::Status Refuse(Refusal reason, const std::string& who, Rpc rpc, std::string message) const;

  std::string tokens_file_;
  double default_rate_ = 0;
  std::atomic<std::shared_ptr<const TokenSet>> tokens_;
  Caller unrestricted_;
  mutable OpenStreams streams_;
  int max_imports_ = 0;
  int max_watches_ = 0;
  mutable std::array<std::atomic<uint64_t>, kRefusals> refused_{};
  // Whether the last reload failed (the tokens in force are older than the
  // file), and how many reloads failed.
  std::atomic<bool> stale_{false};
  std::atomic<uint64_t> reload_failures_{0};
  // Log lines written in the current second, and that second.
  mutable std::atomic<int64_t> log_second_{0};
  mutable std::atomic<int> log_lines_{0};
};

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_ACCESS_CONTROL_H_
