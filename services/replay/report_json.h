// The report of a played day as JSON (`swabwave-replay play --json FILE`):
// what the fleet sent and got back, its latency percentiles, and the day's
// check against the trace. Written with nlohmann::json, so every string is
// escaped as JSON requires.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_REPLAY_REPORT_JSON_H_
#define SWABWAVE_SERVICES_REPLAY_REPORT_JSON_H_

#include <nlohmann/json.hpp>

#include <string>

#include "absl/status/status.h"
#include "services/replay/day_trace.h"
#include "services/replay/tablet_fleet.h"

namespace swabwave::services {

// {"desks", "sent", "sampled", "replayed", "already_sampled", "errors",
//  "check_ins_per_second", "elapsed_ms", "latency_ms": {p50, p90, p99,
//  p999, max}, "by_code": {"<grpc code>": count, ...}, "residents",
//  "sampled_once", "mismatches": [...]}
nlohmann::json DayReportJson(const FleetReport& report, const DayCheck& check);

// Writes DayReportJson to `path` (whole, or not at all); the reason when
// it cannot.
[[nodiscard]] absl::Status WriteDayReportJson(const std::string& path, const FleetReport& report,
                                              const DayCheck& check);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_REPORT_JSON_H_
