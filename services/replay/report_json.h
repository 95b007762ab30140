// swabwave-replay's reports as JSON (`--json FILE`, every mode): what the
// fleet sent and got back with its latency percentiles (and, for `play`,
// the day's check against the trace), the teams' call, the lab day.
// Written with nlohmann::json, so every string is escaped as JSON requires.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_REPLAY_REPORT_JSON_H_
#define SWABWAVE_SERVICES_REPLAY_REPORT_JSON_H_

#include <nlohmann/json.hpp>

#include <string>

#include "absl/status/status.h"
#include "services/replay/day_trace.h"
#include "services/replay/door_teams.h"
#include "services/replay/lab_day.h"
#include "services/replay/tablet_fleet.h"

namespace swabwave::services {

// {"desks", "sent", "sampled", "replayed", "already_sampled", "errors",
//  "check_ins_per_second", "elapsed_ms", "latency_ms": {p50, p90, p99,
//  p999, max}, "by_code": {"<grpc code>": count, ...}}
nlohmann::json FleetReportJson(const FleetReport& report);

// FleetReportJson and the check: "residents", "sampled_once",
// "mismatches": [...].
nlohmann::json DayReportJson(const FleetReport& report, const DayCheck& check);

// {"teams", "call", "at_the_door": FleetReportJson, "off_route", "visits",
//  "visits_replayed", "visit_errors", "by_outcome": {"not_home", "refused",
//  "in_hospital", "moved_away"}}
nlohmann::json TeamReportJson(const TeamReport& report, size_t teams, int call);

// Every count of the lab day, its end state ("recalled", "resampled",
// "retested", "cases", ...) and "mismatches".
nlohmann::json LabDayReportJson(const LabDayReport& report);

// Writes `report` to `path` (whole, or not at all); the reason when it
// cannot. Bytes that are not UTF-8 are replaced, not refused.
[[nodiscard]] absl::Status WriteReportJson(const std::string& path, const nlohmann::json& report);


}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_REPORT_JSON_H_
