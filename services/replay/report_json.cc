#include "services/replay/report_json.h"

#include "engine/io/csv.h"

namespace swabwave::services {

nlohmann::json DayReportJson(const FleetReport& report, const DayCheck& check) {
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
      {"residents", check.residents},
      {"sampled_once", check.sampled_once},
      {"mismatches", check.mismatches},
  };
}

absl::Status WriteDayReportJson(const std::string& path, const FleetReport& report,
                                const DayCheck& check) {
  // A mismatch line may quote a server's message: replace bytes that are
  // not UTF-8 rather than throw.
  return engine::WriteFileAtomically(
      path, DayReportJson(report, check).dump(1, ' ', false,
                                              nlohmann::json::error_handler_t::replace) +
                "\n");
}

}  // namespace swabwave::services
