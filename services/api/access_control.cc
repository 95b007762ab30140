#include "services/api/access_control.h"

#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "engine/model/names.h"
#include "services/api/status.h"

namespace swabwave::services {

namespace {

// At most this many refusals are logged per second; the counters count all.
constexpr int kRefusalLogLinesPerSecond = 20;

}  // namespace

// Every RPC is listed here and there is no default: a new RPC does not
// compile (-Wswitch, -Werror) until it is given its roles, so nothing is
// open by default.
uint32_t RolesThatMayCall(Rpc rpc) {
  constexpr uint32_t kCommand = 1u << static_cast<int>(Role::kCommand);
  constexpr uint32_t kTablet = 1u << static_cast<int>(Role::kTablet);
  constexpr uint32_t kTeam = 1u << static_cast<int>(Role::kTeam);
  constexpr uint32_t kCourier = 1u << static_cast<int>(Role::kCourier);
  constexpr uint32_t kLab = 1u << static_cast<int>(Role::kLab);
  switch (rpc) {
    // PlanningService: the command center's.
    case Rpc::kImportCommunity:
    case Rpc::kCreateRound:
    case Rpc::kGetRound:
    case Rpc::kListRounds:
    case Rpc::kPlanRound:
    case Rpc::kGetPlan:
    case Rpc::kListAssignments:
    case Rpc::kListDoorToDoor:
    case Rpc::kOpenRound:
    case Rpc::kCloseRound:
    case Rpc::kReplanRound:
    case Rpc::kForecastRound:
    case Rpc::kGetRoster:
    case Rpc::kListDoorToDoorRoutes:
    case Rpc::kAdviseFinish:
    // ProgressService: the command center's.
    case Rpc::kGetProgress:
    case Rpc::kListUntested:
    case Rpc::kWatchProgress:
    case Rpc::kGetResidentHistory:
    case Rpc::kListMissed:
    // The command center watches boxes and reads recall lists.
    case Rpc::kListBoxes:
    case Rpc::kListRecalls:
      return kCommand;
    // Custody: a site or team packs its own tubes, a courier carries, a lab
    // receives and reports (lab.proto).
    case Rpc::kPackBox:
    case Rpc::kListTubesToPack:
    case Rpc::kTakeFollowUpSwab:
      return kTablet | kTeam;
    case Rpc::kPickUpBox:
      return kCourier;
    case Rpc::kReceiveBox:
    case Rpc::kReportResults:
      return kLab;
    // CheckInService: the desks', a site's tablets' and the teams'.
    case Rpc::kOpenTube:
    case Rpc::kCheckIn:
    case Rpc::kCheckInStream:
    case Rpc::kSealTube:
    case Rpc::kRegisterWalkIn:
      return kTablet | kTeam;
    // A visit at the door is a team's only.
    case Rpc::kRecordVisit:
      return kTeam;
    case Rpc::kCount:
      return 0;
  }
  return 0;
}

namespace {

bool RoleMayCall(Role role, Rpc rpc) {
  if (role == Role::kUnrestricted) return true;
  return (RolesThatMayCall(rpc) >> static_cast<int>(role)) & 1u;
}

constexpr absl::string_view kRevokedMessage =
    "this call's token was revoked when the server reloaded its tokens; answers to what was "
    "already read were sent: go on with a current token on a new call";

absl::string_view WhatRoleMayCall(Role role) {
  switch (role) {
    case Role::kCommand:
      return "command tokens may call PlanningService, ProgressService, ListBoxes and "
             "ListRecalls";
    case Role::kTablet:
      return "tablet tokens may call CheckInService, but not RecordVisit (a team's), "
             "PackBox and ListTubesToPack";
    case Role::kTeam:
      return "team tokens may call CheckInService, PackBox and ListTubesToPack";
    case Role::kCourier:
      return "courier tokens may call PickUpBox only";
    case Role::kLab:
      return "lab tokens may call ReceiveBox and ReportResults only";
    case Role::kUnrestricted:
      break;
  }
  return "";
}

// The token of "authorization: Bearer <token>", or an error message.
absl::StatusOr<absl::string_view> BearerToken(const grpc::CallbackServerContext& ctx) {
  const auto& metadata = ctx.client_metadata();
  const auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "this server needs a bearer token: send the metadata 'authorization: Bearer <token>' "
        "(swabwave --token or SWABWAVE_TOKEN); ask the operator for a token");
  }
  const absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size() || !absl::StartsWithIgnoreCase(value, kScheme)) {
    return absl::UnauthenticatedError(
        "the authorization metadata must read 'Bearer <token>'");
  }
  return value.substr(kScheme.size());
}

}  // namespace

AccessControl::AccessControl()
    : unrestricted_(std::make_shared<Principal>(Role::kUnrestricted, 0.0)) {}

