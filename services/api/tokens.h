// Bearer tokens and who they stand for. A tokens file lists one token per
// line, by the SHA-256 of the token (the server never stores a token
// itself), its role and its scope:
//
//   # comment
//   <sha256 hex> command communities=<id>[,<id>...]   (or communities=*)
//   <sha256 hex> tablet  site=<site id>
//   <sha256 hex> team    team=<community id>/<n>
//   <sha256 hex> courier
//   <sha256 hex> lab     lab=<lab id>
//
// and optionally, last, "rate=<requests per second>" (0: unlimited) to
// override the server's default per-token rate. `swabwave new-token`
// makes a token and its line. Logs name a token by its fingerprint (the
// first 8 hex digits of its hash), never by the token.
//
// Thread-safety: a TokenSet is immutable once loaded, except each
// principal's rate limiter, which is thread-safe.
#ifndef SWABWAVE_SERVICES_API_TOKENS_H_
#define SWABWAVE_SERVICES_API_TOKENS_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/api/rate_limiter.h"

namespace swabwave::services {

enum class Role : uint8_t {
  kCommand,  // a street command center: planning and progress of its communities
  kTablet,   // a sampling-site tablet: tubes and check-ins at its site
  kLab,      // a laboratory (one lab id): receives boxes, reports results
  kTeam,     // a door-to-door team: its tubes, check-ins and visits
  kCourier,  // a courier: picks packed boxes up
  // Only when the server runs without a tokens file: may do everything.
  kUnrestricted,
};
absl::string_view RoleName(Role role);

// What a token keeps across reloads that keep it with the same rights:
// streams opened before a reload hold the principal they were admitted
// as, so its revocation and its open streams must be the token's, not one
// load's.
struct PrincipalState {
  std::atomic<bool> revoked{false};
  // Imports and watches the token holds open now (AccessControl::HoldStream).
  std::atomic<int> open_imports{0};
  std::atomic<int> open_watches{0};
};

// Who a token stands for.
struct Principal {
  Principal(Role role_, double rate)
      : role(role_), rate_per_second(rate), limiter(rate, 2 * rate) {}

  Role role;
  std::string fingerprint;  // first 8 hex digits of the token's SHA-256
  std::string site_id;      // kTablet: the only site it may act at
  std::string team_community;  // kTeam: the team's community...
  int team_number = 0;         // ...and its number there, from 1
  std::string lab_id;          // kLab: the lab it receives and reports for
  bool all_communities = false;                  // kCommand with communities=*
  absl::flat_hash_set<std::string> communities;  // kCommand
  double rate_per_second;                        // 0: unlimited
  mutable RateLimiter limiter;                   // bursts of up to two seconds' worth
  // Shared with the same token's principals of earlier loads (TokenSet::Parse
  // with `previous`). Revoked when a reload drops the token or changes its
  // rights: calls admitted as it are refused from then on, and its open
  // streams end.
  std::shared_ptr<PrincipalState> state = std::make_shared<PrincipalState>();
  bool revoked() const { return state->revoked.load(std::memory_order_acquire); }

  bool MayActFor(absl::string_view community_id) const {
    return role == Role::kUnrestricted || all_communities || communities.contains(community_id);
  }
  // Same role and scope (the rate may differ): a reload that keeps a
  // token with the same rights does not end its streams.
  bool SameRightsAs(const Principal& other) const;
  // "kangcheng/2" for a team token.
  std::string number_name() const { return team_community + "/" + std::to_string(team_number); }
  // "tablet 3fa2c1d9 (site s1)": for messages and logs; no secret in it.
  std::string Describe() const;
};

class TokenSet {
 public:
  // Parses a tokens file's text; `source` names it in errors, which give
  // the line number. `default_rate` applies to lines without rate=. With
  // `previous` (a reload), a token listed there with the same rights keeps
  // its state (PrincipalState), and with the same rate too its principal
  // whole (its rate limiter included).
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<const TokenSet>> Parse(
      absl::string_view text, absl::string_view source, double default_rate,
      const TokenSet* previous = nullptr);
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<const TokenSet>> Load(
      const std::string& path, double default_rate, const TokenSet* previous = nullptr);

  // The principal of a presented token, or null for a token not listed.
  std::shared_ptr<const Principal> Find(absl::string_view token) const;
  size_t size() const { return by_hash_.size(); }
  // How many tokens have `role`.
  size_t count(Role role) const;
  // Marks revoked every principal of this set that `next` does not list
  // with the same rights (the reload from this set to `next`); returns how
  // many it marked.
  int RevokeAllBut(const TokenSet& next) const;

 private:
  absl::flat_hash_map<std::string, std::shared_ptr<const Principal>> by_hash_;  // hex SHA-256
};

// `swabwave tokens check FILE`: the file loaded as swabwaved would load it
// on SIGHUP, described in a line ("tokens: 5 tokens: 1 command, 3 tablet,
// 1 team, 0 lab"), or the error that would keep the old tokens in force,
// with its line number.
[[nodiscard]] absl::StatusOr<std::string> CheckTokensFile(const std::string& path);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);
// A fresh random token: "swbw_" and 64 hex digits (256 bits from the
// kernel's CSPRNG). INTERNAL if no randomness is available.
[[nodiscard]] absl::StatusOr<std::string> NewToken();

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_TOKENS_H_
