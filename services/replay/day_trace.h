// A day trace: every scan the sampling sites' tablets make on a day, as a
// CSV file the capacity team can generate, edit, keep and replay.
//
//   offset_ms,site,desk,resident_code,request_id,scan_offset_ms,group
//   61234,s01,sites/s01/desks/2,KC-000123,g-s01-17,61234,h17
//
// offset_ms is when the tablet sends the scan, from the round's first
// wave; scan_offset_ms when it was scanned (earlier for a batch held while
// the tablet was offline). A request id used twice is a tablet retrying
// after a lost answer; a resident twice under two request ids is a double
// scan. Rows one after another at one desk with the same group are a
// household scanned together (CheckInRequest.group); empty: alone.
//
// GenerateDay makes a trace from a planned round on a server: each
// resident due at a site arrives within their wave (some late, some not at
// all), at one of the site's desks; with misbehaviour on, tablets also
// retry, double-scan and go offline. VerifyDay checks a replay's outcomes
// against the trace: everyone in it sampled exactly once, every other
// answer a replay or ALREADY_EXISTS, no tube over its ratio, no tube
// position given twice.
//
// Thread-safety: plain functions; call from one thread.
#ifndef SWABWAVE_SERVICES_REPLAY_DAY_TRACE_H_
#define SWABWAVE_SERVICES_REPLAY_DAY_TRACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/replay/tablet_fleet.h"
#include "services/swabwave/client.h"

namespace swabwave::services {

struct TraceRow {
  absl::Duration send_at;
  std::string site_id;
  std::string desk;  // "sites/{site}/desks/{n}"
  std::string code;
  std::string request_id;
  absl::Duration scanned_at;
  std::string group;  // a household scanned together; empty: alone
};

struct DayOptions {
  uint64_t seed = 1;
  double no_show = 0.05;       // share of residents who never come
  double late = 0.2;           // share who come late ...
  absl::Duration lateness = absl::Minutes(15);  // ... by up to this much
  // Tablet misbehaviour: retries with the same request id, double scans
  // at another desk, and one desk per site offline for a while, uploading
  // its scans late with their real scan times.
  bool misbehave = false;
  double retry = 0.03;
  double double_scan = 0.02;
  absl::Duration offline = absl::Minutes(20);
  // Households arrive together: one arrival time and desk per household,
  // its members one after another under one group label.
  bool households_together = false;
};

// The day of round `round` ("rounds/{id}", planned or open) as its sites
// would see it, sorted by send time.
[[nodiscard]] absl::StatusOr<std::vector<TraceRow>> GenerateDay(Client& client,
                                                               const std::string& round,
                                                               const DayOptions& options);

[[nodiscard]] absl::Status WriteTrace(const std::string& path, const std::vector<TraceRow>& rows);
// INVALID_ARGUMENT naming the line for a row that does not parse.
[[nodiscard]] absl::StatusOr<std::vector<TraceRow>> ReadTrace(const std::string& path);

// The rows as each desk's tablet work, in send order.
std::vector<DeskWork> DeskWorkOf(const std::vector<TraceRow>& rows);

struct DayCheck {
  int64_t residents = 0;      // distinct residents in the trace
  int64_t sampled_once = 0;   // of them, sampled by exactly one scan
  std::vector<std::string> mismatches;  // what is wrong, one line each (empty: all good)
};
// Checks a replay's outcomes (report.outcomes, for `work` as played)
// against the trace, and the server's progress: `sampled_before` residents
// were sampled before the replay, `sampled_after` after it.
DayCheck VerifyDay(const std::vector<DeskWork>& work, const FleetReport& report, int pool_ratio,
                   int64_t sampled_before, int64_t sampled_after);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_DAY_TRACE_H_
