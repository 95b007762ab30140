// What the replay tools read from a server about a round, page by page:
// each site's desks (from the plan) and the residents still untested.
//
// Thread-safety: plain functions; the client's stubs are thread-safe.
#ifndef SWABWAVE_SERVICES_REPLAY_ROUND_READER_H_
#define SWABWAVE_SERVICES_REPLAY_ROUND_READER_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "services/swabwave/client.h"
#include "swabwave/v1/progress.pb.h"

namespace swabwave::services {

// Desks per site id, from the round's plan.
[[nodiscard]] absl::StatusOr<std::map<std::string, int>> DesksOfSites(Client& client,
                                                                      const std::string& round);

// Calls `visit` for every untested resident of the round, in id order.
[[nodiscard]] absl::Status ForEachUntested(
    Client& client, const std::string& round,
    const std::function<void(const v1::UntestedResident&)>& visit);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_ROUND_READER_H_