absl::StatusOr<std::unique_ptr<AccessControl>> AccessControl::Load(const std::string& tokens_file,
                                                                   double default_rate) {
  absl::StatusOr<std::shared_ptr<const TokenSet>> tokens =
      TokenSet::Load(tokens_file, default_rate);
  if (!tokens.ok()) return tokens.status();
  auto access = std::make_unique<AccessControl>();
  access->tokens_file_ = tokens_file;
  access->default_rate_ = default_rate;
  access->tokens_.store(*std::move(tokens));
  spdlog::info("access: {} tokens loaded from {}", access->tokens_.load()->size(), tokens_file);
  return access;
}

absl::Status AccessControl::Reload() {
  if (!enabled()) return absl::OkStatus();
  const std::shared_ptr<const TokenSet> previous = tokens_.load();
  absl::StatusOr<std::shared_ptr<const TokenSet>> tokens =
      TokenSet::Load(tokens_file_, default_rate_, previous.get());
  if (!tokens.ok()) {
    // Loud: an operator who meant to revoke a token must not believe it
    // done. /metrics says so too (swabwave_tokens_file_stale).
    stale_.store(true, std::memory_order_relaxed);
    reload_failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("access: THE TOKENS FILE DID NOT LOAD, NOTHING IN IT IS APPLIED: every old "
                  "token stays valid and no revocation takes effect. Fix the file (`swabwave "
                  "tokens check {}` names the line) and send SIGHUP again. {}",
                  tokens_file_, std::string(tokens.status().message()));
    return tokens.status();
  }
  stale_.store(false, std::memory_order_relaxed);
  const size_t size = (*tokens)->size();
  // Flags first, then the swap: a call that found an old principal just
  // before the swap is refused at its next charge, and a stream registered
  // meanwhile is ended by EndRevoked or by its own registration.
  const int revoked = previous->RevokeAllBut(**tokens);
  tokens_.store(*std::move(tokens));
  const int ended = streams_.EndRevoked();
  spdlog::info("access: reloaded {} tokens from {}; {} revoked, {} of their open streams ended",
               size, tokens_file_, revoked, ended);
  return absl::OkStatus();
}

Caller AccessControl::FindBearer(absl::string_view authorization) const {
  if (!enabled()) return unrestricted_;
  constexpr absl::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme)) {
    return nullptr;
  }
  Caller caller = tokens_.load()->Find(authorization.substr(kScheme.size()));
  if (caller == nullptr || caller->revoked()) return nullptr;
  return caller;
}

absl::StatusOr<Caller> AccessControl::Admit(const grpc::CallbackServerContext& ctx,
                                            Rpc rpc) const {
  if (!enabled()) return unrestricted_;
  absl::StatusOr<absl::string_view> token = BearerToken(ctx);
  if (!token.ok()) {
    return Refuse(kUnauthenticated, "a call without a token", rpc,
                  std::string(token.status().message()));
  }
  Caller caller = tokens_.load()->Find(*token);
  if (caller == nullptr) {
    // Name the unknown token by its fingerprint only: the log must not
    // hold anything that would let a reader use it.
    return Refuse(kUnauthenticated, absl::StrCat("unknown token ", Sha256Hex(*token).substr(0, 8)),
                  rpc,
                  "the bearer token is not known to this server (revoked, mistyped or meant for "
                  "another server); ask the operator for a token");
  }
  if (!RoleMayCall(caller->role, rpc)) {
    return Refuse(kPermissionDenied, caller->Describe(), rpc,
                  absl::StrCat("a ", RoleName(caller->role), " token may not call ", RpcName(rpc),
                               ": ", WhatRoleMayCall(caller->role)));
  }
  if (absl::Status s = Charge(caller, rpc); !s.ok()) return s;
  return caller;
}

absl::Status AccessControl::Charge(const Caller& caller, Rpc rpc) const {
  if (caller->revoked()) {
    return Refuse(kUnauthenticated, caller->Describe(), rpc, std::string(kRevokedMessage));
  }
  const absl::Duration wait = caller->limiter.Take(absl::Now(), 1);
  if (wait == absl::ZeroDuration()) return absl::OkStatus();
  return Refuse(kRateLimited, caller->Describe(), rpc,
                absl::StrCat("this token is over its rate limit of ", caller->rate_per_second,
                             " requests per second; retry in ",
                             absl::ToInt64Milliseconds(wait) + 1, " ms"));
}

absl::StatusOr<StreamHold> AccessControl::HoldStream(const Caller& caller, Rpc rpc) const {
  if (caller->role == Role::kUnrestricted) return StreamHold();
  const bool import = rpc == Rpc::kImportCommunity;
  std::atomic<int>& open = import ? caller->state->open_imports : caller->state->open_watches;
  const int cap = import ? max_imports_ : max_watches_;
  const int held = open.fetch_add(1, std::memory_order_relaxed);
  if (cap > 0 && held >= cap) {
    open.fetch_sub(1, std::memory_order_relaxed);
    return Refuse(kRateLimited, caller->Describe(), rpc,
                  absl::StrCat("this token already holds ", held, " open ",
                               import ? "imports" : "watches", ", the most one token may (",
                               import ? "swabwaved --max_imports_per_token"
                                      : "swabwaved --max_watches_per_token",
                               "): end one, or wait for one to finish"));
  }
  return StreamHold(caller->state, &open);
}

