#include "services/api/tokens.h"

#include <openssl/evp.h>
#include <openssl/rand.h>


#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/io/csv.h"
#include "engine/model/names.h"

namespace swabwave::services {

namespace {

std::string Hex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * size, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

bool IsSha256Hex(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

// Parses the scope and options after the role into `principal`.
absl::Status ParseScope(const std::vector<absl::string_view>& fields, Principal& principal) {
  bool scoped = false;
  for (size_t i = 2; i < fields.size(); ++i) {
    const absl::string_view field = fields[i];
    if (absl::StartsWith(field, "rate=")) {
      continue;  // read by RateOf
    } else if (principal.role == Role::kCommand && absl::StartsWith(field, "communities=")) {
      for (absl::string_view id : absl::StrSplit(field.substr(12), ',')) {
        if (id == "*") {
          principal.all_communities = true;
        } else if (absl::Status s = engine::CheckId("community id", id); !s.ok()) {
          return s;
        } else {
          principal.communities.emplace(id);
        }
      }
      scoped = true;
    } else if (principal.role == Role::kTablet && absl::StartsWith(field, "site=")) {
      if (absl::Status s = engine::CheckId("site id", field.substr(5)); !s.ok()) return s;
      principal.site_id = std::string(field.substr(5));
      scoped = true;
    } else if (principal.role == Role::kTeam && absl::StartsWith(field, "team=")) {
      // team=<community id>/<n>: one door-to-door team of one community.
      const std::pair<absl::string_view, absl::string_view> parts =
          absl::StrSplit(field.substr(5), absl::MaxSplits('/', 1));
      if (absl::Status s = engine::CheckId("community id", parts.first); !s.ok()) return s;
      if (!absl::SimpleAtoi(parts.second, &principal.team_number) || principal.team_number < 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "'", field, "' is not a team: use team=<community id>/<n>, n from 1"));
      }
      principal.team_community = std::string(parts.first);
      scoped = true;
    } else if (principal.role == Role::kLab && absl::StartsWith(field, "lab=")) {
      if (absl::Status s = engine::CheckId("lab id", field.substr(4)); !s.ok()) return s;
      principal.lab_id = std::string(field.substr(4));
      scoped = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", field, "' is not a scope for a ", RoleName(principal.role),
          " token: command tokens take communities=<id>[,<id>...] or communities=*, tablet "
          "tokens site=<id>, team tokens team=<community id>/<n>, lab tokens lab=<id>, courier "
          "tokens nothing; any may end with rate=<per second>"));
    }
  }
  if (!scoped && principal.role != Role::kCourier) {
    switch (principal.role) {
      case Role::kLab:
        return absl::InvalidArgumentError(
            "a lab token needs lab=<lab id>: a lab receives boxes and reports results as one lab");
      case Role::kCommand:
        return absl::InvalidArgumentError(
            "a command token needs communities=<id>[,<id>...] (or communities=*)");
      case Role::kTeam:
        return absl::InvalidArgumentError(
            "a team token needs team=<community id>/<n>: a team acts as one team only");
      default:
        return absl::InvalidArgumentError(
            "a tablet token needs site=<site id>: a tablet acts at one site only");
    }
  }
  return absl::OkStatus();
}

// The rate= field of a line, or `default_rate` without one.
absl::StatusOr<double> RateOf(const std::vector<absl::string_view>& fields, double default_rate) {
  double rate = default_rate;
  for (size_t i = 2; i < fields.size(); ++i) {
    if (!absl::StartsWith(fields[i], "rate=")) continue;
    if (!absl::SimpleAtod(fields[i].substr(5), &rate) || !(rate >= 0) || rate > 1e9) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", fields[i], "' is not a rate: use rate=<requests per second>, 0 for no limit"));
    }
  }
  return rate;
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kCommand:
      return "command";
    case Role::kTablet:
      return "tablet";
    case Role::kLab:
      return "lab";
    case Role::kTeam:
      return "team";
    case Role::kCourier:
      return "courier";
    case Role::kUnrestricted:
      return "unrestricted";
  }
  return "unknown";
}

std::string Principal::Describe() const {
  std::string out = absl::StrCat(RoleName(role), " token ", fingerprint);
  if (role == Role::kTablet) absl::StrAppend(&out, " (site ", site_id, ")");
  if (role == Role::kTeam) {
    absl::StrAppend(&out, " (team ", team_community, "/", team_number, ")");
  }
  if (role == Role::kLab) absl::StrAppend(&out, " (lab ", lab_id, ")");
  return out;
}

