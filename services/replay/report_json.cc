#include "services/replay/report_json.h"

#include "engine/io/csv.h"

namespace swabwave::services {

nlohmann::json FleetReportJson(const FleetReport& report) {
  const auto ms = [](absl::Duration d) { return absl::ToDoubleMilliseconds(d); };
  nlohmann::json by_code = nlohmann::json::object();
  for (size_t code = 0; code < report.by_code.size(); ++code) {
    if (report.by_code[code] != 0) by_code[std::to_string(code)] = report.by_code[code];
  }
  return {
      {"desks", report.desks},
      {"sent", report.sent},
      {"sampled", report.sampled},
      {"replayed", report.replayed},
      {"already_sampled", report.already_sampled},
      {"errors", report.errors},
      {"check_ins_per_second", report.check_ins_per_second()},
      {"elapsed_ms", ms(report.elapsed)},
      {"latency_ms",
       {{"p50", ms(report.latency.Percentile(50))},
        {"p90", ms(report.latency.Percentile(90))},
        {"p99", ms(report.latency.Percentile(99))},
        {"p999", ms(report.latency.Percentile(99.9))},
        {"max", ms(report.latency.max())}}},
      {"by_code", std::move(by_code)},
  };
}

nlohmann::json DayReportJson(const FleetReport& report, const DayCheck& check) {
  nlohmann::json day = FleetReportJson(report);
  day["residents"] = check.residents;
  day["sampled_once"] = check.sampled_once;
  day["mismatches"] = check.mismatches;
  return day;
}

nlohmann::json TeamReportJson(const TeamReport& report, size_t teams, int call) {
  const auto& by = report.by_outcome;
  return {
      {"teams", teams},
      {"call", call},
      {"at_the_door", FleetReportJson(report.check_ins)},
      {"off_route", report.off_route},
      {"visits", report.visits},
      {"visits_replayed", report.visits_replayed},
      {"visit_errors", report.visit_errors},
      {"by_outcome",
       {{"not_home", by[v1::VISIT_OUTCOME_NOT_HOME]},
        {"refused", by[v1::VISIT_OUTCOME_REFUSED]},
        {"in_hospital", by[v1::VISIT_OUTCOME_IN_HOSPITAL]},
        {"moved_away", by[v1::VISIT_OUTCOME_MOVED_AWAY]}}},
  };
}

nlohmann::json LabDayReportJson(const LabDayReport& r) {
  return {
      {"tubes_packed", r.tubes_packed},
      {"boxes_packed", r.boxes_packed},
      {"boxes_held", r.boxes_held},
      {"boxes_picked_up", r.boxes_picked_up},
      {"boxes_received", r.boxes_received},
      {"tubes_missing", r.tubes_missing},
      {"results_sent", r.results_sent},
      {"results_recorded", r.results_recorded},
      {"results_replayed", r.results_replayed},
      {"positive", r.positive},
      {"invalid", r.invalid},
      {"results_per_second", r.results_per_second()},
      {"follow_ups", r.follow_ups},
      {"follow_ups_replayed", r.follow_ups_replayed},
      {"errors", r.errors},
      {"first_error", r.first_error},
      {"recall_tubes", r.recall_tubes},
      {"recalled", r.recalled},
      {"resample_tubes", r.resample_tubes},
      {"resampled", r.resampled},
      {"retested", r.retested},
      {"cases", r.cases},
      {"late_boxes", r.late_boxes},
      {"mismatches", r.mismatches},
  };
}

absl::Status WriteReportJson(const std::string& path, const nlohmann::json& report) {
  return engine::WriteFileAtomically(
      path, report.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}


}  // namespace swabwave::services
