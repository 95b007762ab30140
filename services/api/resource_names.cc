#include "services/api/resource_names.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/model/names.h"

namespace swabwave::services {

namespace {
constexpr absl::string_view kRoundPrefix = "rounds/";
constexpr size_t kMaxRequestIdLength = 128;
}  // namespace

absl::StatusOr<std::string> ParseRoundName(absl::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError("round is required, as \"rounds/{round_id}\"");
  }
  if (!absl::StartsWith(name, kRoundPrefix) ||
      !engine::IsValidId(name.substr(kRoundPrefix.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "round '", name.substr(0, 80), "' is not a round name; expected \"rounds/{round_id}\""));
  }
  return std::string(name.substr(kRoundPrefix.size()));
}

std::string RoundName(absl::string_view round_id) { return absl::StrCat(kRoundPrefix, round_id); }

absl::StatusOr<DeskName> ParseDeskName(absl::string_view name) {
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  DeskName desk;
  if (name.empty()) {
    return absl::InvalidArgumentError(
        "desk is required, as \"sites/{site_id}/desks/{n}\" (or a door-to-door team's "
        "\"communities/{community_id}/teams/{n}\")");
  }
  const bool site = parts.size() == 4 && parts[0] == "sites" && parts[2] == "desks";
  const bool team = parts.size() == 4 && parts[0] == "communities" && parts[2] == "teams";
  if ((!site && !team) || !engine::IsValidId(parts[1]) ||
      !absl::SimpleAtoi(parts[3], &desk.number) || desk.number < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "desk '", name.substr(0, 80),
        "' is not a desk name; expected \"sites/{site_id}/desks/{n}\" or a door-to-door "
        "team's \"communities/{community_id}/teams/{n}\", with n >= 1"));
  }
  (site ? desk.site_id : desk.community_id) = std::string(parts[1]);
  return desk;
}

absl::Status CheckRequestId(absl::string_view request_id) {
  if (request_id.empty()) {
    return absl::InvalidArgumentError(
        "request_id is required: a client-chosen id, reused when the same request is retried");
  }
  if (request_id.size() > kMaxRequestIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_id is ", request_id.size(), " bytes; at most ", kMaxRequestIdLength));
  }
  return absl::OkStatus();
}

}  // namespace swabwave::services