bool Principal::SameRightsAs(const Principal& other) const {
  return role == other.role && site_id == other.site_id &&
         team_community == other.team_community && team_number == other.team_number &&
         lab_id == other.lab_id &&
         all_communities == other.all_communities && communities == other.communities;
}

absl::StatusOr<std::shared_ptr<const TokenSet>> TokenSet::Parse(absl::string_view text,
                                                                absl::string_view source,
                                                                double default_rate,
                                                                const TokenSet* previous) {
  auto set = std::shared_ptr<TokenSet>(new TokenSet());
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", line_number, ": ", why));
    };
    if (fields.size() < 2 || !IsSha256Hex(fields[0])) {
      return fail("expected '<sha256 of the token, 64 lower-case hex digits> <role> [scope]' "
                  "(swabwave new-token prints such a line)");
    }
    Role role;
    if (fields[1] == "command") {
      role = Role::kCommand;
    } else if (fields[1] == "tablet") {
      role = Role::kTablet;
    } else if (fields[1] == "lab") {
      role = Role::kLab;
    } else if (fields[1] == "team") {
      role = Role::kTeam;
    } else if (fields[1] == "courier") {
      role = Role::kCourier;
    } else {
      return fail(absl::StrCat("unknown role '", fields[1],
                               "': use command, tablet, team, courier or lab"));
    }
    absl::StatusOr<double> rate = RateOf(fields, default_rate);
    if (!rate.ok()) return fail(rate.status().message());
    auto principal = std::make_shared<Principal>(role, *rate);
    principal->fingerprint = std::string(fields[0].substr(0, 8));
    if (absl::Status s = ParseScope(fields, *principal); !s.ok()) return fail(s.message());
    std::shared_ptr<const Principal> listed;
    const auto before = previous == nullptr ? decltype(previous->by_hash_)::const_iterator()
                                            : previous->by_hash_.find(fields[0]);
    if (previous != nullptr && before != previous->by_hash_.end() &&
        before->second->SameRightsAs(*principal)) {
      if (before->second->rate_per_second == principal->rate_per_second) {
        listed = before->second;  // unchanged: the same principal, limiter and all
      } else {
        principal->state = before->second->state;  // a new rate, the same token
      }
    }
    if (listed == nullptr) listed = std::move(principal);
    if (!set->by_hash_.emplace(std::string(fields[0]), std::move(listed)).second) {
      return fail(absl::StrCat("token ", fields[0].substr(0, 8), " is listed twice"));
    }
  }
  return std::shared_ptr<const TokenSet>(std::move(set));
}

absl::StatusOr<std::shared_ptr<const TokenSet>> TokenSet::Load(const std::string& path,
                                                               double default_rate,
                                                               const TokenSet* previous) {
  absl::StatusOr<std::string> text = engine::ReadFileToString(path);
  if (!text.ok()) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the tokens file ", path, ": ", text.status().message()));
  }
  return Parse(*text, path, default_rate, previous);
}

std::shared_ptr<const Principal> TokenSet::Find(absl::string_view token) const {
  const auto it = by_hash_.find(Sha256Hex(token));
  return it == by_hash_.end() ? nullptr : it->second;
}

int TokenSet::RevokeAllBut(const TokenSet& next) const {
  int revoked = 0;
  for (const auto& [hash, principal] : by_hash_) {
    const auto kept = next.by_hash_.find(hash);
    if (kept != next.by_hash_.end() && kept->second->SameRightsAs(*principal)) continue;
    principal->state->revoked.store(true, std::memory_order_release);
    ++revoked;
  }
  return revoked;
}

size_t TokenSet::count(Role role) const {
  size_t n = 0;
  for (const auto& [hash, principal] : by_hash_) n += principal->role == role ? 1 : 0;
  return n;
}

absl::StatusOr<std::string> CheckTokensFile(const std::string& path) {
  // The rate does not change whether a file loads.
  absl::StatusOr<std::shared_ptr<const TokenSet>> tokens = TokenSet::Load(path, 0);
  if (!tokens.ok()) return tokens.status();
  const TokenSet& set = **tokens;
  return absl::StrCat(path, ": ", set.size(), " tokens: ", set.count(Role::kCommand),
                      " command, ", set.count(Role::kTablet), " tablet, ",
                      set.count(Role::kTeam), " team, ", set.count(Role::kCourier), " courier, ",
                      set.count(Role::kLab), " lab");
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return Hex(digest, size);
}

absl::StatusOr<std::string> NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return absl::InternalError("no randomness available for a new token");
  }
  return absl::StrCat("swbw_", Hex(bytes, sizeof bytes));
}

}  // namespace swabwave::services
