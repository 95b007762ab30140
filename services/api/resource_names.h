// Resource names of the swabwave.v1 API: parsing with messages that say
// what was expected, and formatting (page tokens: paging.h).
//
//   rounds/{round_id}
//   sites/{site_id}/desks/{n}          n from 1
//   communities/{community_id}/teams/{n}   a door-to-door team, n from 1
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_API_RESOURCE_NAMES_H_
#define SWABWAVE_SERVICES_API_RESOURCE_NAMES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace swabwave::services {

// The round id of "rounds/{round_id}". INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::StatusOr<std::string> ParseRoundName(absl::string_view name);
std::string RoundName(absl::string_view round_id);

// A site's desk, or a door-to-door team (a mobile desk).
struct DeskName {
  std::string site_id;       // a site's desk
  std::string community_id;  // a team's
  int number = 0;
  bool team() const { return !community_id.empty(); }
};
// INVALID_ARGUMENT unless `name` is "sites/{site_id}/desks/{n}" or
// "communities/{community_id}/teams/{n}", n >= 1.
[[nodiscard]] absl::StatusOr<DeskName> ParseDeskName(absl::string_view name);

// INVALID_ARGUMENT unless request_id is 1..128 bytes.
[[nodiscard]] absl::Status CheckRequestId(absl::string_view request_id);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_RESOURCE_NAMES_H_
