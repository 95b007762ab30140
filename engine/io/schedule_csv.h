// The per-unit schedule as CSV: one row per unit (or per part of a split
// unit), the notice a building captain posts ("building 7, unit 2: site B,
// 09:30-10:00"). Rows come from a plan (engine side) or from the API's
// ListAssignments (the CLI); both format through FormatScheduleCsv.
//
// Columns: community_id,building_id,unit_id,site_id,wave,window_start,
//          window_end,residents,households
// Times are RFC 3339 in the community's local offset; households is a
// "|"-separated list, empty unless the unit was split.
//
// Ownership: rows are values (copies of the ids), not views into the
// layout.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_IO_SCHEDULE_CSV_H_
#define SWABWAVE_ENGINE_IO_SCHEDULE_CSV_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"

namespace swabwave::engine {

struct ScheduleRow {
  std::string community_id;
  std::string building_id;
  std::string unit_id;
  std::string site_id;
  int wave = 0;
  absl::Time window_start;
  absl::Time window_end;
  int residents = 0;
  std::vector<std::string> household_ids;  // empty unless the unit was split
  // Where the notices are read (engine/model/local_time.h): the
  // community's zone name, or its fixed offset when it names none.
  std::string time_zone;
  int utc_offset_minutes = 0;
};

// The rows of a plan, in the plan's order. REQUIRES: `plan` was made for
// `layout` and `config` (not checked).
std::vector<ScheduleRow> ScheduleRowsFromPlan(const RoundLayout& layout, const RoundConfig& config,
                                              const plan::Plan& plan);

// The CSV text, header first.
std::string FormatScheduleCsv(const std::vector<ScheduleRow>& rows);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_IO_SCHEDULE_CSV_H_