absl::Status AccessControl::CheckRound(const Principal& caller, Rpc rpc,
                                       const engine::Round& round) const {
  for (const std::string& community : round.config().community_ids) {
    if (!caller.MayActFor(community)) {
      return Refuse(kPermissionDenied, caller.Describe(), rpc,
                    absl::StrCat("this token may not act for community ", community,
                                 ", and round ", round.config().id, " covers it"));
    }
  }
  return absl::OkStatus();
}

absl::Status AccessControl::CheckCommunity(const Principal& caller, Rpc rpc,
                                           absl::string_view community_id) const {
  // An id is validated before the scope check: the refusal names the id,
  // and a malformed one (60 KB, a newline and a forged log line) is the
  // caller's error to fix, said without echoing it whole.
  if (absl::Status s = engine::CheckId("community id", community_id); !s.ok()) return s;
  if (caller.MayActFor(community_id)) return absl::OkStatus();
  return Refuse(kPermissionDenied, caller.Describe(), rpc,
                absl::StrCat("this token may not act for community ", community_id));
}

absl::Status AccessControl::CheckDesk(const Principal& caller, Rpc rpc,
                                      const DeskName& desk) const {
  if (caller.role == Role::kTablet) {
    if (!desk.team() && caller.site_id == desk.site_id) return absl::OkStatus();
    return Refuse(kPermissionDenied, caller.Describe(), rpc,
                  desk.team() ? absl::StrCat("this tablet token is bound to site ", caller.site_id,
                                             " and may not act as a door-to-door team")
                              : absl::StrCat("this tablet token is bound to site ", caller.site_id,
                                             " and may not act at site ", desk.site_id));
  }
  if (caller.role == Role::kTeam) {
    if (desk.team() && desk.community_id == caller.team_community &&
        desk.number == caller.team_number) {
      return absl::OkStatus();
    }
    return Refuse(kPermissionDenied, caller.Describe(), rpc,
                  absl::StrCat("this team token is bound to team ", caller.number_name(),
                               " and may act at no other desk"));
  }
  return absl::OkStatus();
}

bool AccessControl::MaySee(const Principal& caller, const engine::Round& round) {
  for (const std::string& community : round.config().community_ids) {
    if (!caller.MayActFor(community)) return false;
  }
  return true;
}

absl::Status AccessControl::Refuse(Refusal reason, const std::string& who, Rpc rpc,
                                   std::string message) const {
  refused_[reason].fetch_add(1, std::memory_order_relaxed);
  const int64_t second = absl::ToUnixSeconds(absl::Now());
  if (log_second_.exchange(second, std::memory_order_relaxed) != second) {
    log_lines_.store(0, std::memory_order_relaxed);
  }
  if (log_lines_.fetch_add(1, std::memory_order_relaxed) < kRefusalLogLinesPerSecond) {
    // Bounded and escaped: the message may name what the caller sent.
    spdlog::warn("access: refused {} for {}: {}", std::string(RpcName(rpc)), who,
                 BoundedMessage(message));
  }
  switch (reason) {
    case kUnauthenticated:
      return absl::UnauthenticatedError(std::move(message));
    case kPermissionDenied:
      return absl::PermissionDeniedError(std::move(message));
    case kRateLimited:
    case kRefusals:
      break;
  }
  return absl::ResourceExhaustedError(std::move(message));
}

void AccessControl::RenderMetrics(std::string& out) const {
  static constexpr const char* kReasons[kRefusals] = {"unauthenticated", "permission_denied",
                                                      "rate_limited"};
  absl::StrAppend(&out,
                  "# HELP swabwave_access_refused_total Calls refused by access control, by "
                  "reason.\n# TYPE swabwave_access_refused_total counter\n");
  for (int r = 0; r < kRefusals; ++r) {
    absl::StrAppend(&out, "swabwave_access_refused_total{reason=\"", kReasons[r], "\"} ",
                    refused_[r].load(std::memory_order_relaxed), "\n");
  }
  absl::StrAppend(&out, "# HELP swabwave_access_enabled Whether calls need a token (1) or not "
                        "(0: --auth=none).\n# TYPE swabwave_access_enabled gauge\n"
                        "swabwave_access_enabled ", enabled() ? 1 : 0, "\n");
  absl::StrAppend(&out,
                  "# HELP swabwave_tokens_file_stale Whether the last reload of the tokens file "
                  "failed, leaving older tokens in force (1) or not (0).\n"
                  "# TYPE swabwave_tokens_file_stale gauge\nswabwave_tokens_file_stale ",
                  stale_.load(std::memory_order_relaxed) ? 1 : 0,
                  "\n# HELP swabwave_tokens_reload_failures_total Reloads of the tokens file "
                  "that failed.\n# TYPE swabwave_tokens_reload_failures_total counter\n"
                  "swabwave_tokens_reload_failures_total ",
                  reload_failures_.load(std::memory_order_relaxed), "\n");
}

}  // namespace swabwave::services
