#include "engine/io/schedule_csv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/io/csv.h"
#include "engine/model/local_time.h"

namespace swabwave::engine {

std::vector<ScheduleRow> ScheduleRowsFromPlan(const RoundLayout& layout, const RoundConfig& config,
                                              const plan::Plan& plan) {
  std::vector<ScheduleRow> rows;
  rows.reserve(plan.assignments.size());
  for (const plan::UnitAssignment& a : plan.assignments) {
    const RoundLayout::Local unit = layout.LocateUnit(a.unit);
    const Community& community = layout.community(unit.community);
    const Unit& u = community.units[unit.id];
    ScheduleRow row;
    row.community_id = community.id;
    row.building_id = community.buildings[u.building].id;
    row.unit_id = u.id;
    row.site_id = layout.site(a.site).id;
    row.wave = a.wave;
    row.window_start = config.WaveStart(a.wave);
    row.window_end = config.WaveEnd(a.wave);
    row.residents = a.residents;
    for (uint32_t h : a.households) {
      row.household_ids.push_back(community.households[layout.LocateHousehold(h).id].id);
    }
    row.time_zone = community.time_zone;
    row.utc_offset_minutes = community.utc_offset_minutes;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string FormatScheduleCsv(const std::vector<ScheduleRow>& rows) {
  CsvWriter out;
  out.WriteRow({"community_id", "building_id", "unit_id", "site_id", "wave", "window_start",
                "window_end", "residents", "households"});
  // Rows come community by community: load a zone once per run of them.
  absl::TimeZone zone = absl::UTCTimeZone();
  std::string zone_of;
  int offset_of = 0;
  bool loaded = false;
  for (const ScheduleRow& row : rows) {
    if (!loaded || row.time_zone != zone_of || row.utc_offset_minutes != offset_of) {
      zone = ZoneFor(row.time_zone, row.utc_offset_minutes);
      zone_of = row.time_zone;
      offset_of = row.utc_offset_minutes;
      loaded = true;
    }
    const std::string wave = absl::StrCat(row.wave);
    const std::string start = absl::FormatTime(absl::RFC3339_sec, row.window_start, zone);
    const std::string end = absl::FormatTime(absl::RFC3339_sec, row.window_end, zone);
    const std::string residents = absl::StrCat(row.residents);
    const std::string households = absl::StrJoin(row.household_ids, "|");
    out.WriteRow({row.community_id, row.building_id, row.unit_id, row.site_id, wave, start, end,
                  residents, households});
  }
  return std::move(out).Release();
}

}  // namespace swabwave::engine
